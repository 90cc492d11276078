"""Throughput of --workers 2 against --workers 1 for each strategy, and the start-up cost.

Runs the same search (ramachandran2017, default protocol, racing as by
default, final stage off) as a real `actsearch search` command with each
worker count, for each strategy, and reports candidates per hour and the time
from starting the command to the first row being written.  With racing
(ASHA) a free worker never waits: it takes a promoted candidate's next rung
or the strategy's next candidate (evolution goes steady-state with more than
one worker; Optuna and the surrogate ask one trial per free worker).

    python bench/bench_workers.py                           # about 8 minutes
    python bench/bench_workers.py --budget 100 --strategies random --racing off
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def run(strategy: str, budget: int, workers: int, seeds: int, racing: str) -> tuple[float, float]:
    out = tempfile.mkdtemp(prefix=f"bench-workers-{strategy}-{workers}-")
    path = os.path.join(out, "evaluations.csv")
    cmd = [sys.executable, "-m", "actsearch.cli", "search", "--space", "ramachandran2017", "--strategy", strategy,
           "--budget", str(budget), "--workers", str(workers), "--racing", racing,
           "--seeds", str(seeds), "--final-k", "0", "--final-seeds", "1", "--out", out, "--no-progress"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = None
    while proc.poll() is None:
        if first is None and os.path.exists(path) and open(path).read().count("\n") >= 2:
            first = time.perf_counter() - start
        time.sleep(0.01)
    total = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"search with {workers} workers failed: {' '.join(cmd)}")
    return total, first if first is not None else total


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--strategies", default="random,evolution,optuna,surrogate")
    parser.add_argument("--racing", default="asha", choices=("off", "sh", "asha"))
    args = parser.parse_args(argv)
    print(f"search over ramachandran2017, default protocol, {args.budget} candidates x {args.seeds} seeds, racing "
          f"{args.racing}, no final stage, {os.cpu_count()} cores")
    worst = None
    for strategy in args.strategies.split(","):
        base = None
        for workers in (int(w) for w in args.workers.split(",")):
            total, first = run(strategy, args.budget, workers, args.seeds, args.racing)
            rate = args.budget / total * 3600
            base = base or rate
            print(f"  {strategy:10s} --workers {workers}: {total:6.1f} s, {rate:8.0f} candidates/hour "
                  f"({rate / base:.2f}x), first row written after {first:.2f} s")
        worst = min(worst or rate / base, rate / base)
    print(f"the least speed-up of the last worker count over the first: {worst:.2f}x")


if __name__ == "__main__":
    main()
