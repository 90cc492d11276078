"""The results table: schema, appends, typed reading, partial lines."""

import csv
import math

import pytest

from actsearch.results import COLUMNS, SCHEMA, ResultsError, ResultsWriter, load_results


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
