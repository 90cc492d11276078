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
rung, fidelity     racing (:mod:`actsearch.racing`): the rung (0 is the lowest)
                   and its ``SEEDSxEPOCHS``; empty for a row that did not race
status             ok, diverged, rejected, cached or pruned; ``promoted`` for a
                   rung a candidate passed (its next rung is a later row);
                   ``mixture`` for the one training of a DARTS mixture over
                   many candidates
reason             why it was rejected, diverged, pruned, promoted or cached;
                   what a mixture covered
val_score(_std)    mean (and std) of the validation score over the seeds
test_score(_std)   the same on the test split; never used for selection
test_scores        the per-seed test scores, as JSON (for paired tests)
val_history        the first seed's validation score after each epoch, as JSON
                   (what pruners saw; empty when it was not tracked)
learned            learnable parameters' final values, mean per hidden layer over
                   the seeds, as JSON (empty when nothing was learnable)
epochs             mean epochs run per seed
train_seconds      training time summed over the seeds
init               the initialisation rule applied (auto, he or xavier; xavier
                   also where auto fell back, with the reason in ``reason``)
init_gain          g of the N(0, g^2/fan_in) weights fed by activations (see
                   :mod:`actsearch.initialisation`); empty for Glorot
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
import warnings
from datetime import datetime, timezone
from typing import Any, Iterable

from .errors import ActsearchError

SCHEMA: dict[str, str] = {
    "run_id": "string", "eval_id": "int64", "stage": "string", "strategy": "string",
    "generation": "Int64", "trial": "Int64", "expression": "string", "canonical": "string",
    "fingerprint": "string", "complexity": "int64", "params": "string", "dataset": "string", "model": "string",
    "seeds": "int64", "rung": "Int64", "fidelity": "string", "status": "string", "reason": "string", "val_score": "float64",
    "val_score_std": "float64", "test_score": "float64", "test_score_std": "float64",
    "test_scores": "string", "val_history": "string", "learned": "string", "epochs": "float64",
    "train_seconds": "float64", "init": "string", "init_gain": "float64", "timestamp": "string",
    "version": "string",
}
COLUMNS = list(SCHEMA)
STATUSES = ("ok", "diverged", "rejected", "cached", "pruned", "promoted", "mixture")
#: The statuses of a row that is a real training, which a later candidate with the
#: same cache key reuses (its row then says ``cached``) rather than training again.
CACHEABLE_STATUSES = ("ok", "diverged", "pruned")
#: The statuses of a row whose validation score counts: trained, or copied from the same function's training.
SCORED_STATUSES = ("ok", "cached")


class ResultsError(ActsearchError):
    """A results file that cannot be read or does not have the schema."""


