"""Where training runs: in this process, in a pool of worker processes, or on Dask.

Every executor maps a :class:`~actsearch.scoring.Scorer` over
:class:`~actsearch.scoring.Task` objects -- the fields of a results row for each -- and
yields them in the order of the tasks, so the table does not depend on how many
workers there are.  BLAS is pinned to one thread everywhere: at these sizes one
thread per process is fastest, and it makes results the same bit for bit
whichever executor computed them.

Worker processes are started once per search and keep the scorer (its dataset
and training protocol) from their start, so a task sends only the expression.

>>> from actsearch.datasets import load_dataset
>>> from actsearch.networks import TrainConfig
>>> from actsearch.scoring import NumpyScorer
>>> ex = SerialExecutor(NumpyScorer(load_dataset("moons"), TrainConfig(hidden=(4,), epochs=1)))
>>> [row["status"] for row in ex.map([Task("tanh(x)", {}, (0,))])]
['ok']
>>> ex.close()
"""

from __future__ import annotations

import os
import time
from typing import Iterable, Iterator

from .scoring import Scorer, Task

__all__ = ["DaskExecutor", "ProcessExecutor", "SerialExecutor", "Task", "fields_of", "first_done", "make_executor"]


def _lost(exc: BaseException) -> dict:
    """The row fields of an evaluation whose worker died: recorded, never dropped."""
    return {"status": "diverged", "reason": f"evaluation lost: {type(exc).__name__}: {exc}".splitlines()[0],
            "seeds": 0, "train_seconds": 0.0}


def fields_of(future) -> dict:
    """The row fields a finished ``future`` of :meth:`submit` holds (a lost evaluation if it failed)."""
    try:
        return future.result()
    except Exception as exc:  # a worker process died (BrokenProcessPool) or failed
        return _lost(exc)


def first_done(futures: list, wait=None):
    """The first of ``futures`` (in their order) that has finished, waiting for one if none has; ``wait`` is
    :func:`concurrent.futures.wait` (default) or Dask's, which take the same arguments."""
    if wait is None:
        from concurrent.futures import wait

    done = [f for f in futures if f.done()]
    if not done:
        wait(futures, return_when="FIRST_COMPLETED")
        done = [f for f in futures if f.done()]
    return done[0]


class SerialExecutor:
    """Train in this process, one task after another (pruners work only here)."""

    workers = 1

    def __init__(self, scorer: Scorer):
        from threadpoolctl import threadpool_limits

        self.scorer = scorer
        self._limits = threadpool_limits(1)

    def map(self, tasks: Iterable[Task]) -> Iterator[dict]:
        for task in tasks:
            yield self.scorer.score(task)

    def submit(self, task: Task):
        """Train ``task`` now; a finished future of its row fields (as the other executors return)."""
        from concurrent.futures import Future

        future = Future()
        future.set_result(self.scorer.score(task))
        return future

    def wait_one(self, futures: list):
        """One finished future of ``futures`` (see :func:`first_done`)."""
        return first_done(futures)

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


def _init_worker(scorer: Scorer, parent: int | None = None) -> None:
    from threadpoolctl import threadpool_limits

    if parent is not None:
        _exit_with_parent(parent)
    threadpool_limits(1)
    _WORKER["scorer"] = scorer


def _train_in_worker(task: Task) -> dict:
    return _WORKER["scorer"].score(task)


class ProcessExecutor:
    """A pool of long-lived worker processes on this machine.

    Workers start with ``spawn`` (no state forked from a half-initialised
    parent), import once, and keep the scorer (and its dataset) for the whole search.
    """

    def __init__(self, scorer: Scorer, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker, initargs=(scorer, os.getpid()))

    def map(self, tasks: Iterable[Task]) -> Iterator[dict]:
        futures = [self.submit(task) for task in tasks]
        try:
            for future in futures:
                yield fields_of(future)
        finally:
            for future in futures:
                future.cancel()

    def submit(self, task: Task):
        """Start ``task`` on a free worker; a future of its row fields."""
        return self.pool.submit(_train_in_worker, task)

    def wait_one(self, futures: list):
        """One finished future of ``futures`` (see :func:`first_done`)."""
        return first_done(futures)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _train_on_dask(task: Task, scorer: Scorer) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return scorer.score(task)


class DaskExecutor:
    """Tasks on a Dask cluster: ``"local"`` starts a LocalCluster, else a scheduler address.

    Each task may be retried once on another worker if its worker dies; a task
    that still fails is recorded as a lost evaluation, never dropped.
    """

    def __init__(self, scorer: Scorer, address: str, workers: int = 2):
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers
        self.scorer = self.client.scatter(scorer, broadcast=True)

    def map(self, tasks: Iterable[Task]) -> Iterator[dict]:
        tasks = list(tasks)
        if not tasks:
            return
        futures = self.client.map(_train_on_dask, tasks, scorer=self.scorer, pure=False, retries=1)
        try:
            for future in futures:
                yield fields_of(future)
        finally:
            self.client.cancel(futures)

    def submit(self, task: Task):
        """Start ``task`` on the cluster; a Dask future of its row fields."""
        return self.client.submit(_train_on_dask, task, scorer=self.scorer, pure=False, retries=1)

    def wait_one(self, futures: list):
        """One finished future of ``futures`` (see :func:`first_done`)."""
        from dask.distributed import wait

        return first_done(futures, wait)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(scorer: Scorer, workers: int = 1, dask: str | None = None):
    """The executor for ``--workers N`` and ``--dask ADDRESS|local``, mapping ``scorer``.

    >>> from actsearch.datasets import load_dataset
    >>> from actsearch.networks import TrainConfig
    >>> from actsearch.scoring import NumpyScorer
    >>> executor = make_executor(NumpyScorer(load_dataset("moons"), TrainConfig()), workers=1)
    >>> executor.workers
    1
    >>> executor.close()
    """
    if dask:
        return DaskExecutor(scorer, dask, workers=max(workers, 2) if dask == "local" else workers)
    if workers > 1:
        return ProcessExecutor(scorer, workers)
    return SerialExecutor(scorer)
