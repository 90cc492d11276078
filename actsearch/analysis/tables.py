"""Tables that summarise results: pure functions of a results DataFrame.

Each function takes the table of :func:`actsearch.load_results` (or
``search(...).table``; one or more runs, told apart by ``run_id``) and returns a
new DataFrame; nothing is printed or written.

=====================  =======================================================
:func:`leaderboard`    the best candidates and the baselines, with verdicts
                       against the best baseline from the final stage
:func:`pareto_front`   complexity against best validation score
:func:`progress`       best-so-far validation score per evaluation, per run
:func:`progress_summary`  one row per run: best, evaluations per hour
:func:`failures`       counts by status and by (shortened) reason
:func:`compare`        runs side by side: evaluations needed to reach a score
:func:`analyze`        all of the above, as the ``actsearch analyze`` command uses them
=====================  =======================================================

Evaluation numbers (``evaluation``, ``best_at``, ``evals_to_target``) count a
run's search-stage rows in ``eval_id`` order from 1, every status included, as
the search budget does.  Scores come from rows with status ``ok`` or ``cached``
(a cached row repeats the score of the same function trained before).

>>> table = demo_table()
>>> leaderboard(table, top=2)[["expression", "source", "stage", "val_score"]]
       expression     source   stage  val_score
0  x * sigmoid(x)     random   final       0.91
1         relu(x)   baseline   final       0.85
2         tanh(x)   baseline   final       0.80
3      sin(x) + x  evolution  search       0.88
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd

from ..results import COLUMNS, STATUSES
from .verdicts import COLUMNS as VERDICT_COLUMNS

SCORED = ("ok", "cached")


# --- helpers ------------------------------------------------------------------------

def _rows(table, *, stage: str | None = None, status=None):
    """Rows of ``table`` at ``stage`` with a status in ``status``; NA never matches."""
    mask = np.ones(len(table), dtype=bool)
    if stage is not None:
        mask &= table["stage"].isin([stage]).to_numpy(dtype=bool)
    if status is not None:
        mask &= table["status"].isin(list(status)).to_numpy(dtype=bool)
    return table[mask]


def _scores(rows) -> pd.Series:
    """Validation scores of ``rows``: NaN where the status carries none."""
    val = pd.to_numeric(rows["val_score"], errors="coerce").astype("float64")
    return val.where(rows["status"].isin(SCORED).to_numpy(dtype=bool))


def _runs(table) -> list[str]:
    return [str(r) for r in dict.fromkeys(table["run_id"].dropna().tolist())]


def _search_rows(table, run_id: str):
    rows = _rows(table[table["run_id"].isin([run_id]).to_numpy(dtype=bool)], stage="search")
    return rows.sort_values("eval_id", kind="stable")


def _key(table) -> pd.Series:
    """The function a row holds: its fingerprint, or its canonical form or expression without one."""
    return table["fingerprint"].astype(object).where(table["fingerprint"].notna(),
                                                     table["canonical"].astype(object)) \
        .where(lambda s: s.notna(), table["expression"].astype(object)).astype(str)


def _missing(value) -> bool:
    """None, pandas' NA or a float NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _mode(values) -> str | None:
    values = [str(v) for v in values if not _missing(v)]
    return max(set(values), key=values.count) if values else None


def _text(value) -> str | None:
    return None if _missing(value) else str(value)


# --- leaderboard --------------------------------------------------------------------

