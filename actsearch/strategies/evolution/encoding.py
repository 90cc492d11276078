"""A space as a DEAP primitive set, and the conversions between DEAP trees and expressions.

The primitive set comes from the space, one per search:

* a ``tree`` space gives its registry primitives (arity ``min_arity``) and the
  terminals ``x``, each parameter of the space (``beta``) and an ephemeral
  constant drawn from ``space.constants``, rounded to 2 decimals;
* a ``core_unit`` space gives one arity-1 primitive per unary template
  (``u0``, ``u1``, ...) and one arity-2 primitive per binary template (``b0``,
  ...), over the terminal ``x``, so that GP generalises the chain of core units
  to any tree of templates.

An individual is converted to an :class:`~actsearch.expression.Expression` by
walking its prefix list (templates are filled in with
:func:`~actsearch.expression.substitute`); no ``eval``.  Parameter values live
on the individual (``individual.params``) and are shared by every occurrence
of a name; template parameters the space gives no range for (``eps``) keep the
template's value.

DEAP's operators draw from Python's global :mod:`random`; :meth:`Encoding.deap_random`
swaps the search's private :class:`random.Random` into DEAP's modules for a
call, so the global state is never used or changed and two searches in one
process do not disturb each other.  DEAP's ``creator`` is not used: the
fitness and individual classes are ordinary classes of this module.
"""

from __future__ import annotations

import importlib
import math
import random
from contextlib import contextmanager
from typing import Any

from deap import base, gp

from ...expression import Expression, substitute
from ...expression.parser import DEFAULT_PARAMS
from ...expression.tree import Call, Const, Node, Param, Var, param_names
from ...primitives import PRIMITIVES, family_of
from ...spaces import Space

#: DEAP modules whose functions we call and that draw from ``random``.
DEAP_RANDOM_MODULES = tuple(importlib.import_module(name) for name in (
    "deap.gp", "deap.tools.selection", "deap.tools.crossover", "deap.tools.mutation",
))


class FitnessMax(base.Fitness):
    """Maximised lexicographically: how far racing let the candidate go
    (:attr:`~actsearch.strategies.Outcome.reached`), then its validation score."""

    weights = (1.0, 1.0)


class Individual(gp.PrimitiveTree):
    """A GP tree with its fitness, parameter values, fingerprint and origin."""

    def __init__(self, content):
        super().__init__(content)
        self.fitness = FitnessMax()
        self.params: dict[str, float] = {}
        self.key: str = ""
        self.has_x: bool = True
        self.origin: str = ""


def placeholder(*args):
    """The callable of every primitive: the pset needs one, but actsearch never compiles DEAP trees."""
    raise NotImplementedError("actsearch never compiles DEAP trees")


