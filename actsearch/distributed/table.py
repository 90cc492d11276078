"""The table of a distributed search: rebuilt from the storage, and mirrored to ``OUT/evaluations.csv`` under a
lock."""

from __future__ import annotations

import contextlib
import os

from .common import DistributedError, shown_url
from .ledger import Ledger, study_table_rows
from .storage import must_exist, open_storage, quiet_optuna
from .study import load_study, study_settings


def table_frame(rows: list[dict], where: str):
    """Rows as the typed table (:data:`actsearch.results.SCHEMA`), through the CSV's cells."""
    import pandas as pd

    from ..results import COLUMNS, csv_cell, typed_frame

    cells = [[csv_cell(r.get(c)) for c in COLUMNS] for r in rows]
    return typed_frame(pd.DataFrame(cells, columns=COLUMNS, dtype=object), where)


def study_rows(storage, study_name: str):
    must_exist(storage)
    st = open_storage(storage)
    study = load_study(st, study_name)
    if study is None:
        raise DistributedError(f"no study {study_name!r} in {shown_url(storage)}")
    config, _, liveness = study_settings(study, storage)
    with quiet_optuna():
        trials = study.get_trials(deepcopy=False)
    ledger = Ledger.of(trials, config.budget)
    return study, config, study_table_rows(study, config, ledger, liveness["max_retry"])


def rebuild_table(storage, study_name: str):
    """The search rows of a distributed search, from the storage: a DataFrame with the table's schema.

    One row per finished budget slot (``eval_id`` = slot, sorted), from each
    trial's ``actsearch_row``; surplus trials and failed attempts that were
    retried are left out; a slot whose every attempt failed is a ``diverged``
    row saying so.  Slots still running are not in it yet.
    """
    study, _, rows = study_rows(storage, study_name)
    return table_frame(rows, f"study {study.study_name!r}")



@contextlib.contextmanager
def locked(out: str):
    """An exclusive fcntl lock on OUT/evaluations.csv.lock (a file beside the table that is never replaced)."""
    import fcntl

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "evaluations.csv.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_csv(path: str, rows: list[dict], run_id: str) -> None:
    """Replace ``path`` atomically with ``rows`` and the file's rows of other stages (the final stage) that
    ``rows`` does not give again.  Hold the lock."""
    import csv
    import io

    from ..config import SearchError
    from ..results import COLUMNS, csv_cell, csv_records

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
