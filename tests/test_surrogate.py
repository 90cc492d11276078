"""The surrogate strategy: training-free features, baselines first, determinism, and a model that predicts.

The predictive test uses real training scores committed under tests/data/
(regenerate with ``python bench/make_surrogate_fixture.py``).
"""

import json
import math
import os

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from actsearch import parse
from actsearch.spaces import load_space
from actsearch.strategies import Outcome, get_strategy
from actsearch.strategies.surrogate import BASELINES, SurrogateModel, SurrogateSearch, features

DATA = os.path.join(os.path.dirname(__file__), "data")
POINTS = np.linspace(-3, 3, 61)
TARGET = parse("sin(x) * x")(POINTS)


def objective(expr) -> Outcome:
    """A cheap planted objective: closeness to sin(x)*x on fixed points (no training)."""
    with np.errstate(all="ignore"):
        values = expr(POINTS)
    if not np.all(np.isfinite(values)):
        return Outcome("rejected", complexity=expr.complexity)
    return Outcome("ok", val_score=-float(np.mean((values - TARGET) ** 2)), complexity=expr.complexity)


def run(seed, n, space="ramachandran2017", **options):
    strategy = SurrogateSearch(load_space(space), np.random.default_rng(seed), n, pool=150, **options)
    asked = []
    while len(asked) < n:
        batch = [c for c in (strategy.ask() for _ in range(strategy.batch_size)) if c is not None]
        if not batch:
            break
        for cand in batch:  # as the driver does: a whole batch is asked before any is told
            asked.append(cand.expression)
            strategy.tell(cand, objective(cand.expression))
    return strategy, asked


def load_fixture(name):
    table = pd.read_csv(os.path.join(DATA, f"surrogate-{name}.csv"))
    exprs = [parse(e, params=json.loads(p)) for e, p in zip(table["expression"], table["params"])]
    return exprs, table["val_score"].to_numpy(dtype=float)


# --- features -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["exp(exp(x))", "1/x", "log(x)", "step(x)", "x^3 / (x - x)", "sqrt(-abs(x) - 1)"])
def test_features_are_finite_for_hostile_functions(text):
    f = features(parse(text))
    assert f.shape == (75,) and np.all(np.isfinite(f))
    assert features(parse(text), flow=False).shape == (71,)


def test_equal_functions_have_equal_features_and_different_ones_do_not():
    a, b = features(parse("x*sigmoid(x)")), features(parse("sigmoid(x)*x"))
    assert np.array_equal(a, b)
    assert np.array_equal(features(parse("x + x")), features(parse("2*x")))
    assert not np.array_equal(a, features(parse("x*tanh(x)")))


# --- the strategy ---------------------------------------------------------------

def test_is_registered():
    assert get_strategy("surrogate") is SurrogateSearch


def test_baselines_come_first_then_warm_start():
    strategy = SurrogateSearch(load_space("small"), np.random.default_rng(0), 20)
    strategy.warm_start([parse("sin(x) * x")])
    firsts = []
    for _ in range(len(BASELINES) + 1):
        c = strategy.ask()
        firsts.append(c.expression.fingerprint)
        strategy.tell(c, objective(c.expression))
    assert firsts == [parse(b).fingerprint for b in BASELINES] + [parse("sin(x) * x").fingerprint]
    custom = SurrogateSearch(load_space("small"), np.random.default_rng(0), 5, baselines=["tanh(x)"])
    assert str(custom.ask().expression) == "tanh(x)"
    none = SurrogateSearch(load_space("small"), np.random.default_rng(0), 5, baselines=())
    assert none.ask().info["source"] == "design"
    plain = SurrogateSearch(load_space("small"), np.random.default_rng(0), 5, baselines=(), init="random")
    assert plain.ask().info["source"] == "random"


def test_a_raced_out_candidate_is_fitted_below_every_one_that_went_further():
    """Racing: a partial score at rung 0 (0.95) must rank below a full score (0.6) and a rung-1 stop (0.7);
    without racing the targets are the scores themselves."""
    from actsearch.strategies import Candidate

    strategy = SurrogateSearch(load_space("small"), np.random.default_rng(0), 5, baselines=())
    told = [("tanh(x)", Outcome("pruned", 0.95, rung=0)), ("sin(x)", Outcome("pruned", 0.7, rung=1)),
            ("x * sigmoid(x)", Outcome("ok", 0.6, rung=2)), ("relu(x)", Outcome("diverged", rung=0))]
    for text, result in told:
        strategy.tell(Candidate(parse(text)), result)
    y = strategy._targets()
    assert y[0] < y[1] < y[2] and math.isnan(y[3])
    plain = SurrogateSearch(load_space("small"), np.random.default_rng(0), 5, baselines=())
    for text, score in (("tanh(x)", 0.95), ("sin(x)", 0.7)):
        plain.tell(Candidate(parse(text)), Outcome("ok", score))
    assert plain._targets().tolist() == [0.95, 0.7]


