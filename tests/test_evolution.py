"""Evolution (DEAP genetic programming, ask/tell) on a cheap synthetic objective: no training."""

import itertools
import math
import random

import deap.creator
import deap.gp
import deap.tools.selection
import numpy as np
import pytest

from actsearch.expression import Expression, depth, parse, size
from actsearch.spaces import load_space
from actsearch.strategies import Outcome, get_strategy
from actsearch.strategies.evolution import EvolutionSearch
from actsearch.strategies.random_search import RandomSearch

PROBES = np.linspace(-4.0, 4.0, 81)
SPACES = ("small", "ramachandran2017", "gp_tree")


def score(expr, target) -> float:
    """-MSE against the target on fixed probes; NaN when the candidate is not finite there."""
    with np.errstate(all="ignore"):
        values = np.asarray(expr(PROBES), dtype=np.float64)
    if values.shape != PROBES.shape:
        values = np.broadcast_to(values, PROBES.shape)
    if not np.all(np.isfinite(values)):
        return math.nan
    return -float(np.mean((values - target) ** 2))


def run(strategy, target, budget):
    """Ask and tell ``budget`` times; returns the candidates and their scores."""
    candidates, scores = [], []
    for _ in range(budget):
        cand = strategy.ask()
        assert cand is not None
        s = score(cand.expression, target)
        strategy.tell(cand, Outcome("ok" if math.isfinite(s) else "rejected", s))
        candidates.append(cand)
        scores.append(s)
    return candidates, scores


def make(space="gp_tree", seed=0, budget=100, **options):
    return EvolutionSearch(load_space(space), np.random.default_rng(seed), budget, **options)


def sequence(strategy, target, budget=60):
    cands, _ = run(strategy, target, budget)
    return [(str(c.expression), tuple(sorted(c.expression.params.items()))) for c in cands]


SWISH = parse("x * sigmoid(x)")(PROBES)


def test_registered():
    assert get_strategy("evolution") is EvolutionSearch
    assert EvolutionSearch.name == "evolution"


@pytest.mark.parametrize("space", SPACES)
def test_end_to_end(space):
    strategy = make(space, seed=1)
    cands, scores = run(strategy, SWISH, 60)
    gens = [c.generation for c in cands]
    assert gens[0] == 0 and gens[:12] == [0] * 12  # the first generation is the population (12)
    assert all(b - a in (0, 1) for a, b in itertools.pairwise(gens))
    assert gens[-1] >= 3
    for cand in cands:
        with np.errstate(all="ignore"):
            values = cand.expression(PROBES)  # evaluates (maybe to non-finite values: rejected)
        assert np.shape(values) in ((), PROBES.shape)
        assert "x" in str(cand.expression)
    assert sum(math.isfinite(s) for s in scores) > len(scores) // 2
    summary = strategy.summary()
    assert summary["generations"] == len(set(gens)) and summary["generations"] >= 4
    assert 1 <= len(summary["hall_of_fame"]) <= 10
    assert all(isinstance(t, str) for t in summary["hall_of_fame"])
    best = max(s for s in scores if math.isfinite(s))
    assert score(parse(summary["hall_of_fame"][0], params=summary["hall_of_fame_params"][0]), SWISH) == \
        pytest.approx(best)


@pytest.mark.parametrize("space", ("ramachandran2017", "gp_tree"))
def test_parameters_stay_in_range(space):
    lo, hi = load_space(space).params["beta"]
    values = []
    for seed in range(3):
        cands, _ = run(make(space, seed=seed), SWISH, 100)
        values += [c.expression.params["beta"] for c in cands if "beta" in c.expression.params]
    assert values and all(lo <= v <= hi for v in values)
    assert len(set(values)) > 1  # the parameter mutation moved some


def test_parameter_mutation():
    strategy = make("gp_tree")
    ind = strategy.from_expression(parse("x * sigmoid(beta * x)", params={"beta": 2.9}))
    seen = set()
    for _ in range(200):
        ind = strategy._mutate_param(ind)
        assert 0.1 <= ind.params["beta"] <= 3.0
        seen.add(ind.params["beta"])
    assert len(seen) > 50 and min(seen) < 1.5


def test_few_repeats():
    cands, _ = run(make("gp_tree", seed=2), SWISH, 150)
    prints = [c.expression.fingerprint for c in cands]
    assert len(prints) - len(set(prints)) <= 5


@pytest.mark.parametrize("space", ("ramachandran2017", "gp_tree"))
def test_same_seed_same_sequence(space):
    a = sequence(make(space, seed=7), SWISH)
    b = sequence(make(space, seed=7), SWISH)
    c = sequence(make(space, seed=8), SWISH)
    assert a == b
    assert a != c


def test_interleaved_instances_and_global_random():
    random.seed(1234)
    state = random.getstate()
    alone_a = sequence(make("gp_tree", seed=11), SWISH)
    alone_b = sequence(make("ramachandran2017", seed=12), SWISH)
    a, b = make("gp_tree", seed=11), make("ramachandran2017", seed=12)
    seq_a, seq_b = [], []
    for _ in range(60):
        for strategy, seq in ((a, seq_a), (b, seq_b)):
            cand = strategy.ask()
            strategy.tell(cand, Outcome("ok", score(cand.expression, SWISH)))
            seq.append((str(cand.expression), tuple(sorted(cand.expression.params.items()))))
    assert seq_a == alone_a
    assert seq_b == alone_b
    assert random.getstate() == state  # never seeded nor drawn from
    assert deap.gp.random is random and deap.tools.selection.random is random  # swapped back
    assert not [name for name in vars(deap.creator) if name in ("FitnessMax", "Individual")]


