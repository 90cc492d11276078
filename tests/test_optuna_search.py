"""OptunaSearch: ask and tell over core-unit slots, samplers, pruning, Pareto fronts, warm start.

No network is trained: a candidate's score is how close it is to a target
function on fixed probe points, -mean((f(P) - target(P))^2), which is cheap
and has a known optimum.  Non-finite values count as rejected, huge ones as
diverged, as the search driver would report them.
"""

from __future__ import annotations

import importlib.util
import math
import sys

import numpy as np
import pytest

from actsearch.errors import ConfigError
from actsearch.expression import parse
from actsearch.spaces import SpaceError, load_space
from actsearch.strategies import get_strategy
from actsearch.strategies.base import Outcome
from actsearch.strategies.optuna_search import FAILED_SCORE, OptunaSearch
from actsearch.strategies.random_search import RandomSearch

optuna = pytest.importorskip("optuna")

P = np.linspace(-3, 3, 61)
SAMPLERS = ["tpe", "random", pytest.param("cmaes", marks=pytest.mark.skipif(
    importlib.util.find_spec("cmaes") is None, reason="cmaes not installed"))]


@pytest.fixture(scope="module")
def small():
    return load_space("small")


@pytest.fixture(scope="module")
def rama():
    return load_space("ramachandran2017")


def objective(target: str):
    """A synthetic outcome: closeness to ``target`` on P; NaN/inf rejected, huge values diverged."""
    t = parse(target)(P)

    def outcome(expr) -> Outcome:
        with np.errstate(all="ignore"):
            y = np.asarray(expr(P), dtype=float) * np.ones_like(P)
        if not np.all(np.isfinite(y)):
            return Outcome("rejected", complexity=expr.complexity)
        if np.max(np.abs(y)) > 1e6:
            return Outcome("diverged", complexity=expr.complexity)
        return Outcome("ok", val_score=-float(np.mean((y - t) ** 2)), complexity=expr.complexity,
                       cost=float(expr.complexity) * 0.1)

    return outcome


def run(strategy, n, outcome):
    """Ask and tell ``n`` times; the candidates and outcomes in order."""
    asked = []
    for _ in range(n):
        c = strategy.ask()
        o = outcome(c.expression)
        strategy.tell(c, o)
        asked.append((c, o))
    return asked


def make(space, seed=0, budget=50, **options):
    return OptunaSearch(space, np.random.default_rng(seed), budget, **options)


def fitness_curve(cls, space, seed, n, outcome, **options):
    s = cls(space, np.random.default_rng(seed), n, **options)
    return [o.fitness for _, o in run(s, n, outcome)]


# --- end to end ------------------------------------------------------------------

@pytest.mark.parametrize("space_name", ["small", "ramachandran2017"])
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_end_to_end(space_name, sampler):
    space = load_space(space_name)
    s = make(space, seed=3, sampler=sampler)
    assert get_strategy("optuna") is OptunaSearch and s.name == "optuna"
    asked = run(s, 20, objective("x * tanh(x)"))
    numbers = [c.trial for c, _ in asked]
    assert numbers == sorted(numbers) and len(set(numbers)) == 20
    for c, _ in asked:
        choices = c.info["choices"]
        built = space.build(choices, choices["n_units"])
        assert c.expression.tree == built.tree  # the slots really build the candidate
        assert set(c.expression.params) == set(built.params)
        for name, value in c.expression.params.items():
            if name.startswith("beta"):
                assert 0.1 <= value <= 3.0
    summary = s.summary()
    oks = [o.val_score for _, o in asked if o.status == "ok"]
    assert summary["best"]["val_score"] == pytest.approx(max(oks))
    assert summary["n_trials"] >= 20 and summary["sampler"] == sampler
    assert isinstance(summary["best"]["expression"], str)


def test_cmaes_uses_cma_es_with_an_independent_sampler(small):
    pytest.importorskip("cmaes")
    s = make(small, sampler="cmaes")
    assert isinstance(s.study.sampler, optuna.samplers.CmaEsSampler)


def test_cmaes_without_the_package_is_a_config_error(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "cmaes", None)
    with pytest.raises(ConfigError, match="pip install cmaes"):
        make(small, sampler="cmaes")


def test_samplers_by_name(small):
    assert isinstance(make(small).study.sampler, optuna.samplers.TPESampler)
    assert isinstance(make(small, sampler="random").study.sampler, optuna.samplers.RandomSampler)


