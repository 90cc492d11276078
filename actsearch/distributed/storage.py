"""Opening an Optuna storage for a distributed search: SQLite with BEGIN IMMEDIATE, PostgreSQL with the installed
driver, a journal file; the retry callback for crashed workers."""

from __future__ import annotations

import contextlib
import copy
import os
from typing import Any

from .common import (HEARTBEAT_ATTR, INTERRUPTED_ATTR, MAX_RETRY, ROW_ATTR, SQLITE_TIMEOUT, SURPLUS_ATTR,
                     WORKER_ATTR, DistributedError, shown_url)


@contextlib.contextmanager
def quiet_optuna():
    """Optuna at WARNING, without its experimental-feature warnings and without the warning that
    storage heartbeats are meant for ``Study.optimize`` (workers run the heartbeat themselves)."""
    import warnings

    from ..strategies.optuna_search import quiet

    with quiet(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
        yield



def retry_callback(max_retry: int | None):
    """RetryHeartbeatStaleTrialCallback, fed a copy of the trial without this worker's state.

    The retry copies the trial's attributes; the row, the worker, the surplus
    and interrupt marks and the heartbeat belong to the failed attempt.
    """
    import optuna

    with quiet_optuna():
        inner = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)

    def retry(study, trial) -> None:
        trial = copy.deepcopy(trial)
        trial.user_attrs = {k: v for k, v in trial.user_attrs.items()
                            if k not in (ROW_ATTR, WORKER_ATTR, SURPLUS_ATTR, INTERRUPTED_ATTR)}
        trial.system_attrs = {k: v for k, v in trial.system_attrs.items() if k != HEARTBEAT_ATTR}
        with quiet_optuna():
            inner(study, trial)

    return retry


def sqlite_immediate(engine) -> None:
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
            with quiet_optuna():
                return JournalStorage(JournalFileBackend(path))
        except (OSError, ValueError) as exc:
            raise DistributedError(f"storage {url}: cannot open the journal file: {exc}") from None
    url = with_driver(url)
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
                  "heartbeat_stale_trial_callback": retry_callback(max_retry)}
    try:
        with quiet_optuna():
            storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs)
    except ImportError as exc:
        raise DistributedError(f"storage {shown_url(url)}: the database driver is not installed ({exc}); for "
                               "PostgreSQL: pip install psycopg2-binary") from None
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's and Optuna's errors, as one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DistributedError(f"storage {shown_url(url)}: cannot open: {first}") from None
    if sqlite:
        sqlite_immediate(storage.engine)
    return storage


def with_driver(url: str) -> str:
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


def is_rdb(storage) -> bool:
    import optuna

    return isinstance(storage, optuna.storages.RDBStorage)



def must_exist(storage) -> None:
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

