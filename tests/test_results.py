"""The results table: schema, appends, typed reading, partial lines."""

import csv
import math
import warnings
from pathlib import Path

import pytest

from actsearch.results import (ADDED_COLUMNS, COLUMNS, SCHEMA, PartialLineWarning, ResultsError, ResultsWriter,
                               csv_cell, load_results, typed_frame)


def _row(i, **kw):
    row = {"run_id": "r", "eval_id": i, "stage": "search", "strategy": "random", "expression": "tanh(x)",
           "complexity": 2, "seeds": 2, "status": "ok", "val_score": 0.5 + i / 100, "params": "{}"}
    row.update(kw)
    return row


def test_rows_round_trip_with_types(tmp_path):
    path = tmp_path / "evaluations.csv"
    with ResultsWriter(str(path)) as w:
        w.append(_row(0, generation=3))
        w.append(_row(1, status="rejected", val_score=math.nan, reason="linear, with a comma"))
    df = load_results(str(tmp_path))
    assert list(df.columns) == COLUMNS
    assert df["eval_id"].tolist() == [0, 1]
    assert str(df["val_score"].dtype) == "float64" and math.isnan(df.loc[1, "val_score"])
    assert df.loc[0, "generation"] == 3 and df["generation"].isna().tolist() == [False, True]
    assert df.loc[1, "reason"] == "linear, with a comma"
    with open(path, newline="") as fh:
        assert next(csv.reader(fh)) == COLUMNS
    assert set(SCHEMA) == set(COLUMNS)


def test_appending_to_an_existing_file_keeps_one_header(tmp_path):
    path = str(tmp_path / "evaluations.csv")
    with ResultsWriter(path) as w:
        w.append(_row(0))
    with ResultsWriter(path) as w:
        w.append(_row(1))
    assert open(path).read().count("run_id") == 1
    assert len(load_results(path)) == 2


def test_a_half_written_last_line_is_cut_on_reopen(tmp_path):
    path = str(tmp_path / "evaluations.csv")
    with ResultsWriter(path) as w:
        w.append(_row(0))
        w.append(_row(1))
    whole = open(path).read()
    with open(path, "a") as fh:
        fh.write("r,2,search,random,,,tanh")  # killed mid-write
    with ResultsWriter(path) as w:
        assert open(path).read() == whole
        w.append(_row(2))
    assert load_results(path)["eval_id"].tolist() == [0, 1, 2]


def test_bad_rows_and_files(tmp_path):
    with pytest.raises(ValueError, match="status"):
        with ResultsWriter(str(tmp_path / "a.csv")) as w:
            w.append(_row(0, status="great"))
    with pytest.raises(ValueError, match="outside the schema"):
        with ResultsWriter(str(tmp_path / "b.csv")) as w:
            w.append(_row(0, colour="red"))
    (tmp_path / "c.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ResultsError, match="missing column"):
        load_results(str(tmp_path / "c.csv"))
    path = str(tmp_path / "d.csv")
    with ResultsWriter(path) as w:
        w.append(_row(0))
    text = open(path).read().replace("0.5,", "oops,")
    open(path, "w").write(text)
    with pytest.raises(ResultsError, match=r"line 2: column 'val_score'"):
        load_results(path)
    with pytest.raises(ResultsError, match="does not exist"):
        load_results(str(tmp_path / "none.csv"))


# --- reading damaged, old and several files ------------------------------------------

def _write(path, rows):
    with ResultsWriter(str(path)) as w:
        for row in rows:
            w.append(row)
    return str(path)


def _rewrite(path, fn):
    """Rewrite the CSV at ``path`` through ``fn(header, rows) -> (header, rows)``."""
    with open(path, newline="") as fh:
        records = list(csv.reader(fh))
    header, rows = fn(records[0], records[1:])
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])


def test_a_line_break_in_a_cell_is_written_as_a_space(tmp_path):
    """One row, one physical line: otherwise a row cut after the break would look whole."""
    path = tmp_path / "evaluations.csv"
    with ResultsWriter(str(path)) as w:
        w.append(_row(0, status="diverged", val_score=math.nan, reason="training failed: ValueError: a\nb\r\nc"))
        w.append(_row(1))
    assert len(path.read_text().splitlines()) == 3  # the header and two rows
    assert load_results(str(path)).loc[0, "reason"] == "training failed: ValueError: a b c"


