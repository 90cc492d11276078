"""The Pareto front of a results table: complexity against best validation score."""

from __future__ import annotations

import math

import pandas as pd

from .rows import rows_at, text_or_none, val_scores


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

    >>> from actsearch import load_results
    >>> table = load_results("tests/data/two-runs.csv")
    >>> pareto_front(table)[["complexity", "expression", "val_score"]]
       complexity      expression  val_score
    0           3     x * tanh(x)       0.70
    1           4      sin(x) + x       0.88
    2           5  x * sigmoid(x)       0.90
    """
    rows = rows_at(table, stage=stage) if stage is not None else table
    # the evaluation number as progress counts it: 1, 2, ... over the run's rows of this stage
    order = rows.assign(_e=pd.to_numeric(rows["eval_id"])).groupby("run_id")["_e"].rank(method="first")
    rows = rows.assign(_v=val_scores(rows), _n=order.to_numpy())
    rows = rows[rows["_v"].notna().to_numpy()]
    rows = rows.sort_values(["complexity", "_v", "eval_id"], ascending=[True, False, True], kind="stable")
    front, best = [], -math.inf
    for _, row in rows.drop_duplicates("complexity").iterrows():
        if row["_v"] > best:
            best = row["_v"]
            front.append({"complexity": int(row["complexity"]), "expression": text_or_none(row["expression"]),
                          "val_score": float(row["_v"]),
                          "test_score": float(pd.to_numeric(row["test_score"], errors="coerce")),
                          "run_id": text_or_none(row["run_id"]), "eval_id": int(row["eval_id"]),
                          "evaluation": int(row["_n"])})
    out = pd.DataFrame(front, columns=["complexity", "expression", "val_score", "test_score", "run_id", "eval_id",
                                       "evaluation"])
    return out.astype({"complexity": "int64", "val_score": "float64", "test_score": "float64", "eval_id": "int64",
                       "evaluation": "int64"})

