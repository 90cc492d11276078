"""The expression tree: a plain, immutable data structure, apart from any search.

Four node types: a variable (``x``), a numeric constant, a named parameter
(``beta``) whose value lives in the :class:`~actsearch.expression.Expression`
that holds the tree, and a call of a registered primitive.  Nodes are frozen
dataclasses, so equal subtrees compare and hash equal (the compiler shares
their work).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union


@dataclass(frozen=True)
class Var:
    name: str = "x"


@dataclass(frozen=True)
class Const:
    value: float


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Call:
    op: str
    args: tuple["Node", ...]


Node = Union[Var, Const, Param, Call]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, children before parents (post-order)."""
    if isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    yield node


def size(node: Node) -> int:
    """The number of nodes: the complexity measure used in results (as PySR)."""
    return sum(1 for _ in walk(node))


def depth(node: Node) -> int:
    """The length of the longest path from the root to a leaf (a leaf has depth 0)."""
    if isinstance(node, Call):
        return 1 + max(depth(a) for a in node.args)
    return 0


def param_names(node: Node) -> list[str]:
    """Named parameters in order of first appearance."""
    seen: dict[str, None] = {}
    for n in walk(node):
        if isinstance(n, Param):
            seen.setdefault(n.name)
    return list(seen)


def substitute(node: Node, mapping: dict[str, Node]) -> Node:
    """Replace variables by subtrees, e.g. ``x1`` and ``x2`` in a binary template."""
    if isinstance(node, Var):
        return mapping.get(node.name, node)
    if isinstance(node, Call):
        return Call(node.op, tuple(substitute(a, mapping) for a in node.args))
    return node