# --- determinism ---------------------------------------------------------------

def _sequence(space, seed, n=25, **options):
    s = make(space, seed=seed, **options)
    return [(str(c.expression), tuple(sorted(c.expression.params.items())))
            for c, _ in run(s, n, objective("x * sigmoid(x)"))]


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_same_seed_same_sequence(rama, sampler):
    a = _sequence(rama, 7, sampler=sampler)
    assert a == _sequence(rama, 7, sampler=sampler)
    assert a != _sequence(rama, 8, sampler=sampler)


# --- search quality on a planted problem ------------------------------------------

def test_tpe_beats_random_search_on_a_planted_swish(rama):
    """Target x*sigmoid(x) is u1=x, u2=sigmoid(x), b=x1*x2 in the 2017 space."""
    outcome = objective("x * sigmoid(x)")
    seeds, n = range(10), 80
    tpe = [fitness_curve(OptunaSearch, rama, s, n, outcome) for s in seeds]
    rnd = [fitness_curve(RandomSearch, rama, s, n, outcome) for s in seeds]
    tpe_best = [max(f) for f in tpe]
    rnd_best = [max(f) for f in rnd]
    assert np.median(tpe_best) > np.median(rnd_best)
    # it learns: the best found beats the best of the random start-up trials
    first = [max(f[:10]) for f in tpe]
    assert np.median(tpe_best) > np.median(first)
    assert sum(b > f for b, f in zip(tpe_best, first)) >= 8
    # and its later proposals are better on average than its first ones
    assert np.median([np.mean(np.maximum(f[-20:], -10)) for f in tpe]) > \
        np.median([np.mean(np.maximum(f[:10], -10)) for f in tpe])


# --- multi-objective -------------------------------------------------------------

def _dominates(a, b, other):
    return (a["val_score"] >= b["val_score"] and a[other] <= b[other]
            and (a["val_score"] > b["val_score"] or a[other] < b[other]))


@pytest.mark.parametrize("other", ["complexity", "cost"])
def test_multi_objective_pareto_front(rama, other):
    s = make(rama, seed=1, budget=60, objectives=("val_score", other))
    assert isinstance(s.study.sampler, optuna.samplers.NSGAIISampler)
    assert [d.name for d in s.study.directions] == ["MAXIMIZE", "MINIMIZE"]
    asked = run(s, 60, objective("x * sigmoid(x)"))
    front = s.summary()["pareto_front"]
    assert front
    for entry in front:
        assert {"expression", "val_score", other} <= set(entry)
        assert math.isfinite(entry["val_score"]) and entry["val_score"] > FAILED_SCORE
    for a in front:
        for b in front:
            assert not _dominates(a, b, other), (a, b)
    # nothing told dominates a front member
    told = [{"val_score": o.val_score, "complexity": o.complexity, "cost": o.cost}
            for _, o in asked if o.status == "ok"]
    for a in front:
        assert not any(_dominates(t, a, other) for t in told)


def test_multi_objective_string_and_bad_objectives(small):
    s = make(small, objectives="val_score,complexity")
    assert s.multi and s.objectives == ("val_score", "complexity")
    for bad in [("complexity",), ("val_score", "accuracy"), ("val_score", "val_score")]:
        with pytest.raises(ConfigError):
            make(small, objectives=bad)
    with pytest.raises(ConfigError, match="nsga2 or random"):
        make(small, objectives=("val_score", "cost"), sampler="tpe")


# --- pruning ---------------------------------------------------------------------

def test_median_pruner_prunes_a_bad_trial(small):
    s = make(small, pruner="median", pruner_options={"n_startup_trials": 2})
    for _ in range(3):  # completed trials that report good intermediate scores
        c = s.ask()
        report = s.pruner(c)
        assert callable(report)
        for epoch in range(1, 6):
            assert report(epoch, 0.9 + 0.01 * epoch) is False
        s.tell(c, Outcome("ok", val_score=0.95))
    c = s.ask()
    report = s.pruner(c)
    assert report(1, 0.1) is True  # far below the median at epoch 1
    s.tell(c, Outcome("pruned", val_score=0.1, history=[0.1]))
    frozen = s.study.trials[c.trial]
    assert frozen.state == optuna.trial.TrialState.PRUNED
    assert frozen.intermediate_values == {1: 0.1}
    assert s.summary()["n_pruned"] == 1
    c = s.ask()  # the study goes on
    s.tell(c, Outcome("ok", val_score=0.5))