class Encoding:
    """A space's DEAP primitive set and the conversions between individuals and expressions.

    ``py`` is the search's private generator: ephemeral constants and every
    DEAP call inside :meth:`deap_random` draw from it.
    """

    def __init__(self, space: Space, py: random.Random):
        self.space = space
        self.py = py
        self.templates: dict[str, Any] = {}
        self.pset = self._make_pset()
        self.const_class = self.pset.mapping.get("const")
        # parameter leaves exist in tree spaces only (core units keep parameters inside templates)
        self.param_leaves = tuple(space.params) if space.kind == "tree" else ()
        self.mul = self.pset.mapping.get("mul") if self.param_leaves else None

    # --- the primitive set ---------------------------------------------------------
    def _make_pset(self) -> gp.PrimitiveSet:
        space = self.space
        pset = gp.PrimitiveSet("activation", 1)
        pset.renameArguments(ARG0="x")
        if space.kind == "core_unit":
            for i, t in enumerate(space.unary):
                pset.addPrimitive(placeholder, 1, name=f"u{i}")
                self.templates[f"u{i}"] = t
            for i, t in enumerate(space.binary):
                pset.addPrimitive(placeholder, 2, name=f"b{i}")
                self.templates[f"b{i}"] = t
        else:
            for name in space.primitives:
                pset.addPrimitive(placeholder, PRIMITIVES[name].min_arity, name=name)
            for pname in space.params:
                pset.addTerminal(pname, name=pname)
            pset.addEphemeralConstant("const", self._draw_constant)
        return pset

    def _draw_constant(self) -> float:
        lo, hi = self.space.constants
        return round(self.py.uniform(lo, hi), 2)

    def make_const(self, value: float):
        """An ephemeral-constant node holding ``value`` (tree spaces only)."""
        node = self.const_class.__new__(self.const_class)
        node.value = float(value)
        return node

    @contextmanager
    def deap_random(self):
        """Swap the private generator into DEAP's modules for the duration of a call."""
        saved = [m.random for m in DEAP_RANDOM_MODULES]
        for m in DEAP_RANDOM_MODULES:
            m.random = self.py
        try:
            yield
        finally:
            for m, r in zip(DEAP_RANDOM_MODULES, saved):
                m.random = r

    # --- parameter values ---------------------------------------------------------------
    def default_params(self) -> dict[str, float]:
        """Each space parameter's default value, clipped into its range."""
        out = {}
        for name, (lo, hi) in self.space.params.items():
            out[name] = min(max(DEFAULT_PARAMS.get(name, 1.0), lo), hi)
        return out

    def param_value(self, ind, name: str) -> float:
        """The individual's value of a parameter.

        A space parameter it has no value for (dropped by ``param_remove``, then
        brought back by crossover or another mutation) starts at its default.
        """
        params = getattr(ind, "params", {})
        if name in params:
            return params[name]
        if name in self.space.params:
            return self.default_params()[name]
        return self.template_value(name)

    def template_value(self, name: str) -> float:
        """The value a template gives a parameter the space has no range for (``eps``)."""
        for t in self.templates.values():
            if name in t.params:
                return t.params[name]
        return DEFAULT_PARAMS.get(name, 1.0)

    # --- individuals to expressions -------------------------------------------------------
    def _node_tree(self, node, args: list[Node]) -> Node:
        if isinstance(node, gp.Primitive):
            if node.name in self.templates:
                t = self.templates[node.name]
                names = ("x",) if node.arity == 1 else ("x1", "x2")
                return substitute(t.tree, dict(zip(names, args)))
            return Call(node.name, tuple(args))
        if isinstance(type(node), gp.MetaEphemeral):
            return Const(float(node.value))
        if node.value == "x":  # renameArguments changes the value of ARG0, not its name
            return Var("x")
        return Param(node.value)

    def to_tree(self, ind: gp.PrimitiveTree) -> Node:
        """The expression tree of an individual, built from its prefix node list."""
        stack: list[tuple[Any, list[Node]]] = []
        for node in ind:
            stack.append((node, []))
            while len(stack[-1][1]) == stack[-1][0].arity:
                prim, args = stack.pop()
                tree = self._node_tree(prim, args)
                if not stack:
                    return tree
                stack[-1][1].append(tree)
        raise ValueError(f"incomplete GP tree {str(ind)!r}")

    def to_expression(self, ind: Individual) -> Expression:
        """The :class:`Expression` of an individual, with values for all its parameters."""
        tree = self.to_tree(ind)
        return Expression(tree, {n: self.param_value(ind, n) for n in param_names(tree)})

    def new_individual(self, nodes, params: dict[str, float] | None = None) -> Individual:
        """An individual of these nodes with these parameter values (default: the space's defaults)."""
        ind = Individual(nodes)
        ind.params = dict(self.default_params() if params is None else params)
        return ind

    # --- expressions to individuals -----------------------------------------------------------
    def from_expression(self, expr: Expression) -> Individual | None:
        """The individual for an expression, or None if the primitive set cannot represent it."""
        params: dict[str, float] = {}
        nodes = (self._tree_nodes(expr.tree, expr.params, params) if self.space.kind == "tree"
                 else self._template_nodes(expr.tree, expr.params, params))
        if nodes is None:
            return None
        values = self.default_params()
        for name, value in params.items():
            lo, hi = self.space.params.get(name, (-math.inf, math.inf))
            values[name] = min(max(value, lo), hi)
        return self.new_individual(nodes, values)

    def _tree_nodes(self, node: Node, given: dict, params: dict) -> list | None:
        if isinstance(node, Var):
            return [self.pset.mapping["x"]] if node.name == "x" else None
        if isinstance(node, Const):
            return [self.make_const(node.value)]
        if isinstance(node, Param):
            if node.name not in self.space.params:
                return None
            params.setdefault(node.name, float(given.get(node.name, DEFAULT_PARAMS.get(node.name, 1.0))))
            return [self.pset.mapping[node.name]]
        # a learnable family's call is its input alone: its coefficients are named and trained anew
        args = node.args[:1] if family_of(node.op) is not None else node.args
        if node.op not in self.space.primitives or len(args) != PRIMITIVES[node.op].min_arity:
            return None
        out = [self.pset.mapping[node.op]]
        for arg in args:
            sub = self._tree_nodes(arg, given, params)
            if sub is None:
                return None
            out.extend(sub)
        return out

    def _template_nodes(self, node: Node, given: dict, params: dict) -> list | None:
        """Match templates against the tree (with backtracking); ``x`` alone is the terminal."""
        if isinstance(node, Var) and node.name == "x":
            return [self.pset.mapping["x"]]
        for name, t in self.templates.items():
            if isinstance(t.tree, Var):
                continue  # the identity template would match anything without progress
            bindings: dict[str, Node] = {}
            found: dict[str, float] = {}
            if not match_template(t.tree, node, bindings, found, given):
                continue
            trial = dict(params)
            for pname, value in found.items():
                if pname in self.space.params:
                    trial.setdefault(pname, value)
                elif not math.isclose(value, self.template_value(pname)):
                    break  # a fixed template parameter with another value
            else:
                out = self._template_children(name, bindings, given, trial)
                if out is not None:
                    params.update(trial)
                    return out
        return None

    def _template_children(self, name: str, bindings: dict[str, Node], given: dict, trial: dict) -> list | None:
        """The nodes of a matched template and of the subtrees bound to its variables, or None."""
        names = ("x",) if name.startswith("u") else ("x1", "x2")
        out = [self.pset.mapping[name]]
        for var in names:
            child = bindings.get(var, Var("x"))  # a template that ignores its input
            sub = self._template_nodes(child, given, trial)
            if sub is None:
                return None
            out.extend(sub)
        return out


