"""A worker of a distributed search: ask the study, plan and evaluate as the driver does, store the row, tell.

Each running trial keeps a heartbeat from a thread (:class:`Heartbeat`), and
the worker fails the trials of dead workers so that another attempt retries them
(see "Crashed workers" in :mod:`actsearch.distributed`).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..config import write_settings
from ..planner import Run, outcome
from .common import (CANDIDATE_ATTR, HEARTBEAT_ATTR, INTERRUPTED_ATTR, ROW_ATTR, SURPLUS_ATTR, WORKER_ATTR,
                     DistributedError, shown_url)
from ..results import json_safe
from .ledger import Ledger, study_table_rows
from .storage import is_rdb, must_exist, open_storage, quiet_optuna, retry_callback
from .study import load_study, study_run_id, study_settings
from .table import locked, table_frame, write_csv


class Heartbeat:
    """A thread that keeps one running trial alive in the storage."""

    def __init__(self, storage, trial_id: int, interval: float, rdb: bool):
        self.storage, self.trial_id, self.interval, self.rdb = storage, trial_id, interval, rdb
        self._stop = threading.Event()
        self.beat()  # the first beat before ask returns to the caller
        self._thread = threading.Thread(target=self._run, name=f"actsearch-heartbeat-{trial_id}", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        # a missed beat is retried at the next interval; a finished trial needs none
        with contextlib.suppress(Exception):
            if self.rdb:
                self.storage.record_heartbeat(self.trial_id)
            else:
                self.storage.set_trial_system_attr(self.trial_id, HEARTBEAT_ATTR, time.time())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class WorkerReport:
    """What one worker did: the eval_ids it recorded, surplus trials it gave back, and the table."""

    worker_id: str
    study_name: str
    budget: int
    evaluated: list[int] = field(default_factory=list)
    surplus: int = 0
    retried: int = 0
    interrupted: bool = False
    table: Any = None
    out: str | None = None


class Worker:
    """One process evaluating trials of a distributed search; see :func:`run_worker`."""

    def __init__(self, storage, study_name: str, out: str | None, worker_id: str | None, poll: float,
                 log=None):
        import secrets

        import numpy as np

        from ..datasets import load_dataset
        from ..executors import SerialExecutor
        from ..strategies.optuna_search import OptunaSearch

        must_exist(storage)
        plain = open_storage(storage)
        study = load_study(plain, study_name)
        if study is None:
            raise DistributedError(f"no study {study_name!r} in {shown_url(storage)}; create it with "
                                   "actsearch.distributed.create_distributed_study")
        self.config, space, self.liveness = study_settings(study, storage)
        if is_rdb(plain):  # the same database, with Optuna's heartbeat and the retry callback
            plain.engine.dispose()
            self.storage = open_storage(storage, **self.liveness)
        else:
            self.storage = plain
        self.rdb = is_rdb(self.storage)
        self.url, self.study_name, self.out, self.poll, self.log = storage, study_name, out, poll, log
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.retry = retry_callback(self.liveness["max_retry"])
        data = load_dataset(self.config.dataset, target=self.config.target, task=self.config.task,
                            seed=self.config.split_seed)
        self.run = Run(self.config, data, space, run_id=study_run_id(study_name, self.config))
        # in this process: the pruner reports to the trial
        self.executor = SerialExecutor(self.config.scorer(data))
        # each worker samples with its own seed: workers with one seed would propose the same candidates
        rng = np.random.default_rng([int(self.config.seed), secrets.randbits(63)])
        options = {**self.config.strategy_options, "storage": self.storage, "study_name": study_name,
                   "dedupe": False}
        self.strategy = OptunaSearch(space, rng, self.config.budget, **options)
        self.study = self.strategy.study
        self.study_id = self.storage.get_study_id_from_name(study_name)
        self._beats: dict[int, Heartbeat] = {}
        self.report = WorkerReport(self.worker_id, study_name, self.config.budget, out=out)
        if out is not None:
            with locked(out):
                write_settings(out, self.config)

    # --- heartbeats ------------------------------------------------------------------
    def trial_id(self, number: int) -> int:
        """The storage's id of this study's trial ``number``."""
        return self.storage.get_trial_id_from_study_id_trial_number(self.study_id, number)

    def _started(self, trial) -> None:
        with contextlib.suppress(Exception):
            trial.set_user_attr(WORKER_ATTR, self.worker_id)
        self._beats[trial.number] = Heartbeat(self.storage, self.trial_id(trial.number),
                                              self.liveness["heartbeat_interval"], self.rdb)

    def _stop_beat(self, number: int) -> None:
        beat = self._beats.pop(number, None)
        if beat is not None:
            beat.stop()

    def _sweep(self) -> None:
        """Fail the running trials of dead workers, and queue their retries."""
        import optuna
        from optuna.trial import TrialState

        with quiet_optuna():
            if self.rdb:
                optuna.storages.fail_stale_trials(self.study)
            running = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        now = time.time()
        grace = self.liveness["grace_period"]
        orphan = max(5 * grace, 300)  # asked, then killed before the first beat
        for t in running:
            if t.number in self._beats:
                continue
            if WORKER_ATTR in t.user_attrs:
                if self.rdb:
                    continue  # Optuna's heartbeat, above
                last, limit = t.system_attrs.get(HEARTBEAT_ATTR) or t.datetime_start.timestamp(), grace
            else:
                last, limit = t.datetime_start.timestamp() if t.datetime_start else now, orphan
            if now - last > limit:
                self._fail(t)

    def _fail(self, frozen, **user_attrs) -> None:
        """Tell a trial FAIL (unless it finished meanwhile) and queue its retry."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        storage, trial_id = self.storage, self.trial_id(frozen.number)
        try:
            for key, value in user_attrs.items():
                storage.set_trial_user_attr(trial_id, key, value)
            if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                return
        except UpdateFinishedTrialError:
            return
        self.retry(self.study, storage.get_trial(trial_id))
        self.report.retried += 1

    # --- the loop ----------------------------------------------------------------------
    def ledger(self) -> Ledger:
        with quiet_optuna():
            return Ledger.of(self.study.get_trials(deepcopy=False), self.config.budget)

    def run_loop(self) -> WorkerReport:
        max_retry = self.liveness["max_retry"]
        try:
            while True:
                self._sweep()
                ledger = self.ledger()
                if ledger.originals < self.config.budget or ledger.waiting():
                    self._one()
                    continue
                states = [ledger.state(s, max_retry) for s in range(self.config.budget)]
                if all(s in ("done", "failed") for s in states):
                    break
                time.sleep(self.poll)  # others' trials are running: they finish, or go stale and come back
        except KeyboardInterrupt:
            self.report.interrupted = True
        finally:
            for number in list(self._beats):
                self._stop_beat(number)
            self.executor.close()
        self.report.table = table_frame(self._write_out(), f"study {self.study_name!r}")
        return self.report

    def _write_out(self) -> list[dict]:
        """The table's rows from the storage; with ``out``, also OUT/evaluations.csv (read and written locked)."""
        lock = locked(self.out) if self.out is not None else contextlib.nullcontext()
        with lock:
            rows = study_table_rows(self.study, self.config, self.ledger(), self.liveness["max_retry"])
            if self.out is not None:
                write_csv(os.path.join(self.out, "evaluations.csv"), rows, self.run.run_id)
        return rows

    def _ask(self):
        """A candidate and its trial, with the trial's heartbeat running."""
        with quiet_optuna():
            cand = self.strategy.ask()
        trial = cand.info["trial"]
        self._started(trial)
        return cand, trial

    def _give_back_surplus(self, trial) -> None:
        """Tell a trial beyond the budget FAIL, marked surplus: it takes no slot and has no row."""
        from optuna.trial import TrialState

        self._stop_beat(trial.number)
        with quiet_optuna():
            trial.set_user_attr(SURPLUS_ATTR, True)
            self.study.tell(trial, state=TrialState.FAIL)
        self.report.surplus += 1

    def _one(self) -> None:
        from optuna.exceptions import UpdateFinishedTrialError

        cand, trial = self._ask()
        try:
            ledger = self.ledger()
            s = ledger.slot.get(trial.number)
            if s is None or ledger.state(s, self.liveness["max_retry"]) == "done":
                return self._give_back_surplus(trial)
            run = self.run
            with contextlib.suppress(Exception):
                trial.set_user_attr(CANDIDATE_ATTR, run.describe(cand.expression))
            self._sync_cache(ledger)
            row = self._evaluate(cand)
            row["eval_id"] = s
            try:
                with quiet_optuna():
                    trial.set_user_attr(ROW_ATTR, {k: json_safe(v) for k, v in row.items()})
                    self._stop_beat(trial.number)
                    self.strategy.tell(cand, outcome(row))
            except UpdateFinishedTrialError:
                # another worker took this trial for dead (no heartbeat for grace_period): its retry counts
                self._say(f"trial {trial.number} was failed as stale by another worker; its retry counts")
                return
            run.remember(run.key(cand.expression, cand.train), row)
            self.report.evaluated.append(s)
            score = row.get("val_score")
            score = f"{score:.4f}" if isinstance(score, float) and math.isfinite(score) else "-"
            self._say(f"eval {s} (trial {trial.number}): {row['status']} {score} {row['expression']}")
            if self.out is not None:
                self._write_out()
        except KeyboardInterrupt:
            self._stop_beat(trial.number)
            self._fail(trial, **{INTERRUPTED_ATTR: self.worker_id})
            raise

    def _evaluate(self, cand) -> dict:
        """The recorded search row of one candidate, planned as the driver plans it
        (:meth:`actsearch.planner.Run.plan`): a function already trained (by any worker) is
        ``cached``; else screened (``rejected``); else trained over the seeds in this process
        (BLAS pinned to one thread), with the strategy's pruner."""
        run = self.run
        try:
            plan = run.plan(cand, self.strategy)
            fields_ = plan.fields if plan.task is None else next(iter(self.executor.map([plan.task])))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - one odd candidate must not stop a worker
            fields_ = {"status": "diverged", "seeds": 0, "train_seconds": 0.0,
                       "reason": f"evaluation failed: {type(exc).__name__}: {exc}".splitlines()[0]}
        try:
            return run.search_row(cand, fields_)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:  # noqa: BLE001 - a function that cannot be described is still a row
            return run.record({"stage": "search", "strategy": self.config.strategy, "generation": cand.generation,
                               "trial": cand.trial, "expression": str(cand.expression), "complexity": 0,
                               **fields_})

    def _sync_cache(self, ledger: Ledger) -> None:
        """The run's cache (key -> first trained row) from every worker's finished rows."""
        rows = [t.user_attrs[ROW_ATTR] for t in ledger.trials if ROW_ATTR in t.user_attrs
                and t.state.is_finished() and ledger.slot.get(t.number) is not None]
        for row in sorted(rows, key=lambda r: r["eval_id"]):
            if not row.get("fingerprint"):
                continue
            row = {k: (math.nan if v is None and k.endswith(("score", "std")) else v) for k, v in row.items()}
            self.run.remember(self.run.row_key(row), row)

    def _say(self, text: str) -> None:
        if self.log is not None:
            print(f"worker {self.worker_id}: {text}", file=self.log, flush=True)


def run_worker(storage, study_name: str, out: str | None = None, worker_id: str | None = None, *,
               poll: float = 1.0, log=None) -> WorkerReport:
    """Join the distributed search ``study_name`` in ``storage`` and evaluate trials until its budget is spent.

    Returns a :class:`WorkerReport` whose ``table`` is the whole search table
    (every worker's rows, :func:`rebuild_table`).  With ``out``, the table is
    kept in ``OUT/evaluations.csv`` as the search goes.  ``poll`` is the wait
    in seconds between looks at the study once every budget slot is taken;
    ``log`` a stream for one line per evaluation.  Ctrl-C stops after giving
    the running trial back (``report.interrupted``).
    """
    return Worker(storage, study_name, out, worker_id, poll, log).run_loop()

