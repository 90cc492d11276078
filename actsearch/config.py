"""A search's settings: :class:`SearchConfig`, its defaults, and its ``OUT/config.yaml``.

>>> config = SearchConfig(budget=10, seed=3)
>>> SearchConfig.from_dict(config.to_dict()) == config
True
>>> config.budget = 20
Traceback (most recent call last):
...
dataclasses.FrozenInstanceError: cannot assign to field 'budget'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import __version__
from .errors import ActsearchError, ConfigError
from .networks import TrainConfig

#: The space of a run with no --space: one core unit over a handful of well-known
#: pieces (the same as search_spaces/small.yaml), embedded so it works anywhere.
DEFAULT_SPACE = {
    "name": "default", "kind": "core_unit", "units": 1,
    "unary": ["x", "tanh(x)", "sigmoid(x)", "max(x, 0)", "sin(x)"],
    "binary": ["x1 + x2", "x1 * x2", "max(x1, x2)"],
}

#: The baselines of the final stage, trained under exactly the protocol of the winners.
BASELINES = ("relu(x)", "gelu(x)", "swish(x)", "elu(x)", "tanh(x)", "leaky_relu(x)", "softplus(x)")

#: The final stage's first training seed: its seeds (and so its initial
#: weights, batch orders and train/validation partitions) are disjoint from
#: the search's, which start at 0.
FINAL_SEED_START = 1000

#: The default protocol: a deep, narrow network on a nonlinear task, where
#: vanishing and exploding gradients separate activations (on shallow nets over
#: easy data, almost any nonlinearity scores the same and a search fits noise).
DEFAULT_PROTOCOL = TrainConfig(hidden=(32,) * 6, epochs=30, batch_size=32, lr=3e-3, early_stopping=True, patience=8,
                               init="auto", resample=True)


class SearchError(ActsearchError):
    """A search that cannot start or resume as asked."""


class SettingsMismatch(SearchError):
    """The output folder holds a run with other settings, so this one can neither start there nor resume it."""

    def __init__(self, out: str, key: str, old, new, advice: str = "use a new --out or the original settings"):
        self.out, self.key, self.old, self.new = out, key, old, new
        super().__init__(f"{out} holds a run with {key}={old!r}, not {new!r}; {advice}")


def plain(value):
    """Tuples as lists, at any depth, as YAML and JSON give them back.

    >>> plain({"hidden": (8, 8), "runs": [("a", 1)]})
    {'hidden': [8, 8], 'runs': [['a', 1]]}
    """
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class SearchConfig:
    """Everything that defines a run; written to ``OUT/config.yaml``.

    Frozen: derive a variant with :func:`dataclasses.replace`.

    >>> from dataclasses import replace
    >>> replace(SearchConfig(), budget=5).budget
    5
    """

    space: str = "default"
    strategy: str = "random"
    dataset: str = "spirals3"
    target: str | None = None
    task: str | None = None
    split_seed: int = 0
    budget: int = 40
    seed: int = 0
    seeds: int = 2
    final_k: int = 5
    final_seeds: int = 10
    final_seed_start: int = FINAL_SEED_START
    baselines: tuple[str, ...] = BASELINES
    warm_start: str | None = None
    warm_k: int = 5
    strategy_options: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = DEFAULT_PROTOCOL
    #: the model candidates are scored in: None for actsearch's NumPy MLP (``train.hidden``), else a torch
    #: model (``resmlp``, ``cnn`` or ``PATH.py:FUNCTION``; ``replace``: swap its activation modules) on ``device``
    model: str | None = None
    replace: bool = False
    device: str = "cpu"
    #: racing (:mod:`actsearch.racing`): ``off``, ``sh`` or ``asha``; None is ``asha``, or ``off`` for a torch
    #: model (which cannot pause a training) and with an Optuna pruner (which prunes instead); ``eta`` is the
    #: reduction factor, ``rungs`` the number of rungs
    racing: str | None = None
    eta: int = 3
    rungs: int = 3

    def __post_init__(self):
        object.__setattr__(self, "baselines", tuple(self.baselines))
        object.__setattr__(self, "strategy_options", dict(self.strategy_options or {}))
        if self.racing is None:
            from .strategies.base import NONE_WORDS

            pruner = str(self.strategy_options.get("pruner") or "").strip().lower()
            object.__setattr__(self, "racing", "off" if self.model or pruner not in NONE_WORDS else "asha")

    @property
    def race(self):
        """The :class:`~actsearch.racing.RacingConfig` of ``racing``, ``eta`` and ``rungs``."""
        from .racing import RacingConfig

        return RacingConfig(self.racing, self.eta, self.rungs)

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting out of range."""
        for name in ("budget", "seeds", "final_seeds"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"search setting {name}={getattr(self, name)!r}: expected a whole number >= 1")
        if self.final_seed_start < self.seeds:
            raise ConfigError(f"search setting final_seed_start={self.final_seed_start}: the final stage's seeds "
                              f"must not overlap the search's 0..{self.seeds - 1}")
        if self.final_k < 0:
            raise ConfigError(f"search setting final_k={self.final_k}: expected >= 0")
        self.race  # building the racing settings checks them: a bad one is a one-line error

    def check_fits(self, texts, what: str = "baseline") -> None:
        """A one-line :class:`ConfigError` for a ``what`` among ``texts`` that the protocol cannot train: a
        per-layer function whose parts do not fit the hidden layers, or any per-layer function with a torch
        ``model`` (which takes one activation for every layer).  Checked before anything is written.

        >>> SearchConfig(train=TrainConfig(hidden=(8, 8, 8))).check_fits(["relu | tanh"])
        Traceback (most recent call last):
        ...
        actsearch.errors.ConfigError: baseline 'relu | tanh': per-layer candidate 'relu(x) | tanh(x)' has 2 parts but the protocol has 3 hidden layers
        """
        from .expression import LayeredExpression, parse
        from .networks import layer_expressions

        for text in texts:
            expr = parse(text)
            if not isinstance(expr, LayeredExpression):
                continue
            if self.model is not None:
                raise ConfigError(f"{what} {str(text)!r}: a per-layer function trains the NumPy MLP; "
                                  f"--model {self.model} takes one activation for every layer")
            try:
                layer_expressions(expr, len(self.train.hidden))
            except ConfigError as exc:
                raise ConfigError(f"{what} {str(text)!r}: {exc}") from None

    def to_dict(self) -> dict:
        """The settings as config.yaml holds them: tuples become lists, at any depth, so a resumed run compares
        equal."""
        return plain(asdict(self))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SearchConfig:
        """The config that :meth:`to_dict` (or config.yaml, without its ``version``) describes.

        >>> SearchConfig.from_dict({"budget": 3, "train": {"hidden": [8]}}).train.hidden
        (8,)
        >>> SearchConfig.from_dict({"budjet": 3})
        Traceback (most recent call last):
        ...
        actsearch.errors.ConfigError: unknown search setting 'budjet'
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown search setting {unknown[0]!r}")
        values = dict(values)
        train = values.get("train")
        if isinstance(train, Mapping):
            train_known = {f.name for f in fields(TrainConfig)}
            unknown = sorted(set(train) - train_known)
            if unknown:
                raise ConfigError(f"unknown training setting 'train.{unknown[0]}'")
            values["train"] = TrainConfig(**train)
        return cls(**values)

    def scorer(self, data):
        """The :class:`~actsearch.scoring.Scorer` of this run's protocol on ``data``."""
        from .scoring import scorer_for

        return scorer_for(data, self.train, self.model, replace_modules=self.replace, device=self.device)

    def search_space(self):
        """The :class:`~actsearch.spaces.Space` that :attr:`space` names (``"default"``: :data:`DEFAULT_SPACE`).

        >>> SearchConfig().search_space().name
        'default'
        """
        from .spaces import load_space, space_from_dict

        if self.space == "default":
            return space_from_dict(DEFAULT_SPACE, "<default space>")
        return load_space(self.space)


