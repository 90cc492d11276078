"""Warm start: seed a search with the best candidates of an earlier run, copying their rows where the
protocol is the same.

>>> is_warm_copy({"reason": f"{WARM_REASON} random-s0 (eval 3)"})
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import __version__
from .config import SearchConfig, first_difference, stored_settings
from .expression import parse
from .planner import RESULT_FIELDS, plain_row
from .results import load_results, row_params

#: The reason of a search row copied from a warm-start run instead of trained (see :func:`load_warm_start`).
WARM_REASON = "warm start: trained under this protocol in"

#: The settings that decide a training's outcome; a warm-start run's scores carry over when all are equal.
PROTOCOL_KEYS = ("dataset", "target", "task", "split_seed", "seeds", "train", "model", "replace")


@dataclass(frozen=True)
class WarmStart:
    """The best candidates of an earlier run, to seed a search with.

    ``rows`` maps each candidate's fingerprint to its row there, when that run
    trained under this run's protocol (same data, split, seeds, training settings
    and version): training would give the same numbers, so the search copies the
    row instead and does not count it against the budget.  Otherwise ``rows`` is
    empty and ``note`` says which setting differs.
    """

    expressions: list
    rows: dict
    note: str

    def copies(self, key) -> dict:
        """``{run key: row fields to copy}`` for the candidates whose rows carry over; ``key(expr)`` is the
        run's cache key (:meth:`actsearch.planner.Run.key`)."""
        return {key(e): warm_fields(self.rows[e.fingerprint]) for e in self.expressions if e.fingerprint in self.rows}


def load_warm_start(path: str, k: int, config: SearchConfig | None = None) -> WarmStart:
    """The top ``k`` functions (by search validation score) of the run at ``path``.

    >>> load_warm_start("no/such/run.csv", 5)
    Traceback (most recent call last):
    ...
    actsearch.results.ResultsError: results file 'no/such/run.csv' does not exist
    """
    table = load_results(path)
    ok = table[(table["stage"] == "search") & (table["status"] == "ok") & table["val_score"].notna()]
    ok = ok.sort_values(["val_score", "eval_id"], ascending=[False, True]).drop_duplicates("fingerprint")
    expressions, rows = [], {}
    for row in ok.head(k).to_dict(orient="records"):
        row = plain_row(row)
        expressions.append(parse(str(row["expression"]), params=row_params(row)))
        rows[row["fingerprint"]] = row
    differs = None if config is None else protocol_difference(path, config, rows.values())
    if config is None or differs is not None:
        return WarmStart(expressions, {}, f"warm start: {len(expressions)} candidates from {path}, trained again "
                                          f"here ({differs or 'no settings given'})")
    return WarmStart(expressions, rows, f"warm start: {len(expressions)} candidates from {path}, their scores "
                                        "copied (the same protocol), not counted against the budget")


def protocol_difference(path: str, config: SearchConfig, rows) -> str | None:
    """Why a warm-start run's scores do not carry over to ``config``'s run, or None if they do.

    >>> protocol_difference("no/such/run.csv", SearchConfig(), [])
    'no config.yaml beside no/such/run.csv'
    """
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    old = stored_settings(folder)
    if old is None:
        return f"no config.yaml beside {path}"
    differs = first_difference(old, config.to_dict(), PROTOCOL_KEYS)
    if differs is not None:
        return f"its {differs[0]} differs"
    versions = {row.get("version") for row in rows}
    if versions - {__version__}:
        return f"it was trained by actsearch {', '.join(sorted(map(str, versions - {__version__})))}"
    return None


def warm_fields(row: dict) -> dict:
    """A search row's result fields copied from a warm-start run's ``row``."""
    copied = {k: row.get(k) for k in (*RESULT_FIELDS, "val_history", "learned", "train_seconds")}
    return {**copied, "status": "ok", "reason": f"{WARM_REASON} {row['run_id']} (eval {row['eval_id']})"}


def is_warm_copy(row: dict) -> bool:
    """Whether a search row was copied from a warm-start run (it does not count against the budget)."""
    return str(row.get("reason") or "").startswith(WARM_REASON)
