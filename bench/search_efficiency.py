"""Search efficiency on a planted problem: evaluations needed to reach the teacher's score.

Data come from a teacher network whose hidden activation is a known expression
of the space (``planted:EXPR``).  Each strategy runs over --seeds seeds with a
budget of --budget evaluations (every proposal counts, as in ``actsearch
search``); we count the evaluations until a candidate's validation R^2 is
within --tol of the teacher's own.  Scores are cached by fingerprint in
results/bench-cache-*.csv, so each distinct function is trained once across
all strategies and seeds, and a second run finishes in seconds.

    python bench/search_efficiency.py
    python bench/search_efficiency.py --teacher "x * tanh(x)" --seeds 10 --budget 150
"""

from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np

from actsearch.datasets import load_dataset
from actsearch.networks import TrainConfig, Trainer
from actsearch.screening import screen
from actsearch.spaces import load_space, space_from_dict
from actsearch.strategies import Outcome, get_strategy

PROTOCOL = TrainConfig(hidden=(16,), epochs=100, lr=0.01)


class CachedObjective:
    """Validation R^2 of one training run (seed 0), cached on disk by fingerprint."""

    def __init__(self, teacher: str, path: str):
        self.data = load_dataset(f"planted:{teacher}")
        self.path = path
        self.scores: dict[str, float] = {}
        if os.path.exists(path):
            with open(path, newline="") as fh:
                for row in csv.DictReader(fh):
                    self.scores[row["fingerprint"]] = float(row["val_score"])
        self.trained = 0

    def __call__(self, expr) -> float:
        fp = expr.fingerprint
        if fp not in self.scores:
            if screen(expr) is not None:
                score = float("nan")
            else:
                r = Trainer(expr, self.data, PROTOCOL).fit(0)
                score = r.val_score if r.status == "ok" else float("nan")
                self.trained += 1
            self.scores[fp] = score
            new = not os.path.exists(self.path)
            with open(self.path, "a", newline="") as fh:
                w = csv.writer(fh)
                if new:
                    w.writerow(["fingerprint", "expression", "val_score"])
                w.writerow([fp, str(expr), repr(score)])
        return self.scores[fp]


def evaluations_to_target(name, space, objective, target, seed, budget, options):
    strategy = get_strategy(name)(space, np.random.default_rng(seed), budget, **options)
    for n in range(1, budget + 1):
        cand = strategy.ask()
        if cand is None:
            return None
        score = objective(cand.expression)
        ok = score == score
        strategy.tell(cand, Outcome("ok" if ok else "rejected", val_score=score,
                                    complexity=cand.expression.complexity))
        if ok and score >= target:
            return n
    return None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="sin(x) * x")
    parser.add_argument("--space", default="ramachandran2017")
    parser.add_argument("--units", type=int, default=1, help="restrict the core-unit space to this many units")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--tol", type=float, default=0.01)
    parser.add_argument("--strategies", default="random,evolution,optuna")
    args = parser.parse_args(argv)
    space = load_space(args.space)
    if space.kind == "core_unit" and args.units:
        space = space_from_dict({**space.raw, "units": args.units}, space.source)
    os.makedirs("results", exist_ok=True)
    slug = "".join(c if c.isalnum() else "_" for c in args.teacher)
    objective = CachedObjective(args.teacher, f"results/bench-cache-{args.space}-{slug}.csv")
    from actsearch import parse

    teacher_score = objective(parse(args.teacher))
    target = teacher_score - args.tol
    print(f"teacher {args.teacher!r}: validation R^2 {teacher_score:.4f}; target >= {target:.4f}; "
          f"space {args.space} ({args.units} unit), budget {args.budget}, seeds 0-{args.seeds - 1}")
    start = time.perf_counter()
    medians = {}
    for name in args.strategies.split(","):
        options = {"population": 10} if name == "evolution" else {}
        counts = [evaluations_to_target(name, space, objective, target, s, args.budget, options)
                  for s in range(args.seeds)]
        reached = [c for c in counts if c is not None]
        # a run that never reaches the target counts as budget + 1 (a lower bound on its cost)
        filled = [c if c is not None else args.budget + 1 for c in counts]
        medians[name] = float(np.median(filled))
        print(f"  {name:10s} reached in {len(reached)}/{len(counts)} runs; evaluations needed: "
              f"median {medians[name]:.0f}, per seed {counts}")
    if "random" in medians:
        for name, med in medians.items():
            if name != "random":
                print(f"  {name} / random median: {med / medians['random']:.2f}")
    print(f"({objective.trained} networks trained this run, {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
