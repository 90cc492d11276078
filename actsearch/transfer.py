"""Does it transfer?  A finished search's finalists and baselines, trained again in a PyTorch target model.

:func:`transfer` reads a run's ``config.yaml`` and ``evaluations.csv``, trains
its finalists (or given expressions) and its baselines in the target model on
the same fresh seeds for all (paired), under the run's training settings, and
writes ``RUN/transfer-<model>.csv`` in the results schema (``model`` names the
target).  The verdicts are the final stage's (:func:`actsearch.analysis.tables.leaderboard`:
each function against the best baseline in the target, Holm-corrected), and
:func:`~actsearch.analysis.transfer_check.proxy_agreement` is the rank correlation between the scores in the proxy
(the run's final stage) and in the target.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

from .config import SearchConfig, SearchError, stored_settings
from .errors import ConfigError, ExpressionError
from .expression import parse
from .analysis.transfer_check import proxy_agreement
from .results import SCORED_STATUSES, ResultsWriter, load_results, row_params


@dataclass(frozen=True)
class TransferResult:
    """The transfer table, its leaderboard with verdicts, the proxy-target agreement, and the CSV written."""

    table: Any
    leaderboard: Any
    agreement: dict
    path: str | None


def _run_settings(folder: str) -> SearchConfig:
    stored = stored_settings(folder)
    if stored is None:
        raise SearchError(f"{folder}: no config.yaml; transfer needs a run folder written by actsearch search")
    return SearchConfig.from_dict({k: v for k, v in stored.items() if k != "version"})


def _finalists(table) -> list:
    """The search's finalists (final-stage rows that are not baselines), one per function, best first."""
    final = table[(table["stage"] == "final") & (table["strategy"] != "baseline")
                  & table["status"].isin(list(SCORED_STATUSES))]
    final = final.sort_values(["val_score", "eval_id"], ascending=[False, True]).drop_duplicates("fingerprint")
    return [parse(str(r["expression"]), params=row_params(r)) for r in final.to_dict(orient="records")]


def _chosen(source: SearchConfig, table, expressions: Sequence[str] | None) -> list:
    chosen = [("baseline", parse(text)) for text in source.baselines]
    if expressions:
        try:
            given = [parse(text) for text in expressions]
        except ExpressionError as exc:
            raise ConfigError(f"--expressions: {exc}") from None
    else:
        given = _finalists(table)
        if not given:
            raise SearchError("the run has no finalists in its final stage; give --expressions")
    layered = next((e for _, e in chosen + [("", e) for e in given] if hasattr(e, "parts")), None)
    if layered is not None:
        raise ConfigError(f"per-layer candidate {str(layered)!r}: a torch model takes one activation for every "
                          f"layer; transfer uniform candidates (--expressions)")
    return chosen + [(source.strategy, e) for e in given]


def model_slug(model: str) -> str:
    """The target's name in file names: ``resmlp``, or the file and function of ``PATH.py:FUNCTION``.

    >>> model_slug("resmlp"), model_slug("models/net.py:build")
    ('resmlp', 'net-build')
    """
    path, _, function = model.rpartition(":")
    text = f"{os.path.splitext(os.path.basename(path))[0]}-{function}" if path.endswith(".py") else model
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_") or "model"


def transfer(run: str, model: str, *, expressions: Sequence[str] | None = None, seeds: int = 10,
             replace_modules: bool = False, device: str = "cpu", workers: int = 1, progress: bool = False,
             write: bool = True, **train_options) -> TransferResult:
    """Train run ``run``'s finalists (or ``expressions``) and baselines in the torch ``model``, with paired seeds.

    The seeds are the run's final-stage seeds (from ``final_seed_start``, 1000),
    ``seeds`` of them; training options (``epochs``, ``lr``, ``batch_size``,
    ``optimizer``, ``l2``) override the run's protocol.  With ``write``, the
    rows go to ``RUN/transfer-<model>.csv`` (replaced as a whole when it is complete).
    """
    from .analysis.tables import leaderboard
    from .datasets import load_dataset
    from .driver import protocol_from
    from .executors import make_executor
    from .final_stage import final_stage
    from .planner import Run

    folder = run if os.path.isdir(run) else os.path.dirname(run) or "."
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ConfigError(f"seeds={seeds!r}: a paired test needs at least 2 seeds")
    source = _run_settings(folder)
    proxy = load_results(folder)
    chosen = _chosen(source, proxy, expressions)
    config = replace(source, model=model, replace=replace_modules, device=device, final_k=0, final_seeds=seeds,
                     train=protocol_from(source.train, train_options, "training"))
    data = load_dataset(source.dataset, target=source.target, task=source.task, seed=source.split_seed)
    scorer = config.scorer(data)  # the model is built and checked before anything is trained or written
    source_id = str(proxy["run_id"].iloc[0]) if len(proxy) else os.path.basename(os.path.abspath(folder))
    run_id = f"{source_id}-{model_slug(model)}"
    state = Run(config, data, None, None, progress, run_id=run_id)
    executor = make_executor(scorer, workers=workers)
    try:
        final_stage(state, executor, chosen)
    finally:
        executor.close()
    table = state.table()
    path = os.path.join(folder, f"transfer-{model_slug(model)}.csv") if write else None
    if path is not None:
        tmp = f"{path}.{os.getpid()}.tmp"
        with ResultsWriter(tmp) as writer:
            for row in state.rows:
                writer.append(row)
        os.replace(tmp, path)
    board = leaderboard(table, top=len(chosen))
    return TransferResult(table, board, proxy_agreement(proxy, table), path)