def _comparisons(run, reference: str) -> dict[int, dict]:
    """eval_id -> the :data:`~actsearch.analysis.verdicts.COLUMNS` of that final-stage row of ``run``."""
    from .verdicts import final_comparison

    final = _rows(run, stage="final")
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
    comparison columns come from :func:`actsearch.analysis.verdicts.final_comparison`
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

    >>> board = leaderboard(demo_table(), top=2)
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
    for order, run_id in enumerate(_runs(table)):
        run = table[table["run_id"].isin([run_id]).to_numpy(dtype=bool)]
        run = run.assign(_key=_key(run).to_numpy(), _v=_scores(run).to_numpy(), _pos=np.arange(len(run)))
        counts = run["_key"].value_counts()
        tests = _comparisons(run, reference)
        by_run[run_id] = (run, counts, tests)
        is_base = run["strategy"].isin(["baseline"]).to_numpy(dtype=bool)
        for _, row in _rows(run[is_base], stage="final").sort_values("eval_id").iterrows():
            baselines.append(_entry(row, "baseline", math.nan, counts[row["_key"]], tests))
        found = run[~is_base]
        search = _rows(found, stage="search")
        best = search[search["_v"].notna().to_numpy()].sort_values(["_v", "eval_id"], ascending=[False, True],
                                                                   kind="stable").drop_duplicates("_key")
        final = _rows(found, stage="final").sort_values("eval_id", kind="stable").drop_duplicates("_key")
        summary = pd.DataFrame({"best": best.set_index("_key")["_v"], "best_eval": best.set_index("_key")["eval_id"],
                                "best_label": best.set_index("_key")["_pos"]})
        summary = summary.join(pd.DataFrame({"final_v": final.set_index("_key")["_v"],
                                             "final_eval": final.set_index("_key")["eval_id"],
                                             "final_label": final.set_index("_key")["_pos"]}),
                               how="outer")
        if summary.empty:
            continue
        # Chosen on the best search score; a candidate with final figures only (no scored search row) on those.
        summary["select"] = summary["best"].where(summary["best"].notna(), summary["final_v"])
        summary["select_eval"] = summary["best_eval"].where(summary["best"].notna(), summary["final_eval"])
        summary["shown"] = summary["final_label"].where(summary["final_label"].notna(), summary["best_label"])
        summary["run_id"], summary["order"] = run_id, order
        pool.append(summary.reset_index(names="key"))
    columns = ["rank", "run_id", "expression", "params", "learned", "source", "stage", "status", "val_score", "val_score_std",
               "test_score", "test_score_std", *VERDICT_COLUMNS, "also", "search_val_score", "complexity",
               "evaluations", "seeds", "init_gain", "fingerprint", "eval_id"]
    chosen = []
    if pool:
        picks = pd.concat(pool, ignore_index=True)
        picks = picks[picks["select"].notna().to_numpy()]
        picks = picks.sort_values(["select", "select_eval", "order"], ascending=[False, True, True], kind="stable")
        for pick in picks.head(top).itertuples():
            run, counts, tests = by_run[pick.run_id]
            strategies = run.loc[(run["_key"] == pick.key).to_numpy() & ~run["strategy"].isin(["baseline"]).to_numpy(
                dtype=bool), "strategy"]
            chosen.append(_entry(run.iloc[int(pick.shown)], _mode(strategies) or "", float(pick.best), counts[pick.key],
                                 tests))
    baselines = _unique_baselines(baselines)
    board = pd.DataFrame(baselines + _merge_twins(baselines, chosen), columns=columns[1:])
    if board.empty:
        return pd.DataFrame({c: pd.Series(dtype=_LEADERBOARD_DTYPES.get(c, "object")) for c in columns})
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
    scored = row["status"] in SCORED

    def num(col):
        value = pd.to_numeric(row[col], errors="coerce")
        return float(value) if scored and not _missing(value) else math.nan

    verdicts = {c: compared.get(c, math.nan if c not in ("best_baseline", "verdict", "vs_best_ci") else None)
                for c in VERDICT_COLUMNS}
    return {"run_id": _text(row["run_id"]), "expression": _text(row["expression"]),
            "params": _text(row["params"]), "learned": _text(row["learned"]) or None, "source": source,
            "stage": _text(row["stage"]), "status": _text(row["status"]), "val_score": num("val_score"),
            "val_score_std": num("val_score_std"), "test_score": num("test_score"),
            "test_score_std": num("test_score_std"), **verdicts, "also": None,
            "search_val_score": search_best, "complexity": int(row["complexity"]),
            "evaluations": int(evaluations), "seeds": int(row["seeds"]), "init_gain": num("init_gain"),
            "fingerprint": _text(row["fingerprint"]), "eval_id": int(row["eval_id"]),
            "_test_scores": _text(row["test_scores"])}


