"""Optuna: a study over the slots of a core-unit space, driven by ask and tell.

Each candidate is one Optuna trial.  :meth:`OptunaSearch.ask` creates the
trial and samples, in order, the number of units (only when the space allows
more than one), one categorical per slot (``u1_0``, ``u2_0``, ``b_0``,
``in1_1``, ...) and one float per parameter that the built expression has
(``beta_u1``, ``beta_b_0``, ...).  :meth:`OptunaSearch.tell` hands the outcome
back.  Training happens elsewhere, so the study never calls an objective.

Options (keyword arguments, all optional):

``sampler``
    ``"tpe"`` (single-objective default; multivariate TPE), ``"cmaes"``
    (CMA-ES, needs the ``cmaes`` package), ``"random"``, or ``"nsga2"``
    (multi-objective default).
``objectives``
    ``("val_score",)`` (default), ``("val_score", "complexity")`` or
    ``("val_score", "cost")``; a comma-separated string works too.  Two
    objectives make a multi-objective study (maximise the score, minimise the
    other) whose :meth:`~OptunaSearch.summary` is a Pareto front.
``pruner``
    None (default), ``"median"``, ``"successive_halving"`` or ``"hyperband"``;
    ``pruner_options`` is a dict passed to the pruner's constructor.
    Single-objective only.
``storage``, ``study_name``
    An Optuna storage URL (``sqlite:///study.db``) and study name; the study
    is created with ``load_if_exists=True``, so several processes can share it.
``n_startup_trials``
    Random trials before TPE or CMA-ES take over (default 10 for TPE, 1 for
    CMA-ES); ``population_size`` is NSGA-II's (default from the budget).
``dedupe``
    True (default): a sampled candidate whose function (fingerprint) was
    already told is told again at once with the same result, inside the
    study, and sampling goes on; the driver's budget is spent on new
    functions only (up to 20 redraws per ask, then the repeat is returned).

How outcomes are told:

* ``ok`` and ``cached``: the validation score (and the complexity or cost).
* ``pruned``: ``TrialState.PRUNED``; TPE ranks pruned trials by how far they
  got and their last reported score.
* ``rejected`` and ``diverged`` (and any outcome without a finite score):
  COMPLETE with :data:`FAILED_SCORE`, a score below every real one, not
  ``TrialState.FAIL``.  TPE, CMA-ES and NSGA-II all ignore FAIL trials, so
  the sampler would never learn that a region of the space yields degenerate
  or exploding functions and would keep proposing it; a very low value puts
  those trials in TPE's "bad" density instead.  The samplers use only the
  ranks of values, so the magnitude does not distort them.  The real status
  is kept in the trial's user attribute ``status`` and such trials never
  appear in the summary.

Each trial keeps its expression string, fingerprint and status in user
attributes (``expression``, ``fingerprint``, ``status``; a repeat told
inside the study has status ``repeat`` and ``repeat_of``).
:meth:`~OptunaSearch.summary` gives ``{"best": {...}, "n_trials": ...}`` for
one objective and ``{"pareto_front": [{"expression", "val_score",
"complexity" or "cost", ...}, ...]}`` for two, from ``study.best_trials``;
rejected, diverged and pruned trials never appear in either.
Same seed (the strategy's ``rng``) and same told outcomes give the same
sequence of candidates.  For an exact replay with a pruner, tell outcomes
with their per-epoch ``history``: a trial that had no pruner reports gets the
history reported as epochs 1, 2, ... before it is told.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ConfigError
from ..expression import Expression
from ..spaces import SpaceError
from .base import Candidate, Outcome, Strategy

#: The score told for rejected and diverged candidates: below any real score.
FAILED_SCORE = -1e12
#: The complexity or cost told for them in a multi-objective study: above any real one.
FAILED_COST = 1e12
#: The range of a parameter whose base name the space does not list.
DEFAULT_RANGE = (0.1, 3.0)
#: Above this many slot assignments, warm start indexes only the one-unit candidates.
MAX_INDEX = 100_000
MAX_REDRAWS = 20

OBJECTIVES = {"val_score": "maximize", "complexity": "minimize", "cost": "minimize"}
SAMPLERS = ("tpe", "cmaes", "random", "nsga2")
PRUNERS = ("median", "successive_halving", "hyperband")
GOOD = ("ok", "cached")

_SUFFIX = re.compile(r"^(?P<base>.+?)_(?:u1|u2|b)(?:_\d+)?$")


@contextlib.contextmanager
def _quiet():
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


def _objectives(value) -> tuple[str, ...]:
    if value is None:
        return ("val_score",)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    names = tuple(value)
    if not names or names[0] != "val_score" or len(set(names)) != len(names) \
            or any(n not in OBJECTIVES for n in names) or len(names) > 2:
        raise ConfigError(f"objectives should be val_score, val_score,complexity or val_score,cost; "
                          f"got {','.join(map(str, names)) or 'nothing'}")
    return names


class OptunaSearch(Strategy):
    """An Optuna study over the slots of a core-unit space (see the module docstring).

    ``warm_start`` accepts, per item:

    * a dict of slot choices (as :meth:`Space.enumerate` yields, optionally
      with parameter values), or an Expression with such a dict in its
      ``choices`` attribute;
    * a plain Expression, matched to slot choices that build the same
      function (same fingerprint; parameters matched by name, or by position
      when the names differ).  The whole space is searched when it has at most
      100,000 assignments, otherwise only its one-unit candidates.  An
      expression that matches nothing is skipped and counted in the summary.

    Matches are enqueued (``study.enqueue_trial``), so they are the first
    candidates asked, in the order given.  Parameter values outside the
    space's range are clipped into it.
    """

    name = "optuna"
    option_names = ("sampler", "pruner", "pruner_options", "objectives", "batch", "dedupe", "storage", "study_name",
                    "n_startup_trials", "multivariate", "group", "population_size")

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        import optuna

        # Trials asked together before any is told: the unit of parallel work.
        # With more than one, TPE's constant liar keeps them apart.
        self.batch_size = int(options.get("batch", 4))
        if self.batch_size < 1:
            raise ConfigError(f"optuna option batch={self.batch_size}: expected at least 1")

        if space.kind != "core_unit":
            raise SpaceError(f"{space.source or space.name}: optuna needs a core_unit space, "
                             f"not a {space.kind} space")
        self.objectives = _objectives(options.get("objectives"))
        self.multi = len(self.objectives) > 1
        sampler = options.get("sampler") or ("nsga2" if self.multi else "tpe")
        if sampler not in SAMPLERS:
            raise ConfigError(f"unknown optuna sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
        if self.multi and sampler not in ("nsga2", "random"):
            raise ConfigError(f"multi-objective optuna search uses sampler nsga2 or random, not {sampler!r}")
        if not self.multi and sampler == "nsga2":
            raise ConfigError("sampler nsga2 is for multi-objective search (objectives val_score,complexity)")
        self.sampler_name = sampler
        pruner = options.get("pruner")
        pruner = None if pruner in (None, "", "none", "None") else pruner
        if pruner is not None and pruner not in PRUNERS:
            raise ConfigError(f"unknown optuna pruner {pruner!r}; choose one of none, {', '.join(PRUNERS)}")
        if pruner is not None and self.multi:
            raise ConfigError(f"pruner {pruner!r} needs a single objective; Optuna cannot prune "
                              f"multi-objective trials")
        self.pruner_name = pruner
        dedupe = options.get("dedupe", True)
        self.dedupe = dedupe.strip().lower() not in ("0", "false", "no", "off") if isinstance(dedupe, str) \
            else bool(dedupe)

        seed = int(self.rng.integers(2**31))
        with _quiet():
            self.study = optuna.create_study(
                storage=options.get("storage"),
                study_name=options.get("study_name"),
                load_if_exists=True,
                sampler=self._make_sampler(sampler, seed),
                pruner=self._make_pruner(pruner),
                directions=[OBJECTIVES[o] for o in self.objectives],
            )
        if [d.name.lower() for d in self.study.directions] != [OBJECTIVES[o] for o in self.objectives]:
            raise ConfigError(f"study {self.study.study_name!r} in the storage has other objectives "
                              f"than {','.join(self.objectives)}")
        # fingerprint -> ("complete", values, "ok"/"failed") or ("pruned", {step: value}, "pruned")
        self._told: dict[str, tuple[str, Any]] = {}
        self._reported: dict[int, dict[int, float]] = {}
        self._index: list[tuple[dict, Expression]] | None = None
        self._by_tree: dict = {}
        self._by_fp: dict[str, int] = {}
        self.warm_started = 0
        self.warm_start_unmatched: list[str] = []

    # --- construction -----------------------------------------------------------
    def _make_sampler(self, name: str, seed: int):
        import optuna

        startup = self.options.get("n_startup_trials")
        if name == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        if name == "tpe":
            multivariate = bool(self.options.get("multivariate", True))
            return optuna.samplers.TPESampler(
                seed=seed, multivariate=multivariate, group=multivariate and bool(self.options.get("group", False)),
                n_startup_trials=10 if startup is None else int(startup),
                # the constant liar only matters when several workers share a storage
                constant_liar=self.options.get("storage") is not None or self.batch_size > 1)
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
                n_startup_trials=1 if startup is None else int(startup))
        population = self.options.get("population_size") or max(8, min(50, int(self.budget or 0) // 5))
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=int(population))

    def _make_pruner(self, name: str | None):
        import optuna

        kwargs = dict(self.options.get("pruner_options") or {})
        classes = {"median": optuna.pruners.MedianPruner,
                   "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
                   "hyperband": optuna.pruners.HyperbandPruner}
        if name is None:
            return optuna.pruners.NopPruner()
        try:
            return classes[name](**kwargs)
        except TypeError as exc:
            raise ConfigError(f"pruner_options for {name}: {exc}") from None

    def _sampled(self, param: str, default: float) -> tuple[float, float] | None:
        """The sampling range of a renamed parameter, or None to keep its value.

        ``beta_u1`` takes the range of ``beta`` in the space; a parameter the
        space does not list gets :data:`DEFAULT_RANGE`, unless its default lies
        outside it (``eps``, a guard against log(0), stays as it is).
        """
        m = _SUFFIX.match(param)
        base = m.group("base") if m else param
        if base in self.space.params:
            return self.space.params[base]
        lo, hi = DEFAULT_RANGE
        return (lo, hi) if lo <= default <= hi else None

    # --- ask and tell -----------------------------------------------------------
    def _sample(self, trial) -> tuple[dict, Expression]:
        units = self.space.units
        n_units = int(trial.suggest_categorical("n_units", list(units))) if len(units) > 1 else units[0]
        choices: dict[str, Any] = {"n_units": n_units}
        for slot, options in self.space.slots(n_units):
            choices[slot] = trial.suggest_categorical(slot, options)
        expr = self.space.build(choices, n_units)
        values = dict(expr.params)
        for param, default in expr.params.items():
            bounds = self._sampled(param, default)
            if bounds is not None:
                values[param] = trial.suggest_float(param, *bounds)
        if values != expr.params:
            expr = Expression(expr.tree, values)
        return choices, expr

    def ask(self) -> Candidate:
        with _quiet():
            for attempt in range(MAX_REDRAWS + 1):
                trial = self.study.ask()
                choices, expr = self._sample(trial)
                try:
                    fp = expr.fingerprint
                except Exception:  # noqa: BLE001 - a function that cannot be probed is never a repeat
                    fp = None
                trial.set_user_attr("expression", str(expr))
                if fp is not None:
                    trial.set_user_attr("fingerprint", fp)
                known = self._told.get(fp) if self.dedupe and fp is not None else None
                if known is None or attempt == MAX_REDRAWS:
                    break
                # A function already told: tell the same result and draw again.
                trial.set_user_attr("status", "repeat")
                trial.set_user_attr("repeat_of", known[2])
                if known[0] == "complete":
                    self.study.tell(trial, known[1])
                else:
                    for step, value in sorted(known[1].items()):
                        trial.report(value, step)
                    self.study.tell(trial, state=_state("PRUNED"))
        return Candidate(expr, trial=trial.number, info={"trial": trial, "choices": choices})

    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        trial = candidate.info.get("trial")
        if trial is None:
            return
        fp = None
        with contextlib.suppress(Exception):
            fp = candidate.expression.fingerprint
        with _quiet():
            reported = self._reported.setdefault(trial.number, {})
            if outcome.history and not reported and not self.multi:
                for step, value in enumerate(outcome.history, start=1):
                    if math.isfinite(value):
                        trial.report(float(value), step)
                        reported[step] = float(value)
            trial.set_user_attr("status", outcome.status)
            if outcome.status == "pruned":
                self.study.tell(trial, state=_state("PRUNED"))
                if fp is not None:
                    self._told.setdefault(fp, ("pruned", dict(reported), "pruned"))
                return
            score = outcome.val_score
            good = outcome.status in ("ok", "cached") and score is not None and math.isfinite(score)
            if not good and outcome.status in ("ok", "cached"):
                trial.set_user_attr("status", f"{outcome.status} without a score")
            values = [float(score) if good else FAILED_SCORE]
            for name in self.objectives[1:]:
                if not good:
                    values.append(FAILED_COST)
                elif name == "complexity":
                    values.append(float(outcome.complexity or candidate.expression.complexity))
                else:
                    values.append(float(outcome.cost))
            self.study.tell(trial, values if self.multi else values[0])
            if fp is not None:
                self._told[fp] = ("complete", values if self.multi else values[0], "ok" if good else "failed")

    def pruner(self, candidate: Candidate) -> Callable[[int, float], bool] | None:
        """``(epoch, val_score) -> stop?``: report to the trial, ask its pruner; None without one.

        An epoch already reported (a second training seed) is not reported again.
        """
        trial = candidate.info.get("trial")
        if self.pruner_name is None or trial is None:
            return None
        reported = self._reported.setdefault(trial.number, {})

        def should_prune(epoch: int, val_score: float) -> bool:
            with _quiet():
                if val_score is not None and math.isfinite(val_score) and int(epoch) not in reported:
                    trial.report(float(val_score), int(epoch))
                    reported[int(epoch)] = float(val_score)
                return bool(reported) and bool(trial.should_prune())

        return should_prune

    # --- warm start ---------------------------------------------------------------
    def warm_start(self, expressions: Iterable) -> None:
        for item in expressions:
            params = self._match(item)
            if params is None:
                self.warm_start_unmatched.append(str(item))
                continue
            with _quiet():
                self.study.enqueue_trial(params)
            self.warm_started += 1

    def _params_for(self, choices: dict, values: dict | None = None) -> dict | None:
        """Optuna parameters for slot choices (and parameter values), or None if invalid."""
        units = self.space.units
        n_units = choices.get("n_units")
        if n_units is None:
            n_units = 1 + max((int(k.rsplit("_", 1)[1]) for k in choices
                               if k[:2] in ("u1", "u2", "b_") and k.rsplit("_", 1)[-1].isdigit()), default=0)
        if n_units not in units:
            return None
        params: dict[str, Any] = {"n_units": int(n_units)} if len(units) > 1 else {}
        full = {}
        for slot, options in self.space.slots(n_units):
            value = choices.get(slot)
            if value is None and slot.startswith("in"):  # build's defaults: previous unit and x
                k = int(slot.rsplit("_", 1)[1])
                value = f"unit{k - 1}" if slot.startswith("in1") else "x"
            if value not in options:
                return None
            full[slot] = params[slot] = value
        try:
            expr = self.space.build(full, n_units)
        except Exception:  # noqa: BLE001 - a broken choices dict is simply not a match
            return None
        values = {**(values or {}), **{k: v for k, v in choices.items() if k in expr.params}}
        for param, default in expr.params.items():
            bounds = self._sampled(param, default)
            if bounds is not None:
                lo, hi = bounds
                params[param] = min(max(float(values.get(param, default)), lo), hi)
        return params

    def _build_index(self) -> None:
        """Every assignment with its expression (only the one-unit ones in a big space)."""
        self._index = []
        one_unit = math.prod(len(c) for _, c in self.space.slots(1))
        if self.space.size() <= MAX_INDEX:
            assignments = self.space.enumerate()
        elif 1 in self.space.units and one_unit <= MAX_INDEX:
            assignments = _one_unit(self.space.enumerate())
        else:
            assignments = iter(())
        for choices in assignments:
            expr = self.space.build(choices, choices["n_units"])
            i = len(self._index)
            self._index.append((choices, expr))
            self._by_tree.setdefault(expr.tree, i)
            with contextlib.suppress(Exception):
                self._by_fp.setdefault(expr.fingerprint, i)

    def _match(self, item) -> dict | None:
        if isinstance(item, dict):
            return self._params_for(item)
        choices = getattr(item, "choices", None)
        if isinstance(choices, dict):
            return self._params_for(choices, getattr(item, "params", None))
        if not isinstance(item, Expression):
            return None
        if self._index is None:
            self._build_index()
        i = self._by_tree.get(item.tree)
        if i is not None:
            return self._params_for(self._index[i][0], item.params)
        try:
            fp = item.fingerprint
        except Exception:  # noqa: BLE001
            return None
        i = self._by_fp.get(fp)
        if i is not None:
            return self._params_for(self._index[i][0])
        if item.params:  # same function up to parameter names: try the values by position
            values = list(item.params.values())
            for choices, expr in self._index:
                if len(expr.params) == len(values):
                    renamed = dict(zip(expr.params, values))
                    with contextlib.suppress(Exception):
                        if Expression(expr.tree, renamed).fingerprint == fp:
                            return self._params_for(choices, renamed)
        return None

    # --- report -----------------------------------------------------------------
    def summary(self) -> dict:
        trials = self.study.trials
        counts = {
            "n_trials": len(trials),
            "n_repeats": sum(t.user_attrs.get("status") == "repeat" for t in trials),
            "n_pruned": sum(t.user_attrs.get("status") == "pruned" for t in trials),
            "n_failed": sum(t.user_attrs.get("status") in ("rejected", "diverged") or
                            " without a score" in t.user_attrs.get("status", "") for t in trials),
            "sampler": self.sampler_name,
        }
        if self.warm_started or self.warm_start_unmatched:
            counts["warm_started"] = self.warm_started
            counts["warm_start_unmatched"] = list(self.warm_start_unmatched)
        good = [t for t in trials if t.state.name == "COMPLETE" and (
            t.user_attrs.get("status") in GOOD or t.user_attrs.get("repeat_of") in GOOD)]
        if not self.multi:
            best = max(good, key=lambda t: (t.value, -t.number), default=None)
            return {"best": None if best is None else self._entry(best), **counts}
        front, seen = [], set()
        good_numbers = {t.number for t in good}
        for t in self.study.best_trials:
            key = t.user_attrs.get("fingerprint", t.user_attrs.get("expression"))
            if t.number in good_numbers and key not in seen:
                seen.add(key)
                front.append(self._entry(t))
        front.sort(key=lambda e: (-e["val_score"], e[self.objectives[1]]))
        return {"pareto_front": front, "objectives": list(self.objectives), **counts}

    def _entry(self, t) -> dict:
        values = t.values
        entry = {"expression": t.user_attrs.get("expression"), self.objectives[0]: values[0]}
        for name, value in zip(self.objectives[1:], values[1:]):
            entry[name] = value
        entry["trial"] = t.number
        entry["params"] = dict(t.params)
        return entry


def _state(name: str):
    from optuna.trial import TrialState

    return TrialState[name]


def _one_unit(assignments):
    """The one-unit assignments, which :meth:`Space.enumerate` yields first."""
    for choices in assignments:
        if choices["n_units"] != 1:
            return
        yield choices
