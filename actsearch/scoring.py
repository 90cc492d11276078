"""Scorers: train one candidate over seeds under one protocol, and the row fields that come of it.

A scorer is the one place where a candidate is trained.  :class:`Scorer` is
its small interface (one method, :meth:`Scorer.train_seeds`); the executors
(:mod:`actsearch.executors`) map a scorer over tasks, in this process, a pool
or Dask, and :func:`actsearch.evaluate` asks it for one result per seed.
:class:`NumpyScorer`, our own NumPy trainer, is the first implementation;
another backend (PyTorch) is another subclass.

>>> from actsearch.datasets import load_dataset
>>> from actsearch.networks import TrainConfig
>>> scorer = NumpyScorer(load_dataset("moons"), TrainConfig(hidden=(4,), epochs=2))
>>> fields = scorer.score(Task("tanh(x)", {}, (0, 1)))
>>> fields["status"], fields["seeds"]
('ok', 2)
"""

from __future__ import annotations

import abc
import json
import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from .expression import Expression, parse
from .networks import TrainConfig, Trainer, TrainResult
from .results import dumps_scores

#: Exceptions inside training that are the candidate's result (``diverged``), not a crash.
TRAINING_FAILURES = (ArithmeticError, ValueError, TypeError)


@dataclass
class Task:
    """One candidate to train: its text, parameter values, training seeds, and any
    training settings that differ from the protocol (``train``)."""

    expression: str
    params: dict = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    pruner: Callable[[int, float], bool] | None = None  # in-process only
    train: dict = field(default_factory=dict)
    #: racing (:mod:`actsearch.racing`): pause after this epoch (None: train to the end), going on from
    #: ``resume``, the seeds' states at the rung below (a paused run's checkpoint, or a finished result)
    until: int | None = None
    resume: tuple = ()
    #: one rung of a race: its row fields then carry the seeds' states for the next rung (``carry``)
    raced: bool = False


@dataclass(frozen=True)
class SeedRuns:
    """One :class:`~actsearch.networks.TrainResult` per seed trained, with the initialisation used."""

    seeds: tuple[int, ...]
    results: tuple[TrainResult, ...]
    init: str
    init_gain: float


class Scorer(abc.ABC):
    """Train a candidate over seeds under one protocol (a dataset and training settings).

    Subclasses implement :meth:`train_seeds`; :meth:`score` turns its results
    into the fields of a results row.  A scorer must be picklable: the
    process pool and Dask send it to their workers once.  One that can pause a
    training and go on with it (``until``/``resume``, see :class:`Task`) sets
    ``supports_racing``, and only then can a search race its candidates.
    """

    #: whether :meth:`train_seeds` takes ``until`` and ``resume`` (racing's rungs)
    supports_racing = False

    @abc.abstractmethod
    def train_seeds(self, expr: Expression, seeds: Sequence[int], *, pruner=None, train: dict | None = None,
                    stop_on_failure: bool = True) -> SeedRuns:
        """Train ``expr`` once per seed.  ``pruner(epoch, val_score) -> stop?`` watches the first seed;
        ``train`` overrides training settings; with ``stop_on_failure`` the seeds stop at the first that
        diverges or is pruned (the candidate's fate is decided).  A numeric failure is a ``diverged``
        result, never an exception."""

    def score(self, task: Task) -> dict:
        """The status, scores and timing fields of ``task``'s row (see :func:`row_fields`).

        A raced task's fields also hold ``carry``, the seeds' states for the next rung (not a column), and
        its ``train_seconds`` is the time of this rung alone."""
        expr = parse(task.expression, params=task.params)
        if not task.raced:
            return row_fields(self.train_seeds(expr, task.seeds, pruner=task.pruner, train=task.train))
        began = time.perf_counter()
        runs = self.train_seeds(expr, task.seeds, pruner=task.pruner, train=task.train, until=task.until,
                                resume=task.resume)
        carry = tuple(r.checkpoint if r.checkpoint is not None else replace(r, net=None) for r in runs.results)
        return {**row_fields(runs), "train_seconds": time.perf_counter() - began, "carry": carry}


