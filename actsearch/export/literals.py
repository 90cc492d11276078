"""Numbers and names as they are written in exported code and in LaTeX.

>>> number(2.0), number(float("inf"))
('2.0', 'float("inf")')
>>> latex_number(1e-6)[0], latex_name("beta"), latex_name("x1")
('10^{-6}', '\\\\beta', 'x_{1}')
"""

from __future__ import annotations

import math
import re

from ..expression.printer import format_number
from .precedence import ATOM, POWER, PRODUCT, UNARY

__all__ = ["default_value", "is_whole", "latex_name", "latex_number", "named_constant", "number"]

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}

#: pi, e, infinity and NaN, as SymPy code and LaTeX write them.
_NAMED_CONSTANTS = {"sympy": ("sympy.pi", "sympy.E", "sympy.oo", "sympy.nan"),
                    "latex": ("\\pi", "e", "\\infty", "\\mathrm{NaN}")}


def number(value: float) -> str:
    """A Python literal for a float (``2.0``, ``0.01``, ``float("inf")``)."""
    if math.isfinite(value):
        return repr(float(value))
    if math.isnan(value):
        return 'float("nan")'
    return 'float("inf")' if value > 0 else '-float("inf")'


def default_value(value: float, per_neuron: tuple[float, ...] | None = None) -> str:
    """A parameter's default in a signature: its value, or a tuple of per-neuron values.

    >>> default_value(1.5), default_value(0.5, (0.25, 0.75))
    ('1.5', '(0.25, 0.75)')
    """
    if per_neuron is None:
        return number(value)
    return "(" + ", ".join(number(v) for v in per_neuron) + ("," if len(per_neuron) == 1 else "") + ")"


def is_whole(value: float) -> bool:
    """Whether ``value`` is a whole number small enough to be written as an integer.

    >>> is_whole(3.0), is_whole(0.5), is_whole(1e20)
    (True, False, False)
    """
    return math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15


def named_constant(value: float, target: str) -> tuple[str, int] | None:
    """pi, e, +-infinity or NaN as ``target`` ("sympy" or "latex") names it, with its
    precedence; None for another number.

    >>> named_constant(math.pi, "sympy"), named_constant(-math.inf, "latex"), named_constant(2.0, "sympy")
    (('sympy.pi', 6), ('-\\\\infty', 4), None)
    """
    pi, e, inf, nan = _NAMED_CONSTANTS[target]
    if value == math.pi:
        return pi, ATOM
    if value == math.e:
        return e, ATOM
    if math.isinf(value):
        return (inf, ATOM) if value > 0 else ("-" + inf, UNARY)
    if math.isnan(value):
        return nan, ATOM
    return None


def latex_number(value: float) -> tuple[str, int]:
    """``value`` in LaTeX, with the precedence of what is written (``-2`` binds as a unary minus).

    >>> latex_number(math.pi)[0], latex_number(2.5e-7)[0]
    ('\\\\pi', '2.5 \\\\times 10^{-7}')
    """
    named = named_constant(value, "latex")
    if named is not None:
        return named
    text = format_number(value)
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    if "e" in text:
        mantissa, exp = text.split("e")
        power = f"10^{{{int(exp)}}}"
        if mantissa in ("1", "1.0"):
            return sign + power, UNARY if sign else POWER
        return f"{sign}{mantissa} \\times {power}", UNARY if sign else PRODUCT
    return sign + text, UNARY if sign else ATOM


def latex_name(name: str) -> str:
    """A variable or parameter name in LaTeX: Greek letters as such, ``x1`` as ``x_{1}``."""
    if name == "eps":
        return "\\epsilon"
    if name in _GREEK:
        return "\\" + name
    m = re.fullmatch(r"([A-Za-z])_?(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if len(name) == 1:
        return name
    return "\\mathit{" + name.replace("_", "\\_") + "}"
