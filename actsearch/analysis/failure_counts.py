"""Rows of a results table counted by status and by (shortened) reason."""

from __future__ import annotations

import re

import pandas as pd

from ..results import STATUSES
from .rows import rows_at, text_or_none


_TRAILING = {"in", "at", "after", "as", "of", "by", "to", "for", "from", "with", "on", "eval", "epoch", "x", "is"}


def reason_group(reason) -> str:
    """A short, stable prefix of a row's ``reason``, for counting reasons that embed numbers or names.

    The text before the first ``:``, cut before the first word holding a digit,
    ``(``, ``=`` or ``|``, without trailing little words (``in``, ``after``,
    ``epoch``, ...).  Empty for no reason.

    >>> reason_group("linear: f(x) = a + b*x, so the network would be linear")
    'linear'
    >>> reason_group("same function as eval 3 (tanh(x))"), reason_group("same function as relu(x)")
    ('same function', 'same function')
    >>> reason_group("hidden activations exploded in epoch 4")
    'hidden activations exploded'
    """
    text = text_or_none(reason)
    if not text:
        return ""
    head = text.split(":", 1)[0]
    words = []
    for word in head.split():
        if re.search(r"[0-9(=|]", word):
            break
        words.append(word)
    while words and words[-1].lower().strip(".,;") in _TRAILING:
        words.pop()
    short = " ".join(words).strip(" .,;-")
    return (short or head.strip() or text.strip())[:60]


def failures(table, *, stage: str | None = None):
    """Counts of rows by status and by shortened reason (:func:`reason_group`).

    Every row counts (``stage="search"`` or ``"final"`` to restrict), ``ok``
    too, so the counts of a status add up to ``table.status.value_counts()``.
    Columns: ``status, reason`` (the short prefix; empty for none), ``count``,
    ``share`` (of the rows counted), ``example`` (the first full reason of the
    group).  Ordered by status (ok, diverged, rejected, cached, pruned), then
    by count.

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> failures(table)[["status", "reason", "count"]]
         status                       reason  count
    0        ok                                   8
    1  diverged  hidden activations exploded      1
    2  rejected                       linear      2
    3    cached                same function      1
    """
    rows = rows_at(table, stage=stage) if stage is not None else table
    groups = pd.DataFrame({"status": rows["status"].astype(object).map(text_or_none),
                           "reason": rows["reason"].astype(object).map(reason_group),
                           "example": rows["reason"].astype(object).map(lambda r: text_or_none(r) or "")})
    columns = ["status", "reason", "count", "share", "example"]
    if groups.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else "float64" if c == "share"
                                          else "object") for c in columns})
    counted = groups.groupby(["status", "reason"], sort=False, dropna=False).agg(
        count=("example", "size"), example=("example", "first")).reset_index()
    counted["share"] = counted["count"] / len(groups)
    order = {s: i for i, s in enumerate(STATUSES)}
    counted["_order"] = counted["status"].map(lambda s: order.get(s, len(order)))
    counted = counted.sort_values(["_order", "count", "reason"], ascending=[True, False, True], kind="stable")
    return counted[columns].reset_index(drop=True).astype({"count": "int64", "share": "float64"})