def test_the_initial_design_is_spread_over_typical_functions():
    from actsearch.errors import ConfigError

    strategy = SurrogateSearch(load_space("ramachandran2017"), np.random.default_rng(0), 50, baselines=(), pool=150)
    pool = strategy._pool()
    picks = strategy._design(pool, 4)
    assert len(set(picks)) == 4
    Z = np.array([features(e) for e, _ in pool])
    Z = (Z - Z.mean(axis=0)) / np.where(Z.std(axis=0) > 1e-9, Z.std(axis=0), 1.0)
    D = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(axis=-1))
    # the picks are more typical (smaller summed distance to the pool) than the pool's average member
    assert D[picks].sum(axis=1).mean() < D.sum(axis=1).mean()
    with pytest.raises(ConfigError):
        SurrogateSearch(load_space("small"), np.random.default_rng(0), 5, init="maximin")


def test_same_seed_and_outcomes_give_the_same_asks():
    a = [str(e) for e in run(5, 40)[1]]
    assert a == [str(e) for e in run(5, 40)[1]]
    assert a != [str(e) for e in run(6, 40)[1]]
    gp = [str(e) for e in run(5, 24, model="gp")[1]]
    assert gp == [str(e) for e in run(5, 24, model="gp")[1]]


def test_asks_are_new_functions_and_the_model_takes_over():
    strategy, asked = run(0, 48)
    prints = [e.fingerprint for e in asked]
    assert len(set(prints)) == len(prints)  # never the same function twice, within or across batches
    assert strategy.n_fits >= 8
    scores = [objective(e).val_score for e in asked[len(BASELINES):]]
    first, last = np.nanmedian(scores[:8]), np.nanmedian(scores[-16:])
    assert last > first  # it learns: later picks fit sin(x)*x better than the random start


def test_a_small_space_is_enumerated_and_exhausted():
    strategy = SurrogateSearch(load_space("small"), np.random.default_rng(0), 200, baselines=())
    prints = []
    for _ in range(200):
        c = strategy.ask()
        if c is None:
            break
        prints.append(c.expression.fingerprint)
        strategy.tell(c, objective(c.expression))
    assert 10 < len(prints) < 75 and len(set(prints)) == len(prints)


def test_failures_are_told_as_low_scores_and_summarised():
    strategy, _ = run(1, 20)
    good = parse("sin(x) * x")
    bad = parse("exp(exp(x))")
    for expr, outcome in ((good, Outcome("ok", val_score=0.5)), (bad, Outcome("diverged"))):
        cand = strategy.ask()
        strategy.tell(type(cand)(expr), outcome)
    model = strategy.model
    X = np.array([f for f, _, _ in strategy.told.values()])
    y = np.array([s for _, s, _ in strategy.told.values()])
    labels = model.labels(y)
    assert np.all(labels[np.isnan(y)] < labels[np.isfinite(y)].min())
    summary = strategy.summary()
    assert summary["n_evaluated"] == len(X) and summary["n_failed"] >= 1
    assert summary["loo_spearman"] is not None and summary["loo_spearman"] > 0.3


# --- the model on real training scores --------------------------------------------

def heldout_spearman(name, model, splits):
    exprs, y = load_fixture(name)
    X = np.array([features(e) for e in exprs])
    rhos = []
    for s in range(splits):
        order = np.random.default_rng(s).permutation(len(y))
        train, test = order[:int(0.7 * len(y))], order[int(0.7 * len(y)):]
        predicted = SurrogateModel(model).fit(X[train], y[train]).predict(X[test])
        ok = np.isfinite(y[test])
        rhos.append(spearmanr(predicted[ok], y[test][ok]).statistic)
    return float(np.median(rhos))


@pytest.mark.parametrize("model,splits", [("knn", 10), ("gp", 3)])
def test_model_predicts_held_out_spirals_scores(model, splits):
    # 200 random candidates of ramachandran2017 trained on spirals (default protocol, seed 0);
    # measured: median Spearman 0.70 (knn) and 0.77 (gp) over 20 splits
    assert heldout_spearman("spirals", model, splits) > 0.3


def test_model_predicts_held_out_planted_scores():
    # 200 candidates scored on planted cos(x)*x^2 (bench/search_efficiency.py's cache); measured 0.73
    assert heldout_spearman("planted-cos", "knn", 10) > 0.3


def test_fixture_is_real_and_usable():
    exprs, y = load_fixture("spirals")
    assert len(y) == 200 and np.isfinite(y).sum() > 150
    assert 0.5 <= np.nanmin(y) and np.nanmax(y) <= 1.0 and np.nanstd(y) > 0.05
    assert all(math.isfinite(float(v)) for v in features(exprs[0]))