def csv_cell(value: Any) -> str:
    """A value as the text of its CSV cell: empty for None and NaN, floats exactly (``repr``), on one line.

    >>> csv_cell(None), csv_cell(float("nan")), csv_cell(0.1), csv_cell("two\\nlines")
    ('', '', '0.1', 'two lines')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    # One row, one physical line: a line break inside a quoted cell (an exception's
    # message in ``reason``) would make a half-written row look whole to the cut below.
    return " ".join(str(value).splitlines())


class ResultsWriter:
    """Appends rows to a CSV file, one flushed and fsync'ed write per row."""

    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        drop_partial_last_line(path)
        new = not os.path.exists(path) or os.path.getsize(path) == 0
        if not new:
            with open(path, encoding="utf-8", newline="") as fh:
                header = next(csv.reader([fh.readline()]), [])
            if header != COLUMNS:
                raise ResultsError(f"{path}: its columns are not this version's ({len(header)} against "
                                   f"{len(COLUMNS)}); rows cannot be appended to it: use a new --out")
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
        self._write([csv_cell(row.get(c)) for c in COLUMNS])

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def drop_partial_last_line(path: str) -> None:
    """Cut a half-written last line (a run killed mid-write) so appends stay aligned.

    Everything after the file's last newline goes; a missing file is left missing.
    """
    if not os.path.exists(path):
        return
    with open(path, "rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)


#: Columns added after the first release, and the value a file written before them
#: gets when read (the table is otherwise the same, so older runs stay readable).
ADDED_COLUMNS: dict[str, str] = {"val_history": "", "learned": "", "init": "", "init_gain": "", "model": "",
                                 "rung": "", "fidelity": ""}
STAGES = ("search", "final")
_JSON_COLUMNS = {"params": dict, "test_scores": list, "val_history": list}


class PartialLineWarning(UserWarning):
    """A half-written last line (a run killed mid-write), skipped when reading."""


def load_results(*paths: str):
    """Read one or more ``evaluations.csv`` files into one DataFrame with typed columns.

    A folder stands for the ``evaluations.csv`` inside it.  Several files are
    concatenated in the order given; the ``run_id`` column tells the runs
    apart, so a file given twice, or the same run_id in two files, is an error
    (every row of that run would count twice).

    Reading is strict, because analysis of a damaged table would be wrong
    without saying so:

    * A half-written last line, the trace of a run killed mid-write (the file
      does not end with a newline, the last record has fewer fields than the
      header, or it ends inside a quoted field), is skipped with a
      :class:`PartialLineWarning` naming the file and the line.  ``ResultsWriter``
      cuts the same line when the run resumes.
    * Anything else malformed raises :class:`ResultsError`, one line naming
      the file and, where there is one, the line: an empty file, binary data or
      text that is not UTF-8, invalid CSV quoting, a missing, unknown or
      repeated column, a row with the wrong number of fields before the last,
      an unknown stage or status, an empty run_id, eval_id, complexity or seeds,
      a non-numeric or non-integer number, invalid JSON in ``params``,
      ``test_scores`` or ``val_history``, or an unreadable timestamp.
    * A file without the ``val_history`` column (written before it was added;
      :data:`ADDED_COLUMNS`) is read with that column empty.  Columns may come in
      any order; the result has the order of :data:`COLUMNS`.  Blank lines hold
      no row and are skipped.

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
    owner: dict[str, str] = {}  # run_id -> the file it came from
    files: dict[str, str] = {}  # real path -> the path as given
    for path in paths:
        path = _results_file(path, files)
        frame = _read_table(path)  # not in a helper: its warnings' stacklevel points at load_results' caller
        for run_id in dict.fromkeys(frame["run_id"].tolist()):
            if run_id in owner:
                raise ResultsError(f"{path}: run_id {run_id!r} is also in {owner[run_id]}; a run can be read from "
                                   "one file only (run_id is the output folder's name and the seed: two runs in "
                                   "folders of the same name cannot be loaded together)")
            owner[run_id] = path
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _results_file(path, files: dict[str, str]) -> str:
    """The ``evaluations.csv`` that ``path`` names, added to ``files`` (real path -> as given) if it is new."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "evaluations.csv")
    if not os.path.exists(path):
        raise ResultsError(f"results file {path!r} does not exist")
    real = os.path.realpath(path)
    if real in files:
        raise ResultsError(f"{path}: the same file is given twice (also as {files[real]})")
    files[real] = path
    return path


def _short(text: str, limit: int = 40) -> str:
    text = repr(text)
    return text if len(text) <= limit else text[:limit - 4] + "...'"


def csv_records(path: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the complete data records and the line where each starts, of a results CSV file.

    A half-written last record is left out with a :class:`PartialLineWarning`;
    a file that is not CSV text (empty, binary, not UTF-8, bad quoting, a row
    with the wrong number of fields) raises :class:`ResultsError` naming the line.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ResultsError(f"{path}: the file is empty (no header); not an actsearch results table")
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ResultsError(f"{path}, line {line}: binary data (a NUL byte); not an actsearch results table")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ResultsError(f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                           "not an actsearch results table") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start, cut = 1, None  # cut: the start line of a record that ends inside quotes at the end of the file
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "end of data" in str(exc):
                if start == text.count("\n") + 1:  # the last line, cut inside a quoted field
                    cut = start
                    break
                raise ResultsError(f"{path}, line {start}: a quoted field is never closed (the rest of the file "
                                   "would be one field)") from None
            raise ResultsError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None
        if fields:  # a blank line holds no row
            records.append((start, fields))
        start = reader.line_num + 1
    if not records:
        raise ResultsError(f"{path}, line {cut or 1}: no complete header line; not an actsearch results table")
    (_, header), body = records[0], records[1:]
    partial = None
    if cut is not None:
        partial = cut
    elif body and (not text.endswith("\n") or len(body[-1][1]) < len(header)):
        partial = body.pop()[0]
    if partial is not None:
        warnings.warn(f"{path}, line {partial}: half-written last line (a run killed mid-write?) skipped",
                      PartialLineWarning, stacklevel=4)
    for line, fields in body:
        if len(fields) != len(header):
            raise ResultsError(f"{path}, line {line}: {len(fields)} fields, but the header has {len(header)}")
    return header, [f for _, f in body], [line for line, _ in body]


def _read_table(path: str):
    import pandas as pd

    header, rows, lines = csv_records(path)
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ResultsError(f"{path}: column(s) {', '.join(repeated)} appear more than once in the header")
    unknown = [c for c in header if c not in SCHEMA]
    missing = [c for c in COLUMNS if c not in header and c not in ADDED_COLUMNS]
    if missing:
        named = ", ".join(missing) if len(missing) <= 5 else f"{len(missing)} of {len(COLUMNS)}: " + \
            ", ".join(missing[:5]) + ", ..."
        raise ResultsError(f"{path}: missing column(s) {named}; is this an actsearch results file "
                           "(or one from an older version)?")
    if unknown:
        raise ResultsError(f"{path}: unknown column(s) {', '.join(_short(c) for c in unknown)}; "
                           "not an actsearch results table of this version")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    for col, value in ADDED_COLUMNS.items():
        if col not in frame.columns:
            frame[col] = value
    frame = frame[COLUMNS]
    _check_values(frame, path, lines)
    return typed_frame(frame, path, lines)


def _check_values(frame, path: str, lines: list[int]) -> None:
    """The checks that are not about numbers: categories, JSON, timestamps."""

    def fail(i: int, message: str):
        raise ResultsError(f"{path}, line {lines[i]}: {message}")

    for i, value in enumerate(frame["run_id"]):
        if not value:
            fail(i, "column 'run_id' is empty")
    for col, allowed in (("stage", STAGES), ("status", STATUSES)):
        for i, value in enumerate(frame[col]):
            if value not in allowed:
                fail(i, f"column {col!r} holds {_short(value)}, not one of {', '.join(allowed)}")
    for col, kind in _JSON_COLUMNS.items():
        for i, value in enumerate(frame[col]):
            if not value:
                continue
            try:
                parsed = json.loads(value)
            except ValueError:
                fail(i, f"column {col!r} holds {_short(value)}, not JSON")
            items = parsed.values() if isinstance(parsed, dict) else parsed if isinstance(parsed, list) else None
            if not isinstance(parsed, kind) or not all(
                    (v is None and kind is list) or (isinstance(v, (int, float)) and not isinstance(v, bool))
                    for v in items):
                expected = "an object of parameter values" if kind is dict else "a list of numbers"
                fail(i, f"column {col!r} holds {_short(value)}, not {expected}")
    for i, value in enumerate(frame["timestamp"]):
        if value:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                fail(i, f"column 'timestamp' holds {_short(value)}, not an ISO 8601 time")


def typed_frame(frame, path: str, lines: list[int] | None = None):
    """A copy of ``frame`` (a DataFrame of text cells, columns :data:`COLUMNS`) with each column of its
    :data:`SCHEMA` type; an empty cell is missing.

    A cell that is not a number, or not a whole one where the type is an
    integer, raises :class:`ResultsError` naming ``path`` and the line: from
    ``lines`` (the line of each row), else counted from a header on line 1.
    """
    import numpy as np
    import pandas as pd

    def line(mask) -> int:
        i = int(np.asarray(mask).nonzero()[0][0])
        return lines[i] if lines is not None else i + 2  # header is line 1

    out = frame.copy()
    for col, dtype in SCHEMA.items():
        raw = frame[col].astype(object)
        if dtype == "string":
            out[col] = raw.replace("", None).astype("string")  # an empty cell is missing (NA)
            continue
        numbers = pd.to_numeric(raw.replace("", None), errors="coerce")
        lowered = raw.map(lambda v: str(v).strip().lower())
        bad = numbers.isna() & (raw != "") & (lowered != "nan")
        if bad.any():
            raise ResultsError(f"{path}, line {line(bad)}: column {col!r} holds {_short(raw[bad].iloc[0])}, "
                               "not a number")
        if dtype == "float64":
            out[col] = numbers.astype("float64")
            continue
        numbers = numbers.astype("float64")
        if dtype == "int64" and numbers.isna().any():
            raise ResultsError(f"{path}, line {line(numbers.isna())}: column {col!r} is empty or NaN")
        filled = numbers.fillna(0.0).to_numpy()
        fractional = ~np.isfinite(filled) | (filled != np.round(filled))
        if fractional.any():
            raise ResultsError(f"{path}, line {line(fractional)}: column {col!r} holds "
                               f"{_short(raw[fractional].iloc[0])}, not a whole number")
        out[col] = numbers.astype(dtype)
    return out


def row_params(row) -> dict[str, float]:
    """The parameter values of a table row."""
    text = row["params"]
    if text is None or not isinstance(text, str) or not text:
        return {}  # missing (None, NaN or pandas NA): no parameters
    return {k: float(v) for k, v in json.loads(text).items()}


def params_text(values, learned=None) -> str:
    """Parameter values as ``beta=1.5, alpha=0.01`` (empty without any): a dict, or a row's ``params`` JSON.

    With ``learned`` (a row's ``learned`` JSON or dict: values per layer), a learned
    parameter shows where it started and where training took it, the mean over layers.

    >>> params_text({"beta": 1.5, "alpha": 0.01}), params_text('{"beta": 1.702}'), params_text(None)
    ('beta=1.5, alpha=0.01', 'beta=1.702', '')
    >>> params_text('{"beta": 1.0}', '{"beta": [2.2, 2.6]}')
    'beta=1 -> 2.4'
    """
    values, learned = _json_dict(values), _json_dict(learned)
    if isinstance(values, str):
        return values  # not JSON: shown as written, never a crash in a table

    def shown(name, value):
        text = f"{name}={value:.4g}" if isinstance(value, (int, float)) else f"{name}={value}"
        moved = learned.get(name) if isinstance(learned, dict) else None
        moved = [moved] if isinstance(moved, (int, float)) else moved
        if isinstance(moved, list) and moved and all(isinstance(v, (int, float)) for v in moved):
            text += f" -> {sum(moved) / len(moved):.4g}"
        return text
    return ", ".join(shown(k, v) for k, v in values.items())


def _json_dict(value):
    """A dict from a dict or JSON text; {} when missing; the text itself when it is not JSON."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}  # missing (None, NaN or pandas NA)
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, dict) else value


def dumps_scores(values: Iterable[float]) -> str:
    return json.dumps([None if (v is None or not math.isfinite(v)) else round(float(v), 10) for v in values])


def json_safe(value):
    """``value`` as JSON can hold it: NaN, infinities and missing values become None, NumPy scalars Python ones.

    Dicts (with their keys as text), lists and tuples are converted item by
    item; anything else that is not a bool, number or text becomes its text.

    >>> import numpy as np
    >>> json_safe((np.int64(3), np.float32(0.5), "a", {1: np.nan}))
    [3, 0.5, 'a', {'1': None}]
    """
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)):
        return value
    try:
        import pandas as pd

        if value is pd.NA or pd.isna(value):
            return None
    except (TypeError, ValueError):  # pd.isna of a list-like is not one truth value
        pass
    return str(value)
