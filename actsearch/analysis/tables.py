"""Tables that summarise results: pure functions of a results DataFrame.

Each function takes the table of :func:`actsearch.load_results` (or
``search(...).table``; one or more runs, told apart by ``run_id``) and returns a
new DataFrame; nothing is printed or written.  This module holds the
leaderboard and the comparison of runs; the other tables have modules of their
own, and :func:`analyze` gathers them all.

=========================================================  ========================================================
:func:`leaderboard`                                        the best candidates and the baselines, with verdicts
                                                           against the best baseline from the final stage
:func:`~actsearch.analysis.pareto.pareto_front`            complexity against best validation score
:func:`~actsearch.analysis.run_progress.progress`          best-so-far validation score per evaluation, per run
:func:`~actsearch.analysis.run_progress.progress_summary`  one row per run: best, evaluations per hour
:func:`~actsearch.analysis.failure_counts.failures`        counts by status and by (shortened) reason
:func:`compare`                                            runs side by side: evaluations needed to reach a score
:func:`analyze`                                            all of the above, as ``actsearch analyze`` uses them
=========================================================  ========================================================

Evaluation numbers (``evaluation``, ``best_at``, ``evals_to_target``) count a
run's search-stage rows in ``eval_id`` order from 1, every status included, as
the search budget does.  Scores come from rows with status ``ok`` or ``cached``
(a cached row repeats the score of the same function trained before).

>>> from actsearch import load_results
>>> table = load_results("tests/data/two-runs.csv")
>>> leaderboard(table, top=2)[["expression", "source", "stage", "val_score"]]
       expression     source   stage  val_score
0  x * sigmoid(x)     random   final       0.91
1         relu(x)   baseline   final       0.85
2         tanh(x)   baseline   final       0.80
3      sin(x) + x  evolution  search       0.88
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .failure_counts import failures
from .formatting import missing
from .pareto import pareto_front
from .run_progress import progress, progress_summary
from .rows import function_key, most_common, rows_at, run_ids, search_rows, text_or_none, val_scores
from ..results import SCORED_STATUSES
from .statistics import VERDICT_COLUMNS, final_comparison


# --- leaderboard --------------------------------------------------------------------

def _comparisons(run, reference: str) -> dict[int, dict]:
    """eval_id -> the :data:`~actsearch.analysis.statistics.VERDICT_COLUMNS` of that final-stage row of ``run``."""
    final = rows_at(run, stage="final")
    if final.empty:
        return {}
    compared = final_comparison(final, reference)
    return {int(r["eval_id"]): {c: r[c] for c in VERDICT_COLUMNS} for _, r in compared.iterrows()}


def _merge_twins(baselines: list[dict], chosen: list[dict]) -> list[dict]:
    """Drop each finalist that is the same function as a baseline of its run, naming it on the baseline's entry.

    The entry keeps the baseline's figures (the same, since the final stage
    copies them) and takes the finalist's comparison with the best baseline,
    which is in the Holm family as every finalist is: a twin of the best
    baseline itself gets a difference of 0 and ``no evidence``.
    """
    by_key = {(e["run_id"], e["fingerprint"]): e for e in baselines}
    kept = []
    for entry in chosen:
        twin = by_key.get((entry["run_id"], entry["fingerprint"])) if entry["stage"] == "final" else None
        if twin is None:
            kept.append(entry)
            continue
        twin["also"] = f"{entry['expression']} ({entry['source']})"
        twin["search_val_score"] = entry["search_val_score"]
        # the row answers the finalist's question, even where the twin is the best baseline itself
        twin.update({c: entry[c] for c in ("vs_best", "vs_best_ci", "p_vs_best", "p_vs_best_wilcoxon",
                                            "p_vs_best_holm", "verdict")})
    return kept


def leaderboard(table, top: int = 10, *, reference: str = "relu(x)"):
    """The ``top`` candidates by validation score, and every baseline beside them.

    One entry per function (fingerprint) and run.  Candidates are chosen by
    their best search-stage validation score (the score every candidate has,
    and the one the search selects on: ``search_val_score``).  The figures shown
    are those of the candidate's final-stage row when it has one (more seeds,
    the baselines' protocol; ``stage`` says ``final``), else those of its best
    search row (so a search candidate equal to a baseline, but not re-trained
    as a finalist, keeps its search figures beside the baseline's).  Baselines
    are the final-stage rows of strategy ``baseline``; all are listed (one with
    identical figures in several runs, i.e. the same protocol and seeds, once,
    under the first run).  Rows are ordered final stage first, by validation
    score (so candidates and baselines measured alike are ranked together),
    then the candidates with search figures only, by validation score.  The
    comparison columns come from :func:`actsearch.analysis.statistics.final_comparison`
    on the same run's final stage: ``best_baseline`` (highest final validation
    mean), ``vs_best`` (mean paired test-score difference) with ``vs_best_ci``
    (its 95% interval), ``p_vs_best`` (paired t-test), ``p_vs_best_wilcoxon``,
    ``p_vs_best_holm`` (Holm over the run's finalists), ``verdict``, and the
    secondary ``diff_vs_relu`` and ``p_vs_relu`` against ``reference``; NaN
    for search-stage figures, which are not paired.  A finalist that is the
    same function as a baseline is shown once, on the baseline's row, named in
    ``also``; ``init_gain`` is the initialisation gain of the row shown.

    Columns: ``rank, run_id, expression, params`` (its parameter values as
    JSON: the same text with other values is another function), ``learned`` (the values
    learnable parameters reached, mean per layer over the seeds, as JSON; None without), ``source``
    (the strategy, or ``baseline``), ``stage, status, val_score, val_score_std, test_score,
    test_score_std``, the comparison columns above, ``also, search_val_score, complexity``,
    ``evaluations`` (rows of the run with this fingerprint, every stage and
    status), ``seeds`` (behind the figures shown), ``init_gain, fingerprint, eval_id`` (the
    row shown).

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> board = leaderboard(table, top=2)
    >>> board[["expression", "stage", "val_score", "search_val_score", "evaluations"]]
           expression   stage  val_score  search_val_score  evaluations
    0  x * sigmoid(x)   final       0.91              0.90            3
    1         relu(x)   final       0.85               NaN            1
    2         tanh(x)   final       0.80               NaN            1
    3      sin(x) + x  search       0.88              0.88            1
    >>> round(float(board.loc[0, "diff_vs_relu"]), 3), round(float(board.loc[0, "p_vs_relu"]), 3)
    (0.06, 0.009)
    """
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    baselines, pool, by_run = [], [], {}
    for order, run_id in enumerate(run_ids(table)):
        run, counts, tests = by_run[run_id] = _run_rows(table, run_id, reference)
        baselines += [_entry(row, "baseline", math.nan, counts[row["_key"]], tests)
                      for _, row in rows_at(run[_is_baseline(run)], stage="final").sort_values("eval_id").iterrows()]
        summary = _candidate_summary(run)
        if not summary.empty:
            pool.append(summary.assign(run_id=run_id, order=order).reset_index(names="key"))
    chosen = _chosen_entries(pool, by_run, top)
    baselines = _unique_baselines(baselines)
    return _ranked(pd.DataFrame(baselines + _merge_twins(baselines, chosen), columns=LEADERBOARD_COLUMNS[1:]))


#: The leaderboard's columns, in order.
LEADERBOARD_COLUMNS = ["rank", "run_id", "expression", "params", "learned", "source", "stage", "status", "val_score",
                       "val_score_std", "test_score", "test_score_std", *VERDICT_COLUMNS, "also", "search_val_score",
                       "complexity", "evaluations", "seeds", "init_gain", "fingerprint", "eval_id"]


def _run_rows(table, run_id: str, reference: str):
    """Run ``run_id``: its rows, the rows per function (``_key``) and its final stage's :func:`_comparisons`.

    The rows gain ``_key`` (the function), ``_v`` (the score or NaN) and
    ``_pos`` (the row's position in the run).
    """
    run = table[table["run_id"].isin([run_id]).to_numpy(dtype=bool)]
    run = run.assign(_key=function_key(run).to_numpy(), _v=val_scores(run).to_numpy(), _pos=np.arange(len(run)))
    return run, run["_key"].value_counts(), _comparisons(run, reference)


def _is_baseline(rows) -> np.ndarray:
    return rows["strategy"].isin(["baseline"]).to_numpy(dtype=bool)


def _candidate_summary(run):
    """Per function the run found (index ``_key``): its best scored search row and first final row.

    Columns ``best, best_eval, best_label`` (score, eval_id and position of
    the best search row), ``final_v, final_eval, final_label`` (the same of
    the final row), ``select`` and ``select_eval`` (what it is chosen on) and
    ``shown`` (the position of the row whose figures it shows).
    """
    found = run[~_is_baseline(run)]
    search = rows_at(found, stage="search")
    best = search[search["_v"].notna().to_numpy()].sort_values(["_v", "eval_id"], ascending=[False, True],
                                                               kind="stable").drop_duplicates("_key")
    final = rows_at(found, stage="final").sort_values("eval_id", kind="stable").drop_duplicates("_key")
    summary = pd.DataFrame({"best": best.set_index("_key")["_v"], "best_eval": best.set_index("_key")["eval_id"],
                            "best_label": best.set_index("_key")["_pos"]})
    summary = summary.join(pd.DataFrame({"final_v": final.set_index("_key")["_v"],
                                         "final_eval": final.set_index("_key")["eval_id"],
                                         "final_label": final.set_index("_key")["_pos"]}),
                           how="outer")
    if summary.empty:
        return summary
    # Chosen on the best search score; a candidate with final figures only (no scored search row) on those.
    summary["select"] = summary["best"].where(summary["best"].notna(), summary["final_v"])
    summary["select_eval"] = summary["best_eval"].where(summary["best"].notna(), summary["final_eval"])
    summary["shown"] = summary["final_label"].where(summary["final_label"].notna(), summary["best_label"])
    return summary


def _chosen_entries(pool: list, by_run: dict, top: int) -> list[dict]:
    """The entries of the ``top`` candidates of every run's :func:`_candidate_summary` (``pool``) together."""
    if not pool:
        return []
    picks = pd.concat(pool, ignore_index=True)
    picks = picks[picks["select"].notna().to_numpy()]
    picks = picks.sort_values(["select", "select_eval", "order"], ascending=[False, True, True], kind="stable")
    chosen = []
    for pick in picks.head(top).itertuples():
        run, counts, tests = by_run[pick.run_id]
        candidate = run[~_is_baseline(run)]
        strategies = candidate.loc[(candidate["_key"] == pick.key).to_numpy(), "strategy"]
        chosen.append(_entry(run.iloc[int(pick.shown)], most_common(strategies) or "", float(pick.best),
                             counts[pick.key], tests))
    return chosen


def _ranked(board):
    """``board`` ordered final stage first, by validation score (candidates before baselines on a tie), and ranked."""
    if board.empty:
        return pd.DataFrame({c: pd.Series(dtype=_LEADERBOARD_DTYPES.get(c, "object")) for c in LEADERBOARD_COLUMNS})
    board = board.assign(_search=board["stage"] != "final", _candidate=board["source"] != "baseline")
    board = board.sort_values(["_search", "val_score", "_candidate", "eval_id"], ascending=[True, False, True, True],
                              na_position="last", kind="stable").drop(columns=["_search", "_candidate"])
    board.insert(0, "rank", range(1, len(board) + 1))
    return board.reset_index(drop=True).astype(_LEADERBOARD_DTYPES)


def _unique_baselines(entries: list[dict]) -> list[dict]:
    seen, out = set(), []
    for e in entries:
        key = (e["expression"], e["status"], e["val_score"], e["val_score_std"], e["test_score"], e["test_score_std"],
               e["_test_scores"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


_LEADERBOARD_DTYPES = {"rank": "int64", "val_score": "float64", "val_score_std": "float64", "test_score": "float64",
                       "test_score_std": "float64", "diff_vs_relu": "float64", "p_vs_relu": "float64",
                       "vs_best": "float64", "p_vs_best": "float64", "p_vs_best_wilcoxon": "float64",
                       "p_vs_best_holm": "float64", "init_gain": "float64",
                       "search_val_score": "float64", "complexity": "int64", "evaluations": "int64",
                       "seeds": "int64", "eval_id": "int64"}


def _entry(row, source: str, search_best: float, evaluations: int, tests: dict) -> dict:
    final = row["stage"] == "final"
    compared = tests.get(int(row["eval_id"]), {}) if final else {}
    scored = row["status"] in SCORED_STATUSES

    def num(col):
        value = pd.to_numeric(row[col], errors="coerce")
        return float(value) if scored and not missing(value) else math.nan

    verdicts = {c: compared.get(c, math.nan if c not in ("best_baseline", "verdict", "vs_best_ci") else None)
                for c in VERDICT_COLUMNS}
    return {"run_id": text_or_none(row["run_id"]), "expression": text_or_none(row["expression"]),
            "params": text_or_none(row["params"]), "learned": text_or_none(row["learned"]) or None,
            "source": source, "stage": text_or_none(row["stage"]), "status": text_or_none(row["status"]),
            "val_score": num("val_score"),
            "val_score_std": num("val_score_std"), "test_score": num("test_score"),
            "test_score_std": num("test_score_std"), **verdicts, "also": None,
            "search_val_score": search_best, "complexity": int(row["complexity"]),
            "evaluations": int(evaluations), "seeds": int(row["seeds"]), "init_gain": num("init_gain"),
            "fingerprint": text_or_none(row["fingerprint"]), "eval_id": int(row["eval_id"]),
            "_test_scores": text_or_none(row["test_scores"])}



# --- comparison ---------------------------------------------------------------------

def compare(table, target: float | None = None):
    """Several runs side by side: the best each found, and how fast it got to ``target``.

    ``target`` defaults to the lowest of the runs' best validation scores, so
    every run with a score reaches it and ``evals_to_target`` says how many
    evaluations each needed (search stage, every status counted, as the
    budget counts them).  A run that never reaches ``target`` has
    ``evals_to_target`` None (the column holds Python ints and None).

    Columns: ``run_id, strategy, dataset, evaluations, best_val_score,
    best_expression, target, evals_to_target``.

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> compare(table)[["run_id", "best_val_score", "target", "evals_to_target"]]
      run_id  best_val_score  target evals_to_target
    0   a-s0            0.90    0.88               3
    1   b-s0            0.88    0.88               4
    >>> compare(table, target=0.89)["evals_to_target"].tolist()
    [3, None]
    """
    runs = []
    for run_id in run_ids(table):
        rows = search_rows(table, run_id)
        val = val_scores(rows).to_numpy(dtype="float64")
        best = float(np.nanmax(val)) if (~np.isnan(val)).any() else math.nan
        best_expr = None if math.isnan(best) else text_or_none(rows["expression"].iloc[int(np.nanargmax(val))])
        runs.append((run_id, rows, val, best, best_expr))
    if target is None:
        bests = [r[3] for r in runs if not math.isnan(r[3])]
        target = min(bests) if bests else math.nan
    out = []
    for run_id, rows, val, best, best_expr in runs:
        hit = [] if math.isnan(target) else np.nonzero(val >= target)[0]
        out.append({"run_id": run_id, "strategy": most_common(rows["strategy"]),
                    "dataset": most_common(rows["dataset"]),
                    "evaluations": len(rows), "best_val_score": best, "best_expression": best_expr,
                    "target": float(target), "evals_to_target": int(hit[0]) + 1 if len(hit) else None})
    columns = ["run_id", "strategy", "dataset", "evaluations", "best_val_score", "best_expression", "target",
               "evals_to_target"]
    frame = pd.DataFrame(out, columns=columns).astype({"evaluations": "int64", "best_val_score": "float64",
                                                        "target": "float64"})
    frame["evals_to_target"] = pd.Series([r["evals_to_target"] for r in out], dtype=object)  # ints and None
    return frame


# --- everything ---------------------------------------------------------------------

def analyze(table, top: int = 10, target: float | None = None) -> dict:
    """Every table of this module for ``table``, by section name, as ``actsearch analyze`` prints them.

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> sorted(analyze(table))
    ['compare', 'failures', 'leaderboard', 'pareto_front', 'progress', 'progress_summary']
    """
    return {"leaderboard": leaderboard(table, top), "pareto_front": pareto_front(table),
            "progress": progress(table), "progress_summary": progress_summary(table),
            "failures": failures(table), "compare": compare(table, target)}

