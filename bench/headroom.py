"""Is there headroom?  The baselines' spread against seed noise on a proxy task.

Trains the final stage's baselines on fresh seeds under a protocol and prints
each one's test accuracy, the spread of the baselines' means (best minus
worst, and best minus the median), the mean seed std, and their ratio.  A proxy
where every good activation sits at the same ceiling (spread small against
noise) cannot show a real gain.  Used to choose the default task; the
discrimination against random expressions is ``bench/discrimination.py``.

    python bench/headroom.py                                   # the default protocol
    python bench/headroom.py --dataset spirals --epochs 30     # any built-in task
    python bench/headroom.py --turns 3.5 --label-noise 0.05    # a spirals variant
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

from actsearch.datasets import load_dataset, make_dataset, spirals
from actsearch.driver import BASELINES, DEFAULT_PROTOCOL, FINAL_SEED_START, SearchConfig
from actsearch.executors import make_executor
from actsearch.scoring import NumpyScorer, Task


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=SearchConfig().dataset)
    parser.add_argument("--turns", type=float, help="a spirals variant with this many turns")
    parser.add_argument("--noise", type=float, default=None, help="spirals variant: input noise")
    parser.add_argument("--label-noise", type=float, default=0.0, help="spirals variant: share of flipped labels")
    parser.add_argument("--n", type=int, default=1000, help="spirals variant: rows")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--hidden", help="e.g. 32,32,32")
    parser.add_argument("--init-scale", type=float)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    protocol = DEFAULT_PROTOCOL
    for name, value in (("epochs", args.epochs), ("lr", args.lr), ("init_scale", args.init_scale)):
        if value is not None:
            protocol = replace(protocol, **{name: value})
    if args.hidden:
        protocol = replace(protocol, hidden=tuple(int(h) for h in args.hidden.split(",")))
    if args.turns is not None:
        options = {"turns": args.turns, "label_noise": args.label_noise, "n": args.n}
        if args.noise is not None:
            options["noise"] = args.noise
        X, y, *_ = spirals(0, **options)
        data = make_dataset(X, y, name=f"spirals{options}")
    else:
        data = load_dataset(args.dataset)
    seeds = tuple(range(FINAL_SEED_START, FINAL_SEED_START + args.seeds))
    began = time.perf_counter()
    print(f"protocol: {data.describe()}; hidden {protocol.hidden}, {protocol.epochs} epochs, lr {protocol.lr:g}, "
          f"init {protocol.init} (scale {protocol.init_scale:g}); {args.seeds} seeds")
    executor = make_executor(NumpyScorer(data, protocol), workers=args.workers)
    try:
        rows = list(executor.map([Task(b, {}, seeds) for b in BASELINES]))
    finally:
        executor.close()
    means, stds = [], []
    for expr, row in zip(BASELINES, rows):
        scores = np.array([np.nan if s is None else s for s in json.loads(row["test_scores"] or "[]")], float)
        means.append(np.nanmean(scores) if scores.size else np.nan)
        stds.append(np.nanstd(scores, ddof=1) if scores.size > 1 else np.nan)
        print(f"  {expr:14s} {means[-1]:.4f} ± {stds[-1]:.4f}   {row['status']}")
    means, noise = np.array(means), float(np.nanmean(stds))
    spread = float(np.nanmax(means) - np.nanmin(means))
    top = float(np.nanmax(means) - np.nanmedian(means))
    print(f"baselines: spread {spread:.4f} (best - worst), {top:.4f} (best - median); mean seed std {noise:.4f}; "
          f"spread / noise {spread / noise:.1f}; best {np.nanmax(means):.4f} ({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
