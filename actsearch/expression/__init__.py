"""Activation functions as expressions: parse, print, simplify, compile.

>>> f = parse("x * sigmoid(beta * x)")
>>> f.params
{'beta': 1.0}
>>> round(float(f(1.0)), 4), round(float(f.derivative(1.0)), 4)
(0.7311, 0.9277)
"""

from __future__ import annotations

from functools import cached_property
from typing import Mapping, Sequence

import numpy as np

from ..primitives import PRIMITIVES
from .compiler import CompiledFunction, compile_tree
from .families import complete, family_params, has_family
from .layered import LayeredExpression, parse_layered
from .parser import CONSTANTS, DEFAULT_PARAMS, parse_tree
from .printer import to_string
from .simplify import PROBES, canonical_tree, fingerprint_values
from .tree import Call, Const, Node, Param, Var, depth, param_names, size, substitute, walk

__all__ = [
    "Expression", "LayeredExpression", "parse", "Node", "Var", "Const", "Param", "Call",
    "compile_tree", "CompiledFunction", "to_string", "canonical_tree",
    "walk", "size", "depth", "substitute", "PROBES", "DEFAULT_PARAMS", "CONSTANTS", "family_params",
]


class Expression:
    """An activation function: a tree over ``x`` and the values of its parameters.

    Call it on an array for values; ``derivative`` gives d f/d x and
    ``gradients`` the derivatives with respect to ``x`` and every parameter.
    Each is compiled once, on first use, into vectorised NumPy.

    ``group`` is set on the part of group ``k`` of a per-layer candidate
    (:class:`LayeredExpression` sets it): its learnable families' coefficients
    are then named ``..._g<k>``, so groups do not share them (see :mod:`.families`).

    >>> f = Expression.from_string("max(x, alpha*x)", params={"alpha": 0.1})
    >>> f(np.array([-2.0, 3.0])).tolist()
    [-0.2, 3.0]
    """

    #: the group of a per-layer candidate this expression is the part of (None: a plain expression)
    group: int | None = None

    def __init__(self, tree: Node, params: Mapping[str, float] | None = None,
                 variables: Sequence[str] = ("x",), group: int | None = None):
        self.variables = tuple(variables)
        self.group = group
        given = dict(params or {})
        if has_family(tree):  # each family call gets its own coefficients (see .families)
            tree, coefficients = complete(tree, given, group)
            given.update(coefficients)
        self.tree = tree
        names = param_names(tree)
        missing = [n for n in names if n not in given and n not in DEFAULT_PARAMS]
        if missing:
            raise ValueError(f"no value for parameter(s) {', '.join(missing)}")
        self.params: dict[str, float] = {n: float(given.get(n, DEFAULT_PARAMS.get(n, 1.0))) for n in names}

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_compiled", None)  # compiled programs hold closures; they are rebuilt on use
        return state

    @classmethod
    def from_string(cls, text: str, params: Mapping[str, float] | None = None,
                    variables: Sequence[str] = ("x",)) -> "Expression":
        """Parse ``text``; see :func:`parse`."""
        tree, values = parse_tree(text, tuple(variables), dict(params or {}))
        # the given values too: a family's coefficients are named when the tree is completed
        return cls(tree, {**dict(params or {}), **values}, variables)

    # --- text -----------------------------------------------------------------
    def __str__(self) -> str:
        return to_string(self.tree)

    def __repr__(self) -> str:
        extra = f", params={self.params}" if self.params else ""
        return f"Expression({str(self)!r}{extra})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Expression) and (self.tree, self.params) == (other.tree, other.params)

    def __hash__(self) -> int:
        return hash((self.tree, tuple(sorted(self.params.items()))))

    @property
    def complexity(self) -> int:
        """The number of nodes in the tree (PySR's complexity)."""
        return size(self.tree)

    @property
    def zero_gradient(self) -> bool:
        """True if a primitive in it has no useful gradient (the step function)."""
        return any(isinstance(n, Call) and PRIMITIVES[n.op].zero_gradient for n in walk(self.tree))

    def canonical(self) -> "Expression":
        """The canonical form, for deduplication (see :mod:`.simplify`).

        >>> str(parse("sigmoid(x)*x*1").canonical())
        'sigmoid(x) * x'
        """
        tree = canonical_tree(self.tree)
        return Expression(tree, {n: self.params[n] for n in param_names(tree)}, self.variables, self.group)

    @property
    def learnable_family(self) -> list[str]:
        """The coefficients of its learnable families (``apl``, ``rational``): always trained.

        >>> parse("apl1(x)").learnable_family
        ['apl1_a1', 'apl1_b1']
        """
        return family_params(self.tree)

    def with_params(self, values: Mapping[str, float]) -> "Expression":
        """The same tree with other values for some of its parameters (a per-layer candidate has it too).

        >>> parse("beta*x").with_params({"beta": 2.0}).params
        {'beta': 2.0}
        """
        return Expression(self.tree, {n: float(values.get(n, v)) for n, v in self.params.items()}, self.variables,
                          self.group)

    def in_group(self, group: int | None, values: Mapping[str, float] | None = None) -> "Expression":
        """The same function as the part of group ``group`` of a per-layer candidate (None: a plain
        expression): its families' coefficients renamed for the group, keeping their values, except
        those ``values`` gives under the new names.

        >>> f = parse("apl1(x)", {"apl1_a1": 0.5})
        >>> f.in_group(1).params, f.in_group(1, {"apl1_b1_g1": 2.0}).params
        ({'apl1_a1_g1': 0.5, 'apl1_b1_g1': 0.0}, {'apl1_a1_g1': 0.5, 'apl1_b1_g1': 2.0})
        """
        out = Expression(self.tree, self.params, self.variables, group)
        given = {n: values[n] for n in out.learnable_family if n in (values or {})}
        return out.with_params(given) if given else out

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the values on :data:`PROBES`: equal functions, equal prints.

        A learnable family is a family of functions, not its starting member:
        its fingerprint also has the values at moved coefficients, so ``apl(x)``,
        which starts as relu, is not relu.

        >>> parse("x + x").fingerprint == parse("2*x").fingerprint
        True
        >>> parse("apl(x)").fingerprint == parse("relu(x)").fingerprint
        False
        """
        probes = {v: PROBES for v in self.variables} if len(self.variables) > 1 else PROBES
        values = self.evaluate(probes)
        family = self.learnable_family
        if family:
            moved = {n: 1.37 * self.params[n] + 0.11 for n in family}
            values = np.concatenate([np.ravel(values), np.ravel(self.evaluate(probes, moved))])
        return fingerprint_values(values)

    # --- numbers ----------------------------------------------------------------
    def compile(self, wrt: Sequence[str] = ("x",), reverse: Sequence[str] = ()) -> CompiledFunction:
        """The compiled program for the value and the derivatives along ``wrt``
        (forward mode), and for the gradients of parameters in ``reverse``
        (reverse mode, see :meth:`CompiledFunction.vjp`)."""
        key = (tuple(wrt), tuple(reverse))
        cache = self.__dict__.setdefault("_compiled", {})
        if key not in cache:
            unknown = [w for w in (*key[0], *key[1]) if w not in self.params and w not in self.variables]
            if unknown:
                raise ValueError(f"cannot differentiate with respect to {unknown}: not in {str(self)!r}")
            cache[key] = compile_tree(self.tree, key[0], key[1])
        return cache[key]

    def _inputs(self, x, params):
        if isinstance(x, dict):
            x = {k: _as_float_array(v) for k, v in x.items()}
        else:
            x = _as_float_array(x)
        values = dict(self.params)
        if params:
            values.update(params)
        return x, values

    def evaluate(self, x, params: Mapping[str, float] | None = None) -> np.ndarray:
        """Values at ``x``, optionally with other parameter values."""
        x, values = self._inputs(x, params)
        return self.compile(())(x, values)[0]

    __call__ = evaluate

    def derivative(self, x, params: Mapping[str, float] | None = None) -> np.ndarray:
        """d f / d x at ``x``.

        >>> float(parse("x^3").derivative(2.0))
        12.0
        """
        x, values = self._inputs(x, params)
        return self.compile((self.variables[0],))(x, values)[1]

    def value_and_derivative(self, x, params: Mapping[str, float] | None = None):
        """``(f(x), f'(x))`` in one pass: what the trainer calls."""
        x, values = self._inputs(x, params)
        return self.compile((self.variables[0],))(x, values)

    def gradients(self, x, params: Mapping[str, float] | None = None) -> tuple[np.ndarray, dict]:
        """The value and a dict of derivatives along ``x`` and every parameter.

        >>> value, grads = parse("beta*x^2", params={"beta": 3.0}).gradients(2.0)
        >>> float(grads["x"]), float(grads["beta"])
        (12.0, 4.0)
        """
        wrt = (*self.variables, *self.params)
        x, values = self._inputs(x, params)
        out = self.compile(wrt)(x, values)
        return out[0], dict(zip(wrt, out[1:]))


def _as_float_array(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def parse(text: str, params: Mapping[str, float] | None = None,
          variables: Sequence[str] = ("x",)) -> Expression:
    """Parse plain maths notation into an :class:`Expression`, without eval.

    Names are ``x``, parameters (``alpha``, ``beta``, ``gamma``, ``eps``, or
    any name given in ``params``), the constants ``pi`` and ``e``, and calls of
    registered primitives.  A whole text that is a bare primitive name stands
    for it applied to the one variable, as in Keras or PyTorch: ``relu`` is
    ``relu(x)``.  Bad input raises :class:`~actsearch.errors.ExpressionError`
    with the position.  A text with ``|`` is a per-layer candidate, one
    expression per hidden layer, and gives a :class:`LayeredExpression`
    (see :mod:`.layered`).

    >>> f = parse("x * sigmoid(beta * x)", params={"beta": 2.0})
    >>> str(f), f.params
    ('x * sigmoid(beta * x)', {'beta': 2.0})
    >>> str(parse("relu")), str(parse(" gelu "))
    ('relu(x)', 'gelu(x)')
    >>> type(parse("relu | tanh")).__name__
    'LayeredExpression'
    """
    if isinstance(text, (Expression, LayeredExpression)):
        return text
    if isinstance(text, str) and ("|" in text or "@" in text):
        return parse_layered(text, params, variables)
    name = text.strip() if isinstance(text, str) else text
    if (isinstance(name, str) and len(variables) == 1 and name in PRIMITIVES
            and PRIMITIVES[name].min_arity <= 1 <= PRIMITIVES[name].arity):
        text = f"{name}({variables[0]})"
    return Expression.from_string(text, params, variables)
