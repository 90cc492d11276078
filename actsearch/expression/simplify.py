"""Canonical form and numeric fingerprint, for deduplication.

The canonical form rewrites a tree bottom-up: constants folded, sums and
products flattened with their terms in a fixed order (so ``sigmoid(x)*x`` and
``x*sigmoid(x)`` print alike), repeated terms collected (``x + x`` becomes
``2*x``) and identities applied (``x*1``, ``x+0``, ``--x``, ``max(x, x)``).
Parameters stay symbols.

Symbols miss equivalences that need algebra (``sinh(x)`` against
``(exp(x) - exp(-x))/2``), so the fingerprint compares functions by their
values on fixed probe points instead: equal functions give equal fingerprints,
whatever their symbols.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import numpy as np

from ..primitives import PRIMITIVES
from .printer import to_string
from .tree import Call, Const, Node

#: Fixed probe points: standard-normal draws, where preactivations live, plus
#: a few wide points so functions that differ only in their tails differ here.
PROBES = np.concatenate([
    np.random.default_rng(20171016).standard_normal(64),
    [0.0, -4.0, 4.0, -8.0, 8.0, -16.0, 16.0],
])


def _fold(node: Call) -> Node | None:
    if all(isinstance(a, Const) for a in node.args):
        value = float(PRIMITIVES[node.op](*[a.value for a in node.args]))
        if math.isfinite(value):
            return Const(value)
    return None


def _flatten(node: Node, op: str) -> list[Node]:
    if isinstance(node, Call) and node.op == op:
        return [t for a in node.args for t in _flatten(a, op)]
    return [node]


def _chain(op: str, items: list[Node]) -> Node:
    out = items[0]
    for item in items[1:]:
        out = Call(op, (out, item))
    return out


def _sum(terms: list[Node]) -> Node:
    constant = sum(t.value for t in terms if isinstance(t, Const))
    counts = Counter(t for t in terms if not isinstance(t, Const))
    items = []
    for term, k in sorted(counts.items(), key=lambda kv: to_string(kv[0])):
        items.append(term if k == 1 else _product([Const(float(k)), term]))
    if constant != 0.0 or not items:
        items.append(Const(constant))
    return _chain("add", items)


def _product(factors: list[Node]) -> Node:
    constant = math.prod(f.value for f in factors if isinstance(f, Const))
    if constant == 0.0:
        return Const(0.0)
    counts = Counter(f for f in factors if not isinstance(f, Const))
    items = []
    for factor, k in sorted(counts.items(), key=lambda kv: to_string(kv[0])):
        items.append(factor if k == 1 else Call("pow", (factor, Const(float(k)))))
    if constant != 1.0 or not items:
        items.insert(0, Const(constant))
    return _chain("mul", items)


def _rewrite(node: Call) -> Node:
    op, args = node.op, node.args
    folded = _fold(node)
    if folded is not None:
        return folded
    if op == "add":
        return _sum(_flatten(node, "add"))
    if op == "mul":
        return _product(_flatten(node, "mul"))
    if op == "sub":
        a, b = args
        if a == b:
            return Const(0.0)
        if isinstance(b, Const) and b.value == 0.0:
            return a
        if isinstance(a, Const) and a.value == 0.0:
            return _rewrite(Call("neg", (b,)))
        return node
    if op == "neg":
        (a,) = args
        if isinstance(a, Call) and a.op == "neg":
            return a.args[0]
        return node
    if op == "div":
        a, b = args
        if a == b:
            return Const(1.0)  # protected division gives 1 at b ~ 0 as well
        if isinstance(b, Const) and b.value == 1.0:
            return a
        return node
    if op == "pow":
        a, p = args
        if isinstance(p, Const) and p.value == 1.0:
            return a
        if isinstance(p, Const) and p.value == 0.0:
            return Const(1.0)
        return node
    if op in ("max", "min") and args[0] == args[1]:
        return args[0]
    if op == "identity":
        return args[0]
    if op == "abs" and isinstance(args[0], Call) and args[0].op == "abs":
        return args[0]
    prim = PRIMITIVES[op]
    if prim.commutative:
        return Call(op, tuple(sorted(args, key=to_string)))
    return node


def canonical_tree(node: Node) -> Node:
    """The canonical form of a tree (see the module docstring).

    >>> from actsearch.expression.parser import parse_tree
    >>> to_string(canonical_tree(parse_tree("sigmoid(x)*x + 0")[0]))
    'sigmoid(x) * x'
    """
    if not isinstance(node, Call):
        return node
    return _rewrite(Call(node.op, tuple(canonical_tree(a) for a in node.args)))


def fingerprint_values(values: np.ndarray) -> str:
    """A short hash of values, rounded to 8 significant digits.

    Rounding forgives the last bits that differ between equivalent ways of
    computing the same function.
    """
    values = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 becomes 0.0
    text = ",".join(f"{v:.8g}" if math.isfinite(v) else "nan" for v in values.tolist())
    return hashlib.sha1(text.encode()).hexdigest()[:16]
