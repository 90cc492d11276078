"""The scorer: the one place a candidate is trained over seeds."""

import math

import numpy as np
import pytest

from actsearch.datasets import load_dataset
from actsearch.evaluation import evaluate
from actsearch.executors import SerialExecutor
from actsearch.networks import TrainConfig, Trainer, train
from actsearch.scoring import NumpyScorer, Task
from actsearch.expression import parse

CONFIG = TrainConfig(hidden=(8,), epochs=4, early_stopping=False)


def test_a_row_is_the_mean_and_sample_std_of_independent_trainings():
    data = load_dataset("moons")
    fields = NumpyScorer(data, CONFIG).score(Task("x * sigmoid(beta * x)", {"beta": 1.5}, (3, 4, 5)))
    expr = parse("x * sigmoid(beta * x)", params={"beta": 1.5})
    runs = [train(expr, data, CONFIG, seed=s) for s in (3, 4, 5)]
    val = [r.val_score for r in runs]
    test = [r.test_score for r in runs]
    assert fields["status"] == "ok" and fields["seeds"] == 3
    assert fields["val_score"] == pytest.approx(np.mean(val), abs=1e-12)
    assert fields["val_score_std"] == pytest.approx(np.std(val, ddof=1), abs=1e-12)
    assert fields["test_score"] == pytest.approx(np.mean(test), abs=1e-12)
    assert fields["test_score_std"] == pytest.approx(np.std(test, ddof=1), abs=1e-12)
    assert fields["epochs"] == np.mean([r.epochs for r in runs]) == 4


@pytest.mark.parametrize("error", [ValueError("bad shape"), TypeError("odd"), OverflowError("too big")])
def test_evaluate_and_the_search_record_a_failing_training_alike(monkeypatch, error):
    """One path: evaluate()'s per-seed rows and the executors' rows catch the same failures, with one reason."""
    def fail(self, seed, on_epoch=None, **racing):
        raise error

    monkeypatch.setattr(Trainer, "fit", fail)
    data = load_dataset("moons")
    executor = SerialExecutor(NumpyScorer(data, CONFIG))
    fields = next(executor.map([Task("tanh(x)", {}, (0, 1))]))
    executor.close()
    df = evaluate("tanh(x)", dataset=data, config=CONFIG, seeds=2)
    reason = f"training failed: {type(error).__name__}: {error}"
    assert fields["status"] == "diverged" and fields["reason"] == reason and fields["seeds"] == 1
    assert math.isnan(fields["val_score"])
    assert list(df["status"]) == ["diverged", "diverged"] and set(df["reason"]) == {reason}
