"""The Optuna side of the optuna strategy: quiet logging, objectives, and the sampler and pruner factory."""

from __future__ import annotations

import contextlib
import warnings

from ...errors import ConfigError

OBJECTIVES = {"val_score": "maximize", "complexity": "minimize", "cost": "minimize"}
SAMPLERS = ("tpe", "cmaes", "random", "nsga2")
PRUNERS = ("median", "successive_halving", "hyperband")


@contextlib.contextmanager
def quiet():
    """Optuna at WARNING (no per-trial INFO lines) for the block, then as it was."""
    import optuna

    before = optuna.logging.get_verbosity()
    if before < optuna.logging.WARNING:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        if before < optuna.logging.WARNING:
            optuna.logging.set_verbosity(before)


def objective_names(value) -> tuple[str, ...]:
    """The objectives of a study: ``val_score`` first, then at most one of complexity or cost.

    >>> objective_names(None), objective_names(("val_score", "cost"))
    (('val_score',), ('val_score', 'cost'))
    """
    if value is None:
        return ("val_score",)
    names = tuple(value)
    if not names or names[0] != "val_score" or len(set(names)) != len(names) \
            or any(n not in OBJECTIVES for n in names) or len(names) > 2:
        raise ConfigError(f"objectives should be val_score, val_score,complexity or val_score,cost; "
                          f"got {','.join(map(str, names)) or 'nothing'}")
    return names


def sampler_name(sampler: str | None, multi: bool) -> str:
    """The sampler to use (tpe, or nsga2 for two objectives, by default); ConfigError if it cannot serve.

    >>> sampler_name(None, multi=True)
    'nsga2'
    """
    sampler = sampler or ("nsga2" if multi else "tpe")
    if multi and sampler not in ("nsga2", "random"):
        raise ConfigError(f"multi-objective optuna search uses sampler nsga2 or random, not {sampler!r}")
    if not multi and sampler == "nsga2":
        raise ConfigError("sampler nsga2 is for multi-objective search (objectives val_score,complexity)")
    return sampler


def make_sampler(name: str, seed: int, options, budget: int, constant_liar: bool):
    """The Optuna sampler ``name`` seeded with ``seed``; ``options`` are the strategy's (:class:`OptunaOptions`)."""
    import optuna

    startup = options.n_startup_trials
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=options.multivariate, group=options.multivariate and options.group,
            n_startup_trials=10 if startup is None else startup, constant_liar=constant_liar)
    if name == "cmaes":
        try:
            import cmaes  # noqa: F401
        except ImportError:
            raise ConfigError("sampler cmaes needs the cmaes package: pip install cmaes") from None
        # CMA-ES handles floats only: the categorical slots (and parameters that
        # not every trial has) come from an independent TPE.
        independent = optuna.samplers.TPESampler(seed=seed + 1)
        return optuna.samplers.CmaEsSampler(
            seed=seed, independent_sampler=independent, warn_independent_sampling=False,
            n_startup_trials=1 if startup is None else startup)
    population = options.population_size or max(8, min(50, int(budget or 0) // 5))
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=int(population))


def make_pruner(name: str | None, pruner_options: dict | None):
    """The Optuna pruner ``name`` (None: one that never prunes) built with ``pruner_options``."""
    import optuna

    if name is None:
        return optuna.pruners.NopPruner()
    classes = {"median": optuna.pruners.MedianPruner,
               "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
               "hyperband": optuna.pruners.HyperbandPruner}
    try:
        return classes[name](**dict(pruner_options or {}))
    except TypeError as exc:
        raise ConfigError(f"pruner_options for {name}: {exc}") from None


def trial_state(name: str):
    """Optuna's ``TrialState`` of that name (``PRUNED``), imported on use."""
    from optuna.trial import TrialState

    return TrialState[name]
