"""The search driver: ask, screen, deduplicate, train, record, tell; then a final stage.

>>> import tempfile
>>> result = search(space="small", strategy="random", dataset="moons", budget=3, seed=0,
...                 out=tempfile.mkdtemp(), hidden=(8,), epochs=3, seeds=1, final_k=1, final_seeds=2,
...                 baselines=("relu(x)",), progress=False)
>>> rows = result.table[result.table.stage == "search"]
>>> int((rows.status != "promoted").sum())  # the candidates: racing adds a row per promotion
3
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields, replace
from typing import Any, Sequence

import numpy as np

from .config import (BASELINES, DEFAULT_PROTOCOL, DEFAULT_SPACE, FINAL_SEED_START, SearchConfig, SearchError,
                     SettingsMismatch, first_difference, settings_mismatch, stored_settings, write_settings)
from .datasets import Dataset, load_dataset, make_dataset
from .errors import ConfigError
from .executors import make_executor
from .expression import Expression, parse
from .final_stage import final_stage, finalists
from .networks import TrainConfig
from .planner import Run, plain_row
from .results import SCORED_STATUSES, load_results
from .spaces import Space
from .search_loop import Race, async_loop, bracket_loop
from .strategies import get_strategy
from .warmstart import PROTOCOL_KEYS, WARM_REASON, WarmStart, is_warm_copy, load_warm_start, warm_fields

__all__ = [
    "BASELINES", "DEFAULT_PROTOCOL", "DEFAULT_SPACE", "FINAL_SEED_START", "PROTOCOL_KEYS", "WARM_REASON",
    "Run", "SearchConfig", "SearchError", "SearchResult", "SettingsMismatch", "WarmStart", "final_stage",
    "finalists", "first_difference", "is_warm_copy", "load_warm_start", "run_search", "search",
    "settings_mismatch", "stored_settings", "warm_fields",
]


@dataclass
class SearchResult:
    """What a search returns: the table, the best candidate and the final leaderboard."""

    table: Any
    best: Expression | None
    leaderboard: Any
    out: str | None
    summary: dict = field(default_factory=dict)
    interrupted: bool = False

    def __repr__(self) -> str:
        best = str(self.best) if self.best is not None else None
        return f"SearchResult(best={best!r}, rows={len(self.table)}, out={self.out!r})"


class _Progress:
    """The search stage's progress bar (or nothing), with the best validation score so far."""

    def __init__(self, run: Run, budget: int):
        self.bar, self.best = None, -math.inf
        if run.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=budget, desc=f"{run.config.strategy}", unit="eval", leave=True)

    def update(self, row: dict) -> None:
        val = row.get("val_score")
        if row["status"] in SCORED_STATUSES and val is not None and val == val and val > self.best:
            self.best = val
        if self.bar is not None:
            self.bar.set_postfix(best=f"{self.best:.4f}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _search_loop(run: Run, strategy, executor, previous: list[dict]) -> None:
    """The search stage (see :mod:`actsearch.search_loop`); ``previous`` holds the rows of a killed run,
    told again instead of trained (resume by replay)."""
    racing = run.config.race
    # a smaller budget on resume discards nothing; rows copied from a warm start are free
    budget = max(run.config.budget, Race.candidates_in(previous))
    progress = _Progress(run, budget)
    race = Race(run, strategy, racing, progress, previous)
    if racing.mode == "asha":
        strategy.parallel(executor.workers)
    try:
        (async_loop if racing.mode == "asha" else bracket_loop)(race, executor, budget)
    finally:
        progress.close()


def _resume_summary(search_rows: list[dict], final_rows: list[dict]) -> str:
    """What a resumed run found on disk, in one line."""
    scored = [r for r in search_rows if r["status"] in SCORED_STATUSES and isinstance(r.get("val_score"), float)
              and math.isfinite(r["val_score"])]
    best = max(scored, key=lambda r: r["val_score"], default=None)
    text = f"resuming: {len(search_rows)} search rows and {len(final_rows)} final rows on disk"
    return text + (f"; best so far {best['val_score']:.4f} {best['expression']}" if best else "")


def _previous_rows(out: str | None) -> tuple[str | None, list[dict], list[dict]]:
    """``(run id, search rows, final rows)`` of a run already in ``out`` (a resume), in eval order."""
    path = os.path.join(out, "evaluations.csv") if out is not None else None
    if path is None or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None, [], []
    from .results import drop_partial_last_line

    drop_partial_last_line(path)
    previous = load_results(path)
    if not len(previous):
        return None, [], []
    ordered = previous.sort_values("eval_id")
    rows = {stage: [plain_row(r) for r in ordered[ordered["stage"] == stage].to_dict(orient="records")]
            for stage in ("search", "final")}
    # a run resumed keeps its id, whatever rule named it
    return str(ordered["run_id"].iloc[0]), rows["search"], rows["final"]


def _strategy(config: SearchConfig, space: Space, workers: int, dask: str | None):
    # the strategy checks its options before anything is written
    strategy = get_strategy(config.strategy)(space, np.random.default_rng(config.seed), config.budget,
                                             **config.strategy_options)
    pruner = getattr(strategy.settings, "pruner", None)
    if pruner and config.racing != "off":
        raise ConfigError(f"the {pruner!r} pruner and racing both stop candidates early: choose one "
                          f"(--racing off to prune with Optuna)")
    if (workers > 1 or dask) and pruner:
        raise ConfigError("pruning runs inside one process: use --workers 1, or actsearch worker processes "
                          "on an Optuna storage")
    return strategy


def run_search(config: SearchConfig, out: str | None = None, *, data: Dataset | None = None,
               space: Space | None = None, progress: bool = True, workers: int = 1, dask: str | None = None,
               announce=None) -> SearchResult:
    """Run (or resume) a search described by ``config``; see :func:`search`.

    ``announce(text)``, if given, is called once every setting has been checked and
    before the first training, with ``""`` for a new run or a line on what a
    resumed run found on disk (the CLI prints its banner there, so that a bad
    setting prints the error alone).
    """
    config.validate()
    space = config.search_space() if space is None else space  # a Space given to search() is used as it is
    space.check_layers(len(config.train.hidden), config.model)
    config.check_fits(config.baselines)
    if data is None:
        data = load_dataset(config.dataset, target=config.target, task=config.task, seed=config.split_seed)
    strategy = _strategy(config, space, workers, dask)
    scorer = config.scorer(data)  # a torch model is built and checked here, before anything is written
    if config.racing != "off" and not scorer.supports_racing:
        raise ConfigError(f"racing pauses trainings, which the {scorer.name} scorer cannot: use --racing off")
    warm = None
    if config.warm_start:  # read before anything is written, so a bad file leaves no output behind
        warm = load_warm_start(config.warm_start, config.warm_k, config)
        config.check_fits([str(e) for e in warm.expressions], "warm-start function")
        strategy.warm_start(warm.expressions)
    if out is not None:
        write_settings(out, config)
    run_id, search_prev, final_prev = _previous_rows(out)
    run = Run(config, data, space, out, progress, run_id=run_id)
    run.rows.extend(search_prev + final_prev)  # replayed rows keep their place; new rows follow them
    if warm is not None:
        run.warm = warm.copies(run.key)
    if announce is not None:
        lines = [_resume_summary(search_prev, final_prev)] if run_id is not None else []
        announce("\n".join(lines + ([warm.note] if warm is not None else [])))
    executor = make_executor(scorer, workers=workers, dask=dask)
    interrupted = False
    try:
        _search_loop(run, strategy, executor, search_prev)
        if config.final_k > 0 or config.baselines:
            final_stage(run, executor)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        executor.close()
        if run.writer is not None:
            run.writer.close()
    return search_result(run, strategy, interrupted)


def search_result(run: Run, strategy, interrupted: bool) -> SearchResult:
    """The :class:`SearchResult` of a finished (or interrupted) run: its table, best candidate and
    leaderboard."""
    from .analysis.tables import leaderboard

    table = run.table()
    board = leaderboard(table, top=run.config.final_k)
    ok = table[(table["stage"] == "search") & (table["status"] == "ok")]
    best = None
    if len(ok):
        top = ok.sort_values(["val_score", "eval_id"], ascending=[False, True]).iloc[0]
        best = parse(str(top["expression"]), params=json.loads(str(top["params"]) or "{}"))
    summary = {"strategy": strategy.summary(), "data": run.data.describe()}
    return SearchResult(table=table, best=best, leaderboard=board, out=run.out, summary=summary,
                        interrupted=interrupted)


def protocol_from(train: TrainConfig | None, options: dict, what: str = "search") -> TrainConfig:
    """``train`` (default :data:`DEFAULT_PROTOCOL`) with training ``options`` such as ``hidden`` or ``epochs``.

    >>> protocol_from(None, {"epochs": 3}).epochs
    3
    >>> protocol_from(None, {"epoch": 3})
    Traceback (most recent call last):
    ...
    actsearch.errors.ConfigError: unknown search option 'epoch'
    """
    protocol = train or DEFAULT_PROTOCOL
    if options:
        unknown = sorted(set(options) - {f.name for f in fields(TrainConfig)})
        if unknown:
            raise ConfigError(f"unknown {what} option {unknown[0]!r}")
        protocol = replace(protocol, **options)
    return protocol


def data_from(dataset: str | Dataset, X=None, y=None, *, task: str | None = None, target: str | None = None,
              split_seed: int = 0, load: bool = True) -> tuple[Dataset | None, str]:
    """``(data, name)`` of what a user gave: arrays ``X, y``, a :class:`Dataset`, or a dataset's name (loaded
    when ``load``, else None).

    >>> data_from("moons", load=False)
    (None, 'moons')
    """
    if X is not None or y is not None:
        if X is None or y is None:
            raise ConfigError("pass both X and y, or neither")
        return make_dataset(X, y, task=task, name="arrays", seed=split_seed), "arrays"
    if isinstance(dataset, Dataset):
        return dataset, dataset.name
    data = load_dataset(dataset, target=target, task=task, seed=split_seed) if load else None
    return data, str(dataset)


def search(space: str | Space = "default", strategy: str = "random", dataset: str | Dataset = "spirals3",
           budget: int = 40, seed: int = 0, out: str | None = None, *, X=None, y=None,
           task: str | None = None, target: str | None = None, split_seed: int = 0, seeds: int = 2,
           final_k: int = 5, final_seeds: int = 10, baselines: Sequence[str] = BASELINES,
           warm_start: str | None = None, strategy_options: dict | None = None,
           train: TrainConfig | None = None, progress: bool = True, workers: int = 1, dask: str | None = None,
           model: str | None = None, replace: bool = False, device: str = "cpu", racing: str | None = None,
           eta: int = 3, rungs: int = 3, **train_options) -> SearchResult:
    """Search a space of activations; the one function behind ``actsearch search``.

    ``X, y`` search on your own arrays instead of ``dataset``.  Training
    options (``hidden``, ``epochs``, ``batch_size``, ``lr``, ...) override the
    default protocol (:data:`DEFAULT_PROTOCOL`), or pass a whole ``train``.
    With ``out``, every evaluation is appended to ``out/evaluations.csv`` as
    it finishes, and running the same call again resumes.  ``workers`` trains
    in that many processes; ``dask`` (``"local"`` or a scheduler address) on a
    Dask cluster; with ``racing`` ``"off"`` or ``"sh"`` neither changes the table
    (with ``"asha"`` the rows come in the order trainings finish).  ``model`` scores candidates in a
    torch model instead of the NumPy MLP: ``"resmlp"``, ``"cnn"`` or
    ``"PATH.py:FUNCTION"`` (with ``replace``, its ReLU/GELU/SiLU/Tanh/ELU
    modules are swapped for the candidate), on ``device``.  ``racing``
    (``"asha"``, the default for the NumPy MLP; ``"sh"``; ``"off"``) trains
    each candidate rung by rung and stops the worst early: ``rungs`` rungs,
    the best ``1/eta`` of each going on (see :mod:`actsearch.racing`).
    """
    protocol = protocol_from(train, train_options)
    data, name = data_from(dataset, X, y, task=task, split_seed=split_seed, load=False)
    config = SearchConfig(space=space if isinstance(space, str) else space.source, strategy=strategy,
                          dataset=str(name), target=target, task=task, split_seed=split_seed, budget=budget,
                          seed=seed, seeds=seeds, final_k=final_k, final_seeds=final_seeds,
                          baselines=tuple(baselines), warm_start=warm_start,
                          strategy_options=dict(strategy_options or {}), train=protocol, model=model,
                          replace=replace, device=device, racing=racing, eta=eta, rungs=rungs)
    return run_search(config, out, data=data, space=None if isinstance(space, str) else space, progress=progress,
                      workers=workers, dask=dask)
