"""Evolution over a per-layer space: an individual is one GP tree per group of layers.

A :class:`LayeredIndividual` is a list of :class:`~.encoding.Individual`, one
per group of the space, each encoded as in a uniform search (the same
primitive set, parameter values on each part), with one fitness, fingerprint
and origin for the whole.  Group ``k``'s parameters get the suffix ``_g<k>``
in the candidate (:meth:`Space.layered`), so groups never share a value.

Variation (:class:`LayeredVariation`) acts on one part at a time, or on the
layers as a whole:

* crossover is, with even odds, a one-point crossover of the list of parts
  (``crossover_layers``: the children swap whole parts after a cut point, so a
  good first layer of one parent meets a good last layer of the other), or a
  subtree crossover between the two parents' parts of one group
  (``crossover``);
* a mutation changes one part, drawn uniformly, by one of the uniform
  search's mutations (``mut_<name>``).

Every draw comes from the search's private :class:`random.Random`.
"""

from __future__ import annotations

from ...expression import LayeredExpression
from ...expression.layered import unsuffixed
from ...expression.tree import Var, walk
from .encoding import Encoding, FitnessMax, Individual
from .mutations import Variation


class LayeredIndividual(list):
    """One GP tree per group (a list of :class:`Individual`), with one fitness, fingerprint and origin."""

    def __init__(self, parts=()):
        super().__init__(parts)
        self.fitness = FitnessMax()
        self.key: str = ""
        self.has_x: bool = True
        self.origin: str = ""

    def __str__(self) -> str:
        return " | ".join(str(p) for p in self)


def swap_layers(p1: LayeredIndividual, p2: LayeredIndividual, cut: int) -> tuple[LayeredIndividual, LayeredIndividual]:
    """One-point crossover of the lists of parts, in place: the parts from ``cut`` on change parents.

    >>> a, b = LayeredIndividual(["a0", "a1", "a2"]), LayeredIndividual(["b0", "b1", "b2"])
    >>> [list(c) for c in swap_layers(a, b, 1)]
    [['a0', 'b1', 'b2'], ['b0', 'a1', 'a2']]
    """
    p1[cut:], p2[cut:] = p2[cut:], p1[cut:]
    return p1, p2


class LayeredVariation:
    """Crossover and mutation of :class:`LayeredIndividual` (see the module docstring)."""

    def __init__(self, encoding: Encoding, variation: Variation):
        self.encoding = encoding
        self.variation = variation
        self.space = encoding.space
        self.py = encoding.py
        self.n_groups = len(self.space.groups)

    # --- individuals and candidates ----------------------------------------------------
    def new_individual(self, parts: list[Individual]) -> LayeredIndividual:
        """An individual of these parts (one per group)."""
        return LayeredIndividual(parts)

    def to_expression(self, ind: LayeredIndividual) -> LayeredExpression:
        """The per-layer candidate of an individual, each group's parameters suffixed ``_g<k>``."""
        return self.space.layered([self.encoding.to_expression(part) for part in ind])

    def from_expression(self, expr) -> LayeredIndividual | None:
        """The individual of a per-layer candidate of this space's groups (a uniform expression stands for
        itself in every group), or None when a part cannot be represented."""
        if not isinstance(expr, LayeredExpression):
            expr = LayeredExpression.uniform(expr, groups=self.space.groups)
        if expr.groups != self.space.groups:
            return None
        parts = []
        for k, part in enumerate(expr.parts):
            ind = self.encoding.from_expression(unsuffixed(part, f"_g{k}"))
            if ind is None:
                return None
            parts.append(ind)
        return LayeredIndividual(parts)

    @staticmethod
    def has_x(expr: LayeredExpression) -> bool:
        """Whether every part depends on x.

        >>> from actsearch.expression import parse
        >>> LayeredVariation.has_x(parse("relu(x) | tanh(x)")), LayeredVariation.has_x(parse("relu(x) | 0.5"))
        (True, False)
        """
        return all(any(isinstance(n, Var) for n in walk(p.tree)) for p in expr.parts)

    # --- variation ----------------------------------------------------------------------
    def crossover(self, p1: LayeredIndividual, p2: LayeredIndividual) -> tuple[list, str]:
        """Two children: whole parts swapped after a cut (``crossover_layers``), or one group's subtrees
        (``crossover``), with even odds (always subtrees with one group)."""
        if self.n_groups > 1 and self.py.random() < 0.5:
            cut = 1 + self.py.randrange(self.n_groups - 1)
            return list(swap_layers(p1, p2, cut)), "crossover_layers"
        k = self.py.randrange(self.n_groups)
        with self.encoding.deap_random():
            p1[k], p2[k] = self.variation.crossover(p1[k], p2[k])
        return [p1, p2], "crossover"

    def mutate(self, ind: LayeredIndividual) -> tuple[LayeredIndividual, str]:
        """One group's part changed by one of the uniform search's mutations."""
        k = self.py.randrange(self.n_groups)
        ind[k], origin = self.variation.mutate(ind[k])
        return ind, origin

    def explore(self, ind: LayeredIndividual, gen) -> LayeredIndividual:
        """One group's part with a random subtree replaced by a new one of ``gen``."""
        k = self.py.randrange(self.n_groups)
        with self.encoding.deap_random():
            ind[k] = self.variation.uniform(ind[k], expr=gen, pset=self.encoding.pset)[0]
        return ind
