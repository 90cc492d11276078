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
(the steps of ``driver._search_loop``: the cache by fingerprint
``driver._cached_fields``, ``screen``, ``driver._task`` trained by the
executors' ``train_candidate`` in-process so Optuna pruning works, ``Run.record``
and ``driver._outcome``), store the row, tell the study.

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

import contextlib
import copy
import json
import math
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import ActsearchError, ConfigError
from .results import CACHEABLE_STATUSES

#: Study user attributes.
CONFIG_ATTR = "actsearch_config"
SPACE_ATTR = "actsearch_space"
LIVENESS_ATTR = "actsearch_liveness"
VERSION_ATTR = "actsearch_version"
#: Trial user attributes.
ROW_ATTR = "actsearch_row"
CANDIDATE_ATTR = "actsearch_candidate"
WORKER_ATTR = "actsearch_worker"
SURPLUS_ATTR = "actsearch_surplus"
INTERRUPTED_ATTR = "actsearch_interrupted"
#: Trial system attribute: the last heartbeat (time.time()) on a journal storage.
HEARTBEAT_ATTR = "actsearch_heartbeat"
#: Set by RetryHeartbeatStaleTrialCallback on a retry: the number of the first trial of the series.
RETRY_OF = "failed_trial"

HEARTBEAT_INTERVAL = 10
GRACE_PERIOD = 60
MAX_RETRY = 3
#: pysqlite's busy timeout (seconds) for sqlite:// storages.
SQLITE_TIMEOUT = 120.0
#: A FAIL trial with retries left whose retry has not appeared after this long is failed for good.
RETRY_WAIT = 30.0


class DistributedError(ActsearchError):
    """A storage or study that a distributed search cannot use."""


def default_storage(out: str) -> str:
    """The storage of a run on one machine: ``sqlite:///OUT/optuna.db`` (absolute).

    >>> default_storage("/tmp/run")
    'sqlite:////tmp/run/optuna.db'
    """
    return "sqlite:///" + os.path.join(os.path.abspath(out), "optuna.db")


def _shown(url) -> str:
    """A storage URL for messages, without its password."""
    if not isinstance(url, str):
        return type(url).__name__
    if url.startswith("journal://"):
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse is shown as given
        return url


# --- storages -------------------------------------------------------------------------------
def _retry_callback(max_retry: int | None):
    """RetryHeartbeatStaleTrialCallback, fed a copy of the trial without this worker's state.

    The retry copies the trial's attributes; the row, the worker, the surplus
    and interrupt marks and the heartbeat belong to the failed attempt.
    """
    import optuna

    from .strategies.optuna_search import _quiet

    with _quiet():
        inner = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)

    def retry(study, trial) -> None:
        trial = copy.deepcopy(trial)
        trial.user_attrs = {k: v for k, v in trial.user_attrs.items()
                            if k not in (ROW_ATTR, WORKER_ATTR, SURPLUS_ATTR, INTERRUPTED_ATTR)}
        trial.system_attrs = {k: v for k, v in trial.system_attrs.items() if k != HEARTBEAT_ATTR}
        with _quiet():
            inner(study, trial)

    return retry


