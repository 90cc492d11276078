"""Does the default protocol separate good activations from bad ones by more than seed noise?

Scores the known activations (relu, gelu, elu, swish, leaky_relu) and 24 random
expressions from a broad grammar (search_spaces/ramachandran2017.yaml; screened
as a search would) under the search's default protocol, and prints the
discrimination: (known - median random) / std across seeds.

    python bench/discrimination.py
    python bench/discrimination.py --dataset digits --hidden 128,64   # an easy protocol, for contrast
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from actsearch.datasets import load_dataset
from actsearch.networks import Trainer
from actsearch.screening import screen
from actsearch.driver import DEFAULT_PROTOCOL, SearchConfig
from actsearch.spaces import load_space

KNOWN = ("relu(x)", "gelu(x)", "elu(x)", "swish(x)", "leaky_relu(x)")


def scores(expr, data, config, seeds):
    trainer = Trainer(expr, data, config)
    out = []
    for s in range(seeds):
        r = trainer.fit(s)
        out.append(r.val_score if r.status == "ok" else np.nan)
    return np.array(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=SearchConfig().dataset)
    parser.add_argument("--hidden", default=None, help="override the protocol's hidden sizes, e.g. 128,64")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--random", type=int, default=24)
    parser.add_argument("--space", default="ramachandran2017")
    args = parser.parse_args(argv)
    config = DEFAULT_PROTOCOL
    if args.hidden:
        config = replace(config, hidden=tuple(int(h) for h in args.hidden.split(",")))
    data = load_dataset(args.dataset)
    start = time.perf_counter()
    print(f"protocol: {data.describe()}; hidden {config.hidden}, {config.epochs} epochs, lr {config.lr}, "
          f"{args.seeds} seeds")
    rng = np.random.default_rng(0)
    space = load_space(args.space)
    randoms = []
    while len(randoms) < args.random:
        expr = space.sample(rng)
        if screen(expr) is None:
            randoms.append(expr)
    random_scores = [scores(e, data, config, args.seeds) for e in randoms]
    means = np.array([np.nanmean(s) if np.isfinite(s).any() else 0.0 for s in random_scores])
    median = float(np.median(means))
    seed_std = float(np.nanmean([np.nanstd(s, ddof=1) for s in random_scores if np.isfinite(s).sum() > 1]))
    print(f"random expressions ({args.space}, screened): median val score {median:.4f}, "
          f"mean std across seeds {seed_std:.4f}")
    above = 0
    for expr in KNOWN:
        s = scores(expr, data, config, args.seeds)
        std = float(np.std(s, ddof=1))
        gap = float(np.mean(s)) - median
        noise = max(std, seed_std)
        above += gap > 0
        print(f"  {expr:14s} {np.mean(s):.4f} ± {std:.4f}   gap {gap:+.4f}   discrimination {gap / noise:+.1f}")
    print(f"known activations above the random median: {above} of {len(KNOWN)} "
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
