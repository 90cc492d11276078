"""The cost of racing rung by rung: a training paused at each rung and sent on, against one go.

Racing trains a promoted candidate's next rung from the state its last rung
saved (:class:`actsearch.networks.Checkpoint`), in whichever worker is free, so
the state travels through the driver: pickled to it, and pickled again to the
next worker.  This times, for a few activations on the default protocol (six
layers of 32, 30 epochs, 2 seeds), the full protocol trained in one go and the
same protocol trained as racing's three rungs (1x7, 1x20, 2x30) with two
pickle round trips of the state between them, and reports the checkpoint's
size.  The scores must be the same; the difference is the price of pausing.

    python bench/bench_checkpoints.py                 # about a minute
    python bench/bench_checkpoints.py --dataset digits --repeats 5
"""

from __future__ import annotations

import argparse
import pickle
import time

import numpy as np


def one_go(scorer, expr) -> tuple[float, dict]:
    from actsearch.scoring import Task

    start = time.perf_counter()
    fields = scorer.score(Task(expr, {}, (0, 1)))
    return time.perf_counter() - start, fields


def rung_by_rung(scorer, expr, rungs) -> tuple[float, dict, int]:
    from actsearch.scoring import Task

    start = time.perf_counter()
    carry, size = (), 0
    for rung in rungs:
        until = rung.epochs if rung.epochs < scorer.config.epochs else None
        fields = scorer.score(Task(expr, {}, tuple(range(rung.seeds)), until=until, resume=carry, raced=True))
        blob = pickle.dumps(fields.pop("carry"))  # to the driver ...
        size = max(size, len(blob))
        carry = pickle.loads(pickle.loads(pickle.dumps(blob)))  # ... and on to the next worker
    return time.perf_counter() - start, fields, size


def main(argv=None) -> None:
    from actsearch.datasets import load_dataset
    from actsearch.driver import DEFAULT_PROTOCOL
    from actsearch.racing import rung_schedule
    from actsearch.scoring import NumpyScorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="spirals3")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    scorer = NumpyScorer(load_dataset(args.dataset), DEFAULT_PROTOCOL)
    rungs = rung_schedule(2, DEFAULT_PROTOCOL.epochs)
    print(f"{args.dataset}, default protocol, rungs {', '.join(r.fidelity for r in rungs)}, "
          f"min of {args.repeats} repeats")
    ratios = []
    for expr in ("relu(x)", "x * sigmoid(x)", "tanh(x) + sin(x)"):
        whole = min(one_go(scorer, expr)[0] for _ in range(args.repeats))
        timed = [rung_by_rung(scorer, expr, rungs) for _ in range(args.repeats)]
        paused = min(t for t, _, _ in timed)
        _, fields, size = timed[0]
        same = fields["val_score"] == one_go(scorer, expr)[1]["val_score"]
        ratios.append(paused / whole)
        print(f"  {expr:18s} one go {whole:6.3f} s, rung by rung {paused:6.3f} s ({paused / whole:.2f}x), "
              f"largest checkpoint {size / 1024:.0f} KiB, same validation score: {same}")
    print(f"rung by rung / one go: median {np.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