def _sqlite_immediate(engine) -> None:
    """Begin every SQLite transaction with BEGIN IMMEDIATE (SQLAlchemy's recipe for pysqlite)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # sqlite3 no longer emits its own (deferred) BEGIN

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the hooks (table creation) are not reused


def open_storage(url, *, heartbeat_interval: int | None = None, grace_period: int | None = None,
                 max_retry: int | None = MAX_RETRY):
    """An Optuna storage for ``url`` (see the module docstring); heartbeats when ``heartbeat_interval``.

    An Optuna ``BaseStorage`` is returned as it is.
    """
    import optuna

    from .strategies.optuna_search import _quiet

    if isinstance(url, optuna.storages.BaseStorage):
        return url
    if not isinstance(url, str) or "://" not in url:
        raise DistributedError(f"storage {url!r}: expected a URL such as sqlite:///results/run/optuna.db, "
                               "postgresql://user:password@host/db or journal:///path/optuna.log")
    if url.startswith("journal://"):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = url[len("journal://"):]
        if not path:
            raise DistributedError(f"storage {url!r}: a journal URL needs a file, journal:///path/optuna.log")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            with _quiet():
                return JournalStorage(JournalFileBackend(path))
        except (OSError, ValueError) as exc:
            raise DistributedError(f"storage {url}: cannot open the journal file: {exc}") from None
    url = _with_driver(url)
    sqlite = url.startswith("sqlite")
    engine_kwargs: dict[str, Any] = {}
    if sqlite:
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT}
    else:
        engine_kwargs["pool_pre_ping"] = True
    kwargs: dict[str, Any] = {}
    if heartbeat_interval:
        kwargs = {"heartbeat_interval": int(heartbeat_interval), "grace_period": int(grace_period or 0) or None,
                  "heartbeat_stale_trial_callback": _retry_callback(max_retry)}
    try:
        with _quiet():
            storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs)
    except ImportError as exc:
        raise DistributedError(f"storage {_shown(url)}: the database driver is not installed ({exc}); for "
                               "PostgreSQL: pip install psycopg2-binary") from None
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's and Optuna's errors, as one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DistributedError(f"storage {_shown(url)}: cannot open: {first}") from None
    if sqlite:
        _sqlite_immediate(storage.engine)
    return storage


def _with_driver(url: str) -> str:
    """``postgresql://`` with the driver that is installed.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3; with only
    psycopg2 installed (``pip install psycopg2-binary``, actsearch's
    ``postgres`` extra) the URL becomes ``postgresql+psycopg2://``.
    """
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - RDBStorage gives the error
        return url
    if parsed.drivername != "postgresql":
        return url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
    return url


def _is_rdb(storage) -> bool:
    import optuna

    return isinstance(storage, optuna.storages.RDBStorage)


# --- the study's configuration --------------------------------------------------------------
def _plain(value):
    """JSON's view of a value (tuples become lists), so stored and given configs compare equal."""
    return json.loads(json.dumps(value))


def _load_space(config):
    from .driver import DEFAULT_SPACE
    from .spaces import load_space, space_from_dict

    if config.space == "default":
        return space_from_dict(DEFAULT_SPACE, "<default space>")
    return load_space(config.space)


def _stored_config(config) -> dict:
    out = config.to_dict()
    out["strategy_options"] = {k: v for k, v in config.strategy_options.items() if k not in ("storage", "study_name")}
    try:
        return _plain(out)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"a distributed search stores its settings as JSON: {exc}") from None


def _config_from_dict(d: dict):
    from dataclasses import fields

    from .driver import SearchConfig
    from .networks import TrainConfig

    known = {f.name for f in fields(SearchConfig)}
    values = {k: v for k, v in d.items() if k in known}
    values["baselines"] = tuple(values.get("baselines", ()))
    train_known = {f.name for f in fields(TrainConfig)}
    values["train"] = TrainConfig(**{k: v for k, v in (values.get("train") or {}).items() if k in train_known})
    values["strategy_options"] = dict(values.get("strategy_options") or {})
    return SearchConfig(**values)


def _load_study(storage, study_name: str):
    import optuna

    from .strategies.optuna_search import _quiet

    try:
        with _quiet():
            return optuna.study.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None


