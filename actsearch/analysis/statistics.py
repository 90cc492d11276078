"""Statistics of a comparison: paired tests, the Holm correction, verdicts, and the verdicts of a final stage.

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

:func:`final_comparison` gives the verdicts of a final stage, which trains the
finalists and the baselines on fresh seeds under one protocol:

1. the best baseline is the baseline with the highest final-stage validation
   mean (never the test score);
2. every other row is compared with it on paired per-seed test scores
   (:func:`paired`: t-test, Wilcoxon where there are enough pairs, a 95%
   interval of the mean difference);
3. the finalists' t-test p-values get Holm's correction as one family (the
   baselines are references, not claims, and are left out of it);
4. each finalist gets a verdict: ``better than B``, ``worse than B`` or
   ``no evidence``, B naming the best baseline.  The best baseline's own
   verdict is ``best baseline``, the other baselines' ``baseline``.

The paired t-test against relu is kept as a secondary comparison
(``diff_vs_relu``, ``p_vs_relu``; uncorrected).  The leaderboard
(:func:`actsearch.analysis.tables.leaderboard`, which ``search``, ``compare``,
``actsearch analyze`` and the report show) takes its comparison columns from
here.

>>> from actsearch import load_results
>>> final = load_results("tests/data/two-runs.csv").query("stage == 'final'")
>>> final_comparison(final)[["expression", "best_baseline", "verdict"]]
       expression best_baseline              verdict
5         relu(x)       relu(x)        best baseline
6         tanh(x)       relu(x)             baseline
7  x * sigmoid(x)       relu(x)  better than relu(x)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..results import SCORED_STATUSES

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


# --- the final stage's verdicts ---------------------------------------------------------


#: The columns :func:`final_comparison` adds, in order.
VERDICT_COLUMNS = ["best_baseline", "vs_best", "vs_best_ci", "p_vs_best", "p_vs_best_wilcoxon", "p_vs_best_holm",
           "verdict", "diff_vs_relu", "p_vs_relu"]


def _per_seed(row) -> list | None:
    """The row's per-seed test scores, or None where its status carries no scores."""
    text = row["test_scores"]
    if row["status"] not in SCORED_STATUSES or not isinstance(text, str) or not text:
        return None
    return json.loads(text)


def _best_baseline(final, scores: dict):
    """Index of the baseline with the highest validation mean (the first of a tie), or None."""
    best, best_val = None, -math.inf
    for index, row in final.iterrows():
        val = float(row["val_score"]) if row["val_score"] == row["val_score"] else math.nan
        if row["strategy"] == "baseline" and scores[index] is not None and math.isfinite(val) and val > best_val:
            best, best_val = index, val
    return best


def final_comparison(final, reference: str = "relu(x)"):
    """The final-stage rows of one run, each with the :data:`VERDICT_COLUMNS` of its comparisons.

    ``final`` is a DataFrame of final-stage rows (the results table's
    columns); the result has its index and order.  ``vs_best_ci`` holds
    ``[low, high]`` lists (None where there is no comparison).
    """
    import pandas as pd

    from ..expression import parse

    final = final.sort_values("eval_id", kind="stable")
    scores = {index: _per_seed(row) for index, row in final.iterrows()}
    best = _best_baseline(final, scores)
    ref_text = str(parse(reference))
    refs = [i for i, row in final.iterrows() if row["strategy"] == "baseline" and row["expression"] == ref_text
            and scores[i] is not None]
    out = pd.DataFrame(index=final.index, columns=VERDICT_COLUMNS, dtype=object)
    best_name = None if best is None else str(final.loc[best, "expression"])
    finalists = []
    for index, row in final.iterrows():
        is_baseline = row["strategy"] == "baseline"
        record = dict.fromkeys(VERDICT_COLUMNS, math.nan)
        record.update(best_baseline=best_name, vs_best_ci=None, verdict="baseline" if is_baseline else "no evidence")
        if best is not None and index == best:
            record["verdict"] = "best baseline"
        elif best is not None and scores[index] is not None:
            c = paired(scores[index], scores[best])
            record.update(vs_best=c.diff, vs_best_ci=[c.ci[0], c.ci[1]] if c.n >= 2 else None, p_vs_best=c.p_t,
                          p_vs_best_wilcoxon=c.p_wilcoxon)
        if not is_baseline:
            finalists.append(index)
        if refs and index != refs[0] and scores[index] is not None:
            c = paired(scores[index], scores[refs[0]])
            record.update(diff_vs_relu=c.diff, p_vs_relu=c.p_t)
        out.loc[index] = pd.Series(record)
    adjusted = holm([out.loc[i, "p_vs_best"] for i in finalists])
    for index, p in zip(finalists, adjusted):
        out.loc[index, "p_vs_best_holm"] = p
        out.loc[index, "verdict"] = verdict(float(out.loc[index, "vs_best"]), p, best_name or "")
    for col in ("vs_best", "p_vs_best", "p_vs_best_wilcoxon", "p_vs_best_holm", "diff_vs_relu", "p_vs_relu"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return pd.concat([final, out], axis=1)

