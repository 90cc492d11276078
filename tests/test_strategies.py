"""The contract every strategy keeps (as Optuna's sampler tests run over every sampler).

No training here: a cheap planted objective scores each candidate by how well
its values match a target function on fixed points.
"""

import math

import numpy as np
import pytest

from actsearch import parse
from actsearch.spaces import load_space
from actsearch.strategies import STRATEGIES, Candidate, Outcome, Strategy, get_strategy

POINTS = np.linspace(-3, 3, 61)
TARGET = parse("sin(x) * x")(POINTS)
SPACES = {"random": "small", "exhaustive": "small", "evolution": "small", "optuna": "small"}


def objective(expr) -> Outcome:
    with np.errstate(all="ignore"):
        values = expr(POINTS)
    if not np.all(np.isfinite(values)):
        return Outcome("rejected", complexity=expr.complexity)
    return Outcome("ok", val_score=-float(np.mean((values - TARGET) ** 2)), complexity=expr.complexity, cost=0.01)


def run(name, seed, n, statuses=None, space="small", keep=False):
    strategy = get_strategy(name)(load_space(space), np.random.default_rng(seed), n)
    asked = []
    for i in range(n):
        cand = strategy.ask()
        if cand is None:
            break
        assert isinstance(cand, Candidate)
        asked.append(cand.expression if keep else str(cand.expression))
        outcome = objective(cand.expression)
        if statuses is not None:
            outcome = Outcome(statuses[i % len(statuses)], val_score=outcome.val_score if
                              statuses[i % len(statuses)] in ("ok", "cached") else math.nan,
                              complexity=cand.expression.complexity)
        strategy.tell(cand, outcome)
    return strategy, asked


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_is_registered_and_named(name):
    cls = get_strategy(name)
    assert issubclass(cls, Strategy) and cls.name == name


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_asks_are_expressions_from_the_space(name):
    _, asked = run(name, 0, 20, keep=True)
    assert len(asked) >= 1
    for expr in asked:  # the text parses back to the same function
        assert parse(str(expr), params=expr.params).fingerprint == expr.fingerprint
    assert len(asked) == 20 or name == "exhaustive"


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_same_seed_same_sequence(name):
    assert run(name, 7, 15)[1] == run(name, 7, 15)[1]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_status_can_be_told(name):
    strategy, asked = run(name, 1, 15, statuses=["ok", "rejected", "diverged", "cached", "pruned"])
    assert len(asked) >= 5
    assert isinstance(strategy.summary(), dict)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_two_searches_in_one_process_do_not_interfere(name):
    alone_a = run(name, 3, 12)[1]
    alone_b = run(name, 4, 12)[1]
    sa = get_strategy(name)(load_space("small"), np.random.default_rng(3), 12)
    sb = get_strategy(name)(load_space("small"), np.random.default_rng(4), 12)
    got_a, got_b = [], []
    for _ in range(12):
        for s, got in ((sa, got_a), (sb, got_b)):
            c = s.ask()
            if c is None:
                continue
            got.append(str(c.expression))
            s.tell(c, objective(c.expression))
    assert got_a == alone_a and got_b == alone_b


@pytest.mark.parametrize("name", ["random", "evolution", "optuna"])
def test_warm_start_comes_first(name):
    strategy = get_strategy(name)(load_space("small"), np.random.default_rng(0), 20)
    wanted = parse("sin(x) * x")
    strategy.warm_start([wanted])
    firsts = []
    for _ in range(12):
        c = strategy.ask()
        firsts.append(c.expression.fingerprint)
        strategy.tell(c, objective(c.expression))
    assert wanted.fingerprint in firsts
