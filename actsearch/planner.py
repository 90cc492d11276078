"""The evaluation planner: what a proposed candidate needs, and the row it leaves.

The sequential driver (:mod:`actsearch.driver`) and the distributed worker
(:mod:`actsearch.distributed.worker`) both go through :class:`Run`: the cache
key of a candidate (:meth:`Run.key`), the plan -- copy a known row, reject on
screening, or train (:meth:`Run.plan`) --, the record of the row
(:meth:`Run.record`), the cache of trained rows (:meth:`Run.remember`), and the
outcome told to the strategy (:func:`outcome`).

>>> from actsearch.config import SearchConfig
>>> from actsearch.expression import parse
>>> run = Run(SearchConfig(), data=None, space=None)
>>> run.key(parse("max(x, 0)")) == run.key(parse("relu(x)"))
True
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import __version__
from .executors import Task
from .expression import Expression, parse
from .networks import learnable_names
from .results import CACHEABLE_STATUSES
from .screening import screen

#: What a cached row repeats of the row that trained the same function.
RESULT_FIELDS = ("val_score", "val_score_std", "test_score", "test_score_std", "test_scores", "epochs", "seeds",
                 "init", "init_gain", "rung", "fidelity")


@dataclass(frozen=True)
class Plan:
    """What one candidate needs: ``fields`` of its row without training (a cache hit, a warm-start copy, a
    screening rejection), or a ``task`` to train."""

    fields: dict | None = None
    task: Task | None = None


def task_for(expr: Expression, seeds: Sequence[int], pruner=None, train: dict | None = None) -> Task:
    """The training task of ``expr`` over ``seeds`` (with a per-epoch ``pruner`` and training overrides)."""
    return Task(str(expr), dict(expr.params), tuple(seeds), pruner, dict(train or {}))


def cached_fields(hit: dict, reason: str | None = None) -> dict:
    """A row's result fields copied from ``hit``, the row that trained the same function.

    A copy of a candidate that racing stopped is ``pruned`` as that one was, so its partial score never
    counts as a full one."""
    copied = {k: hit.get(k) for k in RESULT_FIELDS}
    raced_out = hit["status"] == "pruned" and hit.get("rung") is not None
    return {**copied, "status": "pruned" if raced_out else "cached", "train_seconds": 0.0,
            "reason": reason or f"same function as eval {hit['eval_id']} ({hit['expression']})"}


def outcome(row: dict):
    """The :class:`~actsearch.strategies.Outcome` a strategy is told for a written row."""
    from .strategies import Outcome

    val = row.get("val_score")
    val = float(val) if val is not None and val == val else math.nan
    history = row.get("val_history")
    history = json.loads(history) if isinstance(history, str) and history else []
    learned = row.get("learned")
    rung = row.get("rung")
    return Outcome(status=str(row["status"]), val_score=val, complexity=int(row["complexity"]),
                   rung=None if rung is None or rung != rung else int(rung),
                   cost=float(row.get("train_seconds") or 0.0),
                   history=[math.nan if v is None else v for v in history],
                   learned=json.loads(learned) if isinstance(learned, str) and learned else {})


def plain_row(row: dict) -> dict:
    """A table row as plain Python values (None for missing).

    >>> plain_row({"a": np.float64("nan"), "b": np.int64(2), "c": "x"})
    {'a': None, 'b': 2, 'c': 'x'}
    """
    import pandas as pd

    out = {}
    for k, v in row.items():
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out[k] = None
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def default_run_id(out: str | None, seed: int) -> str:
    """The id of a new run: the folder's name and the seed, once (results/random-s0 is run random-s0, not
    random-s0-s0).

    >>> default_run_id("results/random-s0", 0), default_run_id(None, 2)
    ('random-s0', 'memory-s2')
    """
    name = os.path.basename(os.path.abspath(out)) if out else "memory"
    return name if name.endswith(f"-s{seed}") else f"{name}-s{seed}"


@dataclass
class Run:
    """One search run: the rows, the cache and the writer shared by the search and final stages."""

    config: Any
    data: Any
    space: Any
    out: str | None = None
    progress: bool = False
    run_id: str | None = None
    rows: list[dict] = field(default_factory=list)
    cache: dict[str, dict] = field(default_factory=dict)  # key (see key()) -> first row that trained it
    warm: dict[str, dict] = field(default_factory=dict)  # key -> fields copied from a warm-start run
    writer: Any = None

    def __post_init__(self):
        from .results import ResultsWriter

        if self.run_id is None:
            self.run_id = default_run_id(self.out, self.config.seed)
        if self.writer is None and self.out:
            self.writer = ResultsWriter(os.path.join(self.out, "evaluations.csv"))

    def record(self, row: dict) -> dict:
        """Stamp ``row`` with the run's columns, append it to the table (and the CSV); returns it."""
        from datetime import datetime, timezone

        row = {"run_id": self.run_id, "eval_id": len(self.rows), "dataset": self.data.name,
               "model": self.config.model,
               "version": __version__, "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               **row}
        if self.writer is not None:
            self.writer.append(row)
        self.rows.append(row)
        return row

    def key(self, expr: Expression, train: dict | None = None) -> str:
        """What makes two candidates the same evaluation: the fingerprint, and with
        learnable parameters the fingerprint at moved parameter values too, since
        ``x*sigmoid(beta*x)`` with a learnable beta is not ``x*sigmoid(x)`` even where
        beta starts at 1 (a learnable family's coefficients are in the fingerprint already)."""
        train = train or {}
        wanted = (*self.config.train.learnable, *train.get("learnable", ()))
        names = learnable_names(expr.params, wanted)
        key = expr.fingerprint
        if names:
            moved = expr.with_params({n: 1.37 * expr.params[n] + 0.11 for n in names})
            key = f"{key}+{moved.fingerprint}"
        if not hasattr(expr, "sharing"):
            return key
        # A per-layer candidate whose layers learn separate parameters is not the uniform one, which shares
        # them across layers at the "network" granularity, even where their functions start alike; at the
        # "layer" and "neuron" granularities every layer learns its own values either way.
        network = [n for n in names if train.get("granularity", self.config.train.granularity) == "network"]
        if train.get("family_granularity", self.config.train.family_granularity) == "network":
            network += [n for part in expr.parts for n in part.learnable_family]
        sharing = expr.sharing(sorted(set(network)))
        every = tuple(range(expr.n_layers))
        if any(layers != every for _, layers in sharing):
            key += "+" + ";".join(",".join(map(str, layers)) for _, layers in sharing)
        return key

    def row_key(self, row: dict) -> str:
        """:meth:`key` of a written row (the fingerprint when nothing is learnable)."""
        if not self.config.train.learnable and self.config.train.family_granularity != "network":
            return row["fingerprint"]
        return self.key(parse(str(row["expression"]), params=json.loads(row["params"] or "{}")))

    def plan(self, cand, strategy=None) -> Plan:
        """What candidate ``cand`` needs: a trained row's copy, a warm-start copy, a rejection, or training over
        the search's seeds (with ``strategy``'s pruner)."""
        key = self.key(cand.expression, cand.train)
        if key in self.cache:
            return Plan(fields=cached_fields(self.cache[key]))
        if key in self.warm:
            return Plan(fields=dict(self.warm[key]))
        reason = screen(cand.expression)
        if reason is not None:
            return Plan(fields={"status": "rejected", "reason": reason, "seeds": 0, "train_seconds": 0.0})
        pruner = strategy.pruner(cand) if strategy is not None else None
        return Plan(task=task_for(cand.expression, range(self.config.seeds), pruner, cand.train))

    def remember(self, key: str, row: dict) -> None:
        """Keep ``row`` as the one later candidates with ``key`` copy, if it trained and is the first."""
        if row["status"] in CACHEABLE_STATUSES and key not in self.cache:
            self.cache[key] = row

    def search_row(self, cand, fields_: dict) -> dict:
        """Record a search-stage row for candidate ``cand`` with result ``fields_``."""
        if cand.supernet and fields_.get("status") == "ok":
            fields_ = {**fields_, "status": "mixture", "reason": cand.supernet}
        return self.record({"stage": "search", "strategy": self.config.strategy, "generation": cand.generation,
                            "trial": cand.trial, **self.describe(cand.expression), **fields_})

    def table(self):
        """The rows so far as a DataFrame typed like :func:`actsearch.load_results`'s."""
        import pandas as pd

        from .results import COLUMNS, SCHEMA

        table = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in self.rows], columns=COLUMNS)
        for col, dtype in SCHEMA.items():
            if dtype == "string":
                table[col] = table[col].map(lambda v: None if v is None or v is pd.NA or v != v or v == ""
                                            else str(v)).astype("string")
            else:
                table[col] = pd.to_numeric(table[col], errors="coerce").astype(dtype)
        return table

    @staticmethod
    def describe(expr: Expression) -> dict:
        """The columns that name a candidate: expression, canonical form, fingerprint, complexity, params."""
        return {"expression": str(expr), "canonical": str(expr.canonical()), "fingerprint": expr.fingerprint,
                "complexity": expr.complexity, "params": json.dumps(expr.params, sort_keys=True)}
