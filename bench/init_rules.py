"""Does the initialisation rule decide the winner?  Baselines under he, xavier and auto.

Trains relu, gelu, swish, tanh and elu under each rule on the search's default
protocol (or the one given), over the same seeds, and prints the mean test
accuracy of each, the best rule per activation, and how far the default rule
(auto) lands below that best.  Then the relu / min(x, 0) / 2*relu(x) triple
under the default rule: the same network up to a sign flip of every weight, and
up to a scale that the auto rule undoes, so their means should agree within
seed noise.

    python bench/init_rules.py                      # default protocol, 10 seeds
    python bench/init_rules.py --dataset digits --seeds 5
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from actsearch.driver import DEFAULT_PROTOCOL, FINAL_SEED_START, SearchConfig
from actsearch.datasets import load_dataset
from actsearch.executors import make_executor
from actsearch.scoring import NumpyScorer, Task

ACTIVATIONS = ("relu(x)", "gelu(x)", "swish(x)", "tanh(x)", "elu(x)")
RULES = ("he", "xavier", "auto")
TRIPLE = ("relu(x)", "min(x, 0)", "2*relu(x)")


def test_scores(executor, exprs, seeds) -> dict[str, np.ndarray]:
    """Per-seed test scores of each expression (NaN where a seed diverged)."""
    import json

    rows = executor.map([Task(e, {}, tuple(seeds)) for e in exprs])
    out = {}
    for expr, row in zip(exprs, rows):
        scores = json.loads(row["test_scores"]) if row["test_scores"] else []
        scores = [np.nan if s is None else s for s in scores] + [np.nan] * (len(seeds) - len(scores))
        out[expr] = np.array(scores, dtype=float)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=SearchConfig().dataset)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--lr", type=float, default=None, help="override the protocol's learning rate")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--init-scale", type=float, default=None, help="override the auto rule's target scale")
    parser.add_argument("--turns", type=float, help="a spirals variant with this many turns (for exploration)")
    parser.add_argument("--n", type=int, default=1000, help="rows of the spirals variant")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    protocol = DEFAULT_PROTOCOL
    if args.lr:
        protocol = replace(protocol, lr=args.lr)
    if args.epochs:
        protocol = replace(protocol, epochs=args.epochs)
    if args.init_scale:
        protocol = replace(protocol, init_scale=args.init_scale)
    data = load_dataset(args.dataset)
    if args.turns is not None:
        from actsearch.datasets import make_dataset, spirals

        data = make_dataset(*spirals(0, n=args.n, turns=args.turns)[:2], name=f"spirals(turns={args.turns:g}, n={args.n})")
    seeds = range(FINAL_SEED_START, FINAL_SEED_START + args.seeds)
    began = time.perf_counter()
    print(f"protocol: {data.describe()}; hidden {protocol.hidden}, {protocol.epochs} epochs, lr {protocol.lr:g}, "
          f"resample {protocol.resample}, auto scale {protocol.init_scale:g}; {args.seeds} seeds from {FINAL_SEED_START}")
    means = {}
    for rule in RULES:
        executor = make_executor(NumpyScorer(data, replace(protocol, init=rule)), workers=args.workers)
        try:
            for expr, s in test_scores(executor, ACTIVATIONS, seeds).items():
                means[expr, rule] = (np.nanmean(s), np.nanstd(s, ddof=1))
        finally:
            executor.close()
    print(f"\n| activation | {' | '.join(RULES)} | best | auto below best |")
    print("| --- |" + " --- |" * (len(RULES) + 2))
    worst = 0.0
    for expr in ACTIVATIONS:
        cells = [f"{means[expr, r][0]:.3f} ± {means[expr, r][1]:.3f}" for r in RULES]
        best = max(RULES, key=lambda r: means[expr, r][0])
        gap = means[expr, best][0] - means[expr, "auto"][0]
        worst = max(worst, gap)
        print(f"| `{expr}` | {' | '.join(cells)} | {best} | {gap:.3f} |")
    print(f"\nlargest gap of the default rule (auto) below an activation's best rule: {worst:.3f}")
    executor = make_executor(NumpyScorer(data, protocol), workers=args.workers)
    try:
        triple = test_scores(executor, TRIPLE, seeds)
    finally:
        executor.close()
    print(f"\n| under {protocol.init} | test accuracy | |")
    print("| --- | --- | --- |")
    for expr, s in triple.items():
        diff = s - triple["relu(x)"]
        print(f"| `{expr}` | {np.nanmean(s):.3f} ± {np.nanstd(s, ddof=1):.3f} | "
              f"paired difference from relu {np.nanmean(diff):+.4f} |")
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