# --- Pareto front -------------------------------------------------------------------

def pareto_front(table, *, stage: str | None = "search"):
    """Complexity against best validation score: the non-dominated candidates.

    Like PySR's equations table: one row per complexity, the best candidate of
    that complexity, kept only when it scores strictly better than every
    simpler one; so each row trades more nodes for a better score, and every
    scored row of the table is dominated by (or equal to) a row of the front.
    Rows with status ``ok`` or ``cached`` at ``stage`` count (the search stage
    by default: the final stage re-trains with other seeds, so its scores are
    another measurement; ``stage=None`` takes every row).  Ties go to the
    earliest ``eval_id``.  Over several runs the front is over all of them;
    ``run_id`` says where each point came from.

    Columns: ``complexity, expression, val_score, test_score, run_id, eval_id,
    evaluation`` (the number :func:`progress` gives the row: 1, 2, ... over the
    run's rows of the stage).

    >>> pareto_front(demo_table())[["complexity", "expression", "val_score"]]
       complexity      expression  val_score
    0           3     x * tanh(x)       0.70
    1           4      sin(x) + x       0.88
    2           5  x * sigmoid(x)       0.90
    """
    rows = _rows(table, stage=stage) if stage is not None else table
    # the evaluation number as progress counts it: 1, 2, ... over the run's rows of this stage
    order = rows.assign(_e=pd.to_numeric(rows["eval_id"])).groupby("run_id")["_e"].rank(method="first")
    rows = rows.assign(_v=_scores(rows), _n=order.to_numpy())
    rows = rows[rows["_v"].notna().to_numpy()]
    rows = rows.sort_values(["complexity", "_v", "eval_id"], ascending=[True, False, True], kind="stable")
    front, best = [], -math.inf
    for _, row in rows.drop_duplicates("complexity").iterrows():
        if row["_v"] > best:
            best = row["_v"]
            front.append({"complexity": int(row["complexity"]), "expression": _text(row["expression"]),
                          "val_score": float(row["_v"]),
                          "test_score": float(pd.to_numeric(row["test_score"], errors="coerce")),
                          "run_id": _text(row["run_id"]), "eval_id": int(row["eval_id"]),
                          "evaluation": int(row["_n"])})
    out = pd.DataFrame(front, columns=["complexity", "expression", "val_score", "test_score", "run_id", "eval_id",
                                       "evaluation"])
    return out.astype({"complexity": "int64", "val_score": "float64", "test_score": "float64", "eval_id": "int64",
                       "evaluation": "int64"})


# --- progress -----------------------------------------------------------------------

def _elapsed(stamps) -> np.ndarray:
    """Seconds since the run's first row, from the ``timestamp`` column (NaN where missing)."""
    times = pd.to_datetime(stamps.astype(object), utc=True, errors="coerce", format="ISO8601")
    if times.notna().any():
        return (times - times.dropna().iloc[0]).dt.total_seconds().to_numpy(dtype="float64")
    return np.full(len(stamps), np.nan)