def create_distributed_study(config, storage, study_name: str, *, heartbeat_interval: int = HEARTBEAT_INTERVAL,
                             grace_period: int = GRACE_PERIOD, max_retry: int | None = MAX_RETRY):
    """Create (or reuse) the study of a distributed search; returns the ``optuna.Study``.

    ``config`` is a :class:`~actsearch.driver.SearchConfig` with strategy
    ``optuna``; ``storage`` a URL (see the module docstring).  The config, the
    space and the heartbeat settings go into the study's user attributes.  A
    study of that name created by actsearch with the same settings is reused
    (more workers can join it); its budget may grow or shrink.  Warm-start
    candidates are enqueued once, when the study is created.
    """
    import numpy as np

    from .driver import SearchError, load_warm_start
    from .strategies.optuna_search import OptunaSearch

    config.validate()
    if config.strategy != "optuna":
        raise ConfigError(f"a distributed search runs the optuna strategy, not {config.strategy!r}")
    if int(heartbeat_interval) < 1 or int(grace_period) <= int(heartbeat_interval):
        raise ConfigError(f"heartbeat_interval={heartbeat_interval}, grace_period={grace_period}: expected "
                          "whole seconds with 1 <= heartbeat_interval < grace_period")
    space = _load_space(config)
    stored = _stored_config(config)
    st = open_storage(storage)
    existing = _load_study(st, study_name)
    if existing is not None:
        old = existing.user_attrs.get(CONFIG_ATTR)
        if old is None:
            raise SearchError(f"study {study_name!r} in {_shown(storage)} was not created by actsearch; "
                              "use another study name")
        for key, value in stored.items():
            if key != "budget" and old.get(key) != value:
                raise SearchError(f"study {study_name!r} in {_shown(storage)} holds a search with {key}="
                                  f"{old.get(key)!r}, not {value!r}; use another study name or the same settings")
        if old.get("budget") != stored["budget"]:
            existing.set_user_attr(CONFIG_ATTR, stored)
        return existing
    options = dict(stored["strategy_options"])
    options.update(storage=st, study_name=study_name, dedupe=False)
    strategy = OptunaSearch(space, np.random.default_rng(config.seed), config.budget, **options)
    study = strategy.study
    if config.warm_start:
        strategy.warm_start(load_warm_start(config.warm_start, config.warm_k).expressions)
    from . import __version__

    study.set_user_attr(SPACE_ATTR, _plain(space.raw))
    study.set_user_attr(LIVENESS_ATTR, {"heartbeat_interval": int(heartbeat_interval),
                                        "grace_period": int(grace_period), "max_retry": max_retry})
    study.set_user_attr(VERSION_ATTR, __version__)
    study.set_user_attr(CONFIG_ATTR, stored)  # last: a worker that sees the config sees the rest
    return study


def _study_settings(study, storage) -> tuple:
    """(config, space, liveness) of a study created by :func:`create_distributed_study`."""
    from .spaces import space_from_dict

    attrs = study.user_attrs
    if CONFIG_ATTR not in attrs:
        raise DistributedError(f"study {study.study_name!r} in {_shown(storage)} has no actsearch configuration "
                               "(create it with actsearch.distributed.create_distributed_study)")
    config = _config_from_dict(attrs[CONFIG_ATTR])
    space = space_from_dict(attrs[SPACE_ATTR], config.space if config.space != "default" else "<default space>")
    liveness = {"heartbeat_interval": HEARTBEAT_INTERVAL, "grace_period": GRACE_PERIOD, "max_retry": MAX_RETRY,
                **(attrs.get(LIVENESS_ATTR) or {})}
    return config, space, liveness


def _run_id(study_name: str, config) -> str:
    return f"{study_name}-s{config.seed}"


# --- the ledger: trials -> budget slots -------------------------------------------------------
@dataclass
class _Ledger:
    """The trials of a study mapped to budget slots (see "Budget" in the module docstring)."""

    budget: int
    trials: list
    slot: dict[int, int | None] = field(default_factory=dict)  # trial number -> slot, None for surplus
    by_slot: dict[int, list] = field(default_factory=dict)
    originals: int = 0

    @classmethod
    def of(cls, trials, budget: int) -> _Ledger:
        trials = sorted(trials, key=lambda t: t.number)
        originals = [t.number for t in trials if RETRY_OF not in t.system_attrs]
        index = {n: i for i, n in enumerate(originals)}
        ledger = cls(budget=budget, trials=trials, originals=len(originals))
        for t in trials:
            s = index.get(t.system_attrs.get(RETRY_OF, t.number))
            s = s if s is not None and s < budget and not t.user_attrs.get(SURPLUS_ATTR) else None
            ledger.slot[t.number] = s
            if s is not None:
                ledger.by_slot.setdefault(s, []).append(t)
        return ledger

    def state(self, s: int, max_retry: int | None, now: float | None = None) -> str:
        """``done``, ``active`` (running or waiting), ``pending`` (failed, retry expected), ``failed``, ``missing``."""
        from optuna.trial import TrialState

        ts = self.by_slot.get(s)
        if not ts:
            return "missing"
        if any(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in ts):
            return "done"
        if any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in ts):
            return "active"
        last = ts[-1]
        attempts = len(last.system_attrs.get("retry_history", [])) + 1
        if max_retry is not None and attempts > max_retry:
            return "failed"
        ended = last.datetime_complete.timestamp() if last.datetime_complete else 0.0
        return "pending" if (now or time.time()) - ended < RETRY_WAIT else "failed"

    def waiting(self) -> bool:
        from optuna.trial import TrialState

        return any(t.state == TrialState.WAITING for ts in self.by_slot.values() for t in ts)


