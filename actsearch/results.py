"""The results table: one row per evaluation, appended to CSV as soon as it finishes.

Schema (``OUT/evaluations.csv``; :data:`SCHEMA` gives each column's type):

=================  ==========================================================
run_id             the run (the output folder's name and the seed)
eval_id            0, 1, 2, ... in the order evaluations finished
stage              ``search`` (counts against the budget) or ``final``
strategy           the strategy's name, or ``baseline`` in the final stage
generation, trial  where the candidate came from (evolution / Optuna), or empty
expression         the candidate, in actsearch notation
canonical          its canonical form
fingerprint        a hash of its values on fixed probes (equal functions, equal hash)
complexity         its node count
params             its parameter values, as JSON
dataset, seeds     the dataset and the number of training seeds
status             ok, diverged, rejected, cached or pruned
reason             why it was rejected, diverged, pruned or cached
val_score(_std)    mean (and std) of the validation score over the seeds
test_score(_std)   the same on the test split; never used for selection
test_scores        the per-seed test scores, as JSON (for paired tests)
val_history        the first seed's validation score after each epoch, as JSON
                   (what pruners saw; empty when it was not tracked)
epochs             mean epochs run per seed
train_seconds      training time summed over the seeds
timestamp          when the row was written (UTC, ISO 8601)
version            the actsearch version that wrote it
=================  ==========================================================

Each row is written with one ``write`` call, flushed and fsync'ed, so a
killed run loses at most the evaluation in flight; a half-written last line is
cut off when the run resumes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from datetime import datetime, timezone
from typing import Any, Iterable

from .errors import ActsearchError

SCHEMA: dict[str, str] = {
    "run_id": "string", "eval_id": "int64", "stage": "string", "strategy": "string",
    "generation": "Int64", "trial": "Int64", "expression": "string", "canonical": "string",
    "fingerprint": "string", "complexity": "int64", "params": "string", "dataset": "string",
    "seeds": "int64", "status": "string", "reason": "string", "val_score": "float64",
    "val_score_std": "float64", "test_score": "float64", "test_score_std": "float64",
    "test_scores": "string", "val_history": "string", "epochs": "float64", "train_seconds": "float64", "timestamp": "string",
    "version": "string",
}
COLUMNS = list(SCHEMA)
STATUSES = ("ok", "diverged", "rejected", "cached", "pruned")


class ResultsError(ActsearchError):
    """A results file that cannot be read or does not have the schema."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


class ResultsWriter:
    """Appends rows to a CSV file, one flushed and fsync'ed write per row."""

    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        _drop_partial_last_line(path)
        new = not os.path.exists(path) or os.path.getsize(path) == 0
        self._fh = open(path, "a", encoding="utf-8", newline="")
        if new:
            self._write(COLUMNS)

    def _write(self, cells: list[str]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        self._fh.write(buf.getvalue())
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def append(self, row: dict[str, Any]) -> None:
        """Write one row; keys outside the schema are an error, missing keys are empty."""
        extra = set(row) - set(SCHEMA)
        if extra:
            raise ValueError(f"columns outside the schema: {sorted(extra)}")
        row = dict(row)
        row.setdefault("timestamp", datetime.now(timezone.utc).isoformat(timespec="seconds"))
        if row.get("status") not in STATUSES:
            raise ValueError(f"status {row.get('status')!r} is not one of {STATUSES}")
        self._write([_cell(row.get(c)) for c in COLUMNS])

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _drop_partial_last_line(path: str) -> None:
    """Cut a half-written last line (a run killed mid-write) so appends stay aligned."""
    if not os.path.exists(path):
        return
    with open(path, "rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)


def load_results(*paths: str):
    """Read one or more ``evaluations.csv`` files into one DataFrame with typed columns.

    A folder stands for the ``evaluations.csv`` inside it.

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with ResultsWriter(os.path.join(folder, "evaluations.csv")) as w:
    ...     w.append({"run_id": "r", "eval_id": 0, "stage": "search", "status": "ok", "val_score": 0.5,
    ...               "complexity": 3, "seeds": 1, "expression": "tanh(x)"})
    >>> df = load_results(folder)
    >>> df.loc[0, "val_score"], str(df["eval_id"].dtype)
    (np.float64(0.5), 'int64')
    """
    import pandas as pd

    if not paths:
        raise ResultsError("load_results needs at least one path")
    frames = []
    for path in paths:
        if os.path.isdir(path):
            path = os.path.join(path, "evaluations.csv")
        if not os.path.exists(path):
            raise ResultsError(f"results file {path!r} does not exist")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except Exception as exc:
            raise ResultsError(f"{path}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}; is this an actsearch results file?")
        frames.append(_typed(frame, path))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _typed(frame, path: str):
    import pandas as pd

    out = frame.copy()
    for col, dtype in SCHEMA.items():
        raw = frame[col]
        if dtype == "string":
            out[col] = raw.replace("", None).astype("string")  # an empty cell is missing (NA)
            continue
        numbers = pd.to_numeric(raw.replace("", None), errors="coerce")
        bad = numbers.isna() & (raw != "") & (raw.str.lower() != "nan")
        if bad.any():
            line = int(bad.to_numpy().nonzero()[0][0]) + 2  # header is line 1
            raise ResultsError(f"{path}, line {line}: column {col!r} holds {raw[bad].iloc[0]!r}, not a number")
        if dtype == "float64":
            out[col] = numbers.astype("float64")
        else:
            if dtype == "int64" and numbers.isna().any():
                line = int(numbers.isna().to_numpy().nonzero()[0][0]) + 2
                raise ResultsError(f"{path}, line {line}: column {col!r} is empty")
            out[col] = numbers.astype(dtype)
    return out


def row_params(row) -> dict[str, float]:
    """The parameter values of a table row."""
    text = row["params"] if row["params"] is not None else ""
    return {k: float(v) for k, v in json.loads(text).items()} if text and str(text) != "<NA>" else {}


def dumps_scores(values: Iterable[float]) -> str:
    return json.dumps([None if (v is None or not math.isfinite(v)) else round(float(v), 10) for v in values])
