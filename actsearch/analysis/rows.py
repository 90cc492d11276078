"""Rows of a results table: selection by stage and run; scores; what function a row holds.

The tables of :mod:`actsearch.analysis` (leaderboard, Pareto front, progress,
failures) select their rows with these, so that every table counts a row the
same way: a score comes from a row with status ``ok`` or ``cached``
(:data:`~actsearch.results.SCORED_STATUSES`), and a missing stage never
matches.

>>> from actsearch import load_results
>>> table = load_results("tests/data/two-runs.csv")
>>> run_ids(table), len(rows_at(table, stage="final")), val_scores(search_rows(table, "b-s0")).tolist()
(['a-s0', 'b-s0'], 3, [0.6, nan, 0.65, 0.88])
"""

from __future__ import annotations

import pandas as pd

from .formatting import missing
from ..results import SCORED_STATUSES


def rows_at(table, *, stage: str):
    """The rows of ``table`` at ``stage`` (``search`` or ``final``); a missing stage never matches."""
    return table[table["stage"].isin([stage]).to_numpy(dtype=bool)]


def val_scores(rows) -> pd.Series:
    """Validation scores of ``rows``: NaN where the status carries none."""
    val = pd.to_numeric(rows["val_score"], errors="coerce").astype("float64")
    return val.where(rows["status"].isin(SCORED_STATUSES).to_numpy(dtype=bool))


def run_ids(table) -> list[str]:
    """The run_ids of ``table`` in order of first appearance."""
    return [str(r) for r in dict.fromkeys(table["run_id"].dropna().tolist())]


def search_rows(table, run_id: str):
    """The search-stage rows of run ``run_id``, in ``eval_id`` order."""
    rows = rows_at(table[table["run_id"].isin([run_id]).to_numpy(dtype=bool)], stage="search")
    return rows.sort_values("eval_id", kind="stable")


def function_key(table) -> pd.Series:
    """The function a row holds: its fingerprint, or its canonical form or expression without one."""
    return table["fingerprint"].astype(object).where(table["fingerprint"].notna(),
                                                     table["canonical"].astype(object)) \
        .where(lambda s: s.notna(), table["expression"].astype(object)).astype(str)


def most_common(values) -> str | None:
    """The most frequent text among ``values`` (missing ones left out), or None without any."""
    values = [str(v) for v in values if not missing(v)]
    return max(set(values), key=values.count) if values else None


def text_or_none(value) -> str | None:
    """``value`` as text; None for a missing value."""
    return None if missing(value) else str(value)