def _clean(value):
    """A row value for JSON: NaN and numpy scalars become plain Python."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _lost_row(study_name: str, config, s: int, trials) -> dict:
    """The row of a slot whose every attempt failed (workers died): ``diverged``, with the reason."""
    from . import __version__

    last = trials[-1]
    desc = last.user_attrs.get(CANDIDATE_ATTR) or {}
    if not desc:
        desc = {"expression": last.user_attrs.get("expression") or "(unknown)", "canonical": None,
                "fingerprint": last.user_attrs.get("fingerprint"), "complexity": 0, "params": "{}"}
        with contextlib.suppress(Exception):
            from .expression import parse

            expr = parse(desc["expression"], params={k: v for k, v in last.params.items()
                                                     if isinstance(v, float)})
            desc.update(canonical=str(expr.canonical()), fingerprint=expr.fingerprint,
                        complexity=expr.complexity, params=json.dumps(expr.params, sort_keys=True))
    numbers = ", ".join(str(t.number) for t in trials)
    stamp = last.datetime_complete or last.datetime_start
    return {"run_id": _run_id(study_name, config), "eval_id": s, "stage": "search", "strategy": config.strategy,
            "trial": last.number, **desc, "dataset": config.dataset, "seeds": 0, "status": "diverged",
            "reason": f"evaluation lost: the worker stopped or died in every attempt (trials {numbers})",
            "train_seconds": 0.0, "timestamp": stamp.astimezone().isoformat(timespec="seconds") if stamp else None,
            "version": __version__}


def _rows(study, config, ledger: _Ledger, max_retry) -> list[dict]:
    """One row per resolved slot, by eval_id: the stored row, or a ``diverged`` row for a lost slot."""
    from optuna.trial import TrialState

    from .results import STATUSES

    now = time.time()
    rows = []
    for s in sorted(ledger.by_slot):
        state = ledger.state(s, max_retry, now)
        trials = ledger.by_slot[s]
        if state == "done":
            t = next(t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED))
            row = dict(t.user_attrs.get(ROW_ATTR) or {})
            if not row:  # told by something other than a worker: what the trial itself says
                status = t.user_attrs.get("status")
                row = {**_lost_row(study.study_name, config, s, [t]), "trial": t.number,
                       "status": status if status in STATUSES else "diverged",
                       "reason": "told without an actsearch row"}
                if row["status"] in ("ok", "cached") and t.values:
                    row["val_score"] = t.values[0]
            row["eval_id"] = s
            rows.append(row)
        elif state == "failed":
            rows.append(_lost_row(study.study_name, config, s, trials))
    return rows


def _frame(rows: list[dict], where: str):
    """Rows as the typed table (:data:`actsearch.results.SCHEMA`), through the CSV's cells."""
    import pandas as pd

    from .results import COLUMNS, csv_cell, typed_frame

    cells = [[csv_cell(r.get(c)) for c in COLUMNS] for r in rows]
    return typed_frame(pd.DataFrame(cells, columns=COLUMNS, dtype=object), where)


