"""Where training runs: in this process, in a pool of worker processes, or on Dask.

Every executor maps :class:`Task` objects to the fields of a results row and
yields them in the order of the tasks, so the table does not depend on how many
workers there are.  BLAS is pinned to one thread everywhere: at these sizes one
thread per process is fastest, and it makes results the same bit for bit
whichever executor computed them.

Worker processes are started once per search and keep the dataset and the
training protocol from their start, so a task sends only the expression.

>>> from actsearch.datasets import load_dataset
>>> from actsearch.networks import TrainConfig
>>> ex = SerialExecutor(load_dataset("moons"), TrainConfig(hidden=(4,), epochs=1))
>>> [row["status"] for row in ex.map([Task("tanh(x)", {}, (0,))])]
['ok']
>>> ex.close()
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator

import numpy as np

from .datasets import Dataset
from .expression import parse
from .networks import TrainConfig, Trainer, TrainResult
from .results import dumps_scores


@dataclass
class Task:
    """One candidate to train: its text, parameter values, training seeds, and any
    training settings that differ from the protocol (``train``)."""

    expression: str
    params: dict = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    pruner: Callable[[int, float], bool] | None = None  # in-process only
    train: dict = field(default_factory=dict)


def train_candidate(task: Task, data: Dataset, config: TrainConfig) -> dict:
    """Train ``task`` over its seeds; the status, scores and timing fields of a row.

    Stops at the first seed that diverges or is pruned: the candidate's fate is
    decided and more seeds would only cost time.  A numeric or shape error
    inside training is recorded as ``diverged``, so one odd candidate cannot
    end a long search.
    """
    expr = parse(task.expression, params=task.params)
    trainer = Trainer(expr, data, replace(config, **task.train) if task.train else config)
    results = []
    for i, seed in enumerate(task.seeds):
        try:
            r = trainer.fit(seed, on_epoch=task.pruner if i == 0 else None)
        except (ArithmeticError, ValueError, TypeError) as exc:
            r = TrainResult(status="diverged", reason=f"training failed: {type(exc).__name__}: {exc}")
        results.append(r)
        if r.status in ("pruned", "diverged"):
            break
    statuses = [r.status for r in results]
    val = [r.val_score for r in results if r.status == "ok"]
    test = [r.test_score for r in results if r.status == "ok"]
    if "pruned" in statuses:
        status, reason = "pruned", next(r.reason for r in results if r.status == "pruned")
    elif "diverged" in statuses:
        status, reason = "diverged", next(r.reason for r in results if r.status == "diverged")
    else:
        status, reason = "ok", next((r.reason for r in results if r.reason), "")
    ok = status == "ok"
    return {
        "status": status, "reason": reason, "seeds": len(results),
        "val_score": float(np.mean(val)) if ok else math.nan,
        "val_score_std": float(np.std(val, ddof=1)) if ok and len(val) > 1 else (0.0 if ok else math.nan),
        "test_score": float(np.mean(test)) if ok else math.nan,
        "test_score_std": float(np.std(test, ddof=1)) if ok and len(test) > 1 else (0.0 if ok else math.nan),
        "test_scores": dumps_scores(r.test_score for r in results),
        "epochs": float(np.mean([r.epochs for r in results])),
        "train_seconds": float(sum(r.seconds for r in results)),
        "val_history": dumps_scores(results[0].val_history) if results and results[0].val_history else "",
        "learned": _mean_learned([r.learned for r in results if r.status == "ok" and r.learned]),
        "init": trainer.init, "init_gain": trainer.init_rule.gain,
    }


def _mean_learned(learned: list[dict]) -> str:
    """Learned parameter values, mean per layer over the seeds, as JSON ('' when none)."""
    if not learned:
        return ""
    names = learned[0]
    return json.dumps({name: [round(float(v), 6) for v in np.mean([d[name] for d in learned], axis=0)]
                       for name in names}, sort_keys=True)


def _lost(exc: BaseException) -> dict:
    """The row fields of an evaluation whose worker died: recorded, never dropped."""
    return {"status": "diverged", "reason": f"evaluation lost: {type(exc).__name__}: {exc}".splitlines()[0],
            "seeds": 0, "train_seconds": 0.0}


class SerialExecutor:
    """Train in this process, one task after another (pruners work only here)."""

    workers = 1

    def __init__(self, data: Dataset, config: TrainConfig):
        from threadpoolctl import threadpool_limits

        self.data, self.config = data, config
        self._limits = threadpool_limits(1)

    def map(self, tasks: Iterable[Task]) -> Iterator[dict]:
        for task in tasks:
            yield train_candidate(task, self.data, self.config)

    def close(self) -> None:
        self._limits.restore_original_limits()


_WORKER: dict = {}


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """End this worker once its parent is gone.

    A pool's workers wait on a queue that a SIGKILLed parent never closes,
    so without this they would live on as orphans, holding a core each.
    """
    import threading

    def watch():
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="actsearch-parent-watch", daemon=True).start()


def _init_worker(data: Dataset, config: TrainConfig, parent: int | None = None) -> None:
    from threadpoolctl import threadpool_limits

    if parent is not None:
        _exit_with_parent(parent)
    threadpool_limits(1)
    _WORKER["data"], _WORKER["config"] = data, config


def _train_in_worker(task: Task) -> dict:
    return train_candidate(task, _WORKER["data"], _WORKER["config"])


class ProcessExecutor:
    """A pool of long-lived worker processes on this machine.

    Workers start with ``spawn`` (no state forked from a half-initialised
    parent), import once, and keep the dataset for the whole search.
    """

    def __init__(self, data: Dataset, config: TrainConfig, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker, initargs=(data, config, os.getpid()))

    def map(self, tasks: Iterable[Task]) -> Iterator[dict]:
        futures = [self.pool.submit(_train_in_worker, task) for task in tasks]
        try:
            for future in futures:
                try:
                    yield future.result()
                except Exception as exc:  # a worker process died (BrokenProcessPool) or failed
                    yield _lost(exc)
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _train_on_dask(task: Task, data: Dataset, config: TrainConfig) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return train_candidate(task, data, config)


class DaskExecutor:
    """Tasks on a Dask cluster: ``"local"`` starts a LocalCluster, else a scheduler address.

    Each task may be retried once on another worker if its worker dies; a task
    that still fails is recorded as a lost evaluation, never dropped.
    """

    def __init__(self, data: Dataset, config: TrainConfig, address: str, workers: int = 2):
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers
        self.config = config
        self.data = self.client.scatter(data, broadcast=True)

    def map(self, tasks: Iterable[Task]) -> Iterator[dict]:
        tasks = list(tasks)
        if not tasks:
            return
        futures = self.client.map(_train_on_dask, tasks, data=self.data, config=self.config,
                                  pure=False, retries=1)
        try:
            for future in futures:
                try:
                    yield future.result()
                except Exception as exc:
                    yield _lost(exc)
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(data: Dataset, config: TrainConfig, workers: int = 1, dask: str | None = None):
    """The executor for ``--workers N`` and ``--dask ADDRESS|local``."""
    if dask:
        return DaskExecutor(data, config, dask, workers=max(workers, 2) if dask == "local" else workers)
    if workers > 1:
        return ProcessExecutor(data, config, workers)
    return SerialExecutor(data, config)