def test_pruned_history_is_reported_when_no_callback_ran(small):
    """A replayed table tells pruned outcomes without training: the history stands in."""
    s = make(small, pruner="median")
    c = s.ask()
    s.tell(c, Outcome("pruned", val_score=0.3, history=[0.2, 0.3]))
    assert s.study.trials[c.trial].intermediate_values == {1: 0.2, 2: 0.3}


@pytest.mark.parametrize("name", ["successive_halving", "hyperband"])
def test_other_pruners(small, name):
    s = make(small, pruner=name)
    c = s.ask()
    assert isinstance(s.pruner(c)(1, 0.5), bool)
    s.tell(c, Outcome("ok", val_score=0.5))


def test_no_pruner_and_pruner_errors(small):
    s = make(small)
    assert s.pruner(s.ask()) is None
    with pytest.raises(ConfigError) as err:
        make(small, objectives=("val_score", "complexity"), pruner="median")
    assert "\n" not in str(err.value) and "single objective" in str(err.value)
    with pytest.raises(ConfigError, match="optuna option .pruner.: expected one of median, successive_halving, hyperband, got .asha."):
        make(small, pruner="asha")
    with pytest.raises(ConfigError, match="optuna option .sampler.: expected one of tpe, cmaes, random, nsga2, got .grid."):
        make(small, sampler="grid")


# --- failures ----------------------------------------------------------------------

@pytest.mark.parametrize("status", ["rejected", "diverged"])
def test_failed_outcomes_do_not_stop_the_study(small, status):
    s = make(small, seed=2)
    for _ in range(5):
        c = s.ask()
        s.tell(c, Outcome(status, complexity=c.expression.complexity))
    c = s.ask()
    s.tell(c, Outcome("ok", val_score=0.7))
    c = s.ask()
    s.tell(c, Outcome("ok"))  # ok without a score counts as a failure too
    frozen = s.study.trials
    failed = [t for t in frozen if t.user_attrs.get("status") == status]
    assert len(failed) == 5
    assert all(t.state == optuna.trial.TrialState.COMPLETE and t.value == FAILED_SCORE for t in failed)
    summary = s.summary()
    assert summary["best"]["val_score"] == 0.7
    assert summary["n_failed"] == 6


def test_repeats_of_failures_never_become_the_best(small):
    s = make(small, seed=3)
    for _ in range(40):  # more asks than the space has functions: repeats are told inside
        c = s.ask()
        s.tell(c, Outcome("rejected"))
    summary = s.summary()
    assert summary["best"] is None and summary["n_repeats"] > 0 and summary["n_failed"] >= 30


def test_rejections_teach_tpe_to_avoid_them(rama):
    """Rejected candidates are told as a very low score, not FAIL, so TPE steers away from them."""
    def harsh(expr):  # a strict screen: big or flat on P is rejected
        with np.errstate(all="ignore"):
            y = np.asarray(expr(P), dtype=float) * np.ones_like(P)
        if not np.all(np.isfinite(y)) or np.max(np.abs(y)) > 5 or np.ptp(y) < 1e-3:
            return Outcome("rejected")
        return Outcome("ok", val_score=-float(np.mean((y - np.tanh(P)) ** 2)))

    def rejections(sampler):
        total = 0
        for seed in range(8):
            asked = run(make(rama, seed=seed, sampler=sampler), 60, harsh)
            total += sum(o.status == "rejected" for _, o in asked[10:])
        return total

    assert rejections("tpe") < 0.85 * rejections("random")  # 100 against 135 with optuna 5.0


def test_parameters_get_ranges_but_eps_stays(rama):
    s = make(rama)
    s.warm_start([{"n_units": 1, "u1_0": "log(abs(x) + eps)", "u2_0": "beta*x", "b_0": "x1 * x2"}])
    expr = s.ask().expression
    assert expr.params["eps_u1"] == 1e-6  # a guard against log(0), not a shape parameter
    assert expr.params["beta_u2"] == 1.0
    params = set()
    for _ in range(30):
        params |= set(s.ask().expression.params.items())
    assert all(0.1 <= v <= 3.0 for k, v in params if k.startswith("beta"))
    assert all(v == 1e-6 for k, v in params if k.startswith("eps"))


