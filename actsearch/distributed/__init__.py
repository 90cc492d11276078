"""Distributed Optuna search: several processes, on one machine or many, share one Optuna storage.

A distributed search is an Optuna study in a shared storage that carries
everything a worker needs.  :func:`create_distributed_study` creates it and
stores the whole :class:`~actsearch.driver.SearchConfig` as JSON in the
study's user attributes (``actsearch_config``: dataset options, training
protocol, seeds, budget, strategy options), with the search space itself
(``actsearch_space``: the YAML file's contents, or the embedded default) and
the crash-detection settings (``actsearch_liveness``).  Any number of workers
then join it, started at any time, on any machine that can reach the storage::

    actsearch worker --storage sqlite:///results/run/optuna.db --study run --out results/run
    actsearch worker --storage postgresql://user:pw@db-host/actsearch --study run --out results/run

(Python: :func:`run_worker`.)  A worker loads the study
(``optuna.study.load_study``), rebuilds the Space, Dataset and TrainConfig
from it, and loops: ask the study for a trial (the same
:class:`~actsearch.strategies.optuna_search.OptunaSearch` sampling as the
single-process search), evaluate it with the driver's own code
(the planner the sequential driver uses, :class:`actsearch.planner.Run`:
the cache key, the plan -- cached, rejected or trained in-process so Optuna
pruning works --, the record and the outcome), store the row, tell the study.

**Storage.**  ``storage`` is a URL:

* ``sqlite:///path/optuna.db`` -- the default for a run on one machine
  (:func:`default_storage`: ``sqlite:///OUT/optuna.db``);
* any other SQLAlchemy URL Optuna's ``RDBStorage`` takes, e.g.
  ``postgresql://user:password@host:5432/db`` -- the one for several
  machines.  SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3;
  when only psycopg2 is installed (``pip install psycopg2-binary``, the
  ``postgres`` extra) actsearch uses ``postgresql+psycopg2://`` instead;
* ``journal://PATH`` (actsearch's own scheme): Optuna's ``JournalStorage``
  with a ``JournalFileBackend`` on the file PATH (``journal:///abs/x.log``,
  ``journal://relative/x.log``).

Why SQLite and not the journal file by default: crash recovery needs
heartbeats, and in Optuna 5.0 only ``RDBStorage`` implements them
(``heartbeat_interval``, ``grace_period``, ``heartbeat_stale_trial_callback``);
``JournalStorage`` has none.  Optuna documents SQLite's limits under
concurrent writers (its FAQ on parallel optimization with SQLite: *database
is locked*, and no recommendation for many workers); for ``sqlite://`` URLs
actsearch removes the two that matter for a handful of processes on one
machine.  (1) pysqlite gives up on a lock after 5 s: the busy timeout is 120 s
here.  (2) pysqlite's legacy transaction mode opens a transaction only at the
first INSERT/UPDATE, so the SELECT of Optuna's check-then-write updates
(pop a WAITING trial, fail a stale RUNNING one) runs outside it, and two
processes can both pass the check -- two workers popping one retry, or two
retries queued for one dead trial.  Every transaction here begins with
``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe), which takes
the write lock first, so each check and its write are one serialized
transaction and writers queue rather than fail.  Measured: 6 worker processes
on 2 cores, 150 one-epoch evaluations, no "database is locked", every
eval_id once; the price is ~0.2 s of database time per evaluation at that
contention (most of it Optuna's own trial reads in ``ask``), nothing next to
a real evaluation.  SQLite needs a local disk (``fcntl`` locks are broken on
many NFS mounts): across machines use PostgreSQL, or a journal file on NFS.
A ``journal://`` storage gets the same crash recovery from actsearch itself:
each worker writes a heartbeat (the trial's system attribute
``actsearch_heartbeat``, ``time.time()``) every ``heartbeat_interval``
seconds, and workers fail trials whose last heartbeat is older than
``grace_period`` and hand them to the same retry callback; the journal's own
log order makes "fail" and "pop" atomic there.

**Budget.**  The budget counts trials.  Trials are numbered by the storage
(atomically); the first ``budget`` trials that are not retries are the budget
slots 0 .. budget-1, and a trial's slot is its ``eval_id`` in the table (with
no retries, the slot *is* the trial number).  A worker asks for a new trial
only while fewer than ``budget`` slots exist; when two workers ask at once the
later one may receive slot >= budget: it is not evaluated but told ``FAIL``
with the user attribute ``actsearch_surplus`` and left out of the results.
A worker stops when every slot is resolved -- finished, or failed for good --
and until then waits for the running ones (another worker may die), so no
slot is lost whoever starts or stops when.  ``dedupe`` is off in workers (a
repeat told inside the study would take a trial number without a row): a
function already evaluated by any worker is a ``cached`` row instead.

**Crashed workers.**  A worker beats for its running trial from a thread
(``RDBStorage.record_heartbeat``; ``study.ask``/``tell`` never start Optuna's
own heartbeat thread).  Before each ask and while waiting, workers call
``optuna.storages.fail_stale_trials``: a trial whose worker was SIGKILLed (no
beat for ``grace_period`` s) becomes ``FAIL``, and
``optuna.storages.RetryHeartbeatStaleTrialCallback`` (Optuna 5's name for
``RetryFailedTrialCallback``, which is a deprecated alias) adds a ``WAITING``
copy with the same parameters that the next ask of any worker pops and
evaluates; it keeps the slot (system attribute ``failed_trial``).  After
``max_retry`` retries the slot is recorded as failed (a ``diverged`` row whose
reason says so).  A worker stopped with Ctrl-C or SIGTERM tells its trial
``FAIL`` (user attribute ``actsearch_interrupted``) and queues the retry itself.

**Results.**  Every trial stores its finished row (the table's schema,
:mod:`actsearch.results`) in its user attribute ``actsearch_row`` before it is
told, so the storage is the one results table and it works across machines
with no shared file system: :func:`rebuild_table` reads it back as a
DataFrame with the standard schema, one row per slot, ``eval_id`` = slot.
With ``--out DIR`` a worker also keeps ``DIR/evaluations.csv`` (and
``DIR/config.yaml``) up to date: after each evaluation it rebuilds the table
from the storage and replaces the file atomically, under an exclusive
``fcntl`` lock on ``DIR/evaluations.csv.lock``, so workers that share DIR
never interleave lines, and a worker on another machine has the complete
table in its own DIR.  Rows of other stages (the final stage) already in the
file are kept.

**Dashboard.**  optuna-dashboard reads the same storage while the workers run::

    optuna-dashboard sqlite:///results/run/optuna.db
    optuna-dashboard postgresql+psycopg2://user:password@db-host/actsearch
    optuna-dashboard results/run/optuna.log        # a journal:// file

(``pip install optuna-dashboard``; checked with optuna-dashboard 0.21.0 on
Optuna 5.0.  A bare ``postgresql://`` fails there when only psycopg2 is
installed: SQLAlchemy 2.1 reads it as psycopg 3.  Trials show the expression,
the worker, the status and the row in their user attributes.)
"""


