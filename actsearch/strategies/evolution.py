"""Evolution: genetic programming with DEAP, split into ask and tell.

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

The loop is (mu + lambda), as :func:`deap.algorithms.eaMuPlusLambda`:
generation 0 is ramped half-and-half (plus warm-start expressions); ask hands
out a generation's individuals one at a time and, once all are told, the next
``mu`` parents are the best of the hall of fame (elitism) plus tournament
winners among parents and offspring, and ``lambda`` offspring are bred from
them by subtree crossover or one of several mutations, under static limits on
height and size.  An offspring whose function (fingerprint) was already asked
is bred again, up to ``max_tries`` times.

Besides DEAP's mutations, parameters are mutated as in PANGAEA (Bingham &
Miikkulainen, "Discovering Parametric Activation Functions", 2022): ``param``
perturbs a parameter's value, and in a tree space ``param_add`` wraps a
subtree as ``mul(beta, subtree)`` (a parameter where the function had none)
and ``param_remove`` freezes one parameter leaf into a constant (one parameter
fewer).  In PANGAEA both keep the function (the new parameter starts at 1,
the constant holds the parameter's value) and training moves the parameters;
here candidates are told apart by their values, so in a search the new
parameter or the constant also takes a small step.  Swapping a parameter leaf
for another name is already one of ``node_replacement``'s moves.

DEAP's operators draw from Python's global :mod:`random`; every call into DEAP
runs with a private :class:`random.Random`, derived from the strategy's
generator, swapped into DEAP's modules, so the global state is never used or
changed and two searches in one process do not disturb each other.
"""

from __future__ import annotations

import copy
import importlib
import math
import operator
import random
from contextlib import contextmanager
from functools import partial
from typing import Any

from deap import base, gp, tools

from ..errors import ConfigError
from ..expression import Expression, substitute
from ..expression.parser import DEFAULT_PARAMS
from ..expression.tree import Call, Const, Node, Param, Var, param_names, walk
from ..primitives import PRIMITIVES
from .base import Candidate, Strategy

#: DEAP modules whose functions we call and that draw from ``random``.
_DEAP_RANDOM_MODULES = tuple(importlib.import_module(name) for name in (
    "deap.gp", "deap.tools.selection", "deap.tools.crossover", "deap.tools.mutation",
))

#: Static limits for core-unit spaces (in template nodes): a chain of two core
#: units, b(u(b(u(x), u(x))), u(x)), has height 4 and 9 nodes.
#: The (mu + lambda) population size when the option is not given.
DEFAULT_POPULATION = 12
CORE_UNIT_MAX_HEIGHT = 4
CORE_UNIT_MAX_SIZE = 15

MUTATIONS = ("uniform", "node_replacement", "insert", "shrink", "ephemeral", "param", "param_add", "param_remove")


class FitnessMax(base.Fitness):
    """One objective, maximised: the validation score."""

    weights = (1.0,)


class Individual(gp.PrimitiveTree):
    """A GP tree with its fitness, parameter values, fingerprint and origin."""

    def __init__(self, content):
        super().__init__(content)
        self.fitness = FitnessMax()
        self.params: dict[str, float] = {}
        self.key: str = ""
        self.has_x: bool = True
        self.origin: str = ""


def _placeholder(*args):  # the pset needs a callable per primitive; never called
    raise NotImplementedError("actsearch never compiles DEAP trees")


def _option(options: dict, name: str, default, kind, low=None, high=None):
    value = options.get(name, default)
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"evolution: option {name!r} should be a {kind.__name__}, got {value!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"evolution: option {name!r} should be in [{low}, {high}], got {value!r}")
    return value


