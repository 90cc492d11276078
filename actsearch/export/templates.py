"""Templates that depend on the arguments: division, powers, max/min in torch, and LaTeX
products and formulas.

A template is a string in which ``$0``, ``$1``, ... stand for the arguments (and, in the
NumPy templates that JAX shares, ``$np`` and ``$sp`` for the array and special-function
modules), or a function of the argument nodes that returns such a string; these are the
functions.  Each reproduces a protection of :mod:`actsearch.primitives`.

>>> from actsearch.expression.tree import Const, Var
>>> pow_numpy((Var("x"), Const(-1.5)))
'$np.maximum($np.abs($0), 0.001) ** -1.5'
>>> div_torch((Var("x"), Const(1e-4)))
'$0 * 0.0 + 1.0'
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ExpressionError
from ..expression.tree import Call, Const, Node, Param, Var
from .literals import latex_number, number
from .trees import has_var

__all__ = [
    "CLIP", "DIV_EPS", "LOG_EPS", "Template", "div_array", "div_sympy", "div_torch", "extreme_torch",
    "latex_leaf", "mul_latex", "pow_latex", "pow_numpy", "pow_sympy", "pow_torch", "swish_latex",
]

#: The protection thresholds of :mod:`actsearch.primitives`, as they are written in exported code.
DIV_EPS = "0.001"
LOG_EPS = "1e-06"
CLIP = "80.0"

Template = str | Callable[[tuple[Node, ...]], str]

_ARITHMETIC = {"add", "sub", "mul", "div", "neg"}


def _divide(protected: str, general: str, scalar: str | None = None) -> Callable[[tuple[Node, ...]], str]:
    """``a / b``, 1 where |b| <= 1e-3: for a constant b, decided now as the compiler does
    (``protected`` where |b| <= 1e-3); ``scalar`` where b depends on the parameters only
    (if given); ``general`` otherwise."""
    def template(args):
        b = args[1]
        if isinstance(b, Const):
            return "$0 / $1" if abs(b.value) > 1e-3 else protected
        if scalar is not None and not has_var(b):
            return scalar
        return general
    return template


#: In NumPy and JAX, a Python conditional for a scalar denominator (parameters only) keeps float32 float32.
div_array = _divide("$0 * 0.0 + 1.0",
                    f"$np.where($np.abs($1) > {DIV_EPS}, $0 / $np.where($np.abs($1) > {DIV_EPS}, $1, 1.0), 1.0)",
                    scalar=f"($0 / $1 if abs($1) > {DIV_EPS} else $0 * 0.0 + 1.0)")
div_torch = _divide("$0 * 0.0 + 1.0", f"torch.where(torch.abs($1) > {DIV_EPS}, "
                                      f"$0 / torch.where(torch.abs($1) > {DIV_EPS}, $1, 1.0), 1.0)")
div_sympy = _divide("$0 * 0 + 1", f"sympy.Piecewise(($0 / $1, sympy.Abs($1) > {DIV_EPS}), (1, True))")


def _exponent(args: tuple[Node, ...]) -> float:
    p = args[1]
    if not isinstance(p, Const):
        raise ExpressionError("cannot export '^' with a non-constant exponent: write a number, such as x^2")
    return float(p.value)


def _pow_array(abs_: str, floor: Callable[[str], str], guard: Callable[[str], str]):
    """pow for NumPy, JAX and torch: ``a ** p`` for a whole p >= 0; for a negative whole p,
    ``a`` with |a| < 1e-3 replaced by +-1e-3 (its sign kept); ``|a| ** p`` otherwise,
    |a| floored at 1e-3 when p < 0."""
    def template(args):
        p = _exponent(args)
        if p.is_integer():  # as the primitive decides
            return f"$0 ** {int(p)}" if p >= 0 else f"{guard('$0')} ** {int(p)}"
        if p < 0:
            return f"{floor(abs_ + '($0)')} ** {number(p)}"
        return f"{abs_}($0) ** {number(p)}"
    return template


pow_numpy = _pow_array("$np.abs", lambda a: f"$np.maximum({a}, {DIV_EPS})",
                       lambda a: f"$np.where($np.abs({a}) < {DIV_EPS}, $np.copysign({DIV_EPS}, {a}), {a})")
pow_torch = _pow_array("torch.abs", lambda a: f"torch.clamp({a}, min={DIV_EPS})",
                       lambda a: f"torch.where(torch.abs({a}) < {DIV_EPS}, "
                                 f"torch.copysign(torch.full_like({a}, {DIV_EPS}), {a}), {a})")


def pow_sympy(args: tuple[Node, ...]) -> str:
    """``a ^ p`` in SymPy, protected as the primitive is."""
    p = _exponent(args)
    if p.is_integer():  # as the primitive decides
        if p >= 0:
            return f"$0 ** {int(p)}"
        # |a| < 1e-3 is replaced by +-1e-3 (the sign of a kept), as in division
        with np.errstate(all="ignore"):
            low, high = (number(float(np.power(v, p))) for v in (-1e-3, 1e-3))
        return (f"sympy.Piecewise(($0 ** {int(p)}, sympy.Abs($0) >= {DIV_EPS}), "
                f"({low}, $0 < 0), ({high}, True))")
    if p < 0:
        return f"sympy.Max(sympy.Abs($0), {DIV_EPS}) ** {number(p)}"
    return f"sympy.Abs($0) ** {number(p)}"


def pow_latex(args: tuple[Node, ...]) -> str:
    """``a ^ p`` in LaTeX: ``|a|`` for a fractional p."""
    p = _exponent(args)
    exponent = latex_number(p)[0]
    if p.is_integer():
        return f"$0^{{{exponent}}}"
    return f"\\left|$0\\right|^{{{exponent}}}"


def extreme_torch(fn: str, bound: str) -> Callable[[tuple[Node, ...]], str]:
    """max/min in torch: torch.maximum needs two tensors, so a constant side becomes a clamp."""
    def template(args):
        a, b = args
        if isinstance(b, Const):
            return f"torch.clamp($0, {bound}=$1)"
        if isinstance(a, Const):
            return f"torch.clamp($1, {bound}=$0)"
        return f"torch.{fn}($0, $1)"
    return template


def mul_latex(args: tuple[Node, ...]) -> str:
    """``a * b`` in LaTeX: a coefficient times a symbol or a function reads without a dot
    (``\\beta x``, ``2 \\sin(x)``)."""
    a, b = args
    if isinstance(a, (Const, Param)) and (isinstance(b, (Var, Param))
                                          or (isinstance(b, Call) and b.op not in _ARITHMETIC)):
        return "$0 $1"
    return "$0 \\cdot $1"


def latex_leaf(expanded: str, fallback: str) -> Callable[[tuple[Node, ...]], str]:
    """Write the formula out where the arguments are leaves, a named function elsewhere
    (a formula that repeats its argument would repeat a whole subtree)."""
    def template(args):
        return expanded if all(isinstance(a, (Var, Param, Const)) for a in args) else fallback
    return template


def swish_latex(args: tuple[Node, ...]) -> str:
    """swish in LaTeX: ``x \\, \\sigma(x)`` when beta is 1, ``x \\, \\sigma(\\beta x)`` on leaves."""
    if args[1] == Const(1.0) and isinstance(args[0], Var):
        return "$0 \\, \\sigma($0)"
    return latex_leaf("$0 \\, \\sigma($1 $0)", "\\operatorname{swish}_{$1}($0)")(args)