from __future__ import annotations

from .common import (CANDIDATE_ATTR, CONFIG_ATTR, GRACE_PERIOD, HEARTBEAT_ATTR, HEARTBEAT_INTERVAL,
                     INTERRUPTED_ATTR, LIVENESS_ATTR, MAX_RETRY, RETRY_OF, ROW_ATTR, SPACE_ATTR, SURPLUS_ATTR,
                     VERSION_ATTR, WORKER_ATTR, DistributedError, default_storage)
from .launcher import run_distributed_search
from .storage import open_storage
from .study import create_distributed_study
from .table import rebuild_table
from .worker import Worker, WorkerReport, run_worker

__all__ = [
    "CANDIDATE_ATTR", "CONFIG_ATTR", "GRACE_PERIOD", "HEARTBEAT_ATTR", "HEARTBEAT_INTERVAL", "INTERRUPTED_ATTR",
    "LIVENESS_ATTR", "MAX_RETRY", "RETRY_OF", "ROW_ATTR", "SPACE_ATTR", "SURPLUS_ATTR", "VERSION_ATTR",
    "WORKER_ATTR", "DistributedError", "Worker", "WorkerReport", "create_distributed_study", "default_storage",
    "open_storage", "rebuild_table", "run_distributed_search", "run_worker",
]
