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


# --- typed options ----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_options_are_a_frozen_dataclass_whose_fields_are_the_option_names(name):
    import dataclasses

    cls = get_strategy(name)
    assert dataclasses.is_dataclass(cls.options_type) and cls.options_type.__dataclass_params__.frozen
    settings = cls.options_type()
    field = next(iter(dataclasses.fields(settings)), None)
    if field is not None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(settings, field.name, None)
    assert cls.option_names == tuple(f.name for f in dataclasses.fields(cls.options_type))


def test_option_names_are_the_documented_ones():
    assert get_strategy("random").option_names == () == get_strategy("exhaustive").option_names
    assert get_strategy("mixture").option_names == ("arch_lr", "epochs")
    assert set(get_strategy("evolution").option_names) == {
        "population", "offspring", "tournament", "cxpb", "elite", "hall_of_fame", "max_tries", "max_height",
        "max_size", "init_max_height", "steady"}
    assert set(get_strategy("surrogate").option_names) == {
        "batch", "pool", "kappa", "n_initial", "prescreen", "flow", "model", "k", "margin", "baselines", "init"}
    assert set(get_strategy("optuna").option_names) == {
        "sampler", "pruner", "pruner_options", "objectives", "batch", "dedupe", "storage", "study_name",
        "n_startup_trials", "multivariate", "group", "population_size"}


@pytest.mark.parametrize("name,option,value,words", [
    ("evolution", "population", "many", ["evolution", "'population'", "whole number", "'many'"]),
    ("evolution", "cxpb", 1.5, ["evolution", "'cxpb'", "[0.0, 1.0]", "1.5"]),
    ("optuna", "dedupe", "maybe", ["optuna", "'dedupe'", "true or false", "'maybe'"]),
    ("optuna", "sampler", "grid", ["optuna", "'sampler'", "tpe, cmaes, random, nsga2", "'grid'"]),
    ("surrogate", "kappa", "big", ["surrogate", "'kappa'", "number", "'big'"]),
    ("surrogate", "model", "forest", ["surrogate", "'model'", "knn, gp", "'forest'"]),
    ("mixture", "epochs", 0, ["mixture", "'epochs'", "at least 1", "0"]),
    ("random", "pool", 5, ["strategy 'random' has no option 'pool'", "its options: none"]),
])
def test_a_bad_option_is_a_one_line_error_naming_it(name, option, value, words):
    from actsearch.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        get_strategy(name)(load_space("small"), np.random.default_rng(0), 10, **{option: value})
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_option_text_is_converted_by_the_declared_type():
    from dataclasses import dataclass

    from actsearch.strategies.base import build_options, option

    @dataclass(frozen=True)
    class Example:
        flag: bool = False
        count: int = 3
        rate: float = 0.5
        limit: int | None = None
        names: tuple[str, ...] = ("a",)
        formulas: tuple[str, ...] = option((), separator=";")

    got = build_options(Example, {"flag": "on", "count": "20", "rate": "1e-3", "limit": "none",
                                  "names": "x, y", "formulas": "max(x, 0); tanh(x)"}, "example")
    assert got == Example(flag=True, count=20, rate=0.001, limit=None, names=("x", "y"),
                          formulas=("max(x, 0)", "tanh(x)"))
    assert [build_options(Example, {"flag": word}, "example").flag for word in
            ("true", "false", "yes", "no", "on", "off", "1", "0", "TRUE", True, False)] == \
        [True, False, True, False, True, False, True, False, True, True, False]
    assert build_options(Example, {"limit": "7"}, "example").limit == 7
    assert build_options(Example, {"limit": None}, "example").limit is None
    assert build_options(Example, {"count": 4.0, "rate": 2}, "example") == Example(count=4, rate=2.0)
    assert build_options(Example, {}, "example") == Example()
    from actsearch.errors import ConfigError

    for bad in [{"count": "2.5"}, {"count": 2.5}, {"count": True}, {"rate": "fast"}, {"flag": "maybe"},
                {"flag": 2}, {"limit": "some"}, {"names": 3}]:
        with pytest.raises(ConfigError, match=f"example option '{next(iter(bad))}'"):
            build_options(Example, bad, "example")


