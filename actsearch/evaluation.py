"""Scoring a candidate: train it over several seeds under one protocol.

>>> df = evaluate("tanh(x)", dataset="iris", hidden=(8,), epochs=5, seeds=2)
>>> list(df["seed"]), sorted(set(df["status"]))
([0, 1], ['ok'])
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from .datasets import Dataset, load_dataset
from .errors import ConfigError
from .expression import Expression, parse
from .networks import TrainConfig, learnable_names
from .results import json_safe
from .scoring import NumpyScorer, SeedRuns

#: Per-seed columns of :func:`evaluate`'s table, in order.
COLUMNS = [
    "expression", "dataset", "seed", "status", "reason", "val_score", "test_score", "train_score",
    "train_loss", "val_loss", "test_loss", "epochs", "best_epoch", "train_seconds", "init", "init_gain", "grad_flow",
    "learned",
]


def _seed_list(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ConfigError(f"seeds={seeds}: expected at least 1")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ConfigError("seeds: expected at least one seed")
    return out


def seed_rows(runs: SeedRuns, expr: Expression, data: Dataset) -> list[dict]:
    """One record per seed of a scorer's results, in :data:`COLUMNS`' terms."""
    rows = []
    for seed, result in zip(runs.seeds, runs.results):
        record = result.to_dict()
        record.pop("val_history", None)
        record["init_gain"] = runs.init_gain
        record["train_seconds"] = record.pop("seconds", math.nan)
        rows.append({"expression": str(expr), "dataset": data.name, "seed": seed, "init": runs.init, **record})
    return rows


def evaluate(
    expr: str | Expression,
    dataset: str | Dataset = "digits",
    *,
    hidden: Sequence[int] = (128, 64),
    epochs: int = 50,
    batch_size: int = 32,
    lr: float = 1e-3,
    dropout: float = 0.0,
    l2: float = 0.0,
    seeds: int | Iterable[int] = 5,
    early_stopping: bool = True,
    init: str = "auto",
    resample: bool = True,
    optimizer: str = "adam",
    target: str | None = None,
    task: str | None = None,
    split_seed: int = 0,
    params: dict[str, float] | None = None,
    config: TrainConfig | None = None,
):
    """Train a network with activation ``expr`` once per seed; one row per seed.

    The test rows are fixed by ``split_seed``, so every seed and every
    candidate is scored on the same test rows; a seed sets the initial
    weights, the batch order, dropout and, with ``resample`` (the default),
    its own train/validation partition of the other rows.  ``config`` overrides the individual training
    arguments.  The summary over seeds (mean and std) is in
    ``df.attrs["summary"]``; see :func:`summarize`.

    >>> df = evaluate("x*sigmoid(x)", dataset="breast_cancer", hidden=(16,), epochs=3, seeds=2)
    >>> df.attrs["summary"]["expression"], len(df)
    ('x * sigmoid(x)', 2)
    """
    import pandas as pd

    f = parse(expr, params) if not isinstance(expr, Expression) else expr
    if config is None:
        config = TrainConfig(hidden=tuple(hidden), epochs=epochs, batch_size=batch_size, lr=lr, dropout=dropout,
                             l2=l2, early_stopping=early_stopping, init=init, optimizer=optimizer,
                             resample=resample)
    missing = [n for n in config.learnable if not learnable_names(f.params, (n,))]
    if missing:
        have = ", ".join(f.params) or "none"
        raise ConfigError(f"learnable {missing[0]!r}: {f} has no parameter {missing[0]} (its parameters: {have})")
    data = dataset if isinstance(dataset, Dataset) else load_dataset(dataset, target=target, task=task, seed=split_seed)
    runs = NumpyScorer(data, config).train_seeds(f, _seed_list(seeds), stop_on_failure=False)
    rows = seed_rows(runs, f, data)
    df = pd.DataFrame(rows)
    df = df[[c for c in COLUMNS if c in df.columns]]
    df.attrs["summary"] = summarize(df, data=data)
    return df


def _mean_std(values) -> tuple[float, float]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return math.nan, math.nan
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def summarize(df, data: Dataset | None = None) -> dict:
    """Mean and sample std over the seeds that finished (status ok or pruned).

    >>> import pandas as pd
    >>> s = summarize(pd.DataFrame({"expression": ["x"], "dataset": ["d"], "seed": [0], "status": ["ok"],
    ...                             "val_score": [0.5], "test_score": [0.25]}))
    >>> s["test_score_mean"], s["n_ok"]
    (0.25, 1)
    """
    finished = df[df["status"].isin(["ok", "pruned"])]
    out = {
        "expression": str(df["expression"].iloc[0]),
        "dataset": str(df["dataset"].iloc[0]),
    }
    if data is not None:
        out["task"] = data.task
    for col in ("init", "init_gain"):
        if col in df.columns and len(df):
            out[col] = json_safe(df[col].iloc[0])
    for col in ("test_score", "val_score", "train_score", "train_seconds"):
        if col in df.columns:
            out[f"{col}_mean"], out[f"{col}_std"] = _mean_std(finished[col].tolist())
    out["n_ok"] = int((df["status"] == "ok").sum())
    out["n_seeds"] = int(len(df))
    seed_cols = [c for c in ("seed", "status", "reason", "val_score", "test_score", "epochs",
                             "train_seconds", "grad_flow", "learned") if c in df.columns]
    out["seeds"] = [
        {k: json_safe(v) for k, v in row.items()} for row in df[seed_cols].to_dict(orient="records")
    ]
    return out