def stored_settings(folder: str) -> dict | None:
    """The settings in ``folder/config.yaml``, or None where there is none.

    >>> stored_settings("no/such/folder") is None
    True
    """
    import yaml

    path = os.path.join(folder, "config.yaml")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        try:
            stored = yaml.safe_load(fh) or {}
        except yaml.YAMLError:
            raise SearchError(f"{path} is not valid YAML; use a new --out") from None
    # a setting added since that run was written had its default there (a torch model: none; racing: off; a
    # training setting such as arch or norm: TrainConfig's default, as from_dict reads it: the plain MLP)
    if not isinstance(stored, dict):
        return stored
    if isinstance(stored.get("train"), dict):
        stored = {**stored, "train": {**plain(asdict(TrainConfig())), **stored["train"]}}
    return {**SearchConfig().to_dict(), "racing": "off", **stored}


def first_difference(old: dict, new: dict, keys) -> tuple[str, Any, Any] | None:
    """``(key, old value, new value)`` of the first of ``keys`` whose values differ, naming a nested
    setting (``train.lr``) rather than its whole block; None if none differs.

    >>> first_difference({"seed": 0, "train": {"lr": 0.003}}, {"seed": 0, "train": {"lr": 0.01}}, ["seed", "train"])
    ('train.lr', 0.003, 0.01)
    """
    for key in keys:
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        if isinstance(was, dict) and isinstance(now, dict):
            sub = next(k for k in {**was, **now} if was.get(k) != now.get(k))
            return f"{key}.{sub}", was.get(sub), now.get(sub)
        return key, was, now
    return None


def settings_mismatch(out: str, config: SearchConfig) -> SettingsMismatch | None:
    """Why ``out`` cannot hold ``config``'s run: the first setting its config.yaml holds otherwise
    (the budget may differ, a resumed run may grow), or None when it holds none or the same.

    >>> settings_mismatch("no/such/folder", SearchConfig()) is None
    True
    """
    old = stored_settings(out)
    current = config.to_dict()
    differs = None if old is None else first_difference(old, current, [k for k in current if k != "budget"])
    return None if differs is None else SettingsMismatch(out, *differs)


def write_settings(out: str, config: SearchConfig) -> None:
    """Write ``OUT/config.yaml``, after checking that a run already there has the same settings (the budget may
    grow); raises :class:`SettingsMismatch` naming the first that differs."""
    import yaml

    mismatch = settings_mismatch(out, config)
    if mismatch is not None:
        raise mismatch
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.yaml"), "w", encoding="utf-8") as fh:
        yaml.safe_dump({**config.to_dict(), "version": __version__}, fh, sort_keys=False)
