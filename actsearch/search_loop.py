"""The search stage: ask, plan, train (rung by rung when racing), record, tell.

Two schedules share one :class:`Race` (the rungs, the decisions, the rows and
the tells):

* :func:`bracket_loop`, for ``racing="off"`` and ``"sh"``: the strategy's
  candidates come in brackets (its ``batch_size``; for ``sh`` at least
  ``eta**(rungs - 1)``), each rung of a bracket is trained on every worker
  and its rows are recorded in ask order, so the table does not depend on the
  number of workers.  With racing off this is the search as it always was.
* :func:`async_loop`, for ``racing="asha"``: a free worker takes a promoted
  candidate's next rung, or else the strategy's next candidate; no worker
  waits for a rung or a generation to fill.  Rows are written as trainings
  finish, so with several workers their order can differ from one worker's;
  with one worker the same seed gives the same table.

A resumed run replays its rows: the strategy is asked again with the same
seed, and where the loop would train, or write a row, it takes the next row
on disk instead, after checking that it is the same candidate at the same
rung.  :func:`async_loop` replays completions in the order they were
written, so a resume needs the worker count of the original run (rows are
never lost or repeated, and a mismatch is a one-line error).  A candidate
promoted before a kill trains its next rung from the start: training is
deterministic, so its row is the one it would have had.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from .config import SearchError
from .executors import fields_of
from .planner import Run, cached_fields, outcome
from .racing import RacingConfig, Rung, bracket_promoted, promotable, rung_schedule, top_count
from .warmstart import is_warm_copy


@dataclass
class Entry:
    """A candidate being trained: its cache key, the rung it trains at next, and the seeds' states there."""

    cand: Any
    key: str
    task: Any  # the planner's full-protocol task
    rung: int = 0
    carry: tuple = ()
    followers: list = field(default_factory=list)  # later candidates of the same function, waiting on its fate
    future: Any = None
    last_row: dict | None = None


@dataclass
class Member:
    """An asked candidate as a loop sees it: ``row`` (its row is known without training: a copy, a
    rejection; ``fields``), ``follow`` (the same function as ``entry``, still training) or ``train``."""

    kind: str
    cand: Any
    key: str
    fields: dict | None = None
    entry: Entry | None = None


