"""Paired comparisons, Holm's correction and verdicts against hand-computed values and SciPy."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from actsearch.stats import MIN_WILCOXON, complete_pairs, holm, paired, verdict


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
