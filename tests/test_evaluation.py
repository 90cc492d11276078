"""evaluate(): one row per seed, a summary over the seeds, and no crash on bad candidates.

Every training call is tiny (one hidden layer of 16 or 32 units, at most 20
epochs, small datasets) so the file runs in a few seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from actsearch.datasets import load_dataset
from actsearch.errors import ActsearchError, ConfigError
from actsearch.evaluation import COLUMNS, evaluate, summarize

SMALL = dict(hidden=(16,), epochs=5)
REQUIRED = ["expression", "dataset", "seed", "status", "val_score", "test_score"]
TIMING = ["train_seconds"]


@pytest.fixture(scope="module")
def swish_iris():
    return evaluate("x*sigmoid(x)", dataset="iris", seeds=3, **SMALL)


def test_one_row_per_seed_with_required_columns(swish_iris):
    df = swish_iris
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 3
    assert set(REQUIRED) <= set(df.columns)
    assert list(df.columns) == [c for c in COLUMNS if c in df.columns]  # documented order
    assert list(df["seed"]) == [0, 1, 2]
    assert set(df["status"]) == {"ok"}
    assert set(df["dataset"]) == {"iris"}
    assert set(df["expression"]) == {"x * sigmoid(x)"}
    assert (df["epochs"] >= 1).all() and (df["epochs"] <= 5).all()


def test_scores_are_accuracies_on_the_split_sizes(swish_iris):
    # iris: 96/24/30 train/val/test rows, so accuracies are multiples of 1/24 and 1/30.
    for col, n in (("val_score", 24), ("test_score", 30), ("train_score", 96)):
        values = swish_iris[col].to_numpy()
        assert np.all((values >= 0) & (values <= 1))
        np.testing.assert_allclose(values * n, np.round(values * n), atol=1e-9)


def test_summary_mean_and_sample_std(swish_iris):
    s = swish_iris.attrs["summary"]
    ok = swish_iris[swish_iris["status"] == "ok"]
    scores = ok["test_score"].to_numpy(dtype=float)
    assert s["test_score_mean"] == pytest.approx(np.mean(scores), abs=1e-12)
    assert s["test_score_std"] == pytest.approx(np.std(scores, ddof=1), abs=1e-12)
    val = ok["val_score"].to_numpy(dtype=float)
    assert s["val_score_mean"] == pytest.approx(np.mean(val), abs=1e-12)
    assert s["val_score_std"] == pytest.approx(np.std(val, ddof=1), abs=1e-12)
    assert s["n_ok"] == 3 and s["n_seeds"] == 3
    assert s["task"] == "multiclass"
    assert s["expression"] == "x * sigmoid(x)" and s["dataset"] == "iris"
    assert [r["seed"] for r in s["seeds"]] == [0, 1, 2]
    assert [r["test_score"] for r in s["seeds"]] == pytest.approx(list(scores))


def test_std_is_sample_std_not_population():
    # Two known scores: sample std of (0.25, 0.75) is 0.3536, population std 0.25.
    df = pd.DataFrame({"expression": ["x", "x"], "dataset": ["d", "d"], "seed": [0, 1], "status": ["ok", "ok"],
                       "val_score": [0.5, 0.5], "test_score": [0.25, 0.75]})
    s = summarize(df)
    assert s["test_score_mean"] == pytest.approx(0.5)
    assert s["test_score_std"] == pytest.approx(math.sqrt(0.125))
    assert s["val_score_std"] == 0.0


def test_summary_ignores_rows_that_did_not_finish():
    df = pd.DataFrame({"expression": ["x"] * 3, "dataset": ["d"] * 3, "seed": [0, 1, 2],
                       "status": ["ok", "diverged", "ok"], "val_score": [0.5, np.nan, 0.7],
                       "test_score": [0.4, np.nan, 0.8]})
    s = summarize(df)
    assert s["test_score_mean"] == pytest.approx(0.6)
    assert s["test_score_std"] == pytest.approx(np.std([0.4, 0.8], ddof=1))
    assert (s["n_ok"], s["n_seeds"]) == (2, 3)
    assert s["seeds"][1]["test_score"] is None  # NaN becomes None in the per-seed records


def test_same_call_twice_is_identical(swish_iris):
    again = evaluate("x*sigmoid(x)", dataset="iris", seeds=3, **SMALL)
    a = swish_iris.drop(columns=TIMING)
    b = again.drop(columns=TIMING)
    pd.testing.assert_frame_equal(a, b)


def test_explicit_seed_list():
    df = evaluate("tanh(x)", dataset="iris", seeds=[3, 5], **SMALL)
    assert list(df["seed"]) == [3, 5]
    # Seed 5 alone gives the same row as seed 5 in the list: seeds are independent.
    alone = evaluate("tanh(x)", dataset="iris", seeds=[5], **SMALL)
    pd.testing.assert_frame_equal(df.iloc[[1]].drop(columns=TIMING).reset_index(drop=True),
                                  alone.drop(columns=TIMING).reset_index(drop=True))


def test_different_seeds_give_different_networks():
    df = evaluate("tanh(x)", dataset="breast_cancer", seeds=[0, 1], hidden=(16,), epochs=3)
    assert df.loc[0, "train_loss"] != df.loc[1, "train_loss"]


def test_learns_something_on_moons():
    # A baseline that must work: moons is learnable far above chance (0.5).
    df = evaluate("tanh(x)", dataset="moons", hidden=(16,), epochs=20, seeds=1, lr=0.01)
    assert df.loc[0, "status"] == "ok"
    assert df.loc[0, "test_score"] > 0.8


def test_accepts_a_dataset_object():
    data = load_dataset("iris", seed=0)
    a = evaluate("tanh(x)", dataset=data, seeds=1, **SMALL)
    b = evaluate("tanh(x)", dataset="iris", seeds=1, **SMALL)
    pd.testing.assert_frame_equal(a.drop(columns=TIMING), b.drop(columns=TIMING))


# --- candidates that fail ---------------------------------------------------------

NON_SCORE = ["seed", "epochs", "best_epoch", "train_seconds"]
SCORES = ["val_score", "test_score", "train_score", "train_loss", "val_loss", "test_loss"]


def test_diverging_candidate_reports_diverged():
    # exp(x)^2 at lr=10 blows the weights up in the first epoch on every seed.
    df = evaluate("exp(x)*exp(x)", dataset="breast_cancer", lr=10.0, hidden=(32,), epochs=20, seeds=2)
    assert list(df["seed"]) == [0, 1]
    assert list(df["status"]) == ["diverged", "diverged"]
    assert all(isinstance(r, str) and r for r in df["reason"])
    assert df[SCORES].isna().all().all()
    for col in NON_SCORE:
        assert np.all(np.isfinite(df[col].to_numpy(dtype=float))), col
    s = df.attrs["summary"]
    assert math.isnan(s["test_score_mean"]) and math.isnan(s["test_score_std"])
    assert s["n_ok"] == 0 and s["n_seeds"] == 2
    assert all(r["test_score"] is None for r in s["seeds"])


def test_double_exponential_at_huge_lr_is_diverged():
    """The issue's example.  exp clips its argument at 80, so every number stays finite,
    but the hidden activations explode (e^e^z) and the run is recorded as diverged."""
    df = evaluate("exp(exp(x))", dataset="breast_cancer", lr=10.0, hidden=(32,), epochs=20, seeds=2)
    assert list(df["status"]) == ["diverged", "diverged"]
    assert all("exploded" in r for r in df["reason"])
    for col in NON_SCORE:
        assert np.all(np.isfinite(df[col].to_numpy(dtype=float))), col
    assert math.isnan(df.attrs["summary"]["test_score_mean"])


def test_mixed_outcomes_summarise_the_finished_seeds_only():
    # x*exp(x) at lr=10 on iris: seed 0 diverges, seed 1 finishes (in this version).
    df = evaluate("x*exp(x)", dataset="iris", lr=10.0, hidden=(32,), epochs=20, seeds=2)
    s = df.attrs["summary"]
    ok = df.loc[df["status"] == "ok", "test_score"].to_numpy(dtype=float)
    assert s["n_ok"] == len(ok)
    if len(ok):
        assert s["test_score_mean"] == pytest.approx(np.mean(ok))
        assert s["test_score_std"] == pytest.approx(np.std(ok, ddof=1) if len(ok) > 1 else 0.0)
    else:
        assert math.isnan(s["test_score_mean"])


def test_zero_gradient_candidate_is_ok_with_reason():
    df = evaluate("step(x)", dataset="iris", seeds=2, **SMALL)
    assert list(df["status"]) == ["ok", "ok"]
    for reason in df["reason"]:
        assert "zero gradient" in reason
    assert np.all(np.isfinite(df["test_score"].to_numpy(dtype=float)))
    # The hidden layer's activation has zero slope everywhere it is evaluated.
    assert all(flow == [0.0] for flow in df["grad_flow"])


def test_healthy_candidate_has_empty_reason(swish_iris):
    assert all(r == "" for r in swish_iris["reason"])
    assert all(len(flow) == 1 and flow[0] > 0 for flow in swish_iris["grad_flow"])


# --- bad settings -------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"seeds": 0},
    {"seeds": -2},
    {"seeds": []},
    {"dropout": 1.5},
    {"dropout": -0.1},
    {"epochs": 0},
    {"lr": 0.0},
    {"lr": float("nan")},
    {"batch_size": 0},
    {"hidden": (0,)},
    {"hidden": ()},
    {"optimizer": "rmsprop"},
    {"init": "zeros"},
    {"l2": -1.0},
])
def test_bad_settings_raise_config_error(kwargs):
    settings = {"dataset": "iris", "seeds": 1, **SMALL, **kwargs}
    with pytest.raises(ConfigError) as info:
        evaluate("tanh(x)", **settings)
    assert isinstance(info.value, ActsearchError)
    assert "\n" not in str(info.value)


def test_bad_expression_and_dataset_raise_actsearch_errors():
    with pytest.raises(ActsearchError):
        evaluate("unknownfn(x)", dataset="iris", seeds=1, **SMALL)
    with pytest.raises(ActsearchError):
        evaluate("tanh(x)", dataset="no_such_dataset", seeds=1, **SMALL)