def _study_rows(storage, study_name: str):
    _must_exist(storage)
    st = open_storage(storage)
    study = _load_study(st, study_name)
    if study is None:
        raise DistributedError(f"no study {study_name!r} in {_shown(storage)}")
    config, _, liveness = _study_settings(study, storage)
    with _quiet_optuna():
        trials = study.get_trials(deepcopy=False)
    ledger = _Ledger.of(trials, config.budget)
    return study, config, _rows(study, config, ledger, liveness["max_retry"])


def rebuild_table(storage, study_name: str):
    """The search rows of a distributed search, from the storage: a DataFrame with the table's schema.

    One row per finished budget slot (``eval_id`` = slot, sorted), from each
    trial's ``actsearch_row``; surplus trials and failed attempts that were
    retried are left out; a slot whose every attempt failed is a ``diverged``
    row saying so.  Slots still running are not in it yet.
    """
    study, _, rows = _study_rows(storage, study_name)
    return _frame(rows, f"study {study.study_name!r}")


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna at WARNING, without its experimental-feature warnings and without the warning that
    storage heartbeats are meant for ``Study.optimize`` (workers run the heartbeat themselves)."""
    import warnings

    from .strategies.optuna_search import _quiet

    with _quiet(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
        yield


# --- OUT/evaluations.csv ----------------------------------------------------------------------
@contextlib.contextmanager
def _locked(out: str):
    """An exclusive fcntl lock on OUT/evaluations.csv.lock (a file beside the table that is never replaced)."""
    import fcntl

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "evaluations.csv.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_csv(path: str, rows: list[dict], run_id: str) -> None:
    """Replace ``path`` atomically with ``rows`` and the file's rows of other stages (the final stage) that
    ``rows`` does not give again.  Hold the lock."""
    import csv
    import io

    from .driver import SearchError
    from .results import COLUMNS, csv_cell, csv_records

    kept: list[list[str]] = []
    given = {str(r.get("eval_id")) for r in rows}
    if os.path.exists(path) and os.path.getsize(path) > 0:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a half-written last line is dropped by the rewrite anyway
            header, records, _ = csv_records(path)
        pos = {c: i for i, c in enumerate(header)}
        for rec in records:
            get = {c: (rec[pos[c]] if c in pos else "") for c in COLUMNS}
            if get["stage"] == "search":
                if get["run_id"] != run_id:
                    raise SearchError(f"{path} holds run {get['run_id']!r}, not {run_id!r}; use another --out")
                continue
            if get["eval_id"] not in given:
                kept.append([get[c] for c in COLUMNS])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in COLUMNS])
    writer.writerows(kept)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_table(storage, study_name: str, out: str) -> str:
    """Rebuild the table from the storage into ``OUT/evaluations.csv`` (under the lock); returns the path.

    The storage is read inside the lock, so of two writers the later one
    writes the newer table.
    """
    path = os.path.join(out, "evaluations.csv")
    with _locked(out):
        study, config, rows = _study_rows(storage, study_name)
        _write_csv(path, rows, _run_id(study.study_name, config))
    return path


# --- the worker -------------------------------------------------------------------------------
def _must_exist(storage) -> None:
    """A worker joins a search: a sqlite or journal file that does not exist is a mistake, not a new study."""
    if not isinstance(storage, str):
        return
    path = None
    if storage.startswith("journal://"):
        path = storage[len("journal://"):]
    elif storage.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        with contextlib.suppress(Exception):
            path = make_url(storage).database
        path = None if path in (None, "", ":memory:") else path
    if path is not None and not os.path.exists(path):
        raise DistributedError(f"storage {storage}: {path} does not exist (is the path right? a worker joins a "
                               "study created by create_distributed_study)")


class _Beat:
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


class _BeatingStudy:
    """The study as OptunaSearch sees it: ``ask`` starts the trial's heartbeat, ``tell`` stops it."""

    def __init__(self, study, worker: _Worker):
        self._study = study
        self._worker = worker

    def ask(self, *args, **kwargs):
        trial = self._study.ask(*args, **kwargs)
        self._worker._started(trial)
        return trial

    def tell(self, trial, *args, **kwargs):
        self._worker._stop_beat(trial if isinstance(trial, int) else trial.number)
        return self._study.tell(trial, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._study, name)


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


