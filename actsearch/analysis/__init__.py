"""Analysis of results tables: leaderboards, Pareto fronts, progress, failures, comparisons.

>>> import actsearch.analysis as analysis
>>> from actsearch import load_results
>>> table = load_results("tests/data/two-runs.csv")
>>> analysis.leaderboard(table, top=1)["expression"].tolist()
['x * sigmoid(x)', 'relu(x)', 'tanh(x)']

The functions load on first use (with pandas), so that ``actsearch`` commands
which do not analyse stay quick.  They live in :mod:`~actsearch.analysis.tables`
(the leaderboard, the comparison of runs, ``analyze``),
:mod:`~actsearch.analysis.pareto`, :mod:`~actsearch.analysis.run_progress` and
:mod:`~actsearch.analysis.failure_counts`, over the row selection of
:mod:`~actsearch.analysis.rows`; the statistics behind every verdict are in
:mod:`~actsearch.analysis.statistics`, the cell formatting of the printed tables
and the report in :mod:`~actsearch.analysis.formatting`.
:mod:`actsearch.analysis.commands` renders what ``actsearch analyze`` (:mod:`actsearch.cli.analyze`) prints.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {
    "leaderboard": "actsearch.analysis.tables",
    "compare": "actsearch.analysis.tables",
    "analyze": "actsearch.analysis.tables",
    "pareto_front": "actsearch.analysis.pareto",
    "progress": "actsearch.analysis.run_progress",
    "progress_summary": "actsearch.analysis.run_progress",
    "failures": "actsearch.analysis.failure_counts",
    "reason_group": "actsearch.analysis.failure_counts",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'actsearch.analysis' has no attribute {name!r}")
