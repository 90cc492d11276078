"""The evolution search loop: (mu + lambda) genetic programming, split into ask and tell.

The loop is (mu + lambda), as :func:`deap.algorithms.eaMuPlusLambda`:
generation 0 is ramped half-and-half (plus warm-start expressions); ask hands
out a generation's individuals one at a time and, once all are told, the next
``mu`` parents are the best of the hall of fame (elitism) plus tournament
winners among parents and offspring, and ``lambda`` offspring are bred from
them by subtree crossover or one of the mutations of
:mod:`~actsearch.strategies.evolution.mutations`, under static limits on
height and size.  An offspring whose function (fingerprint) was already asked
is bred again, up to ``max_tries`` times.

Every draw comes from a private :class:`random.Random` derived from the
strategy's generator (see :mod:`~actsearch.strategies.evolution.encoding`).
"""

from __future__ import annotations

import copy
import random

from deap import gp, tools

from ...expression import Expression
from ...expression.tree import Var, walk
from ..base import Candidate, Strategy
from .encoding import Encoding, Individual
from .layered import LayeredVariation
from .mutations import Variation
from .options import CORE_UNIT_MAX_HEIGHT, CORE_UNIT_MAX_SIZE, EvolutionOptions

class EvolutionSearch(Strategy):
    """Genetic programming over the space's primitives, (mu + lambda), ask/tell.

    Options: see :class:`EvolutionOptions`.

    Each offspring records how it was bred in ``origin`` (``init``,
    ``warm_start``, ``crossover``, ``crossover_layers`` (per-layer spaces, :mod:`.layered`),
    ``mut_<mutation>``, ``mut_uniform_explore``,
    ``immigrant``), handed out as ``candidate.info["origin"]``.  The mutations
    are DEAP's (``uniform_grow``, ``uniform_half``, ``node_replacement``,
    ``insert``, ``shrink``, ``ephemeral``) and PANGAEA's parameter mutations
    (``param``, ``param_add``, ``param_remove``); each is drawn uniformly among
    those that apply to the parent (:attr:`Variation.mutations`).
    """

    name = "evolution"
    batch_size = 1_000_000  # a whole generation: ask() returns None when it is handed out
    options_type = EvolutionOptions

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        o = self.settings
        tree_space = space.kind == "tree"
        self.mu = o.population
        self.lam = self.mu if o.offspring is None else o.offspring
        self.tournsize = o.tournament
        self.cxpb = o.cxpb
        self.n_elite = min(o.elite, self.mu)
        self.max_tries = o.max_tries
        default_height, default_size = ((space.max_depth, space.max_size) if tree_space
                                        else (CORE_UNIT_MAX_HEIGHT, CORE_UNIT_MAX_SIZE))
        self.max_height = default_height if o.max_height is None else o.max_height
        self.max_size = default_size if o.max_size is None else o.max_size
        self.init_max_height = min(o.init_max_height, self.max_height)

        # private randomness: everything below draws from self.py, never the global module
        self.py = random.Random(int(rng.integers(2**63)))
        self.encoding = Encoding(space, self.py)
        self.variation = Variation(self.encoding, self.max_height, self.max_size)
        self.pset = self.encoding.pset
        self.to_tree = self.encoding.to_tree
        self.to_expression = self.encoding.to_expression
        self.from_expression = self.encoding.from_expression
        #: a per-layer space's individuals are one tree per group (:mod:`.layered`); None otherwise
        self.layers = LayeredVariation(self.encoding, self.variation) if space.per_layer else None
        if self.layers is not None:
            self.to_expression = self.layers.to_expression
            self.from_expression = self.layers.from_expression

        self.hof = tools.HallOfFame(o.hall_of_fame, similar=lambda a, b: a.key == b.key)
        self.population: list[Individual] = []
        self.pending: list[Individual] = []
        self._told: set[int] = set()
        self._next = 0
        self.generation = -1          # the generation being asked; -1 before the first ask
        self.generations_done = 0     # generations completely told
        self.seen: set[str] = set()   # fingerprints asked so far
        self.steady = bool(o.steady)
        self.bred = 0                 # steady state: children bred after the first generation
        self.told_steady = 0
        self._warm: list[Individual] = []
        self.skipped_warm: list[Expression] = []

    # --- individuals ------------------------------------------------------------------
    def finish(self, ind: Individual, origin: str) -> Individual:
        """Record the origin and fingerprint of a new or changed individual."""
        del ind.fitness.values
        ind.origin = origin
        expr = self.to_expression(ind)
        ind.has_x = (any(isinstance(n, Var) for n in walk(expr.tree)) if self.layers is None
                     else self.layers.has_x(expr))
        try:
            ind.key = expr.fingerprint
        except Exception:  # noqa: BLE001 - a broken function still gets asked (and rejected) at most once
            ind.key = "text:" + str(expr)
        return ind

    def _acceptable(self, ind: Individual, batch: set[str]) -> bool:
        return ind.has_x and ind.key not in self.seen and ind.key not in batch

    def _random_individual(self):
        """A new individual of ramped half-and-half trees (one per group in a per-layer space)."""
        if self.layers is None:
            return self.encoding.new_individual(self._random_nodes())
        return self.layers.new_individual([self.encoding.new_individual(self._random_nodes())
                                           for _ in self.space.groups])

    def _random_nodes(self) -> list:
        """A ramped half-and-half tree within the size limit."""
        with self.encoding.deap_random():
            nodes = gp.genHalfAndHalf(self.pset, min_=1, max_=self.init_max_height)
            while len(nodes) > self.max_size:  # a full tree of binary primitives can be too big
                nodes = gp.genGrow(self.pset, min_=1, max_=self.init_max_height)
        return nodes

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
            ind = self.finish(self._warm.pop(0), "warm_start")
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
                ind = self.finish(self._random_individual(), "init")
                if self._acceptable(ind, batch):
                    break
            batch.add(ind.key)
            pop.append(ind)
        return pop

    def _select(self, pool: list[Individual], k: int) -> list[Individual]:
        elites = [copy.deepcopy(self.hof[i]) for i in range(min(self.n_elite, len(self.hof), k))]
        with self.encoding.deap_random():
            return elites + tools.selTournament(pool, k - len(elites), self.tournsize)

    def _vary(self, parents: list[Individual], explore: int = 0) -> Individual:
        """One offspring: subtree crossover of two tournament winners, or a mutant of one.

        Late re-breeding of a repeat explores more, for a converged population
        breeds the same few children: with ``explore=1`` the parent is drawn
        uniformly and mutated by a new random subtree; with ``explore=2`` the
        offspring is a new ramped half-and-half tree (an immigrant).
        """
        var, deap_random = self.variation, self.encoding.deap_random
        if explore >= 2:
            return self.finish(self._random_individual(), "immigrant")
        if explore:
            parent = copy.deepcopy(parents[self.py.randrange(len(parents))])
            with deap_random():
                gen = (var.grow, var.half)[self.py.randrange(2)]
                child = var.uniform(parent, expr=gen, pset=self.pset)[0] if self.layers is None else None
            if self.layers is not None:
                child = self.layers.explore(parent, gen)
            return self.finish(child, "mut_uniform_explore")
        if self.py.random() < self.cxpb and len(parents) > 1:
            with deap_random():
                p1, p2 = (copy.deepcopy(p) for p in tools.selTournament(parents, 2, self.tournsize))
                children, origin = (var.crossover(p1, p2), "crossover") if self.layers is None else (None, "")
            if self.layers is not None:
                children, origin = self.layers.crossover(p1, p2)
            child = children[self.py.randrange(2)]
            return self.finish(child, origin)
        with deap_random():
            parent = copy.deepcopy(tools.selTournament(parents, 1, self.tournsize)[0])
        child, origin = (var if self.layers is None else self.layers).mutate(parent)
        return self.finish(child, origin)

    def _child(self, batch: set[str]) -> Individual:
        """One offspring of the population that is not a repeat (nor in ``batch``), if ``max_tries`` allow:
        later tries explore more (see :meth:`_vary`)."""
        for attempt in range(self.max_tries):
            explore = 2 if attempt >= (3 * self.max_tries) // 4 else int(attempt >= self.max_tries // 2)
            child = self._vary(self.population, explore=explore)
            if self._acceptable(child, batch):
                break
        return child

    def _breed(self) -> list[Individual]:
        batch: set[str] = set()
        offspring = self._take_warm(batch, self.lam)
        while len(offspring) < self.lam:
            child = self._child(batch)
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

    # --- steady state -----------------------------------------------------------------------
    def parallel(self, workers: int) -> None:
        """Go steady-state with more than one worker, unless the ``steady`` option says otherwise."""
        if self.settings.steady is None:
            self.steady = workers > 1

    def _ask_steady(self):
        """A child bred from the individuals told so far (None until one is)."""
        if not self.population:
            return None
        warm = self._take_warm(set(), 1)
        child = warm[0] if warm else self._child(set())
        self.bred += 1
        self.seen.add(child.key)
        return Candidate(self.to_expression(child), generation=1 + (self.bred - 1) // self.lam,
                         info={"individual": child, "index": None, "origin": child.origin})

    def _tell_steady(self, ind) -> None:
        """A told individual joins the population; past ``mu`` the worst leaves (the oldest of equals)."""
        self.population.append(ind)
        self.hof.update([ind])
        if len(self.population) > self.mu:
            worst = min(range(len(self.population)), key=lambda i: (self.population[i].fitness, i))
            del self.population[worst]
        self.told_steady += 1
        self.generations_done = self.told_steady // self.mu  # in populations' worth of tells

    # --- ask and tell -----------------------------------------------------------------------
    def ask(self):
        """The next individual of the current generation (steady-state: the next child).

        Returns None when every individual of the generation was asked but not
        all were told yet: the next generation needs their fitness.
        """
        if self.steady and self.generation == 0 and self._next >= len(self.pending):
            return self._ask_steady()
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
        ind.fitness.values = (outcome.reached, outcome.fitness)
        if self.steady:
            self._tell_steady(ind)
            return
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
