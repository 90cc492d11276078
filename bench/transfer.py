"""The proxy question: do the NumPy MLP's finalists keep their rank in PyTorch models?

For each task of ``bench/discovery.py`` it runs (or resumes) that benchmark's
search, then ``actsearch transfer``s the finalists and the baselines to the
target models (``resmlp`` everywhere, ``cnn`` where the data are 8x8 images),
on paired fresh seeds under the run's training settings, and reports per task
and model:

* Spearman's rank correlation (and its p) between the functions' mean test
  scores in the proxy's final stage and in the target;
* how many finalists keep a verdict of better-or-equal against the best
  baseline in the target (not ``worse``, Holm-corrected);
* whether the proxy's best finalist is in the target's top three (by mean
  validation score, baselines included).

    python bench/transfer.py                                   # the discovery setting: budget 300, 10 seeds
    python bench/transfer.py --tasks digits --budget 60 --seeds 5

Its last line is ``transfer: K of N task-model pairs with Spearman rho > 0``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from discovery import TASKS  # noqa: E402

from actsearch.driver import search  # noqa: E402
from actsearch.transfer import transfer  # noqa: E402


def _models(task: str, requested: list[str]) -> list[str]:
    """The targets that fit the task: cnn needs 8x8 images (digits)."""
    return [m for m in requested if m != "cnn" or TASKS[task].dataset == "digits"]


def _summary(result, proxy_best: str) -> tuple[int, int, bool]:
    """(finalists better-or-equal in the target, finalists, whether the proxy's best is in the target's top 3)."""
    board = result.leaderboard
    final = board[(board["stage"] == "final") & (board["source"] != "baseline")]
    kept = int((~final["verdict"].astype(str).str.startswith("worse")).sum())
    top3 = board.sort_values("val_score", ascending=False, kind="stable").head(3)
    return kept, len(final), proxy_best in set(top3["expression"]) | set(top3["also"].dropna().astype(str))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated, from {', '.join(TASKS)}")
    parser.add_argument("--models", default="resmlp,cnn")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--strategy", default="evolution")
    parser.add_argument("--space", default="ramachandran2017")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=10, help="seeds per function in the target")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--racing", default="off", choices=("off", "sh", "asha"),
                        help="the search's racing (default: off, the full protocol for every candidate, as the "
                             "published figures were measured)")
    parser.add_argument("--out", default=os.path.join("results", "discovery"))
    args = parser.parse_args(argv)
    names = [t.strip() for t in args.tasks.split(",") if t.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print(f"transfer: {args.strategy} over {args.space}, budget {args.budget}, seed {args.seed}; "
          f"targets {', '.join(models)}, {args.seeds} paired seeds each")
    print(f"{'task':14s} {'model':7s} {'spearman [p, n]':22s} {'kept':6s} {'best in top 3':14s} time    proxy best")
    pairs = positive = 0
    for name in names:
        task = TASKS[name]
        out = os.path.join(args.out, f"{name}-{args.strategy}-s{args.seed}")
        proxy = search(space=args.space, strategy=args.strategy, dataset=task.dataset, budget=args.budget,
                       seed=args.seed, out=out, progress=False, workers=args.workers, racing=args.racing,
                       **task.train)
        finals = proxy.leaderboard[(proxy.leaderboard["stage"] == "final")
                                   & (proxy.leaderboard["source"] != "baseline")]
        proxy_best = str(finals.iloc[0]["expression"]) if len(finals) else ""
        for model in _models(name, models):
            began = time.perf_counter()
            result = transfer(out, model, seeds=args.seeds, workers=args.workers)
            a = result.agreement
            kept, n, in_top = _summary(result, proxy_best)
            pairs += 1
            positive += bool(a["rho"] > 0)
            rho = "-" if math.isnan(a["rho"]) else f"{a['rho']:+.2f} [{a['p']:.2f}, {a['n']}]"
            print(f"{name:14s} {model:7s} {rho:22s} {kept}/{n:<4d} {'yes' if in_top else 'no':14s} "
                  f"{time.perf_counter() - began:5.0f} s  {proxy_best}", flush=True)
    print(f"transfer: {positive} of {pairs} task-model pairs with Spearman rho > 0")


if __name__ == "__main__":
    main()