def test_strategies_read_their_converted_options():
    evolution = get_strategy("evolution")(load_space("small"), np.random.default_rng(0), 10, population="6",
                                          cxpb="0.25")
    assert (evolution.mu, evolution.lam, evolution.cxpb) == (6, 6, 0.25)
    optuna = get_strategy("optuna")(load_space("small"), np.random.default_rng(0), 10, dedupe="off",
                                    pruner="none", batch="2")
    assert (optuna.dedupe, optuna.pruner_name, optuna.batch_size) == (False, None, 2)
    # the options given, converted: the driver's check for a pruner (options.get("pruner")) sees none
    assert optuna.options == {"dedupe": False, "pruner": None, "batch": 2}
    surrogate = get_strategy("surrogate")(load_space("small"), np.random.default_rng(0), 10, prescreen="false",
                                          baselines="relu(x); max(x, 0.1 * x)")
    assert surrogate.prescreen is False
    assert [str(e) for e, _ in surrogate.queue] == ["relu(x)", "max(x, 0.1 * x)"]


# --- per-layer spaces ------------------------------------------------------------------------------

#: A per-layer teacher: another function in each of the two layers of search_spaces/per_layer.yaml.
LAYER_TARGETS = [parse("sin(x) * x")(POINTS), parse("tanh(x)")(POINTS)]


def layered_objective(expr) -> Outcome:
    """The planted objective per layer: how well each part matches its layer's target (no training)."""
    assert expr.groups == ((0,), (1,))
    with np.errstate(all="ignore"):
        error = sum(float(np.mean((part(POINTS) - target) ** 2)) for part, target in zip(expr.parts, LAYER_TARGETS))
    if not math.isfinite(error):
        return Outcome("rejected", complexity=expr.complexity)
    return Outcome("ok", val_score=-error, complexity=expr.complexity, cost=0.01)


def run_layers(name, seed, n, space="per_layer", **options):
    strategy = get_strategy(name)(load_space(space), np.random.default_rng(seed), n, **options)
    asked = []
    for _ in range(n):
        cand = strategy.ask()
        if cand is None:
            break
        asked.append(cand.expression)
        strategy.tell(cand, layered_objective(cand.expression))
    return strategy, asked


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_per_layer_asks_are_candidates_of_the_space_and_repeat_with_the_seed(name):
    from actsearch.expression import LayeredExpression

    options = {"pool": 60} if name == "surrogate" else {}
    _, asked = run_layers(name, 3, 14, **options)
    assert len(asked) == 14
    for expr in asked:
        assert isinstance(expr, LayeredExpression) and len(expr.parts) == 2
        back = parse(str(expr), params=expr.params)
        assert back == expr and back.fingerprint == expr.fingerprint
        for k, part in enumerate(expr.parts):  # every parameter of group k carries its suffix
            assert all(p.startswith("logit") or p.endswith(f"_g{k}") for p in part.params), part.params
    assert [str(e) for e in run_layers(name, 3, 14, **options)[1]] == [str(e) for e in asked]


@pytest.mark.parametrize("name", ["random", "exhaustive", "evolution", "optuna", "surrogate"])
def test_per_layer_candidates_are_distinct_functions(name):
    options = {"pool": 60} if name == "surrogate" else {}
    _, asked = run_layers(name, 0, 20, **options)
    prints = [e.fingerprint for e in asked]
    assert len(set(prints)) >= 19  # the strategies deduplicate by fingerprint (optuna: up to its redraws)


def test_exhaustive_per_layer_is_the_product_of_the_groups():
    space = load_space("per_layer")
    _, asked = run_layers("exhaustive", 0, 10_000)
    one = {space.build_part(c).fingerprint for c in space.enumerate_part()}  # the distinct functions of a part
    # every pair of part functions is proposed exactly once
    pairs = {(e.parts[0].fingerprint, e.parts[1].fingerprint) for e in asked}
    assert len(pairs) == len(asked) == len(one) ** 2


def test_the_surrogate_and_optuna_find_a_planted_per_layer_teacher():
    """Both learn from the per-layer objective: their best beats the best of as many random candidates."""
    for name, options in (("surrogate", {"pool": 200}), ("optuna", {})):
        learned = run_layers(name, 0, 40, **options)[1]
        random = run_layers("random", 0, 40)[1]
        best = max(layered_objective(e).fitness for e in learned)
        assert best >= max(layered_objective(e).fitness for e in random), name


