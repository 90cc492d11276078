"""Per-layer candidates: one expression per group of hidden layers.

A :class:`LayeredExpression` holds ``parts`` (one :class:`~actsearch.expression.Expression`
per group) and ``groups`` (which hidden layers each part drives; by default
one group per layer).  It is written ``expr1 | expr2 | ...``; when the groups
are not one per layer each part says its layers, ``relu(x) @ (0, 1) | tanh(x) @ (2, 3)``,
so the text of a table row parses back to the same candidate.  Neither ``|``
nor ``@`` is in the grammar of one expression (:mod:`.parser`), so splitting
on them never cuts an expression.

Parameter names are global to a candidate: the same name in two parts is one
parameter (one value here; one learned value at the "network" granularity).
A search space therefore suffixes each group's names (``beta_u1_g0``,
``beta_u1_g1``) so groups never share by accident.  The coefficients of a
learnable family get the same suffix wherever a candidate is built (part
``k`` is made an expression of group ``k``, see :mod:`.families`), so
``apl(x) | apl(tanh(x))`` has ``apl_a1_g0, ...`` and ``apl_a1_g1, ...``; the
text shows none of them and parses back to the same names.

The fingerprint is made from the layers' functions in order, so a candidate
whose every layer has the same function has the uniform candidate's
fingerprint (``relu(x) | relu(x)`` is cached as ``relu(x)``), and the same
network written with other groups has the same fingerprint too.

>>> f = parse_layered("relu(x) | tanh(x) | x*sigmoid(x)")
>>> str(f), f.complexity, len(f.layer_expressions(3))
('relu(x) | tanh(x) | x * sigmoid(x)', 8, 3)
>>> from actsearch.expression import parse
>>> parse_layered("relu(x) | max(x, 0)").fingerprint == parse("relu(x)").fingerprint
True
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import Mapping, Sequence

from ..errors import ConfigError, ExpressionError
from .tree import Call, Node, Param

#: Separates the parts of a per-layer candidate's text.
SEPARATOR = " | "


def default_groups(n: int) -> tuple[tuple[int, ...], ...]:
    """One group per layer: ``((0,), (1,), ...)``.

    >>> default_groups(3)
    ((0,), (1,), (2,))
    """
    return tuple((i,) for i in range(n))


def groups_problem(groups) -> str | None:
    """What is wrong with ``groups`` as a partition of hidden layers ``0..n-1``, or None.

    >>> groups_problem([[0, 1], [2, 3]]) is None
    True
    >>> groups_problem([[0, 1], [1, 3]])
    'layer 1 is in two groups (groups 0 and 1)'
    >>> groups_problem([[0], [2]])
    'no group has layer 1 (the groups cover layers 0 to 2)'
    """
    if not isinstance(groups, (list, tuple)) or not groups:
        return f"expected a non-empty list of lists of layer indices, got {groups!r}"
    where: dict[int, int] = {}
    for g, group in enumerate(groups):
        if not isinstance(group, (list, tuple)) or not group:
            return f"group {g} should be a non-empty list of layer indices, got {group!r}"
        for layer in group:
            if isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
                return f"group {g} has {layer!r}, not a layer index (0, 1, ...)"
            if layer in where:
                return f"layer {layer} is in two groups (groups {where[layer]} and {g})"
            where[layer] = g
    top = max(where)
    missing = [layer for layer in range(top + 1) if layer not in where]
    if missing:
        return f"no group has layer {missing[0]} (the groups cover layers 0 to {top})"
    return None


def rename_params(expr, suffix: str):
    """``expr`` with every parameter ``p`` renamed ``p_<suffix>``.

    >>> from actsearch.expression import parse
    >>> rename_params(parse("x * sigmoid(beta*x)", {"beta": 2.0}), "g1").params
    {'beta_g1': 2.0}
    """
    from . import Expression

    def rename(node: Node) -> Node:
        if isinstance(node, Param):
            return Param(f"{node.name}_{suffix}")
        if isinstance(node, Call):
            return Call(node.op, tuple(rename(a) for a in node.args))
        return node

    return Expression(rename(expr.tree), {f"{k}_{suffix}": v for k, v in expr.params.items()}, expr.variables)


def unsuffixed(expr, end: str):
    """``expr`` with each parameter ``p<end>`` called ``p``: a group's part as a uniform search sees it.

    >>> from actsearch.expression import parse
    >>> unsuffixed(parse("beta_u1_g1*x", {"beta_u1_g1": 2.0}), "_g1").params
    {'beta_u1': 2.0}
    """
    from . import Expression

    def name(n: str) -> str:
        return n[:-len(end)] if n.endswith(end) else n

    def strip(node: Node) -> Node:
        if isinstance(node, Param):
            return Param(name(node.name))
        if isinstance(node, Call):
            return Call(node.op, tuple(strip(a) for a in node.args))
        return node

    return Expression(strip(expr.tree), {name(n): v for n, v in expr.params.items()}, expr.variables)


class LayeredExpression:
    """A per-layer candidate: ``parts[i]`` drives the hidden layers ``groups[i]``.

    >>> from actsearch.expression import parse
    >>> f = LayeredExpression([parse("relu(x)"), parse("tanh(x)")], groups=[[0, 1], [2]])
    >>> str(f), [str(e) for e in f.layer_expressions(3)]
    ('relu(x) @ (0, 1) | tanh(x) @ (2)', ['relu(x)', 'relu(x)', 'tanh(x)'])
    """

    variables = ("x",)

    def __init__(self, parts: Sequence, groups: Sequence[Sequence[int]] | None = None):
        from . import Expression

        parts = tuple(parts)
        if not parts or not all(isinstance(p, Expression) for p in parts):
            raise ExpressionError("a per-layer candidate needs one or more expressions, one per group of layers")
        # part k's family coefficients are named for group k: groups never share them by accident
        self.parts = tuple(p if p.group == k or not p.learnable_family else p.in_group(k)
                           for k, p in enumerate(parts))
        if any(p.variables != ("x",) for p in self.parts):
            raise ExpressionError("a per-layer candidate's parts are functions of x alone")
        if groups is None:
            groups = default_groups(len(self.parts))
        problem = groups_problem(groups)
        if problem is not None:
            raise ExpressionError(f"per-layer candidate {self._text()!r}: groups: {problem}")
        self.groups = tuple(tuple(int(layer) for layer in g) for g in groups)
        if len(self.groups) != len(self.parts):
            raise ExpressionError(f"per-layer candidate {self._text()!r} has {len(self.parts)} parts but "
                                  f"{len(self.groups)} groups")
        params: dict[str, float] = {}
        for part in self.parts:
            for name, value in part.params.items():
                if name in params and params[name] != value:
                    raise ExpressionError(f"per-layer candidate {self._text()!r}: parameter {name!r} has two "
                                          f"values, {params[name]:g} and {value:g}; a name is one parameter")
                params[name] = value
        self.params = params

    @classmethod
    def uniform(cls, expr, n_layers: int | None = None, groups: Sequence[Sequence[int]] | None = None):
        """``expr`` in every group (one group per layer of ``n_layers``, or ``groups``).

        >>> from actsearch.expression import parse
        >>> str(LayeredExpression.uniform(parse("relu(x)"), 2))
        'relu(x) | relu(x)'
        """
        groups = default_groups(n_layers) if groups is None else groups
        return cls([expr] * len(groups), groups)

    def __getstate__(self):
        return dict(self.__dict__)

    # --- text ----------------------------------------------------------------------
    def _text(self) -> str:
        return SEPARATOR.join(str(p) for p in self.parts)

    @property
    def default_grouping(self) -> bool:
        """Whether there is one group per layer, in order (the text then shows no ``@``).

        >>> [parse_layered(t).default_grouping for t in ("relu(x) | tanh(x)", "relu(x) @ (1) | x @ (0)")]
        [True, False]
        """
        return self.groups == default_groups(len(self.parts))

    def __str__(self) -> str:
        if self.default_grouping:
            return self._text()
        return SEPARATOR.join(f"{p} @ ({', '.join(map(str, g))})" for p, g in zip(self.parts, self.groups))

    def __repr__(self) -> str:
        extra = f", params={self.params}" if self.params else ""
        return f"LayeredExpression({str(self)!r}{extra})"

    def __eq__(self, other) -> bool:
        return isinstance(other, LayeredExpression) and (self.parts, self.groups) == (other.parts, other.groups)

    def __hash__(self) -> int:
        return hash((self.parts, self.groups))

    # --- properties ------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """How many hidden layers the groups cover.

        >>> parse_layered("relu(x) @ (0, 2) | tanh(x) @ (1)").n_layers
        3
        """
        return sum(len(g) for g in self.groups)

    @property
    def complexity(self) -> int:
        """The parts' complexities summed.

        >>> parse_layered("relu(x) | tanh(x)").complexity
        4
        """
        return sum(p.complexity for p in self.parts)

    @property
    def zero_gradient(self) -> bool:
        """True if any part has a primitive without a useful gradient.

        >>> parse_layered("relu(x) | tanh(x)").zero_gradient
        False
        """
        return any(p.zero_gradient for p in self.parts)

    def canonical(self) -> "LayeredExpression":
        """Every part in its canonical form, the groups as they are.

        >>> str(parse_layered("sigmoid(x)*x*1 | x + x").canonical())
        'sigmoid(x) * x | 2 * x'
        """
        return LayeredExpression([p.canonical() for p in self.parts], self.groups)

    def with_params(self, values: Mapping[str, float]) -> "LayeredExpression":
        """The same candidate with other values for some of its parameters.

        >>> f = parse_layered("x*sigmoid(beta_g0*x) | tanh(x)", {"beta_g0": 1.0})
        >>> f.with_params({"beta_g0": 2.0}).params, f.params
        ({'beta_g0': 2.0}, {'beta_g0': 1.0})
        """
        return LayeredExpression([p.with_params(values) for p in self.parts], self.groups)

    def layer_parts(self) -> list[int]:
        """The index of the part that drives each hidden layer, layer by layer.

        >>> parse_layered("relu(x) @ (0, 2) | tanh(x) @ (1)").layer_parts()
        [0, 1, 0]
        """
        out = [0] * self.n_layers
        for i, group in enumerate(self.groups):
            for layer in group:
                out[layer] = i
        return out

    @cached_property
    def fingerprint(self) -> str:
        """The layers' fingerprints in order, hashed; the uniform candidate's when they are all equal.

        >>> parse_layered("relu(x) | tanh(x)").fingerprint != parse_layered("tanh(x) | relu(x)").fingerprint
        True
        """
        prints = [self.parts[i].fingerprint for i in self.layer_parts()]
        if len(set(prints)) == 1:
            return prints[0]
        return hashlib.sha1(("layers:" + ",".join(prints)).encode()).hexdigest()[:16]

    def sharing(self, names: Sequence[str]) -> tuple:
        """For each of ``names``, the layers whose part uses it (sorted by name): which layers share a
        parameter, which the planner needs when parameters are learned.

        >>> parse_layered("x*sigmoid(beta*x) | tanh(x) | beta*x", {"beta": 1.5}).sharing(["beta"])
        (('beta', (0, 2)),)
        """
        layers = self.layer_parts()
        return tuple((n, tuple(i for i, p in enumerate(layers) if n in self.parts[p].params)) for n in sorted(names))

    def layer_expressions(self, n_hidden: int) -> list:
        """The expression of each of ``n_hidden`` hidden layers; ConfigError when the count does not fit.

        >>> parse_layered("relu(x) | tanh(x)").layer_expressions(3)
        Traceback (most recent call last):
        ...
        actsearch.errors.ConfigError: per-layer candidate 'relu(x) | tanh(x)' has 2 parts but the protocol has 3 hidden layers
        """
        if n_hidden != self.n_layers:
            if self.default_grouping:
                have = f"has {len(self.parts)} part{'s' * (len(self.parts) != 1)}"
            else:
                have = f"covers {self.n_layers} layer{'s' * (self.n_layers != 1)}"
            raise ConfigError(f"per-layer candidate {str(self)!r} {have} but the protocol has {n_hidden} "
                              f"hidden layer{'s' * (n_hidden != 1)}")
        return [self.parts[i] for i in self.layer_parts()]


def _layers(text: str, where: str) -> tuple[int, ...]:
    inner = text.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        raise ExpressionError(f"{where}: expected the layers after '@' as (0, 1), got {text.strip()!r}")
    items = [t.strip() for t in inner[1:-1].split(",") if t.strip()]
    if not items or not all(t.isdigit() for t in items):
        raise ExpressionError(f"{where}: expected the layers after '@' as (0, 1), got {text.strip()!r}")
    return tuple(int(t) for t in items)


def parse_layered(text: str, params: Mapping[str, float] | None = None,
                  variables: Sequence[str] = ("x",)) -> LayeredExpression:
    """Parse ``expr1 | expr2 | ...`` (optionally ``expr @ (layers)`` per part) without eval.

    ``params`` holds the values of every part's parameters (names are global to the candidate;
    part ``i``'s family coefficients are suffixed ``_g<i>``, ``apl_a1_g1``).

    >>> f = parse_layered("x*sigmoid(beta_g0*x) | tanh", params={"beta_g0": 2.0})
    >>> str(f), f.params
    ('x * sigmoid(beta_g0 * x) | tanh(x)', {'beta_g0': 2.0})
    >>> parse_layered("relu(x) |")
    Traceback (most recent call last):
    ...
    actsearch.errors.ExpressionError: per-layer candidate 'relu(x) |': part 1 is empty
    """
    from . import parse

    if tuple(variables) != ("x",):
        raise ExpressionError(f"'|' separates per-layer activations, functions of x; not allowed in {text!r}")
    segments = text.split("|")
    parts, groups = [], []
    for i, segment in enumerate(segments):
        where = f"per-layer candidate {text.strip()!r}"
        body, at, layers = segment.partition("@")
        if not body.strip():
            raise ExpressionError(f"{where}: part {i} is empty")
        try:
            # group i's family coefficients take their values from their suffixed names in params
            parts.append(parse(body.strip(), params).in_group(i, params))
        except ExpressionError as exc:
            raise ExpressionError(f"{where}: part {i}: {exc}") from None
        groups.append(_layers(layers, f"{where}: part {i}") if at else None)
    if any(g is None for g in groups) and any(g is not None for g in groups):
        raise ExpressionError(f"per-layer candidate {text.strip()!r}: give the layers ('@ (0, 1)') of every part "
                              f"or of none")
    return LayeredExpression(parts, None if groups[0] is None else groups)
