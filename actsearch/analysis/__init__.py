"""Analysis of results tables: leaderboards, Pareto fronts, progress, failures, comparisons.

>>> import actsearch.analysis as analysis
>>> analysis.leaderboard(analysis.demo_table(), top=1)["expression"].tolist()
['x * sigmoid(x)', 'relu(x)', 'tanh(x)']

The functions live in :mod:`actsearch.analysis.tables` and load on first use
(with pandas), so that ``actsearch`` commands which do not analyse stay quick;
:mod:`actsearch.analysis.commands` adds ``actsearch analyze``.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {name: "actsearch.analysis.tables" for name in (
    "leaderboard", "pareto_front", "progress", "progress_summary", "failures", "reason_group", "compare",
    "analyze", "demo_table")}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'actsearch.analysis' has no attribute {name!r}")