def match_template(pattern: Node, node: Node, bindings: dict[str, Node], found: dict[str, float],
                   given: dict) -> bool:
    """Unify a template tree with an expression tree; template variables bind subtrees.

    A template parameter ``beta`` matches a parameter ``beta`` or ``beta_<slot>``
    (the names :meth:`Space.build` gives).

    >>> from actsearch import parse
    >>> pattern = Call("mul", (Var("x1"), Var("x2")))
    >>> bindings = {}
    >>> match_template(pattern, parse("tanh(x) * x").tree, bindings, {}, {})
    True
    >>> bindings["x2"] == Var("x")
    True
    """
    if isinstance(pattern, Var):
        if pattern.name in bindings:
            return bindings[pattern.name] == node
        bindings[pattern.name] = node
        return True
    if isinstance(pattern, Param):
        if not isinstance(node, Param) or not (node.name == pattern.name or node.name.startswith(pattern.name + "_")):
            return False
        value = float(given.get(node.name, DEFAULT_PARAMS.get(pattern.name, 1.0)))
        if pattern.name in found and found[pattern.name] != value:
            return False
        found[pattern.name] = value
        return True
    if isinstance(pattern, Const):
        return isinstance(node, Const) and node.value == pattern.value
    return (isinstance(node, Call) and node.op == pattern.op and len(node.args) == len(pattern.args)
            and all(match_template(p, n, bindings, found, given) for p, n in zip(pattern.args, node.args)))
