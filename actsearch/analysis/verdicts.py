"""Verdicts of a final stage: every finalist against the best baseline, Holm-corrected.

The final stage trains the finalists and the baselines on fresh seeds under
one protocol.  Here:

1. the best baseline is the baseline with the highest final-stage validation
   mean (never the test score);
2. every other row is compared with it on paired per-seed test scores
   (:func:`actsearch.stats.paired`: t-test, Wilcoxon where there are enough
   pairs, a 95% interval of the mean difference);
3. the finalists' t-test p-values get Holm's correction as one family (the
   baselines are references, not claims, and are left out of it);
4. each finalist gets a verdict: ``better than B``, ``worse than B`` or
   ``no evidence``, B naming the best baseline.  The best baseline's own
   verdict is ``best baseline``, the other baselines' ``baseline``.

The paired t-test against relu is kept as a secondary comparison
(``diff_vs_relu``, ``p_vs_relu``; uncorrected).

>>> from actsearch.analysis.tables import demo_table
>>> final = demo_table().query("stage == 'final'")
>>> final_comparison(final)[["expression", "best_baseline", "verdict"]]
       expression best_baseline              verdict
5         relu(x)       relu(x)        best baseline
6         tanh(x)       relu(x)             baseline
7  x * sigmoid(x)       relu(x)  better than relu(x)
"""

from __future__ import annotations

import json
import math

from ..stats import holm, paired, verdict

SCORED = ("ok", "cached")

#: The columns :func:`final_comparison` adds, in order.
COLUMNS = ["best_baseline", "vs_best", "vs_best_ci", "p_vs_best", "p_vs_best_wilcoxon", "p_vs_best_holm",
           "verdict", "diff_vs_relu", "p_vs_relu"]


def _per_seed(row) -> list | None:
    """The row's per-seed test scores, or None where its status carries no scores."""
    text = row["test_scores"]
    if row["status"] not in SCORED or not isinstance(text, str) or not text:
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
    """The final-stage rows of one run, each with the :data:`COLUMNS` of its comparisons.

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
    out = pd.DataFrame(index=final.index, columns=COLUMNS, dtype=object)
    best_name = None if best is None else str(final.loc[best, "expression"])
    finalists = []
    for index, row in final.iterrows():
        is_baseline = row["strategy"] == "baseline"
        record = dict.fromkeys(COLUMNS, math.nan)
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

