"""The ledger: a study's trials mapped to budget slots, and the table's rows from it (see "Budget" in
:mod:`actsearch.distributed`)."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field

from .. import __version__
from .common import CANDIDATE_ATTR, RETRY_OF, RETRY_WAIT, ROW_ATTR, SURPLUS_ATTR
from .study import study_run_id


@dataclass
class Ledger:
    """The trials of a study mapped to budget slots (see "Budget" in the module docstring)."""

    budget: int
    trials: list
    slot: dict[int, int | None] = field(default_factory=dict)  # trial number -> slot, None for surplus
    by_slot: dict[int, list] = field(default_factory=dict)
    originals: int = 0

    @classmethod
    def of(cls, trials, budget: int) -> Ledger:
        trials = sorted(trials, key=lambda t: t.number)
        originals = [t.number for t in trials if RETRY_OF not in t.system_attrs]
        index = {n: i for i, n in enumerate(originals)}
        ledger = cls(budget=budget, trials=trials, originals=len(originals))
        for t in trials:
            s = index.get(t.system_attrs.get(RETRY_OF, t.number))
            s = s if s is not None and s < budget and not t.user_attrs.get(SURPLUS_ATTR) else None
            ledger.slot[t.number] = s
            if s is not None:
                ledger.by_slot.setdefault(s, []).append(t)
        return ledger

    def state(self, s: int, max_retry: int | None, now: float | None = None) -> str:
        """``done``, ``active`` (running or waiting), ``pending`` (failed, retry expected), ``failed``, ``missing``."""
        from optuna.trial import TrialState

        ts = self.by_slot.get(s)
        if not ts:
            return "missing"
        if any(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in ts):
            return "done"
        if any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in ts):
            return "active"
        last = ts[-1]
        attempts = len(last.system_attrs.get("retry_history", [])) + 1
        if max_retry is not None and attempts > max_retry:
            return "failed"
        ended = last.datetime_complete.timestamp() if last.datetime_complete else 0.0
        return "pending" if (now or time.time()) - ended < RETRY_WAIT else "failed"

    def waiting(self) -> bool:
        from optuna.trial import TrialState

        return any(t.state == TrialState.WAITING for ts in self.by_slot.values() for t in ts)


def lost_row(study_name: str, config, s: int, trials) -> dict:
    """The row of a slot whose every attempt failed (workers died): ``diverged``, with the reason."""
    last = trials[-1]
    desc = last.user_attrs.get(CANDIDATE_ATTR) or {}
    if not desc:
        desc = {"expression": last.user_attrs.get("expression") or "(unknown)", "canonical": None,
                "fingerprint": last.user_attrs.get("fingerprint"), "complexity": 0, "params": "{}"}
        with contextlib.suppress(Exception):
            from ..expression import parse

            expr = parse(desc["expression"], params={k: v for k, v in last.params.items()
                                                     if isinstance(v, float)})
            desc.update(canonical=str(expr.canonical()), fingerprint=expr.fingerprint,
                        complexity=expr.complexity, params=json.dumps(expr.params, sort_keys=True))
    numbers = ", ".join(str(t.number) for t in trials)
    stamp = last.datetime_complete or last.datetime_start
    return {"run_id": study_run_id(study_name, config), "eval_id": s, "stage": "search", "strategy": config.strategy,
            "trial": last.number, **desc, "dataset": config.dataset, "seeds": 0, "status": "diverged",
            "reason": f"evaluation lost: the worker stopped or died in every attempt (trials {numbers})",
            "train_seconds": 0.0, "timestamp": stamp.astimezone().isoformat(timespec="seconds") if stamp else None,
            "version": __version__}


def study_table_rows(study, config, ledger: Ledger, max_retry) -> list[dict]:
    """One row per resolved slot, by eval_id: the stored row, or a ``diverged`` row for a lost slot."""
    from optuna.trial import TrialState

    from ..results import SCORED_STATUSES, STATUSES

    now = time.time()
    rows = []
    for s in sorted(ledger.by_slot):
        state = ledger.state(s, max_retry, now)
        trials = ledger.by_slot[s]
        if state == "done":
            t = next(t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED))
            row = dict(t.user_attrs.get(ROW_ATTR) or {})
            if not row:  # told by something other than a worker: what the trial itself says
                status = t.user_attrs.get("status")
                row = {**lost_row(study.study_name, config, s, [t]), "trial": t.number,
                       "status": status if status in STATUSES else "diverged",
                       "reason": "told without an actsearch row"}
                if row["status"] in SCORED_STATUSES and t.values:
                    row["val_score"] = t.values[0]
            row["eval_id"] = s
            rows.append(row)
        elif state == "failed":
            rows.append(lost_row(study.study_name, config, s, trials))
    return rows
