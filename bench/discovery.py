"""The discovery benchmark: does a search find an activation that beats the best known one?

For each task it runs a fixed-budget search with one strategy, then the final
stage (the finalists and the baselines on fresh seeds 1000 and up, each with its
own train/validation partition), and prints the winner (of the finalists that
beat the best baseline, or else of all finalists, the one with the best final
validation score), the best baseline (chosen the same way), the mean
paired test-score difference with its 95% interval, the Holm-adjusted p (over
the task's finalists) and the verdict.  A task counts as a discovery when any
finalist that is not a baseline's twin is ``better than`` the best baseline.

    python bench/discovery.py                                   # all five tasks, budget 300
    python bench/discovery.py --tasks spirals,planted --budget 60 --strategy random

Each task's table is kept under ``--out`` (default ``results/discovery``), so
a killed run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass, field

from actsearch.driver import SearchConfig, search


@dataclass(frozen=True)
class DiscoveryTask:
    """One task of the benchmark: a dataset and the training options that differ from the default protocol."""

    name: str
    dataset: str
    train: dict = field(default_factory=dict)


#: The tasks: the default protocol (six hidden layers of 32, 30 epochs) on the real ones.
#: The planted one trains a student of the teacher's shape (one hidden layer of 16), where
#: the teacher's activation is measurably the best (``actsearch compare "sin(x) * x"
#: --dataset "planted:sin(x) * x" --hidden 16 --epochs 40 --lr 0.01 --no-early-stopping``:
#: +0.061 R^2 over the best baseline); six layers of x*sin(x) do not train at all (R^2 0.31).
PLANTED_STUDENT = {"hidden": (16,), "epochs": 40, "lr": 0.01, "early_stopping": False}
TASKS = {
    "spirals": DiscoveryTask("spirals", SearchConfig().dataset),
    "digits": DiscoveryTask("digits", "digits", {"hidden": (32,) * 6}),
    "breast_cancer": DiscoveryTask("breast_cancer", "breast_cancer"),
    "diabetes": DiscoveryTask("diabetes", "diabetes"),
    "planted": DiscoveryTask("planted", "planted:sin(x) * x", PLANTED_STUDENT),
}


def _winner(board):
    """(the winning finalist's row, how many finalists beat the best baseline): finalists exclude baselines' twins."""
    final = board[(board["stage"] == "final") & (board["source"] != "baseline")]
    if final.empty:
        return None, 0
    wins = final[final["verdict"].astype(str).str.startswith("better").to_numpy(dtype=bool)]
    pool = wins if len(wins) else final
    return pool.sort_values("val_score", ascending=False, kind="stable").iloc[0], len(wins)


def _line(task: str, row, better: int, finalists: int, seconds: float) -> str:
    if row is None:
        return f"{task:14s} (no finalist)"
    ci = row["vs_best_ci"] if isinstance(row["vs_best_ci"], list) else [math.nan, math.nan]
    # the winner goes last and whole: a cut expression next to a baseline's name reads as one expression
    return (f"{task:14s} {str(row['best_baseline']):14s} "
            f"{row['vs_best']:+.4f} [{ci[0]:+.4f}, {ci[1]:+.4f}]  {row['p_vs_best_holm']:.3f}  "
            f"{row['verdict']:24s} {better}/{finalists}   {seconds:5.0f} s  {row['expression']}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated, from {', '.join(TASKS)}")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--strategy", default="evolution")
    parser.add_argument("--space", default="ramachandran2017")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--racing", default="off", choices=("off", "sh", "asha"),
                        help="the search's racing (default: off, the full protocol for every candidate, as the "
                             "published figures were measured)")
    parser.add_argument("--out", default=os.path.join("results", "discovery"))
    args = parser.parse_args(argv)
    names = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in names if t not in TASKS]
    if unknown:
        parser.error(f"unknown task {unknown[0]!r}; choose from {', '.join(TASKS)}")
    config = SearchConfig()
    print(f"discovery: {args.strategy} over {args.space}, budget {args.budget}, seed {args.seed}; "
          f"final stage: top {config.final_k} and {len(config.baselines)} baselines on seeds "
          f"{config.final_seed_start}-{config.final_seed_start + config.final_seeds - 1}")
    print(f"{'task':14s} {'best baseline':14s} {'vs best [95% CI]':27s} {'p_holm':6s} "
          f"{'verdict':24s} better  time     winner")
    wins = 0
    for name in names:
        task = TASKS[name]
        began = time.perf_counter()
        result = search(space=args.space, strategy=args.strategy, dataset=task.dataset, budget=args.budget,
                        seed=args.seed, out=os.path.join(args.out, f"{name}-{args.strategy}-s{args.seed}"),
                        progress=False, workers=args.workers, racing=args.racing, **task.train)
        row, better = _winner(result.leaderboard)
        finalists = int(((result.leaderboard["stage"] == "final")
                         & (result.leaderboard["source"] != "baseline")).sum())
        wins += better > 0
        print(_line(name, row, better, finalists, time.perf_counter() - began), flush=True)
    print(f"discovery: {wins} of {len(names)} tasks with a discovered activation better than the best baseline "
          f"(Holm-adjusted p < 0.05)")


if __name__ == "__main__":
    main()
