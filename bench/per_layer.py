"""Per-layer search on a planted problem: does it close the gap between one activation and the teacher's two?

The teacher network has two hidden layers of 16 with different activations
(``sin(x) * x`` then ``tanh(x)``, :func:`actsearch.datasets.planted`); the
student has the teacher's shape (two hidden layers of 16, 60 epochs at lr
0.01, no early stopping).  Three searches over the ``small`` space's unary and
binary lists, each with the same protocol and seed:

1. **uniform**: every function of the ``small`` space in every layer
   (exhaustive, 75 assignments);
2. **per-layer**: the same lists, one choice per hidden layer (``per_layer:
   true, layers: 2``: 75 x 75 assignments), by evolution with ``--budget``
   candidates;
3. then one ``compare`` on fresh seeds (1000 and up, ``--seeds``) of the best
   uniform candidate, the best per-layer candidate (each the one with the best
   final validation score of its search's final stage; baselines count as
   uniform candidates) and the teacher's own pair, with the seven baselines.

The gap closed is ``(per-layer - uniform) / (teacher - uniform)`` on those
fresh seeds' mean test R^2; the issue asks for at least one half.  The last
line prints it.

    python bench/per_layer.py                 # budget 200, 10 seeds: about 5 minutes on 2 cores
    python bench/per_layer.py --budget 60 --seeds 5
"""

from __future__ import annotations

import argparse
import time

import actsearch
from actsearch.spaces import load_space, space_from_dict

TEACHER = "sin(x) * x | tanh(x)"
DATASET = f"planted:{TEACHER}"
STUDENT = {"hidden": (16, 16), "epochs": 60, "lr": 0.01, "early_stopping": False}


def best_final(result) -> str:
    """The expression of a search's final-stage row with the best validation mean (baselines included)."""
    board = result.leaderboard
    return str(board.sort_values("val_score", ascending=False).iloc[0]["expression"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200, help="per-layer search's candidates (default 200)")
    parser.add_argument("--seeds", type=int, default=10, help="fresh seeds of the comparison (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategy", default="evolution", help="the per-layer search's strategy")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    small = load_space("small")
    per_layer = space_from_dict({**small.raw, "name": "small-per-layer", "per_layer": True, "layers": 2},
                                "small-per-layer")
    common = dict(dataset=DATASET, seed=args.seed, progress=False, workers=args.workers, racing="off",
                  final_k=5, final_seeds=args.seeds, **STUDENT)
    began = time.perf_counter()
    uniform = actsearch.search(space=small, strategy="exhaustive", budget=1000, **common)
    t_uniform = time.perf_counter() - began
    began = time.perf_counter()
    layered = actsearch.search(space=per_layer, strategy=args.strategy, budget=args.budget, **common)
    t_layered = time.perf_counter() - began
    best_uniform, best_layered = best_final(uniform), best_final(layered)
    print(f"uniform search: {len(uniform.table)} rows in {t_uniform:.0f} s, best {best_uniform}")
    print(f"per-layer search ({args.strategy}, budget {args.budget}): {len(layered.table)} rows in "
          f"{t_layered:.0f} s, best {best_layered}")

    board = actsearch.compare([best_uniform, best_layered, TEACHER], dataset=DATASET, seeds=args.seeds,
                              seed_start=2000, **STUDENT)
    board = board.sort_values("val_score", ascending=False)
    print(f"\ncompare on seeds 2000-{2000 + args.seeds - 1} (test R^2; verdicts against the best baseline):")
    columns = ["expression", "source", "val_score", "test_score", "test_score_std", "vs_best", "p_vs_best_holm",
               "verdict"]
    print(board[columns].to_string(index=False))

    # a compared function that is a baseline's twin is shown on the baseline's row: find rows by fingerprint
    test = dict(zip(board["fingerprint"].astype(str), board["test_score"].astype(float)))
    u, p, t = (test[actsearch.parse(e).fingerprint] for e in (best_uniform, best_layered, TEACHER))
    closed = (p - u) / (t - u) if t != u else float("nan")
    print(f"\nper-layer: gap closed {closed:.2f} (uniform {u:.4f}, per-layer {p:.4f}, teacher {t:.4f}; "
          f"budget {args.budget}, {args.seeds} fresh seeds)")


if __name__ == "__main__":
    main()
