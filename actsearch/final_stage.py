"""The final stage: the baselines and the search's best, trained again on fresh seeds under one protocol.

The sequential driver, the distributed launcher and :func:`actsearch.compare`
all end here.
"""

from __future__ import annotations

import json

from .expression import Expression, parse
from .planner import RESULT_FIELDS, Run, task_for


def finalists(run: Run) -> list[tuple[str, Expression]]:
    """``(source, expression)`` of the final stage: the baselines, then the top ``final_k`` search
    candidates by validation score (one per function)."""
    cfg = run.config
    chosen = [("baseline", parse(text)) for text in cfg.baselines]
    search_rows = [r for r in run.rows if r["stage"] == "search" and r["status"] == "ok"]
    search_rows.sort(key=lambda r: (-r["val_score"], r["eval_id"]))
    picked: set[str] = set()
    for r in search_rows:
        if r["fingerprint"] not in picked and len(picked) < cfg.final_k:
            picked.add(r["fingerprint"])
            chosen.append((cfg.strategy, parse(r["expression"], params=json.loads(r["params"] or "{}"))))
    return chosen


def _todo(run: Run, chosen: list, done: dict) -> tuple[list, list]:
    """The ``(source, expression)`` pairs still to record, and the tasks to train for them (one per function)."""
    cfg = run.config
    # The same text with other parameter values is another function: key on fingerprints.
    existing = {(run.row_key(r), r["strategy"]) for r in run.rows if r["stage"] == "final"}
    todo, tasks, queued = [], [], set()
    for source, expr in chosen:
        key = run.key(expr)
        if (key, source) in existing:
            continue
        existing.add((key, source))
        todo.append((source, expr))
        if key not in done and key not in queued:
            queued.add(key)
            tasks.append(task_for(expr, range(cfg.final_seed_start, cfg.final_seed_start + cfg.final_seeds)))
    return todo, tasks


def final_stage(run: Run, executor, chosen: list | None = None) -> None:
    """Re-evaluate the baselines and the top k on fresh seeds, under the same protocol.

    The seeds start at ``final_seed_start`` (1000), so no finalist is scored
    on a seed, or with resampling a validation set, that the search selected on.

    Final rows already in ``run.rows`` (a resumed run) are kept, not trained
    again.  A winner that is the same function as a baseline (``max(x, 0)``
    and ``relu(x)``) shares the baseline's row, marked ``cached``; "the same"
    is :meth:`~actsearch.planner.Run.key`, so with learnable parameters it
    includes them.  ``chosen`` (default :func:`finalists`) lists
    ``(source, expression)`` to train.
    """
    cfg = run.config
    done = {run.row_key(r): r for r in run.rows if r["stage"] == "final" and r["status"] != "cached"}
    todo, tasks = _todo(run, finalists(run) if chosen is None else chosen, done)
    trained = executor.map(tasks)
    bar = None
    if run.progress and tasks:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=f"final stage ({cfg.final_seeds} seeds each)", unit="function",
                   leave=True)
    try:
        for source, expr in todo:
            described = run.describe(expr)
            same = done.get(run.key(expr))
            if same is not None:
                copied = {k: same.get(k) for k in RESULT_FIELDS}
                run.record({"stage": "final", "strategy": source, **described, **copied, "status": "cached",
                            "train_seconds": 0.0, "reason": f"same function as {same['expression']}"})
                continue
            done[run.key(expr)] = run.record({"stage": "final", "strategy": source, **described, **next(trained)})
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
