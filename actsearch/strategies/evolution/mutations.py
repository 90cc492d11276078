"""The variation operators of the evolution search: crossover and a registry of mutations.

As in DEAP's toolbox, each mutation is registered by name with two callables,
``applies(individual) -> bool`` (whether it can act on that parent) and
``operator(individual) -> individual`` (it changes the individual in place and
returns it): :meth:`Variation.mutate` draws uniformly among those that apply.

DEAP's mutations (``uniform_grow``, ``uniform_half``, ``node_replacement``,
``insert``, ``shrink``, ``ephemeral``) and crossover run under static limits
on height and size.  Parameters are mutated as in PANGAEA (Bingham &
Miikkulainen, "Discovering Parametric Activation Functions", 2022): ``param``
perturbs a parameter's value, and in a tree space ``param_add`` wraps a
subtree as ``mul(beta, subtree)`` (a parameter where the function had none)
and ``param_remove`` freezes one parameter leaf into a constant (one parameter
fewer).  In PANGAEA both keep the function (the new parameter starts at 1,
the constant holds the parameter's value) and training moves the parameters;
here candidates are told apart by their values, so in a search the new
parameter or the constant also takes a small step.  Swapping a parameter leaf
for another name is already one of ``node_replacement``'s moves.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import partial

from deap import gp

from ...expression.tree import param_names
from .encoding import Encoding, Individual

#: ``applies(individual) -> bool`` and ``operator(individual) -> individual``.
Mutation = tuple[Callable[[Individual], bool], Callable[[Individual], Individual]]


def always(ind: Individual) -> bool:
    """A mutation that applies to every individual."""
    return True


class Variation:
    """Crossover and the mutation registry, under static limits on height and size."""

    def __init__(self, encoding: Encoding, max_height: int, max_size: int):
        self.encoding = encoding
        self.pset = encoding.pset
        self.py = encoding.py
        self.max_height = max_height
        self.max_size = max_size
        limit_h = gp.staticLimit(key=operator.attrgetter("height"), max_value=max_height)
        limit_s = gp.staticLimit(key=len, max_value=max_size)
        self.crossover = limit_h(limit_s(gp.cxOnePoint))
        self.uniform = limit_h(limit_s(gp.mutUniform))
        self._insert = limit_h(limit_s(gp.mutInsert))
        self.grow = partial(gp.genGrow, min_=0, max_=2)
        self.half = partial(gp.genHalfAndHalf, min_=0, max_=2)
        #: name -> (applies, operator), in the order the draw counts them
        self.mutations: dict[str, Mutation] = {
            "uniform_grow": (always, self.uniform_grow),
            "uniform_half": (always, self.uniform_half),
            "node_replacement": (always, self.node_replacement),
            "insert": (always, self.insert),
            "shrink": (always, self.shrink),
            "ephemeral": (self.has_constant, self.ephemeral),
            "param": (self.has_space_param, self.mutate_param),
            "param_add": (self.can_wrap, partial(self.mutate_param_add, step=True)),
            "param_remove": (self.has_param_leaf, partial(self.mutate_param_remove, step=True)),
        }

    def mutate(self, ind: Individual) -> tuple[Individual, str]:
        """The individual changed by one mutation, drawn uniformly among those that apply, and ``mut_<name>``."""
        names = [name for name, (applies, _) in self.mutations.items() if applies(ind)]
        name = names[self.py.randrange(len(names))]
        with self.encoding.deap_random():
            ind = self.mutations[name][1](ind)
        return ind, "mut_" + name

    # --- DEAP's mutations ---------------------------------------------------------------
    def uniform_grow(self, ind: Individual) -> Individual:
        """Replace a random subtree by a new grown one."""
        return self.uniform(ind, expr=self.grow, pset=self.pset)[0]

    def uniform_half(self, ind: Individual) -> Individual:
        """Replace a random subtree by a new ramped half-and-half one."""
        return self.uniform(ind, expr=self.half, pset=self.pset)[0]

    def node_replacement(self, ind: Individual) -> Individual:
        """Replace a random node by another of the same arity."""
        return gp.mutNodeReplacement(ind, pset=self.pset)[0]

    def insert(self, ind: Individual) -> Individual:
        """Insert a new node above a random subtree."""
        return self._insert(ind, pset=self.pset)[0]

    def shrink(self, ind: Individual) -> Individual:
        """Replace a random primitive by one of its arguments."""
        return gp.mutShrink(ind)[0]

    def ephemeral(self, ind: Individual) -> Individual:
        """Draw one ephemeral constant anew."""
        return gp.mutEphemeral(ind, mode="one")[0]

    def has_constant(self, ind: Individual) -> bool:
        """Whether the tree has an ephemeral constant to redraw."""
        return self.encoding.const_class is not None and any(isinstance(type(n), gp.MetaEphemeral) for n in ind)

    # --- PANGAEA's parameter mutations --------------------------------------------------------
    def step(self, name: str, value: float) -> float:
        """A Gaussian step of a parameter's value (10% of its range), kept in the range."""
        lo, hi = self.encoding.space.params[name]
        return round(min(max(value + self.py.gauss(0.0, 0.1 * (hi - lo)), lo), hi), 3)

    def _space_params(self, ind: Individual) -> list[str]:
        return [n for n in param_names(self.encoding.to_tree(ind)) if n in self.encoding.space.params]

    def has_space_param(self, ind: Individual) -> bool:
        """Whether the function has a parameter the space gives a range for."""
        return bool(self._space_params(ind))

    def mutate_param(self, ind: Individual) -> Individual:
        """Perturb one parameter of the individual within the space's range."""
        names = self._space_params(ind)
        name = names[self.py.randrange(len(names))]
        ind.params[name] = self.step(name, self.encoding.param_value(ind, name))
        return ind

    def param_positions(self, ind: Individual) -> list[int]:
        """Where the tree has a parameter leaf (``beta``), as indices into its prefix list."""
        return [i for i, node in enumerate(ind)
                if isinstance(node, gp.Terminal) and node.value in self.encoding.param_leaves]

    def has_param_leaf(self, ind: Individual) -> bool:
        """Whether a parameter leaf can be frozen into a constant (tree spaces only)."""
        return self.encoding.const_class is not None and bool(self.param_positions(ind))

    def wrap_sites(self, ind: Individual) -> list[int]:
        """Nodes whose subtree can become ``mul(P, subtree)`` within the static height and size limits.

        Empty without parameter leaves or a ``mul`` primitive in the space.
        Wrapping adds two nodes and one level below the wrapped node.
        """
        if self.encoding.mul is None or len(ind) + 2 > self.max_size:
            return []
        depths, stack = [], [0]
        for node in ind:
            d = stack.pop()
            depths.append(d)
            stack.extend([d + 1] * node.arity)
        return [i for i in range(len(ind)) if max(depths[ind.searchSubtree(i)]) + 1 <= self.max_height]

    def can_wrap(self, ind: Individual) -> bool:
        """Whether ``param_add`` has a subtree to wrap."""
        return bool(self.wrap_sites(ind))

    def mutate_param_add(self, ind: Individual, step: bool = False) -> Individual:
        """PANGAEA's "add parameter": wrap a random subtree as ``mul(P, subtree)``.

        A parameter not yet in the tree is preferred, for a new degree of
        freedom; it starts at its default (1 for ``beta``: the same function,
        as in PANGAEA, where training then moves it).  A name already in the
        tree keeps its value, which every occurrence shares.  Candidates are
        told apart by their values (fingerprints), so the same function would
        only be bred again: in a search (``step``) the parameter then takes a
        :meth:`step`.
        """
        enc = self.encoding
        sites = self.wrap_sites(ind)
        where = ind.searchSubtree(sites[self.py.randrange(len(sites))])
        used = {ind[i].value for i in self.param_positions(ind)}
        names = [n for n in enc.param_leaves if n not in used] or list(enc.param_leaves)
        name = names[self.py.randrange(len(names))]
        ind[where] = [enc.mul, self.pset.mapping[name]] + ind[where]
        if name not in used:
            ind.params[name] = enc.default_params()[name]
        if step:
            ind.params[name] = self.step(name, enc.param_value(ind, name))
        return ind

    def mutate_param_remove(self, ind: Individual, step: bool = False) -> Individual:
        """PANGAEA's "remove parameter": freeze one parameter leaf into a constant of its value.

        The same function, one parameter fewer (one that is no longer tuned
        or, with ``--learnable``, trained); the parameter is dropped from the
        individual once no leaf uses it, so it starts afresh if it comes back.
        In a search (``step``) the constant takes a :meth:`step`, for the
        same function would only be bred again (a shared parameter's other
        leaves keep the value: the occurrences are decoupled).
        """
        positions = self.param_positions(ind)
        i = positions[self.py.randrange(len(positions))]
        name = ind[i].value
        value = self.encoding.param_value(ind, name)
        ind[i] = self.encoding.make_const(self.step(name, value) if step else value)
        if all(ind[j].value != name for j in self.param_positions(ind)):
            ind.params.pop(name, None)
        return ind