def test_interleaving_with_global_random_use():
    """Someone else drawing from the global random module between calls changes nothing."""
    alone = sequence(make("gp_tree", seed=5), SWISH, 40)
    strategy = make("gp_tree", seed=5)
    seq = []
    for _ in range(40):
        random.random()
        cand = strategy.ask()
        random.random()
        strategy.tell(cand, Outcome("ok", score(cand.expression, SWISH)))
        seq.append((str(cand.expression), tuple(sorted(cand.expression.params.items()))))
    assert seq == alone


def best_scores(cls, seed, target, budget=150, first=12):
    strategy = cls(load_space("gp_tree"), np.random.default_rng(seed), budget)
    _, scores = run(strategy, target, budget)
    def best(xs):
        return max([s for s in xs if math.isfinite(s)], default=-math.inf)

    return best(scores), best(scores[:first])


def test_beats_random_search_on_planted_problem():
    target = parse("tanh(x) + 0.5*x")(PROBES)
    evo = [best_scores(EvolutionSearch, seed, target) for seed in range(10)]
    rnd = [best_scores(RandomSearch, seed, target)[0] for seed in range(10)]
    evo_best = np.median([e[0] for e in evo])
    evo_first = np.median([e[1] for e in evo])
    assert evo_best > np.median(rnd)
    assert evo_best > evo_first
    assert sum(e[0] > e[1] for e in evo) >= 8  # improves on its own first generation in most runs


def test_ask_waits_for_the_generation():
    strategy = make("gp_tree", seed=0)
    cands = [strategy.ask() for _ in range(12)]
    assert all(c.generation == 0 for c in cands)
    assert strategy.ask() is None  # the next generation needs the outcomes
    for c in cands:
        strategy.tell(c, Outcome("ok", score(c.expression, SWISH)))
    nxt = strategy.ask()
    assert nxt is not None and nxt.generation == 1
    assert strategy.summary()["generations"] == 1


def test_options():
    strategy = make("gp_tree", seed=0, population=6, offspring=4)
    cands, _ = run(strategy, SWISH, 18)
    assert [c.generation for c in cands] == [0] * 6 + [1] * 4 + [2] * 4 + [3] * 4
    from actsearch.errors import ConfigError

    with pytest.raises(ConfigError, match="population"):
        make("gp_tree", population=0)
    with pytest.raises(ConfigError, match="cxpb"):
        make("gp_tree", cxpb="often")


def test_warm_start_tree_space():
    strategy = make("gp_tree", seed=4)
    given = [parse("x * sigmoid(beta * x)", params={"beta": 1.7}), parse("tanh(x) + 0.5*x"),
             parse("leaky_relu(x)"), parse("x^2")]  # the last two cannot be built from gp_tree's primitives
    strategy.warm_start(given)
    first = [strategy.ask() for _ in range(12)]
    texts = [str(c.expression) for c in first]
    assert texts[:2] == ["x * sigmoid(beta * x)", "tanh(x) + 0.5 * x"]
    assert first[0].expression.params == {"beta": 1.7}
    assert first[0].expression.fingerprint == given[0].fingerprint
    assert "leaky_relu(x)" not in texts and "x^2" not in texts
    assert [str(e) for e in strategy.skipped_warm] == ["leaky_relu(x)", "x^2"]
    assert all(c.generation == 0 for c in first)


def test_warm_start_core_unit_space():
    space = load_space("ramachandran2017")
    built = space.build({"u1_0": "x", "u2_0": "beta*x", "b_0": "sigmoid(x1) * x2"})  # swish, beta_u2 = 1
    chained = space.build({"u1_0": "x", "u2_0": "x + beta", "b_0": "x1 * x2", "u1_1": "tanh(x)",
                           "u2_1": "sigmoid(x)", "b_1": "x1 - x2"}, 2)
    chained = Expression(chained.tree, {"beta_u2_0": 0.5})
    mish = parse("x * tanh(softplus(x))")  # not a core-unit candidate, but a tree of templates
    strategy = EvolutionSearch(space, np.random.default_rng(0), 50)
    strategy.warm_start([built, chained, mish, parse("leaky_relu(x)")])
    first = [strategy.ask() for _ in range(12)]
    assert [c.expression.fingerprint for c in first[:3]] == [e.fingerprint for e in (built, chained, mish)]
    assert [c.info["origin"] for c in first[:3]] == ["warm_start"] * 3
    assert first[1].expression.params == {"beta": 0.5}
    assert [str(e) for e in strategy.skipped_warm] == ["leaky_relu(x)"]
    assert all(c.generation == 0 for c in first)


def test_conversion_round_trip():
    strategy = make("gp_tree")
    for text in ("x * sigmoid(beta * x)", "max(x, 0.25 * x)", "-x + sin(x) / (1.5 + abs(x))", "x"):
        expr = parse(text, params={"beta": 0.5})
        ind = strategy.from_expression(expr)
        assert ind is not None
        back = strategy.to_expression(ind)
        assert back.tree == expr.tree and back.params == expr.params


@pytest.mark.parametrize("space", SPACES)
def test_bloat_limits(space):
    strategy = make(space, seed=9, population=8)
    cands, _ = run(strategy, SWISH, 120)
    sp = load_space(space)
    for cand in cands:
        ind = cand.info["individual"]
        if sp.kind == "tree":
            assert depth(cand.expression.tree) <= sp.max_depth
            assert size(cand.expression.tree) <= sp.max_size
            assert ind.height == depth(cand.expression.tree) and len(ind) == size(cand.expression.tree)
        else:
            assert ind.height <= 4 and len(ind) <= 15


def test_bloat_limits_tight():
    strategy = make("gp_tree", seed=2, max_height=2, max_size=5)
    cands, _ = run(strategy, SWISH, 80)
    assert all(depth(c.expression.tree) <= 2 and size(c.expression.tree) <= 5 for c in cands)
