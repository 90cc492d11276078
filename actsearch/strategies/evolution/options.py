"""The options of the evolution search; no DEAP here, so the CLI reads the defaults without importing it."""

from __future__ import annotations

from dataclasses import dataclass

from ..base import option

#: The (mu + lambda) population size when the option is not given.
DEFAULT_POPULATION = 12
#: Static limits for core-unit spaces (in template nodes): a chain of two core
#: units, b(u(b(u(x), u(x))), u(x)), has height 4 and 9 nodes.
CORE_UNIT_MAX_HEIGHT = 4
CORE_UNIT_MAX_SIZE = 15


@dataclass(frozen=True)
class EvolutionOptions:
    """The options of :class:`EvolutionSearch` (``--option NAME=VALUE``).

    ``offspring`` defaults to ``population``; ``max_height`` and ``max_size``
    to the space's ``max_depth``/``max_size``, or 4 and 15 for core-unit
    spaces; ``init_max_height`` is capped at ``max_height``.  ``steady``
    replaces generations by a steady state (see :class:`EvolutionSearch`).

    >>> EvolutionOptions().population
    12
    """

    population: int = option(DEFAULT_POPULATION, low=1)  # mu
    offspring: int | None = option(None, low=1)  # lambda
    tournament: int = option(3, low=1)
    cxpb: float = option(0.5, low=0.0, high=1.0)  # crossover probability; the rest are mutants
    elite: int = option(1, low=0)  # hall-of-fame members kept
    hall_of_fame: int = option(10, low=1)  # its size
    max_tries: int = option(20, low=1)  # re-breeding of repeats
    max_height: int | None = option(None, low=1)
    max_size: int | None = option(None, low=1)
    init_max_height: int = option(3, low=1)
    #: steady-state: each told child joins the population at once (the worst leaves) and the next child is
    #: bred for the free worker; None: steady when the search trains asynchronously on more than one worker
    steady: bool | None = None
