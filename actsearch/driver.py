"""The search driver: ask, screen, deduplicate, train, record, tell; then a final stage.

>>> import tempfile
>>> result = search(space="small", strategy="random", dataset="moons", budget=3, seed=0,
...                 out=tempfile.mkdtemp(), hidden=(8,), epochs=3, seeds=1, final_k=1, final_seeds=2,
...                 baselines=("relu(x)",), progress=False)
>>> len(result.table[result.table.stage == "search"])
3
"""

from __future__ import annotations

import json
import math
import os
from collections import deque
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Sequence

import numpy as np

from . import __version__
from .datasets import Dataset, load_dataset, make_dataset
from .errors import ActsearchError, ConfigError
from .expression import Expression, parse
from .executors import Task, make_executor
from .networks import TrainConfig, learnable_names
from .results import CACHEABLE_STATUSES, ResultsWriter, load_results, row_params
from .screening import screen
from .spaces import Space, load_space, space_from_dict
from .strategies import Candidate, Outcome, get_strategy

#: The space of a run with no --space: one core unit over a handful of well-known
#: pieces (the same as search_spaces/small.yaml), embedded so it works anywhere.
DEFAULT_SPACE = {
    "name": "default", "kind": "core_unit", "units": 1,
    "unary": ["x", "tanh(x)", "sigmoid(x)", "max(x, 0)", "sin(x)"],
    "binary": ["x1 + x2", "x1 * x2", "max(x1, x2)"],
}

#: The baselines of the final stage, trained under exactly the protocol of the winners.
BASELINES = ("relu(x)", "gelu(x)", "swish(x)", "elu(x)", "tanh(x)", "leaky_relu(x)", "softplus(x)")

#: The final stage's first training seed: its seeds (and so its initial
#: weights, batch orders and train/validation partitions) are disjoint from
#: the search's, which start at 0.
FINAL_SEED_START = 1000

#: The default protocol: a deep, narrow network on a nonlinear task, where
#: vanishing and exploding gradients separate activations (on shallow nets over
#: easy data, almost any nonlinearity scores the same and a search fits noise).
DEFAULT_PROTOCOL = TrainConfig(hidden=(32,) * 6, epochs=30, batch_size=32, lr=3e-3, early_stopping=True, patience=8,
                               init="auto", resample=True)


class SearchError(ActsearchError):
    """A search that cannot start or resume as asked."""


class SettingsMismatch(SearchError):
    """The output folder holds a run with other settings, so this one can neither start there nor resume it."""

    def __init__(self, out: str, key: str, old, new, advice: str = "use a new --out or the original settings"):
        self.out, self.key, self.old, self.new = out, key, old, new
        super().__init__(f"{out} holds a run with {key}={old!r}, not {new!r}; {advice}")


@dataclass
class SearchConfig:
    """Everything that defines a run; written to ``OUT/config.yaml``."""

    space: str = "default"
    strategy: str = "random"
    dataset: str = "spirals3"
    target: str | None = None
    task: str | None = None
    split_seed: int = 0
    budget: int = 40
    seed: int = 0
    seeds: int = 2
    final_k: int = 5
    final_seeds: int = 10
    final_seed_start: int = FINAL_SEED_START
    baselines: tuple[str, ...] = BASELINES
    warm_start: str | None = None
    warm_k: int = 5
    strategy_options: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = DEFAULT_PROTOCOL

    def validate(self) -> None:
        for name in ("budget", "seeds", "final_seeds"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"search setting {name}={getattr(self, name)!r}: expected a whole number >= 1")
        if self.final_seed_start < self.seeds:
            raise ConfigError(f"search setting final_seed_start={self.final_seed_start}: the final stage's seeds "
                              f"must not overlap the search's 0..{self.seeds - 1}")
        if self.final_k < 0:
            raise ConfigError(f"search setting final_k={self.final_k}: expected >= 0")

    def to_dict(self) -> dict:
        """The settings as config.yaml holds them: tuples become lists, at any depth, so a resumed run compares equal."""
        def plain(value):
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            return value
        return plain(asdict(self))


@dataclass
class SearchResult:
    """What a search returns: the table, the best candidate and the final leaderboard."""

    table: Any
    best: Expression | None
    leaderboard: Any
    out: str | None
    summary: dict = field(default_factory=dict)
    interrupted: bool = False

    def __repr__(self) -> str:
        best = str(self.best) if self.best is not None else None
        return f"SearchResult(best={best!r}, rows={len(self.table)}, out={self.out!r})"


