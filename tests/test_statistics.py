"""actsearch.analysis.statistics: paired comparisons, Holm's correction and verdicts against hand-computed values
and SciPy; the final stage's verdicts (the best baseline by validation, Holm over the finalists) and the
leaderboard that shows a baseline's twin once.
"""

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from actsearch.analysis.statistics import MIN_WILCOXON, complete_pairs, final_comparison, holm, paired, verdict
from actsearch.analysis.tables import leaderboard
from actsearch.expression import parse
from actsearch.results import ResultsWriter, load_results


def test_holm_against_a_hand_computed_example():
    # p sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> max 0.06)
    assert holm([0.04, 0.005, 0.03, 0.01]) == pytest.approx([0.06, 0.02, 0.06, 0.03])
    # capped at 1, monotone, NaN outside the family
    adjusted = holm([0.5, math.nan, 0.6])
    assert adjusted[0] == pytest.approx(1.0) and adjusted[2] == pytest.approx(1.0) and math.isnan(adjusted[1])
    assert holm([]) == []
    assert holm([0.02]) == [0.02]


def test_holm_controls_the_family_wise_error_under_the_null():
    rng = np.random.default_rng(0)
    rejections = sum(min(holm(rng.uniform(size=5))) < 0.05 for _ in range(4000))
    assert rejections / 4000 < 0.05 + 0.01


def test_paired_matches_scipy_and_the_t_interval():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.8, 0.02, 10), rng.normal(0.79, 0.02, 10)
    c = paired(a, b)
    d = a - b
    assert c.n == 10 and c.diff == pytest.approx(d.mean())
    assert c.p_t == pytest.approx(sps.ttest_rel(a, b).pvalue)
    assert c.p_wilcoxon == pytest.approx(sps.wilcoxon(a, b).pvalue)
    half = sps.t.ppf(0.975, 9) * d.std(ddof=1) / math.sqrt(10)
    assert c.ci == pytest.approx((d.mean() - half, d.mean() + half))


def test_paired_edge_cases():
    assert math.isnan(paired([0.5], [0.4]).p_t)  # one pair: no test
    same = paired([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert same.diff == 0 and same.p_t == 1.0 and same.ci == (0.0, 0.0)
    assert paired([0.6, 0.7], [0.5, 0.6]).p_t == 0.0  # a constant, non-zero difference
    few = paired(np.arange(MIN_WILCOXON - 1) * 0.1, np.zeros(MIN_WILCOXON - 1) + 0.05)
    assert math.isnan(few.p_wilcoxon) and not math.isnan(few.p_t)
    a, b = complete_pairs([0.5, None, 0.7, math.nan], [0.4, 0.6, None, 0.1])
    assert a.tolist() == [0.5] and b.tolist() == [0.4]


def test_verdicts():
    assert verdict(0.02, 0.049, "swish(x)") == "better than swish(x)"
    assert verdict(-0.02, 0.01, "swish(x)") == "worse than swish(x)"
    assert verdict(0.02, 0.05, "swish(x)") == "no evidence"
    assert verdict(math.nan, math.nan, "swish(x)") == "no evidence"


# --- the final stage's verdicts ------------------------------------------------------

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
