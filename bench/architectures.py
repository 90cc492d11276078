"""Does the proxy's verdict depend on the architecture?  The baselines, APL and rational under three proxies.

For each task of the discovery benchmark (:mod:`bench.discovery`'s ``TASKS``:
their protocols) and each proxy architecture, ``mlp`` (the plain MLP),
``resmlp`` + LayerNorm and ``resmlp`` + BatchNorm (pre-norm residual blocks,
:mod:`actsearch.networks`), one ``compare`` of ``apl(x)`` and
``rational(x)`` against the seven baselines on ``--seeds`` fresh seeds (1000
and up): paired tests on test scores against the best baseline (chosen by
validation score), Holm-corrected over the two.

It prints, per task and architecture, every function's test mean in the
order of their validation means, the verdicts of APL and rational, and then
for each task the Spearman correlation of the nine test means between ``mlp``
and each residual proxy: where it is low or negative, the plain MLP's ranking
does not carry over to the architecture.

    python bench/architectures.py                        # 5 tasks, 10 seeds: about 20 minutes on 2 cores
    python bench/architectures.py --tasks spirals --seeds 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import actsearch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from discovery import TASKS  # noqa: E402  (the benchmark's tasks and their protocols)

ARCHS = {"mlp": {"arch": "mlp", "norm": None}, "resmlp+layer": {"arch": "resmlp", "norm": "layer"},
         "resmlp+batch": {"arch": "resmlp", "norm": "batch"}}
FAMILIES = ["apl(x)", "rational(x)"]


def run_task(task, arch: dict, seeds: int, workers: int):
    """The leaderboard of one task under one architecture, sorted by validation mean, and the rows of the
    functions that have no score there (a run that diverged: the final stage stops at its first failed
    seed, and such a function is recorded but never ranked)."""
    from actsearch.analysis.tables import leaderboard
    from actsearch.finals import compare_table

    table = compare_table(FAMILIES, dataset=task.dataset, seeds=seeds, workers=workers, **{**task.train, **arch})
    board = leaderboard(table, top=len(FAMILIES)).sort_values("val_score", ascending=False)
    return board, table[~table["status"].isin(["ok", "cached"])]


def spearman(a: dict, b: dict) -> tuple[float, float]:
    """Spearman's rho (and its p) between two {function: test mean} over the functions both have."""
    from scipy.stats import spearmanr

    common = sorted(set(a) & set(b))
    rho, p = spearmanr([a[k] for k in common], [b[k] for k in common])
    return float(rho), float(p)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated, of {', '.join(TASKS)}")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    summary = []
    for name in args.tasks.split(","):
        task = TASKS[name]
        means, leaders = {}, []
        for arch_name, arch in ARCHS.items():
            began = time.perf_counter()
            board, failed = run_task(task, arch, args.seeds, args.workers)
            means[arch_name] = dict(zip(board["expression"].astype(str), board["test_score"].astype(float)))
            leaders.append(f"{arch_name} {board['expression'].iloc[0]}")
            print(f"\n== {name} / {arch_name} ({time.perf_counter() - began:.0f} s; {args.seeds} seeds; "
                  f"best baseline {board['best_baseline'].iloc[0]})")
            print(board[["expression", "source", "val_score", "test_score", "test_score_std", "vs_best",
                         "p_vs_best_holm", "verdict"]].to_string(index=False))
            for _, row in failed.iterrows():
                print(f"{row['expression']}: {row['status']} ({row['reason']}), no score")
                summary.append((name, arch_name, str(row["expression"]), float("nan"), float("nan"),
                                f"{row['status']}: no score", 0))
            for _, row in board[board["source"] == "candidate"].iterrows():
                summary.append((name, arch_name, str(row["expression"]), float(row["vs_best"]),
                                float(row["p_vs_best_holm"]), str(row["verdict"]),
                                int(list(board["expression"]).index(row["expression"])) + 1))
        print(f"{name}: best by validation: {', '.join(leaders)}")
        for other in ("resmlp+layer", "resmlp+batch"):
            rho, p = spearman(means["mlp"], means[other])
            print(f"{name}: Spearman rho of the test means, mlp vs {other}: {rho:+.2f} (p {p:.2f})")
    print("\ntask | arch | family | rank by val | vs best baseline | p_holm | verdict")
    for task, arch, expr, diff, p, verdict, rank in summary:
        print(f"{task} | {arch} | {expr} | {rank or '-'} | {diff:+.4f} | {p:.3f} | {verdict}")
    better = sum(v.startswith("better") for *_, v, _ in summary)
    failed = sum(rank == 0 for *_, rank in summary)
    print(f"\narchitectures: {better} of {len(summary)} family-task-architecture verdicts 'better than' "
          f"the best baseline, {failed} without a score (diverged)")


if __name__ == "__main__":
    main()
