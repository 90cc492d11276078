"""Statistics of a comparison: paired tests, the Holm correction, and verdicts.

Every claim that one activation beats another goes through here.  Scores are
higher-is-better (accuracy, R^2) and paired by seed: the two networks of a
pair share the seed, and so the initial-weight draw, the batch order and the
train/validation partition.

>>> c = paired([0.91, 0.93, 0.92, 0.95], [0.90, 0.91, 0.90, 0.92])
>>> round(c.diff, 4), c.n, round(c.p_t, 4)
(0.02, 4, 0.0163)
>>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
[0.03, 0.06, 0.06]
>>> verdict(0.02, 0.03, "swish(x)"), verdict(0.02, 0.2, "swish(x)")
('better than swish(x)', 'no evidence')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

#: The Wilcoxon signed-rank test needs this many non-zero differences: with 5 its
#: smallest two-sided exact p is 2/32 = 0.0625, so it could never reject at 0.05.
MIN_WILCOXON = 6

ALPHA = 0.05


@dataclass(frozen=True)
class PairedComparison:
    """``a`` against ``b`` on paired scores.

    ``diff`` is the mean of ``a - b`` over the ``n`` complete pairs, ``ci``
    its 95% t interval, ``p_t`` the two-sided paired t-test, ``p_wilcoxon``
    the two-sided Wilcoxon signed-rank test (NaN with fewer than
    :data:`MIN_WILCOXON` non-zero differences).  With fewer than 2 pairs
    everything but ``n`` is NaN.
    """

    n: int
    diff: float
    ci: tuple[float, float]
    p_t: float
    p_wilcoxon: float


def complete_pairs(a: Iterable, b: Iterable) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``a`` and ``b`` (in order, by position) where both are finite numbers.

    >>> complete_pairs([0.5, None, 0.7], [0.4, 0.6, float("nan")])
    (array([0.5]), array([0.4]))
    """
    pairs = [(float(x), float(y)) for x, y in zip(a, b)
             if x is not None and y is not None and math.isfinite(float(x)) and math.isfinite(float(y))]
    if not pairs:
        return np.zeros(0), np.zeros(0)
    left, right = np.array(pairs).T
    return left, right


def paired(a: Sequence, b: Sequence, confidence: float = 0.95) -> PairedComparison:
    """Compare paired scores ``a`` and ``b``; see :class:`PairedComparison`.

    Identical pairs give ``diff`` 0 and p 1; differences that are all the
    same non-zero number (no spread, so the t statistic is infinite) give p 0.

    >>> paired([1.0, 1.0], [1.0, 1.0]).p_t
    1.0
    """
    from scipy import stats

    x, y = complete_pairs(a, b)
    n = len(x)
    if n < 2:
        return PairedComparison(n, math.nan, (math.nan, math.nan), math.nan, math.nan)
    d = x - y
    diff = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(diff)):
        p = 1.0 if abs(diff) <= 1e-12 else 0.0
        return PairedComparison(n, diff, (diff, diff), p, math.nan if n < MIN_WILCOXON else p)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    p_t = float(stats.ttest_rel(x, y).pvalue)
    nonzero = int(np.count_nonzero(d))
    p_w = float(stats.wilcoxon(x, y).pvalue) if nonzero >= MIN_WILCOXON else math.nan
    return PairedComparison(n, diff, (diff - half, diff + half), p_t, p_w)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (1979), controlling the family-wise error rate.

    The family is the finite p-values; NaN stays NaN and is not counted.
    With the m finite values sorted, p_(1) <= ... <= p_(m), the adjusted
    p_(i) is max over j <= i of min(1, (m - j + 1) p_(j)).

    >>> holm([0.01, float("nan"), 0.02])
    [0.02, nan, 0.02]
    """
    values = [float(p) for p in pvalues]
    order = sorted((p, i) for i, p in enumerate(values) if math.isfinite(p))
    m = len(order)
    out = [math.nan] * len(values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def verdict(diff: float, p_adjusted: float, reference: str, alpha: float = ALPHA) -> str:
    """``better than REF``, ``worse than REF`` or ``no evidence``, from the mean paired difference and its adjusted p.

    >>> verdict(-0.03, 0.001, "gelu(x)")
    'worse than gelu(x)'
    """
    if not (math.isfinite(diff) and math.isfinite(p_adjusted)) or p_adjusted >= alpha or diff == 0:
        return "no evidence"
    return f"{'better' if diff > 0 else 'worse'} than {reference}"