def progress(table):
    """Best-so-far validation score against evaluation number, per run (search stage).

    One row per search-stage row: ``run_id, evaluation`` (1, 2, ... in
    ``eval_id`` order, every status counted), ``eval_id, expression, status,
    val_score`` (NaN unless ok or cached), ``best_so_far`` (the running maximum;
    NaN before the first score), ``best_expression``, and two clocks, both
    cumulative from the run's first row:

    * ``elapsed_seconds``: wall clock from the ``timestamp`` column (when each
      row was written, to the second; includes time between a kill and a
      resume), and ``evals_per_hour_wall`` = (evaluation - 1) / elapsed hours,
      because the first row's timestamp is taken after its evaluation ran
      (NaN while no whole second has passed);
    * ``train_seconds_total``: the sum of ``train_seconds`` (training, and
      screening for rejected rows; cached rows cost 0), and
      ``evals_per_hour_train`` = evaluation / training hours.

    >>> curve = progress(demo_table())
    >>> curve[curve.run_id == "a-s0"][["evaluation", "status", "val_score", "best_so_far"]]
       evaluation    status  val_score  best_so_far
    0           1        ok        0.7          0.7
    1           2  rejected        NaN          0.7
    2           3        ok        0.9          0.9
    3           4    cached        0.9          0.9
    4           5  diverged        NaN          0.9
    """
    parts = []
    for run_id in _runs(table):
        rows = _search_rows(table, run_id)
        if rows.empty:
            continue
        val = _scores(rows).to_numpy(dtype="float64")
        best = pd.Series(val).cummax().ffill().to_numpy()
        expressions = rows["expression"].astype(object).to_numpy()
        best_expr, current = [], None
        for i, v in enumerate(val):
            if not math.isnan(v) and (current is None or v > val[current]):
                current = i
            best_expr.append(None if current is None else _text(expressions[current]))
        n = np.arange(1, len(rows) + 1)
        elapsed = _elapsed(rows["timestamp"])
        train = np.cumsum(pd.to_numeric(rows["train_seconds"], errors="coerce").fillna(0.0).to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            wall_rate = np.where(elapsed > 0, (n - 1) / (elapsed / 3600.0), np.nan)
            train_rate = np.where(train > 0, n / (train / 3600.0), np.nan)
        parts.append(pd.DataFrame({
            "run_id": run_id, "evaluation": n, "eval_id": rows["eval_id"].to_numpy(dtype="int64"),
            "expression": [_text(e) for e in expressions], "status": [_text(s) for s in rows["status"]],
            "val_score": val, "best_so_far": best, "best_expression": best_expr,
            "elapsed_seconds": elapsed, "evals_per_hour_wall": wall_rate,
            "train_seconds_total": train, "evals_per_hour_train": train_rate}))
    columns = ["run_id", "evaluation", "eval_id", "expression", "status", "val_score", "best_so_far",
               "best_expression", "elapsed_seconds", "evals_per_hour_wall", "train_seconds_total",
               "evals_per_hour_train"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("run_id", "expression", "status",
                                                                        "best_expression") else "object")
                             for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def progress_summary(table):
    """One row per run: its best search score, when it got there, and evaluations per hour.

    Columns: ``run_id, strategy, dataset, evaluations`` (search rows),
    ``best_val_score, best_expression, best_at`` (the evaluation number that
    first reached the best), ``wall_seconds`` and ``evals_per_hour_wall`` (from
    the timestamps), ``train_seconds`` and ``evals_per_hour_train`` (from
    ``train_seconds``); see :func:`progress` for how each is measured.

    >>> progress_summary(demo_table())[["run_id", "evaluations", "best_val_score", "best_at"]]
      run_id  evaluations  best_val_score best_at
    0   a-s0            5            0.90       3
    1   b-s0            4            0.88       4
    """
    curve = progress(table)
    out = []
    for run_id in _runs(table):
        rows = _search_rows(table, run_id)
        run_curve = curve[curve["run_id"] == run_id]
        if run_curve.empty:
            continue
        last = run_curve.iloc[-1]
        best = last["best_so_far"]
        best_at = None
        if not math.isnan(best):
            best_at = int(run_curve["evaluation"][run_curve["val_score"] == best].iloc[0])
        out.append({"run_id": run_id, "strategy": _mode(rows["strategy"]), "dataset": _mode(rows["dataset"]),
                    "evaluations": int(last["evaluation"]), "best_val_score": float(best),
                    "best_expression": last["best_expression"], "best_at": best_at,
                    "wall_seconds": float(last["elapsed_seconds"]),
                    "evals_per_hour_wall": float(last["evals_per_hour_wall"]),
                    "train_seconds": float(last["train_seconds_total"]),
                    "evals_per_hour_train": float(last["evals_per_hour_train"])})
    columns = ["run_id", "strategy", "dataset", "evaluations", "best_val_score", "best_expression", "best_at",
               "wall_seconds", "evals_per_hour_wall", "train_seconds", "evals_per_hour_train"]
    frame = pd.DataFrame(out, columns=columns)
    frame["best_at"] = pd.Series([r["best_at"] for r in out], dtype=object)  # ints, or None without a score
    return frame


# --- failures -----------------------------------------------------------------------

_TRAILING = {"in", "at", "after", "as", "of", "by", "to", "for", "from", "with", "on", "eval", "epoch", "x", "is"}


def reason_group(reason) -> str:
    """A short, stable prefix of a row's ``reason``, for counting reasons that embed numbers or names.

    The text before the first ``:``, cut before the first word holding a digit,
    ``(``, ``=`` or ``|``, without trailing little words (``in``, ``after``,
    ``epoch``, ...).  Empty for no reason.

    >>> reason_group("linear: f(x) = a + b*x, so the network would be linear")
    'linear'
    >>> reason_group("same function as eval 3 (tanh(x))"), reason_group("same function as relu(x)")
    ('same function', 'same function')
    >>> reason_group("hidden activations exploded in epoch 4")
    'hidden activations exploded'
    """
    text = _text(reason)
    if not text:
        return ""
    head = text.split(":", 1)[0]
    words = []
    for word in head.split():
        if re.search(r"[0-9(=|]", word):
            break
        words.append(word)
    while words and words[-1].lower().strip(".,;") in _TRAILING:
        words.pop()
    short = " ".join(words).strip(" .,;-")
    return (short or head.strip() or text.strip())[:60]


def failures(table, *, stage: str | None = None):
    """Counts of rows by status and by shortened reason (:func:`reason_group`).

    Every row counts (``stage="search"`` or ``"final"`` to restrict), ``ok``
    too, so the counts of a status add up to ``table.status.value_counts()``.
    Columns: ``status, reason`` (the short prefix; empty for none), ``count``,
    ``share`` (of the rows counted), ``example`` (the first full reason of the
    group).  Ordered by status (ok, diverged, rejected, cached, pruned), then
    by count.

    >>> failures(demo_table())[["status", "reason", "count"]]
         status                       reason  count
    0        ok                                   8
    1  diverged  hidden activations exploded      1
    2  rejected                       linear      2
    3    cached                same function      1
    """
    rows = _rows(table, stage=stage) if stage is not None else table
    groups = pd.DataFrame({"status": rows["status"].astype(object).map(_text),
                           "reason": rows["reason"].astype(object).map(reason_group),
                           "example": rows["reason"].astype(object).map(lambda r: _text(r) or "")})
    columns = ["status", "reason", "count", "share", "example"]
    if groups.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else "float64" if c == "share"
                                          else "object") for c in columns})
    counted = groups.groupby(["status", "reason"], sort=False, dropna=False).agg(
        count=("example", "size"), example=("example", "first")).reset_index()
    counted["share"] = counted["count"] / len(groups)
    order = {s: i for i, s in enumerate(STATUSES)}
    counted["_order"] = counted["status"].map(lambda s: order.get(s, len(order)))
    counted = counted.sort_values(["_order", "count", "reason"], ascending=[True, False, True], kind="stable")
    return counted[columns].reset_index(drop=True).astype({"count": "int64", "share": "float64"})


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

    >>> compare(demo_table())[["run_id", "best_val_score", "target", "evals_to_target"]]
      run_id  best_val_score  target evals_to_target
    0   a-s0            0.90    0.88               3
    1   b-s0            0.88    0.88               4
    >>> compare(demo_table(), target=0.89)["evals_to_target"].tolist()
    [3, None]
    """
    runs = []
    for run_id in _runs(table):
        rows = _search_rows(table, run_id)
        val = _scores(rows).to_numpy(dtype="float64")
        best = float(np.nanmax(val)) if (~np.isnan(val)).any() else math.nan
        best_expr = None if math.isnan(best) else _text(rows["expression"].iloc[int(np.nanargmax(val))])
        runs.append((run_id, rows, val, best, best_expr))
    if target is None:
        bests = [r[3] for r in runs if not math.isnan(r[3])]
        target = min(bests) if bests else math.nan
    out = []
    for run_id, rows, val, best, best_expr in runs:
        hit = [] if math.isnan(target) else np.nonzero(val >= target)[0]
        out.append({"run_id": run_id, "strategy": _mode(rows["strategy"]), "dataset": _mode(rows["dataset"]),
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

    >>> sorted(analyze(demo_table()))
    ['compare', 'failures', 'leaderboard', 'pareto_front', 'progress', 'progress_summary']
    """
    return {"leaderboard": leaderboard(table, top), "pareto_front": pareto_front(table),
            "progress": progress(table), "progress_summary": progress_summary(table),
            "failures": failures(table), "compare": compare(table, target)}