class Run:
    """One search run: the state shared by the search and final stages."""

    def __init__(self, config: SearchConfig, data: Dataset, space: Space, out: str | None, progress: bool):
        self.config = config
        self.data = data
        self.space = space
        self.out = out
        self.progress = progress
        name = os.path.basename(os.path.abspath(out)) if out else "memory"
        # the folder's name and the seed, once: results/random-s0 is run random-s0, not random-s0-s0
        self.run_id = name if name.endswith(f"-s{config.seed}") else f"{name}-s{config.seed}"
        self.rows: list[dict] = []
        self.writer = ResultsWriter(os.path.join(out, "evaluations.csv")) if out else None
        self.cache: dict[str, dict] = {}  # key (see key()) -> first row that trained it
        self.warm: dict[str, dict] = {}  # key -> a warm-start run's row, copied instead of trained

    # --- rows ---------------------------------------------------------------
    def record(self, row: dict) -> dict:
        from datetime import datetime, timezone

        row = {"run_id": self.run_id, "eval_id": len(self.rows), "dataset": self.data.name,
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
        beta starts at 1."""
        wanted = (*self.config.train.learnable, *(train or {}).get("learnable", ()))
        names = learnable_names(expr.params, wanted)
        if not names:
            return expr.fingerprint
        moved = Expression(expr.tree, {**expr.params, **{n: 1.37 * expr.params[n] + 0.11 for n in names}})
        return f"{expr.fingerprint}+{moved.fingerprint}"

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

    def describe(self, expr: Expression) -> dict:
        return {"expression": str(expr), "canonical": str(expr.canonical()), "fingerprint": expr.fingerprint,
                "complexity": expr.complexity, "params": json.dumps(expr.params, sort_keys=True)}


def _outcome(row: dict) -> Outcome:
    val = row.get("val_score")
    val = float(val) if val is not None and val == val else math.nan
    history = row.get("val_history")
    history = json.loads(history) if isinstance(history, str) and history else []
    learned = row.get("learned")
    return Outcome(status=str(row["status"]), val_score=val, complexity=int(row["complexity"]),
                   cost=float(row.get("train_seconds") or 0.0),
                   history=[math.nan if v is None else v for v in history],
                   learned=json.loads(learned) if isinstance(learned, str) and learned else {})


#: What a cached row repeats of the row that trained the same function.
RESULT_FIELDS = ("val_score", "val_score_std", "test_score", "test_score_std", "test_scores", "epochs", "seeds",
                 "init", "init_gain")


def _cached_fields(hit: dict) -> dict:
    copied = {k: hit.get(k) for k in RESULT_FIELDS}
    return {**copied, "status": "cached", "train_seconds": 0.0,
            "reason": f"same function as eval {hit['eval_id']} ({hit['expression']})"}


def _task(expr: Expression, seeds: Sequence[int], pruner=None, train: dict | None = None) -> Task:
    return Task(str(expr), dict(expr.params), tuple(seeds), pruner, dict(train or {}))


def plan_candidate(run: Run, strategy, cand: Candidate) -> tuple[str, Any]:
    """What a candidate needs: ``("fields", row fields)`` without training (a cache
    hit or a screen rejection), or ``("task", Task)`` to train.  The search loop
    and distributed workers both decide through here."""
    expr = cand.expression
    key = run.key(expr, cand.train)
    if key in run.cache:
        return "fields", _cached_fields(run.cache[key])
    if key in run.warm:
        return "fields", warm_fields(run.warm[key])
    reason = screen(expr)
    if reason is not None:
        return "fields", {"status": "rejected", "reason": reason, "seeds": 0, "train_seconds": 0.0}
    return "task", _task(expr, range(run.config.seeds), strategy.pruner(cand), cand.train)


def _search_loop(run: Run, strategy, executor, previous: list[dict]) -> None:
    """Ask in batches, train each batch on the executor, record rows in ask order, tell.

    Batch sizes belong to the strategy, not to the number of workers, so the
    table is the same whatever executes it.  ``previous`` holds the rows of a
    killed run: they are told again instead of trained (resume by replay).
    """
    replay = deque(previous)
    # a smaller budget on resume discards nothing; rows copied from a warm start are free
    budget = max(run.config.budget, sum(not is_warm_copy(r) for r in replay))
    n_search = 0
    bar = None
    if run.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=budget, desc=f"{run.config.strategy}", unit="eval", leave=True)
    best = -math.inf
    try:
        while n_search < budget:
            batch: list[Candidate] = []
            while len(batch) < min(strategy.batch_size, budget - n_search):
                cand = strategy.ask()
                if cand is None:
                    break
                batch.append(cand)
            if not batch:
                break
            plans: list[Any] = []
            tasks: list[Task] = []
            first: dict[str, int] = {}
            keys = [run.key(cand.expression, cand.train) for cand in batch]
            for i, (cand, key) in enumerate(zip(batch, keys)):
                expr = cand.expression
                if replay:
                    row = replay.popleft()
                    if expr.fingerprint != row["fingerprint"]:
                        raise SearchError(
                            f"cannot resume {run.out}: eval {row['eval_id']} was {row['expression']!r} but this "
                            f"configuration proposes {str(expr)!r}; use a new --out or the original settings")
                    plans.append(("replayed", row))
                elif key in first and key not in run.cache:
                    plans.append(("same_as", first[key]))  # trained earlier in this batch
                else:
                    kind, value = plan_candidate(run, strategy, cand)
                    if kind == "task":
                        first[key] = i
                        plans.append(("task", len(tasks)))
                        tasks.append(value)
                    else:
                        plans.append((kind, value))
            trained = executor.map(tasks)
            rows: list[dict] = []
            for cand, key, (kind, value) in zip(batch, keys, plans):
                if kind == "replayed":
                    row = value
                else:
                    if kind == "task":
                        fields_ = next(trained)
                    elif kind == "same_as":
                        fields_ = _cached_fields(rows[value])
                    else:
                        fields_ = value
                    if cand.supernet and fields_.get("status") == "ok":
                        fields_ = {**fields_, "status": "mixture", "reason": cand.supernet}
                    row = run.record({"stage": "search", "strategy": run.config.strategy,
                                      "generation": cand.generation, "trial": cand.trial,
                                      **run.describe(cand.expression), **fields_})
                if row["status"] in CACHEABLE_STATUSES and key not in run.cache:
                    run.cache[key] = row
                rows.append(row)
                strategy.tell(cand, _outcome(row))
                if is_warm_copy(row):
                    continue
                n_search += 1
                if row["status"] in ("ok", "cached") and row["val_score"] is not None \
                        and row["val_score"] == row["val_score"] and row["val_score"] > best:
                    best = row["val_score"]
                if bar is not None:
                    bar.set_postfix(best=f"{best:.4f}", refresh=False)
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()


#: The reason of a search row copied from a warm-start run instead of trained (see :func:`load_warm_start`).
WARM_REASON = "warm start: trained under this protocol in"

#: The settings that decide a training's outcome; a warm-start run's scores carry over when all are equal.
PROTOCOL_KEYS = ("dataset", "target", "task", "split_seed", "seeds", "train")


@dataclass(frozen=True)
class WarmStart:
    """The best candidates of an earlier run, to seed a search with.

    ``rows`` maps each candidate's fingerprint to its row there, when that run
    trained under this run's protocol (same data, split, seeds, training settings
    and version): training would give the same numbers, so the search copies the
    row instead and does not count it against the budget.  Otherwise ``rows`` is
    empty and ``note`` says which setting differs.
    """

    expressions: list
    rows: dict
    note: str


def load_warm_start(path: str, k: int, config: SearchConfig | None = None) -> WarmStart:
    """The top ``k`` functions (by search validation score) of the run at ``path``.

    >>> load_warm_start("no/such/run.csv", 5)
    Traceback (most recent call last):
    ...
    actsearch.results.ResultsError: results file 'no/such/run.csv' does not exist
    """
    table = load_results(path)
    ok = table[(table["stage"] == "search") & (table["status"] == "ok") & table["val_score"].notna()]
    ok = ok.sort_values(["val_score", "eval_id"], ascending=[False, True]).drop_duplicates("fingerprint")
    expressions, rows = [], {}
    for row in ok.head(k).to_dict(orient="records"):
        row = _plain_row(row)
        expressions.append(parse(str(row["expression"]), params=row_params(row)))
        rows[row["fingerprint"]] = row
    differs = None if config is None else _protocol_difference(path, config, rows.values())
    if config is None or differs is not None:
        return WarmStart(expressions, {}, f"warm start: {len(expressions)} candidates from {path}, trained again "
                                          f"here ({differs or 'no settings given'})")
    return WarmStart(expressions, rows, f"warm start: {len(expressions)} candidates from {path}, their scores "
                                        "copied (the same protocol), not counted against the budget")


def _protocol_difference(path: str, config: SearchConfig, rows) -> str | None:
    """Why a warm-start run's scores do not carry over to ``config``'s run, or None if they do."""
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    old = stored_settings(folder)
    if old is None:
        return f"no config.yaml beside {path}"
    differs = first_difference(old, config.to_dict(), PROTOCOL_KEYS)
    if differs is not None:
        return f"its {differs[0]} differs"
    versions = {row.get("version") for row in rows}
    if versions - {__version__}:
        return f"it was trained by actsearch {', '.join(sorted(map(str, versions - {__version__})))}"
    return None


def warm_fields(row: dict) -> dict:
    """A search row's result fields copied from a warm-start run's ``row``."""
    copied = {k: row.get(k) for k in (*RESULT_FIELDS, "val_history", "learned", "train_seconds")}
    return {**copied, "status": "ok", "reason": f"{WARM_REASON} {row['run_id']} (eval {row['eval_id']})"}


def is_warm_copy(row: dict) -> bool:
    """Whether a search row was copied from a warm-start run (it does not count against the budget)."""
    return str(row.get("reason") or "").startswith(WARM_REASON)


def _row_key(run: Run, row: dict) -> str:
    """:meth:`Run.key` of a written row (the fingerprint when nothing is learnable)."""
    if not run.config.train.learnable:
        return row["fingerprint"]
    return run.key(parse(str(row["expression"]), params=json.loads(row["params"] or "{}")))


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


def final_stage(run: Run, done: dict[str, dict], executor, chosen: list | None = None) -> None:
    """Re-evaluate the baselines and the top k on fresh seeds, under the same protocol.

    The seeds start at ``final_seed_start`` (1000), so no finalist is scored
    on a seed, or with resampling a validation set, that the search selected on.

    ``done`` maps keys (:meth:`Run.key`) to final rows already written (a resumed run).
    A winner that is the same function as a baseline (``max(x, 0)`` and
    ``relu(x)``) shares the baseline's row, marked ``cached``.  ``chosen``
    (default :func:`finalists`) lists ``(source, expression)`` to train.
    """
    cfg = run.config
    chosen = finalists(run) if chosen is None else chosen
    # The same text with other parameter values is another function: key on fingerprints.
    existing = {(_row_key(run, r), r["strategy"]) for r in run.rows if r["stage"] == "final"}
    todo, tasks, queued = [], [], set()
    for strategy_name, expr in chosen:
        key = run.key(expr)
        if (key, strategy_name) in existing:
            continue
        existing.add((key, strategy_name))
        todo.append((strategy_name, expr))
        if key not in done and key not in queued:
            queued.add(key)
            tasks.append(_task(expr, range(cfg.final_seed_start, cfg.final_seed_start + cfg.final_seeds)))
    trained = executor.map(tasks)
    bar = None
    if run.progress and tasks:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=f"final stage ({cfg.final_seeds} seeds each)", unit="function",
                   leave=True)
    try:
        for strategy_name, expr in todo:
            described = run.describe(expr)
            same = done.get(run.key(expr))
            if same is not None:
                copied = {k: same.get(k) for k in RESULT_FIELDS}
                run.record({"stage": "final", "strategy": strategy_name, **described, **copied, "status": "cached",
                            "train_seconds": 0.0, "reason": f"same function as {same['expression']}"})
                continue
            done[run.key(expr)] = run.record({"stage": "final", "strategy": strategy_name, **described,
                                                 **next(trained)})
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()


def stored_settings(folder: str) -> dict | None:
    """The settings in ``folder/config.yaml``, or None where there is none.

    >>> stored_settings("no/such/folder") is None
    True
    """
    import yaml

    path = os.path.join(folder, "config.yaml")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        try:
            return yaml.safe_load(fh) or {}
        except yaml.YAMLError:
            raise SearchError(f"{path} is not valid YAML; use a new --out") from None


def first_difference(old: dict, new: dict, keys) -> tuple[str, Any, Any] | None:
    """``(key, old value, new value)`` of the first of ``keys`` whose values differ, naming a nested
    setting (``train.lr``) rather than its whole block; None if none differs.

    >>> first_difference({"seed": 0, "train": {"lr": 0.003}}, {"seed": 0, "train": {"lr": 0.01}}, ["seed", "train"])
    ('train.lr', 0.003, 0.01)
    """
    for key in keys:
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        if isinstance(was, dict) and isinstance(now, dict):
            sub = next(k for k in {**was, **now} if was.get(k) != now.get(k))
            return f"{key}.{sub}", was.get(sub), now.get(sub)
        return key, was, now
    return None


def settings_mismatch(out: str, config: SearchConfig) -> SettingsMismatch | None:
    """Why ``out`` cannot hold ``config``'s run: the first setting its config.yaml holds otherwise
    (the budget may differ, a resumed run may grow), or None when it holds none or the same.

    >>> settings_mismatch("no/such/folder", SearchConfig()) is None
    True
    """
    old = stored_settings(out)
    current = config.to_dict()
    differs = None if old is None else first_difference(old, current, [k for k in current if k != "budget"])
    return None if differs is None else SettingsMismatch(out, *differs)


def _config_check(out: str, config: SearchConfig) -> None:
    """Write OUT/config.yaml, or check that a resumed run matches it (the budget may grow)."""
    import yaml

    mismatch = settings_mismatch(out, config)
    if mismatch is not None:
        raise mismatch
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.yaml"), "w", encoding="utf-8") as fh:
        yaml.safe_dump({**config.to_dict(), "version": __version__}, fh, sort_keys=False)


def _resume_summary(search_rows: list[dict], final_rows: list[dict]) -> str:
    """What a resumed run found on disk, in one line."""
    scored = [r for r in search_rows if isinstance(r.get("val_score"), float) and math.isfinite(r["val_score"])]
    best = max(scored, key=lambda r: r["val_score"], default=None)
    text = f"resuming: {len(search_rows)} search rows and {len(final_rows)} final rows on disk"
    return text + (f"; best so far {best['val_score']:.4f} {best['expression']}" if best else "")


def run_search(config: SearchConfig, out: str | None = None, *, data: Dataset | None = None,
               space: Space | None = None, progress: bool = True, workers: int = 1, dask: str | None = None,
               announce=None) -> SearchResult:
    """Run (or resume) a search described by ``config``; see :func:`search`.

    ``announce(text)``, if given, is called once every setting has been checked and
    before the first training, with ``""`` for a new run or a line on what a
    resumed run found on disk (the CLI prints its banner there, so that a bad
    setting prints the error alone).
    """
    config.validate()
    if space is None:  # a Space object given to search() is used as it is; config.space names it
        space = space_from_dict(DEFAULT_SPACE, "<default space>") if config.space == "default" \
            else load_space(config.space)
    if data is None:
        data = load_dataset(config.dataset, target=config.target, task=config.task, seed=config.split_seed)
    # the strategy checks its options before anything is written
    strategy = get_strategy(config.strategy)(space, np.random.default_rng(config.seed), config.budget,
                                             **config.strategy_options)
    if (workers > 1 or dask) and strategy.options.get("pruner"):
        raise ConfigError("pruning runs inside one process: use --workers 1, or actsearch worker processes "
                          "on an Optuna storage")
    warm = None
    if config.warm_start:  # read before anything is written, so a bad file leaves no output behind
        warm = load_warm_start(config.warm_start, config.warm_k, config)
        strategy.warm_start(warm.expressions)
    previous = None
    if out is not None:
        _config_check(out, config)
        path = os.path.join(out, "evaluations.csv")
        if os.path.exists(path) and os.path.getsize(path) > 0:
            from .results import drop_partial_last_line

            drop_partial_last_line(path)
            previous = load_results(path)
    run = Run(config, data, space, out, progress)
    search_prev: list[dict] = []
    if previous is not None and len(previous):
        ordered = previous.sort_values("eval_id")
        search_prev = [_plain_row(r) for r in ordered[ordered["stage"] == "search"].to_dict(orient="records")]
        final_prev = [_plain_row(r) for r in ordered[ordered["stage"] == "final"].to_dict(orient="records")]
        run.run_id = str(ordered["run_id"].iloc[0])  # a run resumed keeps its id, whatever rule named it
        run.rows.extend(search_prev)  # replayed rows keep their place; new rows follow them
        run.rows.extend(final_prev)
    if warm is not None:
        run.warm = {run.key(e): warm.rows[e.fingerprint] for e in warm.expressions if e.fingerprint in warm.rows}
    if announce is not None:
        lines = [_resume_summary(search_prev, final_prev)] if previous is not None and len(previous) else []
        announce("\n".join(lines + ([warm.note] if warm is not None else [])))
    executor = make_executor(data, config.train, workers=workers, dask=dask)
    interrupted = False
    try:
        _search_loop(run, strategy, executor, search_prev)
        done = {_row_key(run, r): r for r in run.rows if r["stage"] == "final" and r["status"] != "cached"}
        if config.final_k > 0 or config.baselines:
            final_stage(run, done, executor)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        executor.close()
        if run.writer is not None:
            run.writer.close()
    return _result(run, strategy, interrupted)


def _plain_row(row: dict) -> dict:
    """A table row as plain Python values (None for missing)."""
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


def _result(run: Run, strategy, interrupted: bool) -> SearchResult:
    from .analysis.tables import leaderboard

    table = run.table()
    board = leaderboard(table, top=run.config.final_k)
    ok = table[(table["stage"] == "search") & (table["status"] == "ok")]
    best = None
    if len(ok):
        top = ok.sort_values(["val_score", "eval_id"], ascending=[False, True]).iloc[0]
        best = parse(str(top["expression"]), params=json.loads(str(top["params"]) or "{}"))
    summary = {"strategy": strategy.summary(), "data": run.data.describe()}
    return SearchResult(table=table, best=best, leaderboard=board, out=run.out, summary=summary,
                        interrupted=interrupted)


def search(space: str | Space = "default", strategy: str = "random", dataset: str | Dataset = "spirals3",
           budget: int = 40, seed: int = 0, out: str | None = None, *, X=None, y=None,
           task: str | None = None, target: str | None = None, split_seed: int = 0, seeds: int = 2,
           final_k: int = 5, final_seeds: int = 10, baselines: Sequence[str] = BASELINES,
           warm_start: str | None = None, strategy_options: dict | None = None,
           train: TrainConfig | None = None, progress: bool = True, workers: int = 1, dask: str | None = None,
           **train_options) -> SearchResult:
    """Search a space of activations; the one function behind ``actsearch search``.

    ``X, y`` search on your own arrays instead of ``dataset``.  Training
    options (``hidden``, ``epochs``, ``batch_size``, ``lr``, ...) override the
    default protocol (:data:`DEFAULT_PROTOCOL`), or pass a whole ``train``.
    With ``out``, every evaluation is appended to ``out/evaluations.csv`` as
    it finishes, and running the same call again resumes.  ``workers`` trains
    in that many processes; ``dask`` (``"local"`` or a scheduler address) on a
    Dask cluster.  Neither changes the table.
    """
    protocol = train or DEFAULT_PROTOCOL
    if train_options:
        valid = {f.name for f in fields(TrainConfig)}
        unknown = sorted(set(train_options) - valid)
        if unknown:
            raise ConfigError(f"unknown search option {unknown[0]!r}")
        protocol = replace(protocol, **train_options)
    data = None
    name = dataset
    if X is not None or y is not None:
        if X is None or y is None:
            raise ConfigError("pass both X and y, or neither")
        data = make_dataset(X, y, task=task, name="arrays", seed=split_seed)
        name = "arrays"
    elif isinstance(dataset, Dataset):
        data, name = dataset, dataset.name
    config = SearchConfig(space=space if isinstance(space, str) else space.source, strategy=strategy,
                          dataset=str(name), target=target, task=task, split_seed=split_seed, budget=budget,
                          seed=seed, seeds=seeds, final_k=final_k, final_seeds=final_seeds,
                          baselines=tuple(baselines), warm_start=warm_start,
                          strategy_options=dict(strategy_options or {}), train=protocol)
    return run_search(config, out, data=data, space=None if isinstance(space, str) else space, progress=progress,
                      workers=workers, dask=dask)
