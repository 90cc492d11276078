"""Progress of each run: best-so-far validation score and evaluations per hour, per evaluation and per run.

Evaluation numbers (``evaluation``, ``best_at``) count a run's search-stage
rows in ``eval_id`` order from 1, every status included, as the search budget
does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .rows import most_common, run_ids, search_rows, text_or_none, val_scores


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

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> curve = progress(table)
    >>> curve[curve.run_id == "a-s0"][["evaluation", "status", "val_score", "best_so_far"]]
       evaluation    status  val_score  best_so_far
    0           1        ok        0.7          0.7
    1           2  rejected        NaN          0.7
    2           3        ok        0.9          0.9
    3           4    cached        0.9          0.9
    4           5  diverged        NaN          0.9
    """
    parts = []
    for run_id in run_ids(table):
        rows = search_rows(table, run_id)
        if not rows.empty:
            parts.append(_run_curve(run_id, rows))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object" if c in ("run_id", "expression", "status", "best_expression")
                                          else "float64") for c in PROGRESS_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PROGRESS_COLUMNS]


#: The columns of :func:`progress`, in order.
PROGRESS_COLUMNS = ["run_id", "evaluation", "eval_id", "expression", "status", "val_score", "best_so_far",
                    "best_expression", "elapsed_seconds", "evals_per_hour_wall", "train_seconds_total",
                    "evals_per_hour_train"]


def _run_curve(run_id: str, rows):
    """The :func:`progress` rows of one run, from its search rows in ``eval_id`` order."""
    val = val_scores(rows).to_numpy(dtype="float64")
    best = pd.Series(val).cummax().ffill().to_numpy()
    expressions = rows["expression"].astype(object).to_numpy()
    best_expr, current = [], None
    for i, v in enumerate(val):
        if not math.isnan(v) and (current is None or v > val[current]):
            current = i
        best_expr.append(None if current is None else text_or_none(expressions[current]))
    n = np.arange(1, len(rows) + 1)
    elapsed = _elapsed(rows["timestamp"])
    train = np.cumsum(pd.to_numeric(rows["train_seconds"], errors="coerce").fillna(0.0).to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        wall_rate = np.where(elapsed > 0, (n - 1) / (elapsed / 3600.0), np.nan)
        train_rate = np.where(train > 0, n / (train / 3600.0), np.nan)
    return pd.DataFrame({
        "run_id": run_id, "evaluation": n, "eval_id": rows["eval_id"].to_numpy(dtype="int64"),
        "expression": [text_or_none(e) for e in expressions], "status": [text_or_none(s) for s in rows["status"]],
        "val_score": val, "best_so_far": best, "best_expression": best_expr,
        "elapsed_seconds": elapsed, "evals_per_hour_wall": wall_rate,
        "train_seconds_total": train, "evals_per_hour_train": train_rate})


def progress_summary(table):
    """One row per run: its best search score, when it got there, and evaluations per hour.

    Columns: ``run_id, strategy, dataset, evaluations`` (search rows),
    ``best_val_score, best_expression, best_at`` (the evaluation number that
    first reached the best), ``wall_seconds`` and ``evals_per_hour_wall`` (from
    the timestamps), ``train_seconds`` and ``evals_per_hour_train`` (from
    ``train_seconds``); see :func:`progress` for how each is measured.

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> progress_summary(table)[["run_id", "evaluations", "best_val_score", "best_at"]]
      run_id  evaluations  best_val_score best_at
    0   a-s0            5            0.90       3
    1   b-s0            4            0.88       4
    """
    curve = progress(table)
    out = []
    for run_id in run_ids(table):
        rows = search_rows(table, run_id)
        run_curve = curve[curve["run_id"] == run_id]
        if run_curve.empty:
            continue
        last = run_curve.iloc[-1]
        best = last["best_so_far"]
        best_at = None
        if not math.isnan(best):
            best_at = int(run_curve["evaluation"][run_curve["val_score"] == best].iloc[0])
        out.append({"run_id": run_id, "strategy": most_common(rows["strategy"]),
                    "dataset": most_common(rows["dataset"]),
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