def test_repeats_are_told_inside_the_study(small):
    """Dedupe: the driver sees (almost) no function twice; repeats go to the study directly."""
    s = make(small, seed=4)
    asked = run(s, 25, objective("x * tanh(x)"))
    fps = [c.expression.fingerprint for c, _ in asked]
    assert len(set(fps)) >= 23
    assert s.summary()["n_repeats"] == sum(t.user_attrs.get("status") == "repeat" for t in s.study.trials)


# --- warm start ---------------------------------------------------------------------

@pytest.mark.parametrize("space_name,text", [
    ("ramachandran2017", "x * sigmoid(x)"),   # big space: matched among the one-unit candidates
    ("small", "tanh(x) * x"),                 # small space: matched by enumeration
])
def test_warm_start_is_asked_first(space_name, text):
    space = load_space(space_name)
    s = make(space, seed=5)
    target = parse(text)
    s.warm_start([target])
    assert s.ask().expression.fingerprint == target.fingerprint


def test_warm_start_with_parameters_choices_and_misses(rama):
    s = make(rama, seed=6)
    built = rama.build({"u1_0": "x", "u2_0": "beta*x", "b_0": "sigmoid(x1) * x2"}, 1)
    with_beta = type(built)(built.tree, {name: 1.7 for name in built.params})
    renamed = parse("x * sigmoid(beta * x)", params={"beta": 2.5})  # other parameter names
    choices = {"n_units": 2, "u1_0": "x", "u2_0": "tanh(x)", "b_0": "x1 * x2",
               "u1_1": "x", "u2_1": "sigmoid(x)", "b_1": "x1 + x2", "in1_1": "unit0", "in2_1": "x"}
    s.warm_start([with_beta, renamed, choices, parse("x^7 + 3")])
    first = [s.ask().expression for _ in range(3)]
    assert first[0].fingerprint == with_beta.fingerprint
    assert first[1].fingerprint == renamed.fingerprint
    assert first[2].fingerprint == rama.build(choices, 2).fingerprint
    summary = s.summary()
    assert summary["warm_started"] == 3 and summary["warm_start_unmatched"] == ["x^7 + 3"]


# --- spaces, logging, storage ----------------------------------------------------------

def test_tree_space_is_a_one_line_space_error():
    with pytest.raises(SpaceError) as err:
        make(load_space("gp_tree"))
    assert "\n" not in str(err.value) and "core_unit" in str(err.value)


def test_quiet_and_verbosity_restored(small, capfd):
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO)
    try:
        s = make(small)
        run(s, 3, objective("x"))
        assert optuna.logging.get_verbosity() == optuna.logging.INFO
    finally:
        optuna.logging.set_verbosity(before)
    err = capfd.readouterr().err
    assert "Trial" not in err and "A new study" not in err


def test_shared_storage(small, tmp_path):
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    a = make(small, seed=0, storage=url, study_name="shared")
    run(a, 3, objective("x"))
    b = make(small, seed=1, storage=url, study_name="shared")
    assert len(b.study.trials) == 3
    run(b, 2, objective("x"))
    assert len(a.study.trials) == 5


def test_a_trial_keeps_the_families_starting_coefficients():
    """Optuna samples a template's parameters, never a learnable family's coefficients: rational starts at
    its paper's fit (RATIONAL_INIT) and APL at relu with its hinges in place, in every trial."""
    import optuna

    from actsearch.primitives.families import RATIONAL_INIT, family_of
    from actsearch.spaces import space_from_dict
    from actsearch.strategies.optuna_search.slots import sample

    space = space_from_dict({"kind": "core_unit", "unary": ["rational(x)", "apl(x)", "beta * x"],
                             "binary": ["x1 + x2"]})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen_beta = set()
    for _ in range(12):
        trial = study.ask()
        _, expr = sample(trial, space)
        for name, value in expr.params.items():
            if name.startswith("rational_"):
                assert value == dict(zip(family_of("rational").coefficients, RATIONAL_INIT))[name[9:]]
            elif name.startswith("apl_"):
                assert value == family_of("apl").start()[name.rsplit("_", 1)[1]]
            else:
                seen_beta.add(value)
        study.tell(trial, 0.0)
    assert len(seen_beta) > 1  # the template's own parameter is still sampled
