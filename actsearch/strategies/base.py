"""The one interface every search strategy implements: ask and tell.

The search driver (:mod:`actsearch.driver`) asks a strategy for a candidate,
screens it, trains it (or reuses a cached score), records a row, and tells the
strategy the outcome.  A strategy never trains anything itself, so every
strategy gets screening, caching, the results table and resuming for free.

Resuming replays a finished table: the driver asks again with the same seed
and tells each recorded outcome instead of training.  So a strategy must be
deterministic given its seed and the outcomes it was told.

Each strategy declares its options as a frozen dataclass (``options_type``,
e.g. :class:`~actsearch.strategies.evolution.EvolutionOptions`);
:func:`build_options` makes it from the ``{name: value}`` options the driver
passes, converting CLI text by each field's type, and ``option_names`` are
its fields.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Mapping
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
    parameters' final values (mean per layer over the seeds).  ``rung`` is
    the racing rung the score comes from (:mod:`actsearch.racing`; None when
    the candidate did not race): a ``pruned`` outcome at a rung below the
    top has that rung's partial score.
    """

    status: str
    val_score: float = math.nan
    complexity: int = 0
    cost: float = 0.0
    history: list[float] = field(default_factory=list)
    learned: dict[str, list[float]] = field(default_factory=dict)
    rung: int | None = None

    @property
    def fitness(self) -> float:
        """The score to maximise: the validation score, or -inf when there is none."""
        return self.val_score if math.isfinite(self.val_score) else -math.inf

    @property
    def reached(self) -> int:
        """How far the candidate got: the rung where racing stopped it, else :data:`TOP_RUNG` (every full
        result).  Ranking by ``(reached, fitness)`` puts a raced-out candidate's partial score below every
        candidate that racing judged better, as successive halving did.

        >>> Outcome("pruned", 0.9, rung=0).reached < Outcome("ok", 0.5, rung=2).reached == Outcome("ok").reached
        True
        """
        return self.rung if self.status == "pruned" and self.rung is not None else TOP_RUNG


#: :attr:`Outcome.reached` of a full result: above every rung.
TOP_RUNG = 1_000


@dataclass(frozen=True)
class NoOptions:
    """The options of a strategy that takes none."""


#: The words an option of type bool accepts, as CLI or YAML text.
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
#: The words an optional option accepts for "not set".
NONE_WORDS = ("none", "null", "")