def test_per_layer_tree_space_runs_under_evolution_with_parameters():
    from actsearch.spaces import space_from_dict

    space = space_from_dict({"kind": "tree", "primitives": ["add", "mul", "tanh", "sin"], "params": {"beta": [0.5, 2]},
                             "groups": [[0], [1]]}, "tree-per-layer")
    strategy = get_strategy("evolution")(space, np.random.default_rng(0), 30, population=6)
    origins = set()
    for _ in range(30):
        cand = strategy.ask()
        origins.add(cand.info["origin"])
        assert len(cand.expression.parts) == 2
        for k, part in enumerate(cand.expression.parts):
            assert all(p == f"beta_g{k}" for p in part.params)
        strategy.tell(cand, layered_objective(cand.expression))
    assert "crossover_layers" in origins


def test_evolution_layer_crossover_swaps_whole_parts():
    """crossover_layers hands each child whole parts of both parents (a one-point cut on the layers), and
    the same seed makes the same children; a subtree crossover changes one group's part only."""
    import copy

    from actsearch.spaces import space_from_dict
    from actsearch.strategies.evolution.layered import swap_layers

    space = space_from_dict({**load_space("small").raw, "per_layer": True, "layers": 3}, "three-layers")
    strategy = get_strategy("evolution")(space, np.random.default_rng(0), 12, population=6)
    for _ in range(6):
        cand = strategy.ask()
        strategy.tell(cand, Outcome("ok", val_score=0.0))
    p1, p2 = strategy.pending[0], strategy.pending[1]
    text = lambda ind: [str(part) for part in ind]  # noqa: E731
    assert text(p1) != text(p2)

    def cross(seed):
        strategy.layers.py.seed(seed)  # the search's private random.Random
        children, origin = strategy.layers.crossover(copy.deepcopy(p1), copy.deepcopy(p2))
        return [text(c) for c in children], origin

    seen = set()
    for seed in range(40):
        (c1, c2), origin = cross(seed)
        assert cross(seed) == ([c1, c2], origin)  # seeded: the same children
        seen.add(origin)
        if origin == "crossover_layers":
            cuts = [c for c in (1, 2) if c1 == text(p1)[:c] + text(p2)[c:] and c2 == text(p2)[:c] + text(p1)[c:]]
            assert len(cuts) == 1, (c1, c2)
        else:
            changed = [k for k in range(3) if (c1[k], c2[k]) != (text(p1)[k], text(p2)[k])]
            assert len(changed) <= 1
    assert seen == {"crossover", "crossover_layers"}
    a, b = ["a0", "a1", "a2"], ["b0", "b1", "b2"]
    assert [list(c) for c in swap_layers(list(a), list(b), 2)] == [["a0", "a1", "b2"], ["b0", "b1", "a2"]]


def test_warm_start_of_a_uniform_expression_in_a_per_layer_space():
    for name in ("random", "evolution", "optuna", "surrogate"):
        strategy = get_strategy(name)(load_space("per_layer"), np.random.default_rng(0), 20)
        strategy.warm_start([parse("sin(x) * x")])
        firsts = []
        for _ in range(10):
            c = strategy.ask()
            firsts.append(str(c.expression))
            strategy.tell(c, layered_objective(c.expression))
        assert "sin(x) * x | sin(x) * x" in firsts or "x * sin(x) | x * sin(x)" in firsts, (name, firsts)


# --- per-layer spaces end to end (trained: a tiny protocol) ----------------------------------------

TINY = dict(dataset="moons", hidden=(4, 4), epochs=2, seeds=1, final_k=1, final_seeds=2,
            baselines=("relu(x)",), progress=False)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_searches_a_per_layer_space_end_to_end(name, tmp_path):
    """Search, cache, final stage and table with per-layer candidates; the same seed gives the same table."""
    import json

    from actsearch import search
    from actsearch.results import load_results

    options = {"pool": 40} if name == "surrogate" else {}
    runs = [search(space="per_layer", strategy=name, budget=4, seed=2, out=str(tmp_path / f"run{i}"),
                   strategy_options=options, **TINY) for i in range(2)]
    table = runs[0].table
    rows = table[table["stage"] == "search"]
    assert len(rows[rows["status"] != "promoted"]) == 4
    for _, row in table.iterrows():
        layered = not (row["stage"] == "final" and row["strategy"] == "baseline")
        assert row["expression"].count(" | ") == (1 if layered else 0), row["expression"]
        back = parse(row["expression"], params=json.loads(row["params"]))
        assert back.fingerprint == row["fingerprint"] and str(back) == row["expression"]
    assert set(rows["status"]) <= {"ok", "cached", "rejected", "promoted", "pruned", "mixture", "diverged"}
    assert (rows["status"] == "mixture").sum() == (name == "mixture")
    timing = ["train_seconds", "timestamp", "run_id"]
    pd_testing = pytest.importorskip("pandas").testing
    pd_testing.assert_frame_equal(runs[0].table.drop(columns=timing), runs[1].table.drop(columns=timing))
    on_disk = load_results(str(tmp_path / "run0"))
    assert on_disk["expression"].tolist() == table["expression"].tolist()