class NumpyScorer(Scorer):
    """Scores with actsearch's own NumPy trainer (:class:`~actsearch.networks.Trainer`)."""

    name = "numpy"
    supports_racing = True

    def __init__(self, data, config: TrainConfig):
        self.data, self.config = data, config

    def train_seeds(self, expr: Expression, seeds: Sequence[int], *, pruner=None, train: dict | None = None,
                    stop_on_failure: bool = True, until: int | None = None, resume: tuple = ()) -> SeedRuns:
        """See :meth:`Scorer.train_seeds`; ``until`` pauses each seed after that epoch and ``resume[i]`` is
        seed ``i``'s state at the rung below: a checkpoint to go on from, or a finished result to keep."""
        trainer = Trainer(expr, self.data, replace(self.config, **train) if train else self.config)
        results = []
        for i, seed in enumerate(seeds):
            before = resume[i] if i < len(resume) else None
            try:
                if isinstance(before, TrainResult):  # finished at a lower rung: its result stands
                    r = before
                else:
                    r = trainer.fit(seed, on_epoch=pruner if i == 0 else None, until=until, resume=before)
            except TRAINING_FAILURES as exc:
                r = TrainResult(status="diverged", reason=f"training failed: {type(exc).__name__}: {exc}")
            results.append(r)
            if stop_on_failure and r.status in ("pruned", "diverged"):
                break
        return SeedRuns(tuple(seeds[:len(results)]), tuple(results), trainer.init, trainer.init_rule.gain)


def scorer_for(data, train: TrainConfig, model: str | None = None, *, replace_modules: bool = False,
               device: str = "cpu") -> Scorer:
    """The scorer of a protocol: the NumPy MLP of ``train`` (``model`` None), or the torch ``model``
    (``resmlp``, ``cnn``, ``PATH.py:FUNCTION``) trained with ``train``'s settings.

    >>> from actsearch.datasets import load_dataset
    >>> type(scorer_for(load_dataset("moons"), TrainConfig())).__name__
    'NumpyScorer'
    """
    if model is None:
        return NumpyScorer(data, train)
    from .torch_backend.scorer import TorchConfig, TorchScorer

    return TorchScorer(data, TorchConfig.from_protocol(train, device), model, replace_modules, protocol=train)


def _mean_learned(learned: list[dict]) -> str:
    """Learned parameter values, mean per layer over the seeds, as JSON ('' when none)."""
    if not learned:
        return ""
    names = learned[0]
    return json.dumps({name: [round(float(v), 6) for v in np.mean([d[name] for d in learned], axis=0)]
                       for name in names}, sort_keys=True)


def _mean_std(values: list[float], ok: bool) -> tuple[float, float]:
    if not ok:
        return math.nan, math.nan
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def row_fields(runs: SeedRuns) -> dict:
    """The fields of a results row from a candidate's seeds: pruned if any seed was, else diverged if any
    seed diverged, else ok with the mean and sample std of the scores over the seeds."""
    results = runs.results
    statuses = [r.status for r in results]
    if "pruned" in statuses:
        status, reason = "pruned", next(r.reason for r in results if r.status == "pruned")
    elif "diverged" in statuses:
        status, reason = "diverged", next(r.reason for r in results if r.status == "diverged")
    else:
        status, reason = "ok", next((r.reason for r in results if r.reason), "")
    ok = status == "ok"
    val_score, val_score_std = _mean_std([r.val_score for r in results if r.status == "ok"], ok)
    test_score, test_score_std = _mean_std([r.test_score for r in results if r.status == "ok"], ok)
    return {
        "status": status, "reason": reason, "seeds": len(results),
        "val_score": val_score, "val_score_std": val_score_std,
        "test_score": test_score, "test_score_std": test_score_std,
        "test_scores": dumps_scores(r.test_score for r in results),
        "epochs": float(np.mean([r.epochs for r in results])),
        "train_seconds": float(sum(r.seconds for r in results)),
        "val_history": dumps_scores(results[0].val_history) if results and results[0].val_history else "",
        "learned": _mean_learned([r.learned for r in results if r.status == "ok" and r.learned]),
        "init": runs.init, "init_gain": runs.init_gain,
    }
