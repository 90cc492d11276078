"""actsearch.analysis.formatting and actsearch.analysis.files: the cells both ``actsearch analyze`` and the report
print, JSON-safe values, and output files written into a folder made for them."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from actsearch.analysis.files import write_into_folder
from actsearch.analysis.formatting import missing, number, plus_minus
from actsearch.results import json_safe


@pytest.mark.parametrize("value", [None, math.nan, np.nan, np.float32("nan"), pd.NA, pd.NaT])
def test_missing_values(value):
    assert missing(value)
    assert number(value, blank="-") == "-" and plus_minus(value, 0.1, blank="-") == "-"


@pytest.mark.parametrize("value", [0.0, 0, np.int64(0), False, "", "nan?", math.inf, [math.nan]])
def test_values_that_are_not_missing(value):
    assert not missing(value)


def test_numbers_as_python_formats_them():
    for value in (0.123456, -2.5, 7, np.float64(1 / 3), np.int64(12)):
        assert number(value) == format(float(value), ".4f")
        assert number(value, 2, signed=True) == format(float(value), "+.2f")
    assert number(math.inf) == "inf" and number(-math.inf, signed=True) == "-inf"
    assert plus_minus(0.5, 0.25, 2) == "0.50 \u00b1 0.25" and plus_minus(0.5, None) == "0.5000"


def test_json_safe_values_load_back_without_nan():
    value = {"a": np.float64(0.5), "b": [np.int64(2), math.inf, None, pd.NA], 3: (True, "x", np.nan),
             "when": pd.Timestamp("2025-01-01T00:00:00Z"), "never": pd.NaT}
    text = json.dumps(json_safe(value), allow_nan=False)
    assert json.loads(text) == {"a": 0.5, "b": [2, None, None, None], "3": [True, "x", None],
                                "when": "2025-01-01 00:00:00+00:00", "never": None}
    assert type(json_safe(np.int64(2))) is int and type(json_safe(np.bool_(True))) is bool


def test_write_into_folder_makes_the_folder_and_names_what_failed(tmp_path):
    path = tmp_path / "a" / "b" / "out.txt"
    assert write_into_folder(str(path), lambda name: open(name, "w").write("hi"), ValueError) == str(path)
    assert path.read_text() == "hi"
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=f"cannot write {blocker / 'out.txt'}: cannot create folder {blocker}"):
        write_into_folder(str(blocker / "out.txt"), lambda name: None, ValueError)
    with pytest.raises(ValueError, match=f"^cannot write {tmp_path}: "):
        write_into_folder(str(tmp_path), lambda name: open(name, "w"), ValueError)  # a folder, not a file
