"""Throughput of --workers 2 against --workers 1, and the start-up cost.

Runs the same 200-evaluation random search (default protocol, final stage off)
as a real `actsearch search` command with each worker count, and reports
evaluations per hour and the time from starting the command to the first
evaluation being written.

    python bench/bench_workers.py
    python bench/bench_workers.py --budget 100 --workers 1,2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def run(budget: int, workers: int, seeds: int) -> tuple[float, float]:
    out = tempfile.mkdtemp(prefix=f"bench-workers{workers}-")
    path = os.path.join(out, "evaluations.csv")
    cmd = [sys.executable, "-m", "actsearch.cli", "search", "--space", "ramachandran2017", "--budget", str(budget),
           "--workers", str(workers),
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
    if first is None:
        first = total
    return total, first


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args(argv)
    print(f"random search over ramachandran2017, default protocol, {args.budget} evaluations x {args.seeds} seeds, "
          f"no final stage, {os.cpu_count()} cores")
    base = None
    for workers in (int(w) for w in args.workers.split(",")):
        total, first = run(args.budget, workers, args.seeds)
        rate = args.budget / total * 3600
        base = base or rate
        print(f"  --workers {workers}: {total:6.1f} s, {rate:8.0f} evaluations/hour ({rate / base:.2f}x), "
              f"first evaluation written after {first:.2f} s")


if __name__ == "__main__":
    main()
