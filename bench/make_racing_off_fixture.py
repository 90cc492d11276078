"""Regenerate tests/data/racing-off/: the tables searches wrote before racing existed.

Each file is the table of one small search (moons, one hidden layer of 8, 6
epochs, 2 seeds, a final stage of 2 candidates x 3 seeds and relu/tanh
baselines), without the columns that change from run to run (timestamp,
train_seconds, version).  They were written at commit b5aceef, before racing;
tests/test_racing.py checks that ``racing="off"`` writes the same tables.

    python bench/make_racing_off_fixture.py          # about a minute on one core
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

#: name -> (strategy, space, budget, strategy options, workers)
CASES = {
    "random": ("random", "ramachandran2017", 14, {}, 1),
    "random-2-workers": ("random", "ramachandran2017", 14, {}, 2),
    "exhaustive": ("exhaustive", "small", 10, {}, 1),
    "evolution": ("evolution", "gp_tree", 16, {"population": 6}, 1),
    "optuna": ("optuna", "ramachandran2017", 12, {"n_startup_trials": 4}, 1),
    "surrogate": ("surrogate", "ramachandran2017", 12, {}, 1),
    "mixture": ("mixture", "small", 3, {}, 1),
}
VOLATILE = ("run_id", "timestamp", "train_seconds", "version")  # run_id: the temporary folder's name
FOLDER = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "racing-off")


def table(name: str, **extra):
    """The table of case ``name`` (with ``extra`` keyword arguments to :func:`actsearch.search`)."""
    from actsearch import search

    strategy, space, budget, options, workers = CASES[name]
    result = search(space=space, strategy=strategy, dataset="moons", budget=budget, seed=0,
                    out=tempfile.mkdtemp(prefix=f"racing-off-{name}-"), hidden=(8,), epochs=6, seeds=2,
                    final_k=2, final_seeds=3, baselines=("relu(x)", "tanh(x)"), strategy_options=options,
                    progress=False, workers=workers, **extra)
    return result.table.drop(columns=list(VOLATILE))


def main() -> None:
    os.makedirs(FOLDER, exist_ok=True)
    for name in CASES:
        frame = table(name)
        frame.to_csv(os.path.join(FOLDER, f"{name}.csv"), index=False)
        print(f"{name}: {len(frame)} rows")


if __name__ == "__main__":
    main()