class EvolutionSearch(Strategy):
    """Genetic programming over the space's primitives, (mu + lambda), ask/tell.

    Options: ``population`` (mu, 12), ``offspring`` (lambda, = population),
    ``tournament`` (3), ``cxpb`` (crossover probability, 0.5; the rest of the
    offspring are mutants), ``elite`` (hall-of-fame members kept, 1),
    ``hall_of_fame`` (its size, 10), ``max_tries`` (re-breeding of repeats,
    20), ``init_max_height`` (3), ``max_height`` and ``max_size`` (the static
    limits; the space's ``max_depth``/``max_size``, or 4 and 15 for core-unit
    spaces).

    Each offspring records how it was bred in ``origin`` (``init``,
    ``warm_start``, ``crossover``, ``mut_<mutation>``, ``mut_uniform_explore``,
    ``immigrant``), handed out as ``candidate.info["origin"]``.  The mutations
    are DEAP's (``uniform_grow``, ``uniform_half``, ``node_replacement``,
    ``insert``, ``shrink``, ``ephemeral``) and PANGAEA's parameter mutations
    (``param``, ``param_add``, ``param_remove``); each is drawn uniformly among
    those that apply to the parent.
    """

    name = "evolution"
    batch_size = 1_000_000  # a whole generation: ask() returns None when it is handed out
    option_names = ("population", "offspring", "tournament", "cxpb", "elite", "hall_of_fame", "max_tries",
                    "max_height", "max_size", "init_max_height")

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        self.mu = _option(options, "population", DEFAULT_POPULATION, int, 1)
        self.lam = _option(options, "offspring", self.mu, int, 1)
        self.tournsize = _option(options, "tournament", 3, int, 1)
        self.cxpb = _option(options, "cxpb", 0.5, float, 0.0, 1.0)
        self.n_elite = _option(options, "elite", 1, int, 0)
        hof_size = _option(options, "hall_of_fame", 10, int, 1)
        self.max_tries = _option(options, "max_tries", 20, int, 1)
        tree_space = space.kind == "tree"
        self.max_height = _option(options, "max_height", space.max_depth if tree_space else CORE_UNIT_MAX_HEIGHT,
                                  int, 1)
        self.max_size = _option(options, "max_size", space.max_size if tree_space else CORE_UNIT_MAX_SIZE, int, 1)
        self.init_max_height = min(_option(options, "init_max_height", 3, int, 1), self.max_height)
        self.n_elite = min(self.n_elite, self.mu)

        # private randomness: everything below draws from self._py, never the global module
        self._py = random.Random(int(rng.integers(2**63)))

        self._templates: dict[str, Any] = {}
        self.pset = self._make_pset()
        self._const_class = self.pset.mapping.get("const")
        # parameter leaves exist in tree spaces only (core units keep parameters inside templates)
        self._param_leaves = tuple(space.params) if tree_space else ()
        self._mul = self.pset.mapping.get("mul") if self._param_leaves else None

        limit_h = gp.staticLimit(key=operator.attrgetter("height"), max_value=self.max_height)
        limit_s = gp.staticLimit(key=len, max_value=self.max_size)
        self._cx = limit_h(limit_s(gp.cxOnePoint))
        self._mut_uniform = limit_h(limit_s(gp.mutUniform))
        self._mut_insert = limit_h(limit_s(gp.mutInsert))
        self._gen_grow = partial(gp.genGrow, min_=0, max_=2)
        self._gen_half = partial(gp.genHalfAndHalf, min_=0, max_=2)

        self.hof = tools.HallOfFame(hof_size, similar=lambda a, b: a.key == b.key)
        self.population: list[Individual] = []
        self.pending: list[Individual] = []
        self._told: set[int] = set()
        self._next = 0
        self.generation = -1          # the generation being asked; -1 before the first ask
        self.generations_done = 0     # generations completely told
        self.seen: set[str] = set()   # fingerprints asked so far
        self._warm: list[Individual] = []
        self.skipped_warm: list[Expression] = []

    # --- the primitive set ---------------------------------------------------------
    def _make_pset(self) -> gp.PrimitiveSet:
        space = self.space
        pset = gp.PrimitiveSet("activation", 1)
        pset.renameArguments(ARG0="x")
        if space.kind == "core_unit":
            for i, t in enumerate(space.unary):
                pset.addPrimitive(_placeholder, 1, name=f"u{i}")
                self._templates[f"u{i}"] = t
            for i, t in enumerate(space.binary):
                pset.addPrimitive(_placeholder, 2, name=f"b{i}")
                self._templates[f"b{i}"] = t
        else:
            for name in space.primitives:
                pset.addPrimitive(_placeholder, PRIMITIVES[name].min_arity, name=name)
            for pname in space.params:
                pset.addTerminal(pname, name=pname)
            pset.addEphemeralConstant("const", self._draw_constant)
        return pset

    def _draw_constant(self) -> float:
        lo, hi = self.space.constants
        return round(self._py.uniform(lo, hi), 2)

    def _make_const(self, value: float):
        node = self._const_class.__new__(self._const_class)
        node.value = float(value)
        return node

    @contextmanager
    def _deap_random(self):
        """Swap the private generator into DEAP's modules for the duration of a call."""
        saved = [m.random for m in _DEAP_RANDOM_MODULES]
        for m in _DEAP_RANDOM_MODULES:
            m.random = self._py
        try:
            yield
        finally:
            for m, r in zip(_DEAP_RANDOM_MODULES, saved):
                m.random = r

    # --- individuals and expressions --------------------------------------------------
    def _default_params(self) -> dict[str, float]:
        out = {}
        for name, (lo, hi) in self.space.params.items():
            out[name] = min(max(DEFAULT_PARAMS.get(name, 1.0), lo), hi)
        return out

    def _param_value(self, ind, name: str) -> float:
        """The individual's value of a parameter.

        A space parameter it has no value for (dropped by ``param_remove``, then
        brought back by crossover or another mutation) starts at its default.
        """
        params = getattr(ind, "params", {})
        if name in params:
            return params[name]
        if name in self.space.params:
            return self._default_params()[name]
        return self._template_value(name)

    def _template_value(self, name: str) -> float:
        for t in self._templates.values():
            if name in t.params:
                return t.params[name]
        return DEFAULT_PARAMS.get(name, 1.0)

    def _node_tree(self, node, args: list[Node]) -> Node:
        if isinstance(node, gp.Primitive):
            if node.name in self._templates:
                t = self._templates[node.name]
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
        return Expression(tree, {n: self._param_value(ind, n) for n in param_names(tree)})

    def _finish(self, ind: Individual, origin: str) -> Individual:
        """Record the fingerprint of a new or changed individual."""
        del ind.fitness.values
        ind.origin = origin
        expr = self.to_expression(ind)
        ind.has_x = any(isinstance(n, Var) for n in walk(expr.tree))
        try:
            ind.key = expr.fingerprint
        except Exception:  # noqa: BLE001 - a broken function still gets asked (and rejected) at most once
            ind.key = "text:" + str(expr)
        return ind

    def _new_individual(self, nodes, params: dict[str, float] | None = None) -> Individual:
        ind = Individual(nodes)
        ind.params = dict(self._default_params() if params is None else params)
        return ind

    def _acceptable(self, ind: Individual, batch: set[str]) -> bool:
        return ind.has_x and ind.key not in self.seen and ind.key not in batch

    # --- conversion of warm-start expressions -----------------------------------------
    def from_expression(self, expr: Expression) -> Individual | None:
        """The individual for an expression, or None if the primitive set cannot represent it."""
        params: dict[str, float] = {}
        nodes = (self._tree_nodes(expr.tree, expr.params, params) if self.space.kind == "tree"
                 else self._template_nodes(expr.tree, expr.params, params, top=True))
        if nodes is None:
            return None
        values = self._default_params()
        for name, value in params.items():
            lo, hi = self.space.params.get(name, (-math.inf, math.inf))
            values[name] = min(max(value, lo), hi)
        ind = self._new_individual(nodes, values)
        return ind

    def _tree_nodes(self, node: Node, given: dict, params: dict) -> list | None:
        if isinstance(node, Var):
            return [self.pset.mapping["x"]] if node.name == "x" else None
        if isinstance(node, Const):
            return [self._make_const(node.value)]
        if isinstance(node, Param):
            if node.name not in self.space.params:
                return None
            params.setdefault(node.name, float(given.get(node.name, DEFAULT_PARAMS.get(node.name, 1.0))))
            return [self.pset.mapping[node.name]]
        if node.op not in self.space.primitives or len(node.args) != PRIMITIVES[node.op].min_arity:
            return None
        out = [self.pset.mapping[node.op]]
        for arg in node.args:
            sub = self._tree_nodes(arg, given, params)
            if sub is None:
                return None
            out.extend(sub)
        return out

    def _template_nodes(self, node: Node, given: dict, params: dict, top: bool = False) -> list | None:
        """Match templates against the tree (with backtracking); ``x`` alone is the terminal."""
        if isinstance(node, Var) and node.name == "x":
            return [self.pset.mapping["x"]]
        for name, t in self._templates.items():
            if isinstance(t.tree, Var):
                continue  # the identity template would match anything without progress
            bindings: dict[str, Node] = {}
            found: dict[str, float] = {}
            if not _match(t.tree, node, bindings, found, given):
                continue
            arity = 1 if name.startswith("u") else 2
            names = ("x",) if arity == 1 else ("x1", "x2")
            trial = dict(params)
            for pname, value in found.items():
                if pname in self.space.params:
                    trial.setdefault(pname, value)
                elif not math.isclose(value, self._template_value(pname)):
                    break  # a fixed template parameter with another value
            else:
                out = [self.pset.mapping[name]]
                for var in names:
                    child = bindings.get(var, Var("x"))  # a template that ignores its input
                    sub = self._template_nodes(child, given, trial)
                    if sub is None:
                        break
                    out.extend(sub)
                else:
                    params.update(trial)
                    return out
        return None

    # --- warm start -------------------------------------------------------------------------
    def warm_start(self, expressions):
        """Put these expressions into the first generation (the next one if asking has begun)."""
        for expr in expressions:
            ind = self.from_expression(expr)
            if ind is None:
                self.skipped_warm.append(expr)
                continue
            self._warm.append(ind)

    def _take_warm(self, batch: set[str], room: int) -> list[Individual]:
        out = []
        while self._warm and len(out) < room:
            ind = self._finish(self._warm.pop(0), "warm_start")
            if ind.key in batch:
                continue
            batch.add(ind.key)
            out.append(ind)
        return out

    # --- generations -------------------------------------------------------------------------
    def _initial_population(self) -> list[Individual]:
        batch: set[str] = set()
        pop = self._take_warm(batch, max(self.mu, len(self._warm)))
        while len(pop) < self.mu:
            for _ in range(self.max_tries):
                ind = self._finish(self._new_individual(self._random_nodes()), "init")
                if self._acceptable(ind, batch):
                    break
            batch.add(ind.key)
            pop.append(ind)
        return pop

    def _random_nodes(self) -> list:
        """A ramped half-and-half tree within the size limit."""
        with self._deap_random():
            nodes = gp.genHalfAndHalf(self.pset, min_=1, max_=self.init_max_height)
            while len(nodes) > self.max_size:  # a full tree of binary primitives can be too big
                nodes = gp.genGrow(self.pset, min_=1, max_=self.init_max_height)
        return nodes

    def _select(self, pool: list[Individual], k: int) -> list[Individual]:
        elites = [copy.deepcopy(self.hof[i]) for i in range(min(self.n_elite, len(self.hof), k))]
        with self._deap_random():
            return elites + tools.selTournament(pool, k - len(elites), self.tournsize)

    def _mutate(self, ind: Individual) -> tuple[Individual, str]:
        ops = ["uniform_grow", "uniform_half", "node_replacement", "insert", "shrink"]
        if self._const_class is not None and any(isinstance(type(n), gp.MetaEphemeral) for n in ind):
            ops.append("ephemeral")
        if any(n in self.space.params for n in param_names(self.to_tree(ind))):
            ops.append("param")
        if self._wrap_sites(ind):
            ops.append("param_add")
        if self._const_class is not None and self._param_positions(ind):
            ops.append("param_remove")
        op = ops[self._py.randrange(len(ops))]
        with self._deap_random():
            if op == "uniform_grow":
                ind = self._mut_uniform(ind, expr=self._gen_grow, pset=self.pset)[0]
            elif op == "uniform_half":
                ind = self._mut_uniform(ind, expr=self._gen_half, pset=self.pset)[0]
            elif op == "node_replacement":
                ind = gp.mutNodeReplacement(ind, pset=self.pset)[0]
            elif op == "insert":
                ind = self._mut_insert(ind, pset=self.pset)[0]
            elif op == "shrink":
                ind = gp.mutShrink(ind)[0]
            elif op == "ephemeral":
                ind = gp.mutEphemeral(ind, mode="one")[0]
            elif op == "param_add":
                ind = self._mutate_param_add(ind, step=True)
            elif op == "param_remove":
                ind = self._mutate_param_remove(ind, step=True)
            else:
                ind = self._mutate_param(ind)
        return ind, "mut_" + op

    def _step(self, name: str, value: float) -> float:
        """A Gaussian step of a parameter's value (10% of its range), kept in the range."""
        lo, hi = self.space.params[name]
        return round(min(max(value + self._py.gauss(0.0, 0.1 * (hi - lo)), lo), hi), 3)

    def _mutate_param(self, ind: Individual) -> Individual:
        """Perturb one parameter of the individual within the space's range."""
        names = [n for n in param_names(self.to_tree(ind)) if n in self.space.params]
        name = names[self._py.randrange(len(names))]
        ind.params[name] = self._step(name, self._param_value(ind, name))
        return ind

    def _param_positions(self, ind: Individual) -> list[int]:
        """Where the tree has a parameter leaf (``beta``), as indices into its prefix list."""
        return [i for i, node in enumerate(ind)
                if isinstance(node, gp.Terminal) and node.value in self._param_leaves]

    def _wrap_sites(self, ind: Individual) -> list[int]:
        """Nodes whose subtree can become ``mul(P, subtree)`` within the static height and size limits.

        Empty without parameter leaves or a ``mul`` primitive in the space.
        Wrapping adds two nodes and one level below the wrapped node.
        """
        if self._mul is None or len(ind) + 2 > self.max_size:
            return []
        depths, stack = [], [0]
        for node in ind:
            d = stack.pop()
            depths.append(d)
            stack.extend([d + 1] * node.arity)
        return [i for i in range(len(ind)) if max(depths[ind.searchSubtree(i)]) + 1 <= self.max_height]

    def _mutate_param_add(self, ind: Individual, step: bool = False) -> Individual:
        """PANGAEA's "add parameter": wrap a random subtree as ``mul(P, subtree)``.

        A parameter not yet in the tree is preferred, for a new degree of
        freedom; it starts at its default (1 for ``beta``: the same function,
        as in PANGAEA, where training then moves it).  A name already in the
        tree keeps its value, which every occurrence shares.  Candidates are
        told apart by their values (fingerprints), so the same function would
        only be bred again: in a search (``step``) the parameter then takes a
        :meth:`_step`.
        """
        sites = self._wrap_sites(ind)
        where = ind.searchSubtree(sites[self._py.randrange(len(sites))])
        used = {ind[i].value for i in self._param_positions(ind)}
        names = [n for n in self._param_leaves if n not in used] or list(self._param_leaves)
        name = names[self._py.randrange(len(names))]
        ind[where] = [self._mul, self.pset.mapping[name]] + ind[where]
        if name not in used:
            ind.params[name] = self._default_params()[name]
        if step:
            ind.params[name] = self._step(name, self._param_value(ind, name))
        return ind

    def _mutate_param_remove(self, ind: Individual, step: bool = False) -> Individual:
        """PANGAEA's "remove parameter": freeze one parameter leaf into a constant of its value.

        The same function, one parameter fewer (one that is no longer tuned
        or, with ``--learnable``, trained); the parameter is dropped from the
        individual once no leaf uses it, so it starts afresh if it comes back.
        In a search (``step``) the constant takes a :meth:`_step`, for the
        same function would only be bred again (a shared parameter's other
        leaves keep the value: the occurrences are decoupled).
        """
        positions = self._param_positions(ind)
        i = positions[self._py.randrange(len(positions))]
        name = ind[i].value
        value = self._param_value(ind, name)
        ind[i] = self._make_const(self._step(name, value) if step else value)
        if all(ind[j].value != name for j in self._param_positions(ind)):
            ind.params.pop(name, None)
        return ind

    def _vary(self, parents: list[Individual], explore: int = 0) -> Individual:
        """One offspring: subtree crossover of two tournament winners, or a mutant of one.

        Late re-breeding of a repeat explores more, for a converged population
        breeds the same few children: with ``explore=1`` the parent is drawn
        uniformly and mutated by a new random subtree; with ``explore=2`` the
        offspring is a new ramped half-and-half tree (an immigrant).
        """
        if explore >= 2:
            return self._finish(self._new_individual(self._random_nodes()), "immigrant")
        if explore:
            parent = copy.deepcopy(parents[self._py.randrange(len(parents))])
            with self._deap_random():
                gen = (self._gen_grow, self._gen_half)[self._py.randrange(2)]
                child = self._mut_uniform(parent, expr=gen, pset=self.pset)[0]
            return self._finish(child, "mut_uniform_explore")
        if self._py.random() < self.cxpb and len(parents) > 1:
            with self._deap_random():
                p1, p2 = (copy.deepcopy(p) for p in tools.selTournament(parents, 2, self.tournsize))
                children = self._cx(p1, p2)
            child = children[self._py.randrange(2)]
            return self._finish(child, "crossover")
        with self._deap_random():
            parent = copy.deepcopy(tools.selTournament(parents, 1, self.tournsize)[0])
        child, origin = self._mutate(parent)
        return self._finish(child, origin)

    def _breed(self) -> list[Individual]:
        batch: set[str] = set()
        offspring = self._take_warm(batch, self.lam)
        while len(offspring) < self.lam:
            for attempt in range(self.max_tries):
                explore = 2 if attempt >= (3 * self.max_tries) // 4 else int(attempt >= self.max_tries // 2)
                child = self._vary(self.population, explore=explore)
                if self._acceptable(child, batch):
                    break
            batch.add(child.key)
            offspring.append(child)
        return offspring

    def _advance(self) -> None:
        """Start the next generation: select parents (mu + lambda) and breed offspring."""
        if self.generation < 0:
            self.pending = self._initial_population()
        else:
            evaluated = self.pending
            if self.generation == 0 and len(evaluated) <= self.mu:
                self.population = list(evaluated)
            else:
                self.population = self._select(self.population + evaluated, self.mu)
            self.pending = self._breed()
        self.generation += 1
        self._next = 0
        self._told = set()

    # --- ask and tell -----------------------------------------------------------------------
    def ask(self):
        """The next individual of the current generation.

        Returns None when every individual of the generation was asked but not
        all were told yet: the next generation needs their fitness.
        """
        if self._next >= len(self.pending):
            if len(self._told) < len(self.pending):
                return None
            self._advance()
        index = self._next
        ind = self.pending[index]
        self._next += 1
        self.seen.add(ind.key)
        return Candidate(self.to_expression(ind), generation=self.generation,
                         info={"individual": ind, "index": index, "origin": ind.origin})

    def tell(self, candidate, outcome):
        ind = candidate.info.get("individual")
        if ind is None:
            return
        ind.fitness.values = (outcome.fitness,)
        index = candidate.info.get("index")
        if candidate.generation != self.generation or index is None or index >= len(self.pending) \
                or self.pending[index] is not ind:
            return  # a stale candidate: it counts for nothing
        self._told.add(index)
        if len(self._told) == len(self.pending):
            self.hof.update(self.pending)
            self.generations_done += 1

    def summary(self):
        """The hall of fame, best first (with parameter values: the text does not show them)."""
        exprs = [self.to_expression(ind) for ind in self.hof]
        return {"hall_of_fame": [str(e) for e in exprs],
                "hall_of_fame_params": [dict(e.params) for e in exprs],
                "generations": self.generations_done}


def _match(pattern: Node, node: Node, bindings: dict[str, Node], found: dict[str, float], given: dict) -> bool:
    """Unify a template tree with an expression tree; template variables bind subtrees.

    A template parameter ``beta`` matches a parameter ``beta`` or ``beta_<slot>``
    (the names :meth:`Space.build` gives).
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
            and all(_match(p, n, bindings, found, given) for p, n in zip(pattern.args, node.args)))