# --- example data -------------------------------------------------------------------

def demo_table():
    """A small hand-made results table of two runs, typed like :func:`actsearch.load_results`'s.

    Run ``a-s0`` (random) has 5 search rows and a final stage (relu, tanh and
    its best candidate over 3 seeds); run ``b-s0`` (evolution) has 4 search
    rows only.  For examples and tests.

    >>> demo_table().groupby("run_id").size().to_dict()
    {'a-s0': 8, 'b-s0': 4}
    """
    from ..results import typed_frame

    def row(run, i, stage, strategy, expr, fp, cx, status, val=None, test=None, scores=None, reason="",
            seconds=1.0, stamp=0):
        return {"run_id": run, "eval_id": i, "stage": stage, "strategy": strategy, "expression": expr,
                "canonical": expr, "fingerprint": fp, "complexity": cx, "params": "{}", "dataset": "moons",
                "seeds": len(scores) if scores else (0 if status == "rejected" else 2), "status": status,
                "reason": reason, "val_score": val, "val_score_std": 0.01 if val is not None else None,
                "test_score": test, "test_score_std": 0.01 if test is not None else None,
                "test_scores": json.dumps(scores) if scores else "", "epochs": 3.0, "train_seconds": seconds,
                "timestamp": f"2025-01-01T00:{stamp:02d}:00+00:00", "version": "0.1.0"}

    rows = [
        row("a-s0", 0, "search", "random", "x * tanh(x)", "f1", 3, "ok", 0.70, 0.69, [0.7, 0.68]),
        row("a-s0", 1, "search", "random", "x + x", "f2", 3, "rejected",
            reason="linear: f(x) = a + b*x, so the network would be linear", seconds=0.001, stamp=1),
        row("a-s0", 2, "search", "random", "x * sigmoid(x)", "f3", 5, "ok", 0.90, 0.89, [0.9, 0.88], stamp=2),
        row("a-s0", 3, "search", "random", "sigmoid(x) * x", "f3", 5, "cached", 0.90, 0.89, [0.9, 0.88],
            reason="same function as eval 2 (x * sigmoid(x))", seconds=0.0, stamp=3),
        row("a-s0", 4, "search", "random", "exp(x) * x", "f4", 4, "diverged",
            reason="hidden activations exploded in epoch 2", stamp=4),
        row("a-s0", 5, "final", "baseline", "relu(x)", "f5", 2, "ok", 0.85, 0.84, [0.84, 0.86, 0.82], stamp=5),
        row("a-s0", 6, "final", "baseline", "tanh(x)", "f6", 2, "ok", 0.80, 0.79, [0.79, 0.80, 0.78], stamp=6),
        row("a-s0", 7, "final", "random", "x * sigmoid(x)", "f3", 5, "ok", 0.91, 0.90, [0.90, 0.91, 0.89],
            stamp=7),
        row("b-s0", 0, "search", "evolution", "tanh(x) + x", "g1", 4, "ok", 0.60, 0.61, [0.6, 0.62]),
        row("b-s0", 1, "search", "evolution", "x + 1", "g2", 3, "rejected",
            reason="linear: f(x) = a + b*x, so the network would be linear", seconds=0.001, stamp=1),
        row("b-s0", 2, "search", "evolution", "max(x, 0)", "f5", 3, "ok", 0.65, 0.64, [0.65, 0.63], stamp=2),
        row("b-s0", 3, "search", "evolution", "sin(x) + x", "g3", 4, "ok", 0.88, 0.87, [0.88, 0.86], stamp=3),
    ]
    frame = pd.DataFrame([{c: ("" if r.get(c) is None else str(r.get(c, ""))) for c in COLUMNS} for r in rows],
                         columns=COLUMNS, dtype=object)
    return typed_frame(frame, "<demo>")
