"""The one interface every search strategy implements: ask and tell.

The search driver (:mod:`actsearch.driver`) asks a strategy for a candidate,
screens it, trains it (or reuses a cached score), records a row, and tells the
strategy the outcome.  A strategy never trains anything itself, so every
strategy gets screening, caching, the results table and resuming for free.

Resuming replays a finished table: the driver asks again with the same seed
and tells each recorded outcome instead of training.  So a strategy must be
deterministic given its seed and the outcomes it was told.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..expression import Expression
from ..spaces import Space


@dataclass
class Candidate:
    """A proposed activation and where it came from.

    ``generation`` (evolution) or ``trial`` (Optuna) go into the table;
    ``info`` is the strategy's own (an Optuna trial, a DEAP individual).
    ``train`` holds training settings that differ from the protocol for this
    candidate (a mixture's learnable logits).  A non-empty ``supernet``
    marks a mixture over many candidates (DARTS): it describes the mixture,
    becomes the row's reason, and the row's status is ``mixture``, so it is
    never a winner itself.
    """

    expression: Expression
    generation: int | None = None
    trial: int | None = None
    info: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    supernet: str = ""


@dataclass
class Outcome:
    """What the driver tells a strategy about one candidate.

    ``status`` is ``ok``, ``diverged``, ``rejected``, ``cached`` or ``pruned``;
    ``val_score`` is the mean validation score over seeds (NaN when there is
    none); ``cost`` is the training time in seconds and ``complexity`` the node
    count, for multi-objective strategies.  ``learned`` holds learnable
    parameters' final values (mean per layer over the seeds).
    """

    status: str
    val_score: float = math.nan
    complexity: int = 0
    cost: float = 0.0
    history: list[float] = field(default_factory=list)
    learned: dict[str, list[float]] = field(default_factory=dict)

    @property
    def fitness(self) -> float:
        """The score to maximise: the validation score, or -inf when there is none."""
        return self.val_score if math.isfinite(self.val_score) else -math.inf


class Strategy(ABC):
    """Base class: proposes candidates from a space and learns from outcomes."""

    #: the name used by ``--strategy``
    name: str = ""
    #: how many candidates the driver asks before telling any outcome: the unit
    #: of parallel work.  It belongs to the strategy, never to the number of
    #: workers, so a search gives the same table however it is executed.
    batch_size: int = 1
    #: the options the strategy understands; any other is a one-line error
    option_names: tuple[str, ...] = ()

    def __init__(self, space: Space, rng: np.random.Generator, budget: int, **options):
        unknown = sorted(set(options) - set(self.option_names))
        if unknown:
            from ..errors import ConfigError

            known = ", ".join(self.option_names) or "none"
            raise ConfigError(f"strategy {self.name!r} has no option {unknown[0]!r}; its options: {known}")
        self.space = space
        self.rng = rng
        self.budget = budget
        self.options = options

    @abstractmethod
    def ask(self) -> Candidate | None:
        """The next candidate, or None when the strategy has nothing left to propose."""

    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        """Learn from the outcome of an asked candidate (default: nothing)."""

    def warm_start(self, expressions: list[Expression]) -> None:
        """Seed the search with good candidates from an earlier run (default: ignored)."""

    def pruner(self, candidate: Candidate) -> Callable[[int, float], bool] | None:
        """A per-epoch callback ``(epoch, val_score) -> stop?`` for early pruning, or None."""
        return None

    def summary(self) -> dict:
        """Strategy-specific results for the run's report (e.g. a Pareto front)."""
        return {}


STRATEGIES: dict[str, str] = {
    "random": "actsearch.strategies.random_search:RandomSearch",
    "exhaustive": "actsearch.strategies.exhaustive:ExhaustiveSearch",
    "evolution": "actsearch.strategies.evolution:EvolutionSearch",
    "optuna": "actsearch.strategies.optuna_search:OptunaSearch",
    "surrogate": "actsearch.strategies.surrogate:SurrogateSearch",
    "mixture": "actsearch.strategies.mixture:MixtureSearch",
}


def get_strategy(name: str) -> type[Strategy]:
    """The strategy class for a name; heavy imports (DEAP, Optuna) happen here.

    >>> get_strategy("random").name
    'random'
    """
    from importlib import import_module

    from ..errors import ConfigError

    if name not in STRATEGIES:
        raise ConfigError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    module, cls = STRATEGIES[name].split(":")
    return getattr(import_module(module), cls)