def test_a_run_killed_mid_write_loses_its_last_line_with_a_warning(tmp_path):
    path = _write(tmp_path / "evaluations.csv", [_row(0), _row(1, reason="a, b"), _row(2)])
    whole = Path(path).read_text()
    last = whole.splitlines()[-1]
    for tail in (last[:25], last[:-3], last[:25] + "\n", 'r,3,search,random,,,"sin(x) * '):
        Path(path).write_text(whole + tail)
        with pytest.warns(PartialLineWarning, match=r"evaluations\.csv, line 5: half-written last line"):
            df = load_results(path)
        assert df["eval_id"].tolist() == [0, 1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an intact file: no warning
        Path(path).write_text(whole)
        assert len(load_results(path)) == 3


def test_the_only_data_line_half_written(tmp_path):
    path = _write(tmp_path / "evaluations.csv", [_row(0)])
    text = Path(path).read_text()
    Path(path).write_text(text[: text.index("\n") + 20])
    with pytest.warns(PartialLineWarning, match="line 2"):
        df = load_results(path)
    assert len(df) == 0 and list(df.columns) == COLUMNS and str(df["val_score"].dtype) == "float64"


def test_an_older_schema_names_the_file_and_the_missing_column(tmp_path):
    path = _write(tmp_path / "old.csv", [_row(0), _row(1)])
    _rewrite(path, lambda h, rows: ([c for c in h if c != "fingerprint"],
                                    [[v for c, v in zip(h, r) if c != "fingerprint"] for r in rows]))
    with pytest.raises(ResultsError, match=r"old\.csv: missing column\(s\) fingerprint"):
        load_results(path)


def test_a_file_without_val_history_is_read_with_it_empty(tmp_path):
    path = _write(tmp_path / "older.csv", [_row(0, val_history="[0.5, 0.6]"), _row(1)])
    _rewrite(path, lambda h, rows: ([c for c in h if c != "val_history"],
                                    [[v for c, v in zip(h, r) if c != "val_history"] for r in rows]))
    df = load_results(path)
    assert list(df.columns) == COLUMNS and df["val_history"].isna().all() and len(df) == 2


def test_columns_in_another_order_are_read_by_name(tmp_path):
    path = _write(tmp_path / "e.csv", [_row(0), _row(1)])
    _rewrite(path, lambda h, rows: (h[::-1], [r[::-1] for r in rows]))
    df = load_results(path)
    assert list(df.columns) == COLUMNS and df["val_score"].tolist() == [0.5, 0.51]


def test_unknown_or_repeated_columns(tmp_path):
    path = _write(tmp_path / "e.csv", [_row(0)])
    _rewrite(path, lambda h, rows: (h + ["colour"], [r + ["red"] for r in rows]))
    with pytest.raises(ResultsError, match=r"e\.csv: unknown column\(s\) 'colour'"):
        load_results(path)
    _rewrite(path, lambda h, rows: (h[:-1] + ["status"], rows))
    with pytest.raises(ResultsError, match="status appear more than once"):
        load_results(path)


@pytest.mark.parametrize("content, message", [
    (b"", r"g\.csv: the file is empty"),
    (b"\n\n", r"g\.csv: the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", r"g\.csv, line 3: binary data"),
    (bytes(range(128, 256)) * 4, r"g\.csv, line 1: not UTF-8"),
    (b"hello, world\nthis is, not a results table\n",
     rf"g\.csv: missing column\(s\) {len(COLUMNS) - len(ADDED_COLUMNS)} of {len(COLUMNS)}"),
])
def test_garbage_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "g.csv"
    path.write_bytes(content)
    with pytest.raises(ResultsError, match=message) as info:
        load_results(str(path))
    assert "\n" not in str(info.value)


def _damage(tmp_path, old, new, count=1):
    path = _write(tmp_path / "d.csv", [_row(0), _row(1, val_score=0.75, test_scores="[0.7, 0.8]"), _row(2)])
    text = Path(path).read_text()
    lines = text.split("\n")
    assert old in lines[2]
    lines[2] = lines[2].replace(old, new, count)
    Path(path).write_text("\n".join(lines))
    return path


@pytest.mark.parametrize("old, new, message", [
    ("0.75", "high", r"d\.csv, line 3: column 'val_score' holds 'high', not a number"),
    (",ok,", ",great,", r"d\.csv, line 3: column 'status' holds 'great', not one of ok, diverged"),
    (",search,", ",draft,", r"d\.csv, line 3: column 'stage' holds 'draft'"),
    (",2,", ",2.5,", r"d\.csv, line 3: column 'complexity' holds '2.5', not a whole number"),
    (",2,", ",,", r"d\.csv, line 3: column 'complexity' is empty"),
    ('"[0.7, 0.8]"', '"[0.7, oops]"', r"d\.csv, line 3: column 'test_scores' holds .*not JSON"),
    ('"[0.7, 0.8]"', '"{""a"": 1}"', r"d\.csv, line 3: column 'test_scores' holds .*not a list of numbers"),
    ("{}", "[1]", r"d\.csv, line 3: column 'params' holds '\[1\]', not an object"),
    ("r,1,", ",1,", r"d\.csv, line 3: column 'run_id' is empty"),
    (",search,", ",search,extra,", rf"d\.csv, line 3: {len(COLUMNS) + 1} fields, but the header has {len(COLUMNS)}"),
    (",search,random,", ",", rf"d\.csv, line 3: {len(COLUMNS) - 2} fields, but the header has {len(COLUMNS)}"),
])
def test_a_bad_value_names_the_file_and_the_line(tmp_path, old, new, message):
    path = _damage(tmp_path, old, new)
    with pytest.raises(ResultsError, match=message):
        load_results(path)


def test_a_bad_timestamp_names_the_line(tmp_path):
    path = _write(tmp_path / "t.csv", [_row(0), _row(1, timestamp="yesterday")])
    with pytest.raises(ResultsError, match=r"t\.csv, line 3: column 'timestamp' holds 'yesterday'"):
        load_results(path)


def test_several_files_with_different_runs(tmp_path):
    a = _write(tmp_path / "a" / "evaluations.csv", [_row(0, run_id="a-s0"), _row(1, run_id="a-s0")])
    b = _write(tmp_path / "b" / "evaluations.csv", [_row(i, run_id="b-s1", status="rejected", val_score=math.nan,
                                                        reason="linear") for i in range(3)])
    df = load_results(str(tmp_path / "a"), b)
    assert df["run_id"].tolist() == ["a-s0"] * 2 + ["b-s1"] * 3
    assert df["eval_id"].tolist() == [0, 1, 0, 1, 2]
    assert list(df.columns) == COLUMNS and str(df["eval_id"].dtype) == "int64"
    with pytest.raises(ResultsError, match="the same file is given twice"):
        load_results(a, str(tmp_path / "a"))
    c = _write(tmp_path / "c" / "evaluations.csv", [_row(0, run_id="a-s0")])
    with pytest.raises(ResultsError, match=r"run_id 'a-s0' is also in .*a/evaluations\.csv"):
        load_results(a, c)
    with pytest.raises(ResultsError, match="needs at least one path"):
        load_results()


def test_blank_lines_hold_no_row(tmp_path):
    path = _write(tmp_path / "e.csv", [_row(0), _row(1)])
    text = Path(path).read_text()
    Path(path).write_text(text.replace("\n", "\n\n", 2))
    assert load_results(path)["eval_id"].tolist() == [0, 1]


def test_an_unclosed_quote_before_the_last_line_is_an_error_not_a_cut(tmp_path):
    path = _write(tmp_path / "q.csv", [_row(0), _row(1), _row(2)])
    lines = Path(path).read_text().split("\n")
    lines[2] = lines[2].replace(",search,", ',"search,', 1)  # would swallow the rest of the file
    Path(path).write_text("\n".join(lines))
    with pytest.raises(ResultsError, match=r"q\.csv, line 3: a quoted field is never closed"):
        load_results(path)


def test_typed_frame_without_line_numbers_counts_rows_from_a_header_on_line_1():
    """As the distributed ledger and the demo table use it: rows of cells, no file behind them."""
    import pandas as pd

    cells = [[csv_cell(row.get(c)) for c in COLUMNS] for row in (_row(0), _row(1, complexity="2.5"))]
    with pytest.raises(ResultsError, match=r"^<rows>, line 3: column 'complexity' holds '2.5', not a whole number$"):
        typed_frame(pd.DataFrame(cells, columns=COLUMNS, dtype=object), "<rows>")
    typed = typed_frame(pd.DataFrame(cells[:1], columns=COLUMNS, dtype=object), "<rows>")
    assert typed.loc[0, "complexity"] == 2 and str(typed["complexity"].dtype) == "int64"
    assert typed.loc[0, "val_score"] == 0.5 and typed["generation"].isna().all()
