"""What the exporters ask of a parsed tree before they write it out.

>>> from actsearch.expression import parse
>>> fold(parse("x * exp(0)").tree)
Call(op='mul', args=(Var(name='x'), Const(value=1.0)))
>>> has_var(parse("2 * beta").tree)
False
"""

from __future__ import annotations

import numpy as np

from ..expression.tree import Call, Const, Node, Var, walk
from ..primitives import get_primitive

__all__ = ["fold", "has_var"]


def has_var(node: Node) -> bool:
    """Whether ``node`` depends on a variable (not on constants and parameters only)."""
    return any(isinstance(n, Var) for n in walk(node))


def fold(node: Node) -> Node:
    """Constant subtrees folded to their value, and omitted default arguments written out,
    as the compiler does."""
    if not isinstance(node, Call):
        return node
    prim = get_primitive(node.op)
    args = [fold(a) for a in node.args]
    args += [Const(float(d)) for d in prim.defaults[len(args) - prim.min_arity:]]
    if all(isinstance(a, Const) for a in args):
        with np.errstate(all="ignore"):
            return Const(float(prim.forward(*[a.value for a in args])))
    return Call(node.op, tuple(args))