class _Worker:
    def __init__(self, storage, study_name: str, out: str | None, worker_id: str | None, poll: float,
                 log=None):
        import secrets

        import numpy as np

        from .datasets import load_dataset
        from .driver import Run
        from .strategies.optuna_search import OptunaSearch

        _must_exist(storage)
        plain = open_storage(storage)
        study = _load_study(plain, study_name)
        if study is None:
            raise DistributedError(f"no study {study_name!r} in {_shown(storage)}; create it with "
                                   "actsearch.distributed.create_distributed_study")
        self.config, space, self.liveness = _study_settings(study, storage)
        if _is_rdb(plain):  # the same database, with Optuna's heartbeat and the retry callback
            plain.engine.dispose()
            self.storage = open_storage(storage, **self.liveness)
        else:
            self.storage = plain
        self.rdb = _is_rdb(self.storage)
        self.url, self.study_name, self.out, self.poll, self.log = storage, study_name, out, poll, log
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.retry = _retry_callback(self.liveness["max_retry"])
        data = load_dataset(self.config.dataset, target=self.config.target, task=self.config.task,
                            seed=self.config.split_seed)
        self.run = Run(self.config, data, space, None, False)
        self.run.run_id = _run_id(study_name, self.config)
        from .executors import SerialExecutor

        self.executor = SerialExecutor(data, self.config.train)  # in this process: the pruner reports to the trial
        # each worker samples with its own seed: workers with one seed would propose the same candidates
        rng = np.random.default_rng([int(self.config.seed), secrets.randbits(63)])
        options = {**self.config.strategy_options, "storage": self.storage, "study_name": study_name,
                   "dedupe": False}
        self.strategy = OptunaSearch(space, rng, self.config.budget, **options)
        self.study = self.strategy.study
        self.strategy.study = _BeatingStudy(self.study, self)
        self._beats: dict[int, _Beat] = {}
        self.report = WorkerReport(self.worker_id, study_name, self.config.budget, out=out)
        if out is not None:
            from .driver import _config_check

            with _locked(out):
                _config_check(out, self.config)

    # --- heartbeats ------------------------------------------------------------------
    def _started(self, trial) -> None:
        with contextlib.suppress(Exception):
            trial.set_user_attr(WORKER_ATTR, self.worker_id)
        self._beats[trial.number] = _Beat(self.storage, trial._trial_id, self.liveness["heartbeat_interval"],
                                          self.rdb)

    def _stop_beat(self, number: int) -> None:
        beat = self._beats.pop(number, None)
        if beat is not None:
            beat.stop()

    def _sweep(self) -> None:
        """Fail the running trials of dead workers, and queue their retries."""
        import optuna
        from optuna.trial import TrialState

        with _quiet_optuna():
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

        storage = self.study._storage
        try:
            for key, value in user_attrs.items():
                storage.set_trial_user_attr(frozen._trial_id, key, value)
            if not storage.set_trial_state_values(frozen._trial_id, state=TrialState.FAIL):
                return
        except UpdateFinishedTrialError:
            return
        self.retry(self.study, storage.get_trial(frozen._trial_id))
        self.report.retried += 1

    # --- the loop ----------------------------------------------------------------------
    def ledger(self) -> _Ledger:
        with _quiet_optuna():
            return _Ledger.of(self.study.get_trials(deepcopy=False), self.config.budget)

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
        self.report.table = _frame(self._write_out(), f"study {self.study_name!r}")
        return self.report

    def _write_out(self) -> list[dict]:
        """The table's rows from the storage; with ``out``, also OUT/evaluations.csv (read and written locked)."""
        lock = _locked(self.out) if self.out is not None else contextlib.nullcontext()
        with lock:
            rows = _rows(self.study, self.config, self.ledger(), self.liveness["max_retry"])
            if self.out is not None:
                _write_csv(os.path.join(self.out, "evaluations.csv"), rows, self.run.run_id)
        return rows

    def _one(self) -> None:
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        from .driver import _outcome

        with _quiet_optuna():
            cand = self.strategy.ask()
        trial = cand.info["trial"]
        try:
            ledger = self.ledger()
            s = ledger.slot.get(trial.number)
            if s is None or ledger.state(s, self.liveness["max_retry"]) == "done":
                with _quiet_optuna():
                    trial.set_user_attr(SURPLUS_ATTR, True)
                    self.strategy.study.tell(trial, state=TrialState.FAIL)
                self.report.surplus += 1
                return
            run = self.run
            with contextlib.suppress(Exception):
                trial.set_user_attr(CANDIDATE_ATTR, run.describe(cand.expression))
            self._sync_cache(ledger)
            row = run.record(self._evaluate(cand))
            row["eval_id"] = s
            try:
                with _quiet_optuna():
                    trial.set_user_attr(ROW_ATTR, {k: _clean(v) for k, v in row.items()})
                    self.strategy.tell(cand, _outcome(row))
            except UpdateFinishedTrialError:
                # another worker took this trial for dead (no heartbeat for grace_period): its retry counts
                self._stop_beat(trial.number)
                self._say(f"trial {trial.number} was failed as stale by another worker; its retry counts")
                return
            key = run.key(cand.expression)  # the driver's cache key (fingerprint, or more when learnable)
            if row["status"] in CACHEABLE_STATUSES and key not in run.cache:
                run.cache[key] = row
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
        """The search row's fields for one candidate, by the driver's steps in the driver's order.

        Planned by ``driver.plan_candidate``, as in the search loop: a function
        already trained (by any worker) is ``cached``; else screened
        (``rejected``); else trained over the seeds by ``executors.train_candidate``
        in this process (BLAS pinned to one thread), with the strategy's pruner.
        """
        from .driver import plan_candidate

        run, expr = self.run, cand.expression
        base = {"stage": "search", "strategy": self.config.strategy, "generation": cand.generation,
                "trial": cand.trial}
        try:
            base.update(run.describe(expr))
            kind, value = plan_candidate(run, self.strategy, cand)
            if kind == "fields":
                return {**base, **value}
            return {**base, **next(iter(self.executor.map([value])))}
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - one odd candidate must not stop a worker
            base.setdefault("expression", str(cand.expression))
            base.setdefault("complexity", 0)
            return {**base, "status": "diverged", "seeds": 0, "train_seconds": 0.0,
                    "reason": f"evaluation failed: {type(exc).__name__}: {exc}".splitlines()[0]}

    def _sync_cache(self, ledger: _Ledger) -> None:
        """The driver's cache (key -> first trained row) from every worker's finished rows."""
        from .driver import _row_key

        rows = [t.user_attrs[ROW_ATTR] for t in ledger.trials if ROW_ATTR in t.user_attrs
                and t.state.is_finished() and ledger.slot.get(t.number) is not None]
        for row in sorted(rows, key=lambda r: r["eval_id"]):
            if row.get("status") not in CACHEABLE_STATUSES or not row.get("fingerprint"):
                continue
            key = _row_key(self.run, row)
            if key not in self.run.cache:
                self.run.cache[key] = {k: (math.nan if v is None and k.endswith(("score", "std")) else v)
                                       for k, v in row.items()}

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
    return _Worker(storage, study_name, out, worker_id, poll, log).run_loop()


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
    runs the driver's final stage here (``driver.final_stage``, on
    ``make_executor(..., workers)``).  Running it again resumes: finished
    trials and final rows are kept.
    """
    import signal
    import subprocess

    from .driver import final_stage, _plain_row, _result
    from .executors import make_executor

    if storage is None:
        if out is None:
            raise ConfigError("a distributed search needs a storage URL or an output folder")
        storage = default_storage(out)
    if not isinstance(storage, str) and workers > 1:
        raise ConfigError("worker processes need a storage URL, not a storage object")
    study_name = study_name or (os.path.basename(os.path.abspath(out)) if out else "actsearch")
    create_distributed_study(config, storage, study_name, heartbeat_interval=heartbeat_interval,
                             grace_period=grace_period, max_retry=max_retry)
    me = _Worker(storage, study_name, out, None, 0.5, sys.stderr if progress else None)
    procs = []
    for i in range(1, workers):
        cmd = [sys.executable, "-m", "actsearch.cli", "worker", "--storage", storage, "--study", study_name,
               "--worker-id", f"{me.worker_id}-{i}", "--quiet"] + (["--out", out] if out else [])
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    report = None
    try:
        report = me.run_loop()
    finally:
        for proc in procs:
            if report is None or report.interrupted:
                proc.send_signal(signal.SIGTERM)  # it gives its trial back, as this process did
            _, err = proc.communicate()
            if proc.returncode not in (0, 130) and err.strip():
                print(f"actsearch: a worker process failed: {err.strip().splitlines()[-1]}", file=sys.stderr)
    run = me.run
    run.out = out
    interrupted = report.interrupted
    run.rows = [_plain_row(r) for r in report.table.to_dict(orient="records")]
    path = os.path.join(out, "evaluations.csv") if out else None
    if path and os.path.exists(path):
        from .results import load_results

        previous = load_results(path)
        run.rows += [_plain_row(r) for r in previous[previous["stage"] != "search"].to_dict(orient="records")]
    if not interrupted and (config.final_k > 0 or config.baselines):
        done = {r["fingerprint"]: r for r in run.rows if r["stage"] == "final" and r["status"] != "cached"}
        executor = make_executor(run.data, run.config.train, workers=workers)
        try:
            final_stage(run, done, executor)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            executor.close()
            if out is not None:
                with _locked(out):
                    _write_csv(path, run.rows, run.run_id)
    return _result(run, me.strategy, interrupted)


# --- command line -----------------------------------------------------------------------------
def _cmd_worker(args) -> int:
    import signal

    if args.storage is None and args.out is None:
        raise DistributedError("give --storage URL (or --out DIR for sqlite:///DIR/optuna.db)")
    storage = args.storage or default_storage(args.out)

    def _term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _term)
    try:
        report = run_worker(storage, args.study, out=args.out, worker_id=args.worker_id, poll=args.poll,
                            log=None if args.quiet else sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
    table = report.table
    counts = table["status"].value_counts().to_dict() if table is not None else {}
    print(f"worker {report.worker_id}: evaluated {len(report.evaluated)}, surplus {report.surplus}; study "
          f"{report.study_name}: {len(table)}/{report.budget} search rows "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items())) or 'none'})"
          + (f"; table {os.path.join(report.out, 'evaluations.csv')}" if report.out else ""))
    if report.interrupted:
        print("actsearch: interrupted; the running trial was given back to the study", file=sys.stderr)
        return 130
    return 0


def add_subparsers(sub) -> None:
    """The ``actsearch worker`` command."""
    wk = sub.add_parser(
        "worker", help="join a distributed Optuna search and evaluate trials until its budget is spent",
        description="Join the distributed search STUDY in the Optuna storage URL, from this or another machine, "
                    "and evaluate trials until the study's budget is spent. The study carries the whole "
                    "search configuration. Several workers can run at once; a killed worker's trial is retried "
                    "by another.")
    wk.add_argument("--storage", metavar="URL",
                    help="sqlite:///PATH.db, postgresql://USER:PASSWORD@HOST/DB or journal:///PATH.log "
                         "(default with --out: sqlite:///OUT/optuna.db)")
    wk.add_argument("--study", required=True, metavar="NAME", help="the study's name")
    wk.add_argument("--out", metavar="DIR", help="keep the whole table (every worker's rows) in DIR/evaluations.csv")
    wk.add_argument("--worker-id", help="this worker's name in the trials (default: HOST-PID)")
    wk.add_argument("--poll", type=float, default=1.0,
                    help="seconds between looks at the study while others finish the last trials (default: 1)")
    wk.add_argument("--quiet", action="store_true", help="no line per evaluation on stderr")
    wk.set_defaults(run=_cmd_worker)