def build_options(options_type: type, values: Mapping[str, Any], strategy: str):
    """The frozen options dataclass of a strategy from a ``{name: value}`` mapping.

    Values may be typed already or text from the command line (``"20"``,
    ``"0.5"``, ``"off"``): each is converted to its field's declared type
    (``bool``, ``int``, ``float``, ``str``, ``tuple[str, ...]``, ``dict``, or
    any of them ``| None``); a field's ``metadata`` may give ``choices`` and
    a ``low``/``high`` bound, and ``separator`` for a tuple given as text
    (default ``,``).  A name that is not a field, or a value that does not
    convert, is a one-line :class:`~actsearch.errors.ConfigError` naming the
    strategy and the option.

    >>> @dataclass(frozen=True)
    ... class Example:
    ...     size: int = 20
    ...     rate: float | None = None
    ...     on: bool = True
    >>> build_options(Example, {"size": "8", "rate": "0.5", "on": "off"}, "example")
    Example(size=8, rate=0.5, on=False)
    >>> build_options(Example, {"size": "many"}, "example")
    Traceback (most recent call last):
    ...
    actsearch.errors.ConfigError: example option 'size': expected a whole number, got 'many'
    """
    from ..errors import ConfigError

    fields = {f.name: f for f in dataclasses.fields(options_type)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = ", ".join(fields) or "none"
        raise ConfigError(f"strategy {strategy!r} has no option {unknown[0]!r}; its options: {known}")
    hints = typing.get_type_hints(options_type)
    converted = {}
    for name, value in values.items():
        try:
            converted[name] = _checked(_converted(hints[name], value, fields[name].metadata), fields[name].metadata)
        except ValueError as exc:
            raise ConfigError(f"{strategy} option {name!r}: {exc}") from None
    return options_type(**converted)


def _converted(kind, value, metadata: Mapping):
    """``value`` as the type ``kind``; ValueError saying what was expected."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in args:
        if value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS):
            return None
        (kind,) = [a for a in args if a is not type(None)]
    if kind is Any:
        return value
    if kind is bool:
        return _bool(value)
    if kind is int:
        return _int(value)
    if kind is float:
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            try:
                return float(value)
            except ValueError:
                pass
        raise ValueError(f"expected a number, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"expected text, got {value!r}")
    if typing.get_origin(kind) is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(metadata.get("separator", ",")) if v.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValueError(f"expected a list of names, got {value!r}")
    if typing.get_origin(kind) is dict or kind is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise ValueError(f"expected a mapping such as {{n_startup_trials: 2}}, got {value!r}")
    raise TypeError(f"options of type {kind} are not supported")


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ValueError(f"expected true or false (or {', '.join(TRUE_WORDS[1:] + FALSE_WORDS[1:])}), got {value!r}")


def _int(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a whole number, got {value!r}")


def _checked(value, metadata: Mapping):
    """``value`` if it is one of the field's ``choices`` and within its ``low``/``high`` bounds."""
    choices = metadata.get("choices")
    if value is not None and choices is not None and value not in choices:
        raise ValueError(f"expected one of {', '.join(map(str, choices))}, got {value!r}")
    low, high = metadata.get("low"), metadata.get("high")
    if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
        bounds = f"at least {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"expected {bounds}, got {value!r}")
    return value


def option(default, **metadata):
    """A field of an options dataclass, with its ``choices``, ``low``/``high`` bounds or ``separator``.

    >>> @dataclass(frozen=True)
    ... class Example:
    ...     size: int = option(20, low=1)
    >>> build_options(Example, {"size": 0}, "example")
    Traceback (most recent call last):
    ...
    actsearch.errors.ConfigError: example option 'size': expected at least 1, got 0
    """
    return field(default=default, metadata=metadata)


class Strategy(ABC):
    """Base class: proposes candidates from a space and learns from outcomes."""

    #: the name used by ``--strategy``
    name: str = ""
    #: how many candidates the driver asks before telling any outcome: the unit
    #: of parallel work.  It belongs to the strategy, never to the number of
    #: workers, so a search gives the same table however it is executed.
    batch_size: int = 1
    #: the frozen dataclass of the options the strategy understands; any other is a one-line error
    options_type: type = NoOptions
    #: the options' names, from ``options_type``'s fields (set for each subclass)
    option_names: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.option_names = tuple(f.name for f in dataclasses.fields(cls.options_type))

    def __init__(self, space: Space, rng: np.random.Generator, budget: int, **options):
        self.settings = build_options(self.options_type, options, self.name)
        self.space = space
        self.rng = rng
        self.budget = budget
        #: the options given, converted (``settings`` holds every option, with the defaults): the
        #: driver reads ``options.get("pruner")``, which is None for ``pruner=none``
        self.options = {name: getattr(self.settings, name) for name in options}

    @abstractmethod
    def ask(self) -> Candidate | None:
        """The next candidate, or None when the strategy has nothing left to propose."""

    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        """Learn from the outcome of an asked candidate (default: nothing)."""

    def warm_start(self, expressions: list[Expression]) -> None:
        """Seed the search with good candidates from an earlier run (default: ignored)."""

    def parallel(self, workers: int) -> None:
        """Called before asking when the search keeps up to ``workers`` trainings in flight and tells each
        outcome as it finishes (racing ``asha``); a strategy may adapt (evolution goes steady-state)."""

    def pruner(self, candidate: Candidate) -> Callable[[int, float], bool] | None:
        """A per-epoch callback ``(epoch, val_score) -> stop?`` for early pruning, or None."""
        return None

    def summary(self) -> dict:
        """Strategy-specific results for the run's report (e.g. a Pareto front)."""
        return {}


def in_space(space: Space | None, expr):
    """``expr`` as ``space`` proposes candidates: in a per-layer space a plain expression stands for itself
    in every group (a baseline, a warm start), with the uniform candidate's fingerprint.

    >>> from actsearch.expression import parse
    >>> from actsearch.spaces import load_space
    >>> str(in_space(load_space("per_layer"), parse("relu(x)"))), str(in_space(load_space("small"), parse("relu")))
    ('relu(x) | relu(x)', 'relu(x)')
    """
    from ..expression import LayeredExpression

    if space is not None and space.per_layer and not isinstance(expr, LayeredExpression):
        return LayeredExpression.uniform(expr, groups=space.groups)
    return expr


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


def strategy_settings(name: str, options: Mapping[str, Any]):
    """The options dataclass that strategy ``name`` builds from ``options`` (text converted, defaults filled).

    >>> strategy_settings("optuna", {"pruner": "none"}).pruner is None
    True
    """
    cls = get_strategy(name)
    return build_options(cls.options_type, options, cls.name)
