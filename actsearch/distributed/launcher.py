"""A whole distributed search from one call: create the study, evaluate with this and worker processes, then
the final stage here."""

from __future__ import annotations

import os
import subprocess
import sys

from ..errors import ConfigError
from .common import GRACE_PERIOD, HEARTBEAT_INTERVAL, MAX_RETRY
from .common import default_storage
from .study import create_distributed_study
from .table import locked, write_csv
from .worker import Worker


def _start_workers(storage: str, study_name: str, out: str | None, me: Worker, workers: int) -> list:
    procs = []
    for i in range(1, workers):
        cmd = [sys.executable, "-m", "actsearch", "worker", "--storage", storage, "--study", study_name,
               "--worker-id", f"{me.worker_id}-{i}", "--quiet"] + (["--out", out] if out else [])
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    return procs


def _stop_workers(procs: list, interrupted: bool) -> None:
    import signal

    for proc in procs:
        if interrupted:
            proc.send_signal(signal.SIGTERM)  # it gives its trial back, as this process did
        _, err = proc.communicate()
        if proc.returncode not in (0, 130) and err.strip():
            print(f"actsearch: a worker process failed: {err.strip().splitlines()[-1]}", file=sys.stderr)


def _final_stage(run, out: str | None, workers: int) -> bool:
    """The driver's final stage on this machine; True if interrupted.  The rows go to OUT/evaluations.csv."""
    from ..executors import make_executor
    from ..final_stage import final_stage

    executor = make_executor(run.config.scorer(run.data), workers=workers)
    try:
        final_stage(run, executor)
    except KeyboardInterrupt:
        return True
    finally:
        executor.close()
        if out is not None:
            with locked(out):
                write_csv(os.path.join(out, "evaluations.csv"), run.rows, run.run_id)
    return False


def _with_final_rows(run, table, out: str | None) -> None:
    """The run's rows: the study's search rows, then the final rows already in OUT/evaluations.csv."""
    from ..planner import plain_row
    from ..results import load_results

    run.out = out
    run.rows = [plain_row(r) for r in table.to_dict(orient="records")]
    path = os.path.join(out, "evaluations.csv") if out else None
    if path and os.path.exists(path):
        previous = load_results(path)
        run.rows += [plain_row(r) for r in previous[previous["stage"] != "search"].to_dict(orient="records")]


def run_distributed_search(config, storage: str | None = None, study_name: str | None = None,
                           out: str | None = None, *, workers: int = 1, progress: bool = False,
                           heartbeat_interval: int = HEARTBEAT_INTERVAL, grace_period: int = GRACE_PERIOD,
                           max_retry: int | None = MAX_RETRY):
    """A whole search on an Optuna storage; returns a :class:`~actsearch.driver.SearchResult` like ``run_search``.

    Creates (or joins) the study (:func:`create_distributed_study`; storage
    default ``sqlite:///OUT/optuna.db``, study name default OUT's folder
    name), evaluates with this process and ``workers - 1`` ``actsearch
    worker`` processes until the budget is spent -- other machines may join
    meanwhile with ``actsearch worker --storage URL --study NAME`` -- then
    runs the driver's final stage here (:func:`actsearch.final_stage.final_stage`,
    on ``make_executor(..., workers)``).  Running it again resumes: finished
    trials and final rows are kept.
    """
    from ..driver import search_result

    if storage is None:
        if out is None:
            raise ConfigError("a distributed search needs a storage URL or an output folder")
        storage = default_storage(out)
    if not isinstance(storage, str) and workers > 1:
        raise ConfigError("worker processes need a storage URL, not a storage object")
    study_name = study_name or (os.path.basename(os.path.abspath(out)) if out else "actsearch")
    create_distributed_study(config, storage, study_name, heartbeat_interval=heartbeat_interval,
                             grace_period=grace_period, max_retry=max_retry)
    me = Worker(storage, study_name, out, None, 0.5, sys.stderr if progress else None)
    procs = _start_workers(storage, study_name, out, me, workers)
    report = None
    try:
        report = me.run_loop()
    finally:
        _stop_workers(procs, report is None or report.interrupted)
    _with_final_rows(me.run, report.table, out)
    interrupted = report.interrupted
    if not interrupted and (config.final_k > 0 or config.baselines):
        interrupted = _final_stage(me.run, out, workers)
    return search_result(me.run, me.strategy, interrupted)
