"""Throughput of racing: candidates per hour with ``--racing asha`` and with ``--racing off``, in one run.

Each case is a real ``actsearch search`` command (random strategy over
search_spaces/ramachandran2017.yaml, the default protocol: six hidden layers
of 32, 30 epochs, 2 seeds; no final stage) on ``--workers`` workers, stopped
by Ctrl-C (SIGINT) after ``--seconds`` of wall time, start-up included.  From
its table we count the candidates decided (every proposal, as the budget
counts them: rejected and repeated ones cost no training), the candidates that
trained, and the best validation score of a candidate that reached the full
protocol.  The same command runs with racing off, one after the other, for
the same wall time.

Cases: the default dataset (three interleaved spirals), digits, and a planted
problem (``planted:sin(x) * x``, validation R^2).  The last line is the
default dataset's:

    throughput: X candidates/h with racing, Y without (R.Rx), 2 workers

    python bench/bench_throughput.py                 # about 12 minutes (3 cases x 2 modes x 120 s)
    python bench/bench_throughput.py --seconds 60 --cases spirals3
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

CASES = {"spirals3": [], "digits": ["--dataset", "digits"], "planted": ["--dataset", "planted:sin(x) * x"]}


def run(case: str, racing: str, seconds: float, workers: int, seed: int) -> dict:
    """One timed search; what its table holds when it is stopped."""
    from actsearch import load_results

    out = tempfile.mkdtemp(prefix=f"bench-throughput-{case}-{racing}-")
    cmd = [sys.executable, "-m", "actsearch.cli", "search", "--space", "ramachandran2017", "--budget", "1000000",
           "--seed", str(seed), "--workers", str(workers), "--racing", racing, "--final-k", "0",
           "--final-seeds", "1", "--baselines", "relu", "--no-progress", "--out", out, *CASES[case]]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=600)
    if proc.returncode not in (0, 130):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    rows = load_results(out)
    rows = rows[rows["stage"] == "search"]
    last = rows[rows["status"] != "promoted"]
    full = rows[rows["status"] == "ok"]
    return {"candidates": len(last), "trained": int((~last["status"].isin(["rejected", "cached"])).sum()),
            "rows": len(rows), "best": float(full["val_score"].max()) if len(full) else float("nan"),
            "full": len(full)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="wall time of each search")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    args = parser.parse_args(argv)
    cases = args.cases.split(",")
    print(f"random search over ramachandran2017, default protocol (6 x 32, 30 epochs, 2 seeds), {args.workers} "
          f"workers, {args.seconds:.0f} s of wall time per search, seed {args.seed}, {os.cpu_count()} cores")
    headline = None
    for case in cases:
        got = {mode: run(case, mode, args.seconds, args.workers, args.seed) for mode in ("asha", "off")}
        rates = {mode: got[mode]["candidates"] / args.seconds * 3600 for mode in got}
        trained = {mode: got[mode]["trained"] / args.seconds * 3600 for mode in got}
        for mode in ("asha", "off"):
            g = got[mode]
            print(f"  {case:9s} racing {mode:4s}: {g['candidates']:5d} candidates ({g['trained']} trained, "
                  f"{g['full']} to the full protocol, {g['rows']} rows): {rates[mode]:8.0f} candidates/h, "
                  f"{trained[mode]:8.0f} trained/h; best validation score {g['best']:.4f}")
        ratio = rates["asha"] / rates["off"]
        better = "no worse" if got["asha"]["best"] >= got["off"]["best"] else "worse"
        print(f"  {case:9s} racing / off: {ratio:.2f}x candidates per hour, "
              f"{trained['asha'] / trained['off']:.2f}x trained per hour; best score with racing {better} "
              f"({got['asha']['best']:.4f} vs {got['off']['best']:.4f})")
        headline = headline or (rates["asha"], rates["off"], ratio)
    x, y, r = headline
    print(f"throughput: {x:.0f} candidates/h with racing, {y:.0f} without ({r:.1f}x), {args.workers} workers")


if __name__ == "__main__":
    main()
