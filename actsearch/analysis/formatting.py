"""Cells of printed and exported tables: missing values and numbers (JSON-safe values are
:func:`actsearch.results.json_safe`).

``actsearch analyze`` (:mod:`actsearch.analysis.commands`) and the HTML report
(:mod:`actsearch.analysis.report`) format their cells with these, so that a
number looks the same in both; they differ only in what stands for a missing
value (``blank``: nothing in the text tables, a dash in the report).  pandas
loads only when a value could be one of its missing markers.

>>> number(0.25), number(-0.5, signed=True), number(None), number(None, blank="-")
('0.2500', '-0.5000', '', '-')
>>> plus_minus(0.91, 0.01), plus_minus(0.91, float("nan"))
('0.9100 ± 0.0100', '0.9100')
"""

from __future__ import annotations

import math


def missing(value) -> bool:
    """True for None, pandas' NA and NaT, and a NaN float (Python or NumPy).

    >>> missing(None), missing(float("nan")), missing(0.0), missing("")
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, float) or type(value).__module__ == "numpy":
        try:
            return bool(math.isnan(value))
        except TypeError:  # a NumPy integer, bool or string
            return False
    if type(value).__module__.startswith("pandas"):
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    return False


def number(value, digits: int = 4, *, signed: bool = False, blank: str = "") -> str:
    """``value`` with ``digits`` decimals (and a sign when ``signed``); ``blank`` when it is missing.

    >>> number(3, 2), number(float("inf")), number(0.0, signed=True)
    ('3.00', 'inf', '+0.0000')
    """
    if missing(value):
        return blank
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def plus_minus(mean, std, digits: int = 4, *, blank: str = "") -> str:
    """``mean ± std``, or ``mean`` alone without a ``std``; ``blank`` without a mean.

    >>> plus_minus(None, 0.1, blank="-")
    '-'
    """
    if missing(mean):
        return blank
    return number(mean, digits) + ("" if missing(std) else f" \u00b1 {number(std, digits)}")
