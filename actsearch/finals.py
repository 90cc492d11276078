"""Compare given activations with the baselines under exactly the final-stage protocol.

This is how a function from a paper, or your own, is checked against the
known ones fairly: the same network, data, initialisation rule and fresh
seeds (from 1000, each with its own train/validation partition) for every
function, then the verdicts of :mod:`actsearch.analysis.statistics` (paired
tests against the best baseline, chosen by validation score, Holm-corrected
across the given functions).

>>> board = compare(["x * tanh(x)"], dataset="moons", seeds=2, baselines=("relu", "tanh"),
...                 hidden=(8,), epochs=2)
>>> board[["expression", "source", "verdict"]].sort_values("expression").to_string(index=False)
' expression    source       verdict\\n    relu(x)  baseline best baseline\\n    tanh(x)  baseline      baseline\\nx * tanh(x) candidate   no evidence'
"""

from __future__ import annotations

from typing import Sequence

from .config import BASELINES, FINAL_SEED_START, SearchConfig
from .datasets import Dataset
from .driver import data_from, protocol_from
from .errors import ConfigError, ExpressionError
from .executors import make_executor
from .expression import parse
from .final_stage import final_stage
from .networks import TrainConfig, layer_expressions
from .planner import Run
from .scoring import NumpyScorer

#: The ``source`` of the given functions' rows.
CANDIDATE = "candidate"


def _activations(texts: Sequence[str], what: str) -> list:
    out = []
    for text in texts:
        try:
            out.append(parse(text))
        except ExpressionError as exc:
            raise ConfigError(f"{what} {text!r}: {exc}") from None
    return out


def compare_table(expressions: Sequence[str], dataset: str | Dataset = "spirals3", *, seeds: int = 10,
                  seed_start: int = FINAL_SEED_START, baselines: Sequence[str] = BASELINES, train: TrainConfig | None = None,
                  target: str | None = None, task: str | None = None, split_seed: int = 0, X=None, y=None,
                  workers: int = 1, **train_options):
    """The final-stage rows of :func:`compare` (the results table's columns), before the leaderboard."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ConfigError(f"seeds={seeds!r}: a paired test needs at least 2 seeds")
    if isinstance(seed_start, bool) or not isinstance(seed_start, int) or seed_start < 0:
        raise ConfigError(f"seed_start={seed_start!r}: expected a non-negative integer")
    if not expressions:
        raise ConfigError("compare needs at least one expression")
    given = _activations(expressions, "expression")
    known = _activations(baselines, "baseline")
    if not known:
        raise ConfigError("compare needs at least one baseline")
    protocol = protocol_from(train, train_options, "training")
    for expr in [*known, *given]:  # a per-layer candidate must fit the protocol's layers: say so before training
        layer_expressions(expr, len(protocol.hidden))
    data, _ = data_from(dataset, X, y, task=task, target=target, split_seed=split_seed)
    config = SearchConfig(dataset=data.name, split_seed=split_seed, final_k=0, final_seeds=seeds,
                          final_seed_start=seed_start, baselines=tuple(str(b) for b in known), train=protocol)
    run = Run(config, data, None, None, False, run_id="compare")
    executor = make_executor(NumpyScorer(data, protocol), workers=workers)
    try:
        final_stage(run, executor, [("baseline", b) for b in known] + [(CANDIDATE, e) for e in given])
    finally:
        executor.close()
    return run.table()


def compare(expressions: Sequence[str], dataset: str | Dataset = "spirals3", *, seeds: int = 10, **options):
    """Train ``expressions`` and the baselines on fresh seeds; the leaderboard with verdicts.

    The protocol is the search's default (:data:`actsearch.driver.DEFAULT_PROTOCOL`);
    ``seed_start`` (default 1000, the final stage's) moves the seeds, for a
    confirmation on seeds that a search's final stage never saw (say 2000).
    Training options (``hidden``, ``epochs``, ``lr``, ``init``, ``resample``,
    ...) or a whole ``train`` override it, as for :func:`actsearch.search`.
    ``baselines`` (default relu, gelu, swish, elu, tanh, leaky_relu and
    softplus; bare names stand for ``name(x)``), ``target``, ``task``,
    ``split_seed``, ``X, y`` and ``workers`` are as there.  Returns the
    DataFrame of :func:`actsearch.analysis.tables.leaderboard`: one row per
    function (a given function that is a baseline's twin is shown once, on the
    baseline's row, with ``also`` naming it), with ``best_baseline``,
    ``vs_best``, ``vs_best_ci``, ``p_vs_best``, ``p_vs_best_holm`` and ``verdict``.
    """
    from .analysis.tables import leaderboard

    table = compare_table(expressions, dataset, seeds=seeds, **options)
    return leaderboard(table, top=len(expressions))
