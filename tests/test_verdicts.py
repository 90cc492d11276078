"""Final-stage verdicts: the best baseline by validation, paired tests, Holm, twins shown once."""

import json
import math

import pytest
from scipy import stats as sps

from actsearch.analysis.tables import leaderboard
from actsearch.analysis.verdicts import final_comparison
from actsearch.expression import parse
from actsearch.results import ResultsWriter, load_results

SCORES = {  # per-seed test scores over 6 seeds, and the validation mean that picks the best baseline
    "relu(x)": ([0.80, 0.82, 0.81, 0.79, 0.80, 0.81], 0.80),
    "swish(x)": ([0.86, 0.87, 0.85, 0.86, 0.88, 0.86], 0.87),  # the best baseline: highest validation
    "tanh(x)": ([0.90, 0.91, 0.90, 0.92, 0.90, 0.91], 0.70),  # best on test, but selection never sees test
    "x * sin(x) + x": ([0.90, 0.90, 0.89, 0.91, 0.92, 0.90], 0.88),
    "max(x, sin(x))": ([0.87, 0.87, 0.86, 0.86, 0.89, 0.87], 0.87),
    "x * sigmoid(x)": (None, None),  # swish's twin: the final stage copies its row
}


@pytest.fixture
def table(tmp_path):
    with ResultsWriter(str(tmp_path / "evaluations.csv")) as writer:
        for i, (text, (scores, val)) in enumerate(SCORES.items()):
            expr = parse(text)
            baseline = i < 3
            copied = SCORES["swish(x)"] if scores is None else (scores, val)
            writer.append({"run_id": "r-s0", "eval_id": i, "stage": "final",
                           "strategy": "baseline" if baseline else "random", "expression": str(expr),
                           "canonical": str(expr.canonical()), "fingerprint": expr.fingerprint,
                           "complexity": expr.complexity, "params": "{}", "seeds": 6,
                           "status": "cached" if scores is None else "ok", "val_score": copied[1],
                           "test_score": sum(copied[0]) / 6, "test_scores": json.dumps(copied[0])})
    return load_results(str(tmp_path))


def _p(a, b):
    return sps.ttest_rel(SCORES[a][0], SCORES[b][0]).pvalue


def test_holm_and_verdicts_against_a_hand_computed_example(table):
    out = final_comparison(table).set_index("expression")
    assert set(out["best_baseline"]) == {"swish(x)"}  # by validation, although tanh is better on test
    p1, p2 = _p("x * sin(x) + x", "swish(x)"), _p("max(x, sin(x))", "swish(x)")
    # the family: the three finalists; the twin's p is 1 (identical scores)
    ps = sorted([p1, p2, 1.0])
    expected = {p1: None, p2: None}
    running = 0.0
    for rank, p in enumerate(ps):
        running = max(running, min(1.0, (3 - rank) * p))
        if p in expected:
            expected[p] = running
    assert out.loc["x * sin(x) + x", "p_vs_best"] == pytest.approx(p1)
    assert out.loc["x * sin(x) + x", "p_vs_best_holm"] == pytest.approx(expected[p1])
    assert out.loc["max(x, sin(x))", "p_vs_best_holm"] == pytest.approx(expected[p2])
    assert expected[p1] < 0.05 < expected[p2]
    assert out.loc["x * sin(x) + x", "verdict"] == "better than swish(x)"
    assert out.loc["max(x, sin(x))", "verdict"] == "no evidence"
    assert out.loc["swish(x)", "verdict"] == "best baseline" and out.loc["tanh(x)", "verdict"] == "baseline"
    assert math.isnan(out.loc["tanh(x)", "p_vs_best_holm"])  # baselines are references, not in the family
    diff = sum(a - b for a, b in zip(SCORES["x * sin(x) + x"][0], SCORES["swish(x)"][0])) / 6
    assert out.loc["x * sin(x) + x", "vs_best"] == pytest.approx(diff)
    low, high = out.loc["x * sin(x) + x", "vs_best_ci"]
    assert low < diff < high and low > 0
    assert out.loc["relu(x)", "verdict"] == "baseline" and math.isnan(out.loc["relu(x)", "p_vs_relu"])
    assert out.loc["tanh(x)", "p_vs_relu"] == pytest.approx(_p("tanh(x)", "relu(x)"))


def test_a_baselines_twin_is_shown_once_with_both_names(table):
    board = leaderboard(table)
    fingerprint = parse("swish(x)").fingerprint
    twins = board[board["fingerprint"] == fingerprint]
    assert len(twins) == 1
    row = twins.iloc[0]
    assert row["expression"] == "swish(x)" and row["also"] == "x * sigmoid(x) (random)"
    # the finalist is the best baseline itself: a difference of 0 and no evidence
    assert row["vs_best"] == 0 and row["verdict"] == "no evidence"
    assert len(board) == len(SCORES) - 1
