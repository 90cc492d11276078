"""Printing a tree back to the notation the parser reads.

Parentheses are written only where precedence needs them, and numbers in
their shortest exact form, so ``parse(str(f))`` gives back the same tree.
"""

from __future__ import annotations

import math

from ..primitives import family_of
from .tree import Call, Const, Node, Param, Var

# Precedence of what a node prints as; a child printed below its slot's
# minimum is wrapped in parentheses.
_ATOM, _POWER, _UNARY, _PRODUCT, _SUM = 5, 4, 3, 2, 1
_INFIX = {"add": ("+", _SUM), "sub": ("-", _SUM), "mul": ("*", _PRODUCT), "div": ("/", _PRODUCT)}


def format_number(value: float) -> str:
    """The shortest text that parses back to exactly ``value``.

    >>> format_number(2.0), format_number(0.1), format_number(1e-06)
    ('2', '0.1', '1e-06')
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot print the non-finite constant {value}")
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _format(node: Node) -> tuple[str, int]:
    if isinstance(node, Var):
        return node.name, _ATOM
    if isinstance(node, Param):
        return node.name, _ATOM
    if isinstance(node, Const):
        text = format_number(node.value)
        return text, _UNARY if text.startswith("-") else _ATOM
    if not isinstance(node, Call):
        raise TypeError(f"not an expression node: {node!r}")
    if node.op in _INFIX:
        symbol, prec = _INFIX[node.op]
        left, right = node.args
        # Left-associative: the right operand needs a strictly higher level.
        return f"{_wrap(left, prec)} {symbol} {_wrap(right, prec + 1)}", prec
    if node.op == "neg":
        operand = node.args[0]
        if isinstance(operand, Const) and operand.value >= 0:
            return f"-({to_string(operand)})", _UNARY  # "-2" would parse as the number -2
        return "-" + _wrap(operand, _UNARY), _UNARY
    if node.op == "pow":
        base, exponent = node.args
        return f"{_wrap(base, _ATOM)}^{_wrap(exponent, _UNARY)}", _POWER
    if family_of(node.op) is not None:  # the coefficients are parameters, named by position
        return f"{node.op}({to_string(node.args[0])})", _ATOM
    return f"{node.op}({', '.join(to_string(a) for a in node.args)})", _ATOM


def _wrap(node: Node, minimum: int) -> str:
    text, prec = _format(node)
    return text if prec >= minimum else f"({text})"


def to_string(node: Node) -> str:
    """Print a tree in plain maths notation.

    >>> from actsearch.expression.parser import parse_tree
    >>> to_string(parse_tree("(x*(sigmoid(x)))")[0])
    'x * sigmoid(x)'
    """
    return _format(node)[0]