class Race:
    """What both loops share: a run's rungs, the rows it replays, each rung's decision, and the tells.

    ``progress.update(row)`` is called once per candidate, when its fate is
    decided (its last row).
    """

    def __init__(self, run: Run, strategy, racing: RacingConfig, progress, replay: list[dict]):
        self.run, self.strategy, self.racing, self.progress = run, strategy, racing, progress
        cfg = run.config
        self.epochs = cfg.train.epochs
        self.rungs: tuple[Rung, ...] = rung_schedule(cfg.seeds, self.epochs, racing.eta, racing.rungs) \
            if racing.on else ()
        self.scores: list[list[float]] = [[] for _ in self.rungs]  # asha: the scores at each rung so far
        self.racing_now: dict[str, Entry] = {}  # undecided candidates by cache key
        self.replay = deque(replay)
        self.candidates = 0  # asked, not copied from a warm start: what the budget counts

    # --- the budget -------------------------------------------------------------------------------------
    @staticmethod
    def candidates_in(rows: list[dict]) -> int:
        """How many candidates ``rows`` hold: every row is one, but a promotion's next rung and warm copies.

        >>> Race.candidates_in([{"status": "promoted"}, {"status": "ok"}, {"status": "pruned"}])
        2
        """
        return sum(not is_warm_copy(r) for r in rows) - sum(r["status"] == "promoted" for r in rows)

    # --- rows ---------------------------------------------------------------------------------------------
    def emit(self, cand, fields_: dict | None, rung: int | None = None) -> dict:
        """The row of ``cand``: the next replayed row (checked to be this candidate at ``rung``), or a new row
        with ``fields_``."""
        if self.replay:
            row = self.replay.popleft()
            was = row.get("rung")
            if cand.expression.fingerprint != row["fingerprint"] or (rung is not None and was != rung):
                at = "" if rung is None else f" at rung {rung}"
                raise SearchError(
                    f"cannot resume {self.run.out}: eval {row['eval_id']} was {row['expression']!r} but this "
                    f"configuration proposes {str(cand.expression)!r}{at}; use a new --out or the original "
                    f"settings (and --workers)")
            return row
        if fields_ is None:
            raise SearchError(f"cannot resume {self.run.out}: its rows end where this configuration trains")
        return self.run.search_row(cand, fields_)

    def admit(self, cand) -> Member:
        """What a new candidate is (see :class:`Member`); it counts against the budget unless it is a warm
        copy."""
        key = self.run.key(cand.expression, cand.train)
        if key in self.racing_now:
            self.candidates += 1
            return Member("follow", cand, key, entry=self.racing_now[key])
        plan = self.run.plan(cand, self.strategy)
        if plan.task is None:
            self.candidates += not is_warm_copy(plan.fields)
            return Member("row", cand, key, fields=plan.fields)
        self.candidates += 1
        entry = self.racing_now[key] = Entry(cand, key, plan.task)
        return Member("train", cand, key, entry=entry)

    def write(self, member: Member) -> None:
        """Write (or replay) the row of a ``row`` or ``follow`` member and decide it."""
        if member.kind == "row":
            self.decided(member.cand, member.key, self.emit(member.cand, member.fields))
        else:
            self.decided(member.cand, member.key, self.emit(member.cand, cached_fields(member.entry.last_row)))

    def task(self, entry: Entry):
        """The training of ``entry``'s next rung (the full protocol when it does not race)."""
        if not self.raced(entry):
            return entry.task
        rung = self.rungs[entry.rung]
        return replace(entry.task, seeds=tuple(range(rung.seeds)), raced=True, resume=entry.carry,
                       until=rung.epochs if rung.epochs < self.epochs else None)

    def raced(self, entry: Entry) -> bool:
        """Whether ``entry`` races: racing is on, and it is not a mixture's one training."""
        return bool(self.rungs) and not entry.cand.supernet

    def is_top(self, entry: Entry) -> bool:
        return not self.raced(entry) or entry.rung == len(self.rungs) - 1

    # --- decisions ----------------------------------------------------------------------------------------
    def rung_fields(self, entry: Entry, fields_: dict, promote: bool | None = None, n: int = 0) -> dict:
        """``fields_`` of a trained rung with its rung, fidelity, and ``promoted``/``pruned`` by ``promote``
        (a decision among ``n`` scores)."""
        fields_ = {k: v for k, v in fields_.items() if k != "carry"}
        if not self.raced(entry):
            return fields_
        rung = self.rungs[entry.rung]
        fields_.update(rung=rung.index, fidelity=rung.fidelity)
        if promote is not None and fields_["status"] == "ok":
            top = f"the top {top_count(n, self.racing.eta)} of {n} scores at rung {rung.index} ({rung.fidelity})"
            fields_["status"] = "promoted" if promote else "pruned"
            fields_["reason"] = f"in {top}" if promote else f"stopped by racing: not in {top}"
        return fields_

    def asha_promotes(self, entry: Entry, fields_: dict) -> bool | None:
        """ASHA's decision for a rung score as it arrives (None at the top rung or without a score)."""
        if self.is_top(entry) or fields_["status"] != "ok":
            return None
        value = fields_["val_score"]
        value = value if isinstance(value, float) and math.isfinite(value) else -math.inf
        self.scores[entry.rung].append(value)
        return promotable(value, self.scores[entry.rung], self.racing.eta)

    def settle(self, entry: Entry, row: dict, carry: tuple = ()) -> bool:
        """After ``entry``'s rung wrote ``row``: True if it goes on to the next rung, else decide its fate."""
        entry.last_row = row
        if row["status"] == "promoted":
            entry.rung += 1
            entry.carry = carry
            return True
        del self.racing_now[entry.key]
        self.decided(entry.cand, entry.key, row)
        for follower in entry.followers:
            self.decided(follower, entry.key, self.emit(follower, cached_fields(row)))
        return False

    def decided(self, cand, key: str, row: dict) -> None:
        """A candidate's last row: cache it, tell the strategy, count it."""
        self.run.remember(key, row)
        self.strategy.tell(cand, outcome(row))
        if not is_warm_copy(row):
            self.progress.update(row)


def async_loop(race: Race, executor, budget: int) -> None:
    """ASHA: keep every worker busy with a promoted candidate's next rung, else a new candidate."""
    ready: deque[Entry] = deque()
    flying: list[Entry] = []
    while True:
        while len(flying) < executor.workers:
            if ready:
                entry = ready.popleft()
            else:
                if race.candidates >= budget:
                    break
                cand = race.strategy.ask()
                if cand is None:
                    break  # nothing until more is told (an evolution's generation), or nothing at all
                member = race.admit(cand)
                if member.kind == "row":
                    race.write(member)
                if member.kind != "train":
                    if member.kind == "follow":
                        member.entry.followers.append(cand)
                    continue
                entry = member.entry
            if not race.replay:
                entry.future = executor.submit(race.task(entry))
            flying.append(entry)
        if not flying:
            return
        entry, row, carry = _next_done(race, executor, flying)
        flying.remove(entry)
        if race.settle(entry, row, carry):
            ready.append(entry)