def test_the_same_function_in_every_layer_is_cached_as_the_uniform_candidate():
    """Candidates with relu in both layers share one training in the search, and the final stage's
    finalist shares the row of the uniform baseline relu(x)."""
    from actsearch import search
    from actsearch.spaces import space_from_dict

    space = space_from_dict({"kind": "core_unit", "unary": ["max(x, 0)", "relu(x)"], "binary": ["x1", "max(x1, x2)"],
                             "per_layer": True, "layers": 2}, "relu-everywhere")
    table = search(space=space, strategy="random", budget=3, seed=0, racing="off", **TINY).table
    rows = table[table["stage"] == "search"]
    assert rows["status"].tolist() == ["ok", "cached", "cached"]
    assert (rows["fingerprint"] == parse("relu(x)").fingerprint).all()
    final = table[table["stage"] == "final"].set_index("strategy")
    assert final.loc["baseline", "expression"] == "relu(x)" and final.loc["baseline", "status"] == "ok"
    assert final.loc["random", "status"] == "cached" and " | " in final.loc["random", "expression"]
    assert final.loc["random", "test_scores"] == final.loc["baseline", "test_scores"]


def test_planner_keys_a_per_layer_candidate_by_its_layers():
    from actsearch.config import SearchConfig
    from actsearch.networks import TrainConfig
    from actsearch.planner import Run

    run = Run(SearchConfig(), data=None, space=None)
    assert run.key(parse("relu(x) | max(x, 0)")) == run.key(parse("relu(x)"))
    assert run.key(parse("relu(x) | tanh(x)")) != run.key(parse("tanh(x) | relu(x)"))
    learn = Run(SearchConfig(train=TrainConfig(learnable=("beta",))), data=None, space=None)
    shared = parse("x*sigmoid(beta*x) | x*sigmoid(beta*x)")
    assert learn.key(shared) == learn.key(parse("x*sigmoid(beta*x)"))  # one beta for both layers, as uniform
    split = parse("x*sigmoid(beta_g0*x) | x*sigmoid(beta_g1*x)", {"beta_g0": 1.0, "beta_g1": 1.0})
    assert split.fingerprint == parse("x*sigmoid(beta*x)").fingerprint
    assert learn.key(split) != learn.key(shared)  # two learned betas are another training


def test_separate_learned_parameters_matter_to_the_key_only_where_the_uniform_candidate_shares_them():
    """At the "layer" and "neuron" granularities every layer learns its own values, so two per-layer betas
    train exactly as the uniform candidate does: the same key (cached as it). Only "network" shares."""
    from actsearch.config import SearchConfig
    from actsearch.networks import TrainConfig
    from actsearch.planner import Run

    split = parse("x*sigmoid(beta_g0*x) | x*sigmoid(beta_g1*x)", {"beta_g0": 1.0, "beta_g1": 1.0})
    uniform = parse("x*sigmoid(beta*x)")
    for granularity, same in (("network", False), ("layer", True), ("neuron", True)):
        run = Run(SearchConfig(train=TrainConfig(learnable=("beta",), granularity=granularity)), data=None,
                  space=None)
        assert (run.key(split) == run.key(uniform)) == same, granularity


def test_a_family_in_every_group_is_the_uniform_candidate_except_where_the_uniform_one_shares_it():
    """``apl(x) | apl(x)`` learns one set of coefficients per layer; the uniform ``apl(x)`` does too at the
    "neuron" (default) and "layer" family granularities, but shares one set at "network"."""
    from actsearch.config import SearchConfig
    from actsearch.networks import TrainConfig
    from actsearch.planner import Run

    layered, uniform = parse("apl(x) | apl(x)"), parse("apl(x)")
    assert layered.fingerprint == uniform.fingerprint
    for granularity, same in (("network", False), ("layer", True), ("neuron", True)):
        run = Run(SearchConfig(train=TrainConfig(hidden=(8, 8), family_granularity=granularity)), data=None,
                  space=None)
        assert (run.key(layered) == run.key(uniform)) == same, granularity
