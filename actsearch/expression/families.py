"""Learnable families in a tree: each call gets its own coefficient parameters.

``apl(x)`` is written with its input only; in the tree it is a call of the
primitive ``apl`` whose other arguments are :class:`~.tree.Param` nodes, one
per coefficient, so the compiler differentiates them like any parameter.
Their names follow the calls in post-order (the order the parser meets them
closing): the first ``apl`` call has ``apl_a1, apl_b1, apl_a2, apl_b2``, the
second ``apl_2_a1, ...``.  Names are given again whenever an expression is
built (:func:`complete`), so a tree that a search space or genetic
programming put together (``apl(u)`` with its input only, or two copies of
one call) gets distinct names too, and printing ``apl(x)`` then parsing it
gives back the same names.

>>> from actsearch.expression import parse
>>> f = parse("apl(x) + apl(tanh(x))")
>>> str(f), list(f.params)[:2], list(f.params)[4:6]
('apl(x) + apl(tanh(x))', ['apl_a1', 'apl_b1'], ['apl_2_a1', 'apl_2_b1'])
"""

from __future__ import annotations

from collections import Counter
from typing import Mapping

from ..errors import ExpressionError
from ..primitives import family_of
from .tree import Call, Node, Param, walk

__all__ = ["complete", "family_params", "has_family", "coefficient_names"]


def coefficient_names(op: str, k: int, group: int | None = None) -> list[str]:
    """The parameter names of the ``k``-th call (from 1) of family ``op`` in a tree (of group ``group``
    of a per-layer candidate: suffixed ``_g<group>``).

    >>> coefficient_names("apl1", 1), coefficient_names("apl1", 2)
    (['apl1_a1', 'apl1_b1'], ['apl1_2_a1', 'apl1_2_b1'])
    >>> coefficient_names("apl1", 2, group=1)
    ['apl1_2_a1_g1', 'apl1_2_b1_g1']
    """
    prefix = op if k == 1 else f"{op}_{k}"
    end = "" if group is None else f"_g{group}"
    return [f"{prefix}_{c}{end}" for c in family_of(op).coefficients]


def has_family(tree: Node) -> bool:
    """Whether ``tree`` calls a learnable family.

    >>> from actsearch.expression import parse
    >>> has_family(parse("apl(x) + 1").tree), has_family(parse("tanh(x)").tree)
    (True, False)
    """
    return any(isinstance(n, Call) and family_of(n.op) is not None for n in walk(tree))


def family_params(tree: Node) -> list[str]:
    """The names of the family coefficients of a completed tree, in order.

    >>> from actsearch.expression import parse
    >>> family_params(parse("beta * apl1(x)").tree)
    ['apl1_a1', 'apl1_b1']
    """
    out: dict[str, None] = {}
    for node in walk(tree):
        if isinstance(node, Call) and family_of(node.op) is not None:
            for arg in node.args[1:]:
                if isinstance(arg, Param):
                    out.setdefault(arg.name)
    return list(out)


def complete(tree: Node, params: Mapping[str, float],
             group: int | None = None) -> tuple[Node, dict[str, float]]:
    """``tree`` with every family call given its own coefficient parameters, and their values
    (the names of group ``group`` of a per-layer candidate when it is given; see :func:`coefficient_names`).

    A coefficient keeps the value its old parameter had in ``params`` (a copy
    of a call starts where the call is); a new one takes the value ``params``
    gives its new name, else the family's starting value.

    >>> from actsearch.expression.tree import Var
    >>> tree, values = complete(Call("apl1", (Var("x"),)), {})
    >>> from actsearch.expression.printer import to_string
    >>> tree.args[1:], values
    ((Param(name='apl1_a1'), Param(name='apl1_b1')), {'apl1_a1': 0.0, 'apl1_b1': 0.0})
    """
    counts: Counter = Counter()
    values: dict[str, float] = {}

    def rebuild(node: Node) -> Node:
        if not isinstance(node, Call):
            return node
        args = tuple(rebuild(a) for a in node.args)
        family = family_of(node.op)
        if family is None:
            return Call(node.op, args)
        counts[node.op] += 1
        names = coefficient_names(node.op, counts[node.op], group)
        old = node.args[1:]
        for i, (name, start) in enumerate(zip(names, family.initial)):
            was = old[i] if i < len(old) else None
            if isinstance(was, Param) and was.name in params:
                values[name] = float(params[was.name])
            else:
                values[name] = float(params.get(name, start))
        return Call(node.op, (args[0], *(Param(n) for n in names)))

    out = rebuild(tree)
    clash = sorted(set(values).intersection(_plain_params(out)))
    if clash:
        raise ExpressionError(f"parameter {clash[0]!r} is also a coefficient of a learnable family: rename it")
    return out, values


def _plain_params(node: Node) -> set[str]:
    """Parameters written outside the coefficient slots of family calls."""
    if isinstance(node, Param):
        return {node.name}
    if not isinstance(node, Call):
        return set()
    args = node.args[:1] if family_of(node.op) is not None else node.args
    return set().union(*(_plain_params(a) for a in args))
