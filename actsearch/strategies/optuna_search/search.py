"""Optuna: a study over the slots of a core-unit space, driven by ask and tell.

Each candidate is one Optuna trial.  :meth:`OptunaSearch.ask` creates the
trial and samples, in order, the number of units (only when the space allows
more than one), one categorical per slot (``u1_0``, ``u2_0``, ``b_0``,
``in1_1``, ...) and one float per parameter that the built expression has
(``beta_u1``, ``beta_b_0``, ...).  :meth:`OptunaSearch.tell` hands the outcome
back.  Training happens elsewhere, so the study never calls an objective.

Options (keyword arguments, all optional; :class:`OptunaOptions`):

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
    None (default; ``"none"`` too), ``"median"``, ``"successive_halving"`` or ``"hyperband"``;
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError
from ...results import SCORED_STATUSES
from ...spaces import SpaceError
from ..base import Candidate, Outcome, Strategy, option
from .slots import WarmStartIndex, sample
from .study import OBJECTIVES, PRUNERS, SAMPLERS, make_pruner, make_sampler, objective_names, quiet, \
    sampler_name, trial_state

#: The score told for rejected and diverged candidates: below any real score.
FAILED_SCORE = -1e12
#: The complexity or cost told for them in a multi-objective study: above any real one.
FAILED_COST = 1e12
MAX_REDRAWS = 20


@dataclass(frozen=True)
class OptunaOptions:
    """The options of :class:`OptunaSearch` (see the module docstring for what each does).

    ``objectives`` as text separates names with commas; ``storage`` is a URL
    or an Optuna storage object.

    >>> OptunaOptions().batch
    4
    """

    sampler: str | None = option(None, choices=SAMPLERS)  # default: tpe, or nsga2 for two objectives
    pruner: str | None = option(None, choices=PRUNERS)
    pruner_options: dict | None = None
    objectives: tuple[str, ...] | None = None  # default: val_score alone
    batch: int = option(4, low=1)
    dedupe: bool = True
    storage: Any = None
    study_name: str | None = None
    n_startup_trials: int | None = None  # default: 10 for TPE, 1 for CMA-ES
    multivariate: bool = True
    group: bool = False
    population_size: int | None = None  # NSGA-II's; default from the budget


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
    options_type = OptunaOptions

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        import optuna

        o = self.settings
        # Trials asked together before any is told: the unit of parallel work.
        # With more than one, TPE's constant liar keeps them apart.
        self.batch_size = o.batch
        if space.kind != "core_unit":
            raise SpaceError(f"{space.source or space.name}: optuna needs a core_unit space, "
                             f"not a {space.kind} space")
        self.objectives = objective_names(o.objectives)
        self.multi = len(self.objectives) > 1
        self.sampler_name = sampler_name(o.sampler, self.multi)
        if o.pruner is not None and self.multi:
            raise ConfigError(f"pruner {o.pruner!r} needs a single objective; Optuna cannot prune "
                              f"multi-objective trials")
        self.pruner_name = o.pruner
        self.dedupe = o.dedupe

        seed = int(self.rng.integers(2**31))
        # the constant liar only matters when several workers share a storage
        liar = o.storage is not None or self.batch_size > 1
        with quiet():
            self.study = optuna.create_study(
                storage=o.storage, study_name=o.study_name, load_if_exists=True,
                sampler=make_sampler(self.sampler_name, seed, o, budget, constant_liar=liar),
                pruner=make_pruner(o.pruner, o.pruner_options),
                directions=[OBJECTIVES[name] for name in self.objectives],
            )
        if [d.name.lower() for d in self.study.directions] != [OBJECTIVES[name] for name in self.objectives]:
            raise ConfigError(f"study {self.study.study_name!r} in the storage has other objectives "
                              f"than {','.join(self.objectives)}")
        # fingerprint -> ("complete", values, "ok"/"failed") or ("pruned", {step: value}, "pruned")
        self._told: dict[str, tuple[str, Any]] = {}
        self._reported: dict[int, dict[int, float]] = {}
        self._warm_index = WarmStartIndex(space)
        self.warm_started = 0
        self.warm_start_unmatched: list[str] = []

    # --- ask and tell -----------------------------------------------------------
    def ask(self) -> Candidate:
        with quiet():
            for attempt in range(MAX_REDRAWS + 1):
                trial = self.study.ask()
                choices, expr = sample(trial, self.space)
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
                self._tell_repeat(trial, known)
        return Candidate(expr, trial=trial.number, info={"trial": trial, "choices": choices})

    def _tell_repeat(self, trial, known: tuple) -> None:
        """A function already told: tell the same result (the driver draws again)."""
        trial.set_user_attr("status", "repeat")
        trial.set_user_attr("repeat_of", known[2])
        if known[0] == "complete":
            self.study.tell(trial, known[1])
        else:
            for step, value in sorted(known[1].items()):
                trial.report(value, step)
            self.study.tell(trial, state=trial_state("PRUNED"))

    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        trial = candidate.info.get("trial")
        if trial is None:
            return
        fp = None
        with contextlib.suppress(Exception):
            fp = candidate.expression.fingerprint
        with quiet():
            reported = self._reported.setdefault(trial.number, {})
            if outcome.history and not reported and not self.multi:
                for step, value in enumerate(outcome.history, start=1):
                    if math.isfinite(value):
                        trial.report(float(value), step)
                        reported[step] = float(value)
            trial.set_user_attr("status", outcome.status)
            if outcome.status == "pruned":
                self.study.tell(trial, state=trial_state("PRUNED"))
                if fp is not None:
                    self._told.setdefault(fp, ("pruned", dict(reported), "pruned"))
                return
            good, values = self._values(trial, candidate, outcome)
            self.study.tell(trial, values if self.multi else values[0])
            if fp is not None:
                self._told[fp] = ("complete", values if self.multi else values[0], "ok" if good else "failed")

    def _values(self, trial, candidate: Candidate, outcome: Outcome) -> tuple[bool, list[float]]:
        """Whether the outcome has a real score, and the objective values to tell."""
        score = outcome.val_score
        good = outcome.status in SCORED_STATUSES and score is not None and math.isfinite(score)
        if not good and outcome.status in SCORED_STATUSES:
            trial.set_user_attr("status", f"{outcome.status} without a score")
        values = [float(score) if good else FAILED_SCORE]
        for name in self.objectives[1:]:
            if not good:
                values.append(FAILED_COST)
            elif name == "complexity":
                values.append(float(outcome.complexity or candidate.expression.complexity))
            else:
                values.append(float(outcome.cost))
        return good, values

    def pruner(self, candidate: Candidate) -> Callable[[int, float], bool] | None:
        """``(epoch, val_score) -> stop?``: report to the trial, ask its pruner; None without one.

        An epoch already reported (a second training seed) is not reported again.
        """
        trial = candidate.info.get("trial")
        if self.pruner_name is None or trial is None:
            return None
        reported = self._reported.setdefault(trial.number, {})

        def should_prune(epoch: int, val_score: float) -> bool:
            with quiet():
                if val_score is not None and math.isfinite(val_score) and int(epoch) not in reported:
                    trial.report(float(val_score), int(epoch))
                    reported[int(epoch)] = float(val_score)
                return bool(reported) and bool(trial.should_prune())

        return should_prune

    # --- warm start ---------------------------------------------------------------
    def warm_start(self, expressions: Iterable) -> None:
        """Enqueue the trials of these candidates, first asked in this order (see the class docstring)."""
        for item in expressions:
            params = self._warm_index.match(item)
            if params is None:
                self.warm_start_unmatched.append(str(item))
                continue
            with quiet():
                self.study.enqueue_trial(params)
            self.warm_started += 1

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
        scored = SCORED_STATUSES
        good = [t for t in trials if t.state.name == "COMPLETE" and (
            t.user_attrs.get("status") in scored or t.user_attrs.get("repeat_of") in scored)]
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
