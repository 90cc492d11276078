"""The mixture strategy (DARTS): the mixture expression, the ranking, and recovery of a planted primitive."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from actsearch import search
from actsearch.cli import main
from actsearch.errors import ConfigError
from actsearch.results import load_results
from actsearch.spaces import load_space
from actsearch.strategies import Outcome
from actsearch.strategies.mixture import MixtureSearch, best_assignments, mixture_expression

POINTS = np.linspace(-3, 3, 61)
REGRESSION = dict(hidden=(16,), epochs=60, lr=0.01, early_stopping=False, final_k=0, baselines=(), progress=False)


@pytest.mark.parametrize("space", ["small", "ramachandran2017"])
def test_a_mixture_with_one_hot_logits_is_that_candidate(space):
    """Against Space.build: a logit of 60 on one choice per slot leaves that candidate alone."""
    space = load_space(space)
    mixture, logits = mixture_expression(space)
    rng = np.random.default_rng(0)
    for _ in range(8):
        choices = {name: options[int(rng.integers(len(options)))] for name, options in space.slots(1)}
        values = dict(mixture.params)  # template parameters keep their defaults, as in build
        for name, options in space.slots(1):
            values[logits[name][options.index(choices[name])]] = 60.0
        candidate = space.build(choices, 1)
        with np.errstate(all="ignore"):
            want, got = candidate(POINTS), mixture(POINTS, params=values)
        ok = np.isfinite(want) & (np.abs(want) < 1e6)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-6, atol=1e-9, err_msg=str(candidate))


def test_uniform_logits_average_the_choices():
    space = load_space("small")
    mixture, _ = mixture_expression(space)
    assert all(v == 0.0 for n, v in mixture.params.items() if n.startswith("logit"))
    u = [t.text for t in space.unary]
    mean_unary = np.mean([load_space("small").build({"u1_0": t, "u2_0": "x", "b_0": "x1 + x2"})(POINTS) - POINTS
                          for t in u], axis=0)
    binary = {"x1 + x2": lambda a, b: a + b, "x1 * x2": lambda a, b: a * b, "max(x1, x2)": np.maximum}
    want = np.mean([f(mean_unary, mean_unary) for f in binary.values()], axis=0)
    np.testing.assert_allclose(mixture(POINTS), want, rtol=1e-12)


def test_best_assignments_agree_with_brute_force():
    rng = np.random.default_rng(1)
    weights = [rng.dirichlet(np.ones(k)) for k in (4, 3, 5)]
    got = list(best_assignments(weights))
    every = sorted(itertools.product(*(range(len(w)) for w in weights)),
                   key=lambda idx: -math.prod(w[i] for w, i in zip(weights, idx)))
    assert sorted(got) == sorted(every) and len(got) == len(set(got))
    products = [math.prod(w[i] for w, i in zip(weights, idx)) for idx in got]
    assert all(a >= b - 1e-15 for a, b in zip(products, products[1:]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mixture_puts_the_largest_weight_on_the_planted_primitive(seed):
    """Teacher sin(x), a choice of the small space's unary slots: both slots weigh sin(x) most.

    (max(sin, sin) and sin + sin are sin up to scale, so the binary slot has no single answer.)
    """
    result = search(space="small", strategy="mixture", dataset="planted:sin(x)", budget=2, seed=seed,
                    split_seed=seed, **REGRESSION)
    weights = result.summary["strategy"]["weights"]
    for slot in ("u1_0", "u2_0"):
        assert max(weights[slot], key=weights[slot].get) == "sin(x)", weights[slot]
    assert abs(sum(weights["b_0"].values()) - 1) < 1e-3
    table = result.table
    mixture = table.iloc[0]
    strongest = table[(table["stage"] == "search") & (table["trial"] == 0)].iloc[-1]  # its last rung
    assert mixture["status"] == "mixture" and "75 candidates" in mixture["reason"]
    assert mixture["train_seconds"] > 0 and mixture["val_score"] > 0.9  # a trained network, scored
    assert strongest["status"] == "ok" and pd.isna(mixture["rung"])  # the mixture itself never races
    assert strongest["expression"] == result.summary["strategy"]["strongest"]
    assert "sin(x)" in strongest["expression"]


def test_the_mixture_row_is_never_a_winner_and_resume_replays_it(tmp_path):
    small = dict(dataset="moons", hidden=(8,), epochs=3, seeds=1, final_k=2, final_seeds=2,
                 baselines=("relu(x)",), progress=False)
    first = search(space="small", strategy="mixture", budget=3, seed=0, out=str(tmp_path), **small)
    resumed = search(space="small", strategy="mixture", budget=6, seed=0, out=str(tmp_path), **small)
    fresh = search(space="small", strategy="mixture", budget=6, seed=0, **small)
    timing = ["train_seconds", "timestamp", "run_id", "eval_id"]
    a = resumed.table[resumed.table["stage"] == "search"].drop(columns=timing).reset_index(drop=True)
    b = fresh.table[fresh.table["stage"] == "search"].drop(columns=timing).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert (first.table["status"] == "mixture").sum() == 1 and (resumed.table["status"] == "mixture").sum() == 1
    final = resumed.table[resumed.table["stage"] == "final"]
    assert not final["expression"].str.contains("logit").any()
    assert len(load_results(str(tmp_path))) == len(resumed.table)


def test_a_diverged_mixture_falls_back_to_uniform_weights():
    strategy = MixtureSearch(load_space("small"), np.random.default_rng(0), 10)
    cand = strategy.ask()
    assert cand.supernet and strategy.ask() is None  # the ranking waits for the mixture's outcome
    strategy.tell(cand, Outcome("diverged"))
    assert all(np.allclose(w, w[0]) for w in strategy.weights.values())
    assert strategy.ask() is not None


def test_tree_spaces_and_bad_options_are_one_line_errors(capsys, tmp_path):
    with pytest.raises(ConfigError, match="needs a core_unit space"):
        MixtureSearch(load_space("gp_tree"), np.random.default_rng(0), 5)
    two_units = load_space("ramachandran2017")
    two_units.units = (2,)
    with pytest.raises(ConfigError, match="one-unit candidates"):
        MixtureSearch(two_units, np.random.default_rng(0), 5)
    out = tmp_path / "run"
    for args, message in [(["--space", "gp_tree"], "needs a core_unit space"),
                          (["--option", "arch_lr=-1"], "mixture option 'arch_lr': expected a positive number, got -1.0"),
                          (["--option", "lr=0.1"], "strategy 'mixture' has no option 'lr'; its options: arch_lr")]:
        assert main(["search", "--strategy", "mixture", *args, "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("actsearch: error: ") and message in err[-1], err
        assert "Traceback" not in "\n".join(err)
    assert not out.exists()  # nothing written for a search that cannot start