def _next_done(race: Race, executor, flying: list[Entry]) -> tuple[Entry, dict, tuple]:
    """The next finished rung of ``flying`` and its row: the next row on disk while replaying, else the
    first training to finish (those started during the replay are submitted now)."""
    if race.replay:
        row = race.replay[0]
        entry = next((e for e in flying if e.cand.expression.fingerprint == row["fingerprint"]
                      and (row.get("rung") is None or row["rung"] == e.rung)), None)
        if entry is None:
            # not in flight: the run asked otherwise (another seed, strategy or worker count)
            entry = flying[0]
        row = race.emit(entry.cand, None, _rung(race, entry))
        if row["status"] in ("promoted", "pruned") and not race.is_top(entry):
            race.scores[entry.rung].append(_score(row))  # the competition its decision saw
        return entry, row, ()
    for e in flying:
        if e.future is None:
            e.future = executor.submit(race.task(e))
    future = executor.wait_one([e.future for e in flying])
    entry = next(e for e in flying if e.future is future)
    entry.future = None
    fields_ = fields_of(future)
    carry = fields_.get("carry", ())
    promote = race.asha_promotes(entry, fields_)
    fields_ = race.rung_fields(entry, fields_, promote, len(race.scores[entry.rung]) if promote is not None else 0)
    return entry, race.emit(entry.cand, fields_), carry


def _rung(race: Race, entry: Entry) -> int | None:
    return entry.rung if race.raced(entry) else None


def bracket_loop(race: Race, executor, budget: int) -> None:
    """Racing off or synchronous successive halving: brackets of candidates, rung by rung, rows in ask
    order."""
    racing, strategy = race.racing, race.strategy
    size = strategy.batch_size
    if racing.mode == "sh":
        size = max(size, racing.eta ** (len(race.rungs) - 1))
    while race.candidates < budget:
        members: list[Member] = []
        asked = 0
        for _ in range(min(size, budget - race.candidates)):
            cand = strategy.ask()
            if cand is None:
                break
            asked += 1
            member = race.admit(cand)
            if member.kind == "follow" and race.rungs:
                member.entry.followers.append(cand)  # racing: written after the one it copies is decided
            else:
                members.append(member)
        if not asked:
            return
        while members:
            members = _bracket_pass(race, executor, members)


def _bracket_pass(race: Race, executor, members: list[Member]) -> list[Member]:
    """One rung of a bracket: write its ``members``' rows in order (a resumed run's on disk first, then
    trained ones); the members promoted to the next rung."""
    going_on: list[Member] = []
    scores: list[float] = []  # sh: the rung's scores, replayed ones first

    def settled(member: Member, row: dict, carry: tuple = ()) -> None:
        if row["status"] in ("promoted", "pruned", "ok") and row.get("rung") is not None:
            scores.append(_score(row))
        if race.settle(member.entry, row, carry):
            going_on.append(member)

    done = 0
    while done < len(members) and race.replay:
        member = members[done]
        if member.kind == "train":
            settled(member, race.emit(member.cand, None, _rung(race, member.entry)))
        else:
            race.write(member)
        done += 1
    rest = members[done:]
    training = [m for m in rest if m.kind == "train"]
    trained = executor.map([race.task(m.entry) for m in training])
    # sh: the racing members below their top rung are decided together (a mixture's training never races)
    racers = [m for m in training if not race.is_top(m.entry)] if race.racing.mode == "sh" else []
    results = {id(m): next(trained) for m in training} if racers else {}
    promoted: set[int] = set()  # ids of the members going on
    n = 0
    if racers:
        fresh = [_score(results[id(m)]) if results[id(m)]["status"] == "ok" else math.nan for m in racers]
        # the replayed scores come first; their decisions are on disk already
        picks = bracket_promoted(scores + fresh, race.racing.eta)
        promoted = {id(racers[i - len(scores)]) for i in picks if i >= len(scores)}
        n = sum(math.isfinite(v) for v in scores + fresh)
    for member in rest:
        if member.kind != "train":
            race.write(member)
            continue
        fields_ = results.pop(id(member)) if racers else next(trained)
        racing_here = any(m is member for m in racers)
        promote = (id(member) in promoted) if racing_here else None
        carry = fields_.get("carry", ())
        row = race.emit(member.cand, race.rung_fields(member.entry, fields_, promote, n))
        if race.settle(member.entry, row, carry):
            going_on.append(member)
    return going_on


def _score(fields_: dict) -> float:
    value = fields_.get("val_score")
    return float(value) if value is not None and value == value else math.nan
