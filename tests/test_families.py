"""Learnable families (apl, aplS, rational): values, partials, naming in trees, training, export.

Mirrors actsearch/primitives/families.py and actsearch/expression/families.py.  The truths
are independent of the code under test: central finite differences in float64, relu and
leaky_relu written out in NumPy, finite differences of the network loss, and PyTorch running
the exported module.
"""

import math

import numpy as np
import pytest

from actsearch.errors import ExpressionError
from actsearch.expression import Expression, parse
from actsearch.mlp import MLP
from actsearch.networks import TrainConfig, Trainer
from actsearch.primitives import PRIMITIVES, RATIONAL_INIT, family_of

GRID = np.linspace(-4.0, 4.0, 801)


def _moved(family, rng):
    """Coefficients away from the start (APL's a_s non-zero, so d/db_s is not zero)."""
    start = np.array(family.initial)
    return tuple(start + rng.uniform(-0.4, 0.4, start.size))


def _central_differences(prim, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] = args[i] + h
    down[i] = args[i] - h
    return (prim.forward(*up) - prim.forward(*down)) / (2 * h)


@pytest.mark.parametrize("name", ["apl", "apl1", "apl3", "rational"])
@pytest.mark.parametrize("where", ["start", "moved"])
def test_partials_match_central_differences_in_float64_away_from_kinks(name, where):
    prim, family = PRIMITIVES[name], family_of(name)
    coefs = family.initial if where == "start" else _moved(family, np.random.default_rng(7))
    args = (GRID, *coefs)
    value = prim.forward(*args)
    if family.hinges:
        kinks = np.min([np.abs(GRID)] + [np.abs(GRID - b) for b in coefs[1::2]], axis=0)
    else:
        q = sum(c * GRID ** k for k, c in enumerate(coefs[6:], start=1))
        kinks = np.abs(q)
    keep = kinks > 1e-4
    assert keep.sum() > 700
    for i in range(prim.arity):
        got = np.broadcast_to(prim.partial(i, value, *args), GRID.shape)
        fd = _central_differences(prim, args, i)
        np.testing.assert_allclose(got[keep], fd[keep], rtol=1e-6, atol=1e-7, err_msg=f"{name} partial {i}")


@pytest.mark.parametrize("text,hinges", [("apl(x)", 2), ("apl1(x)", 1), ("apl3(x)", 3), ("apl7(x)", 7)])
def test_apl_at_its_start_is_relu_exactly(text, hinges):
    f = parse(text)
    assert family_of(f.tree.op).hinges == hinges
    for dtype in (np.float64, np.float32):
        x = GRID.astype(dtype)
        out = f(x)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, np.maximum(x, 0))
    # hinges at the quantiles s/(S+1) of N(0, 1): an equal share of N(0, 1) between neighbours
    from statistics import NormalDist

    b = [f.params[n] for n in f.params if n.endswith(tuple(f"_b{s}" for s in range(1, hinges + 1)))]
    cdf = [NormalDist().cdf(v) for v in b]
    np.testing.assert_allclose(np.diff([0.0, *cdf, 1.0]), 1.0 / (hinges + 1), atol=1e-12)


def test_apl_is_its_formula_at_other_coefficients():
    f = parse("apl(x)", params={"apl_a1": 0.3, "apl_b1": -1.0, "apl_a2": -0.2, "apl_b2": 0.5})
    want = np.maximum(GRID, 0) + 0.3 * np.maximum(-GRID - 1.0, 0) - 0.2 * np.maximum(-GRID + 0.5, 0)
    np.testing.assert_allclose(f(GRID), want, rtol=0, atol=1e-15)


def test_rational_starts_close_to_leaky_relu_on_minus_3_to_3():
    """Molina et al. (2019) start PAUs at a least-squares fit to leaky_relu (slope 0.01)."""
    x = np.linspace(-3.0, 3.0, 2001)
    target = np.where(x > 0, x, 0.01 * x)
    p, q = RATIONAL_INIT[:6], RATIONAL_INIT[6:]
    by_hand = sum(c * x ** j for j, c in enumerate(p)) / (1 + np.abs(sum(c * x ** k for k, c in enumerate(q, 1))))
    got = parse("rational(x)")(x)
    np.testing.assert_allclose(got, by_hand, rtol=1e-12, atol=1e-12)
    err = got - target
    assert np.max(np.abs(err)) < 0.035 and np.sqrt(np.mean(err ** 2)) < 0.006
    # a least-squares optimum: no small step along any coefficient lowers the squared error
    base = np.sum(err ** 2)
    for i in range(10):
        for step in (1e-4, -1e-4):
            coefs = list(RATIONAL_INIT)
            coefs[i] += step
            assert np.sum((PRIMITIVES["rational"](x, *coefs) - target) ** 2) >= base * (1 - 1e-9)
    # far from the fit, no pole (1 + |Q| >= 1): the ratio of the leading terms, p5/q4 * x, on both sides
    far = np.array([-1e3, 1e3])
    np.testing.assert_allclose(parse("rational(x)")(far), p[5] / q[3] * far, rtol=0.02)


# --- trees -----------------------------------------------------------------------------

def test_each_call_gets_its_own_coefficients_and_printing_round_trips():
    f = parse("apl(x) * tanh(apl(x)) + rational(x)")
    assert str(f) == "apl(x) * tanh(apl(x)) + rational(x)"
    assert [n for n in f.params if n.endswith("_a1")] == ["apl_a1", "apl_2_a1"]
    assert len(f.params) == 2 * 4 + 10
    g = parse(str(f))
    assert g == f and g.params == f.params
    assert f.learnable_family == list(f.params)
    assert parse("beta * apl1(x)").learnable_family == ["apl1_a1", "apl1_b1"]


def test_a_tree_built_without_coefficients_is_completed_and_copies_keep_their_values():
    from actsearch.expression.tree import Call, Var

    bare = Call("add", (Call("apl1", (Var("x"),)), Call("apl1", (Var("x"),))))
    f = Expression(bare)
    assert str(f) == "apl1(x) + apl1(x)" and set(f.params) == {"apl1_a1", "apl1_b1", "apl1_2_a1", "apl1_2_b1"}
    # a subtree copied whole (genetic programming) gets new names, with the values of the call it copies
    moved = parse("apl1(x)", params={"apl1_a1": 0.4, "apl1_b1": -0.3})
    twice = Expression(Call("mul", (moved.tree, moved.tree)), moved.params)
    assert twice.params == {"apl1_a1": 0.4, "apl1_b1": -0.3, "apl1_2_a1": 0.4, "apl1_2_b1": -0.3}
    np.testing.assert_allclose(twice(GRID), moved(GRID) ** 2)
    # a canonical form that reorders calls keeps each call's own values
    g = parse("tanh(apl1(x)) + apl1(x)", params={"apl1_a1": 0.5, "apl1_2_a1": -0.5})
    np.testing.assert_allclose(g.canonical()(GRID), g(GRID), rtol=1e-12)


@pytest.mark.parametrize("text,fragment", [
    ("apl0(x)", "at least one hinge (S=0)"), ("apl00(x)", "S=00"), ("apl(x, 1)", "takes 1 argument"),
    ("rational(x, 1, 2)", "takes 1 argument"), ("apl0", "S=0"),
])
def test_bad_family_calls_are_one_line_errors(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_parameter_named_like_a_coefficient_is_an_error():
    with pytest.raises(ExpressionError, match="apl1_a1"):
        parse("apl1(x) + apl1_a1 * x", params={"apl1_a1": 1.0})


def test_apl_zero_on_the_command_line_exits_2_without_traceback(cli, one_line_error):
    one_line_error(*cli("evaluate", "apl0(x)", "--dataset", "moons"), "apl0", "S=0")
    one_line_error(*cli("export", "apl0(x)"), "apl0")


def test_a_family_is_not_the_function_it_starts_as():
    """apl starts as relu, but its fingerprint (and so the cache key) is the family's."""
    from actsearch.config import SearchConfig
    from actsearch.planner import Run

    assert parse("apl(x)").fingerprint != parse("relu(x)").fingerprint
    assert parse("apl(x)").fingerprint == parse("apl(x)").fingerprint
    assert parse("apl1(x)").fingerprint != parse("apl(x)").fingerprint
    run = Run(SearchConfig(), data=None, space=None)
    assert run.key(parse("apl(x)")) != run.key(parse("max(x, 0)"))


def test_compiler_forward_and_reverse_modes_match_central_differences():
    f = parse("apl(tanh(x)) * rational(0.5 * x)")
    rng = np.random.default_rng(3)
    values = {n: v + rng.uniform(-0.3, 0.3) for n, v in f.params.items()}
    x = rng.uniform(-2.5, 2.5, 200)
    value, grads = f.gradients(x, values)
    h = 1e-6
    for name in ["x", *f.params]:
        if name == "x":
            fd = (f(x + h, values) - f(x - h, values)) / (2 * h)
        else:
            fd = (f(x, {**values, name: values[name] + h}) - f(x, {**values, name: values[name] - h})) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-5, atol=1e-7, err_msg=name)
    program = f.compile(("x",), reverse=tuple(f.params))
    outputs, registers = program.forward(x, values)
    upstream = rng.standard_normal(x.shape)
    for name, g in zip(f.params, program.vjp(registers, upstream)):
        np.testing.assert_allclose(g, upstream * grads[name], rtol=1e-10, atol=1e-12)


# --- training --------------------------------------------------------------------------

@pytest.mark.parametrize("granularity", ["neuron", "layer", "network"])
@pytest.mark.parametrize("expr", ["apl(x)", "rational(x)", "apl1(tanh(x)) + x*sigmoid(beta*x)"])
def test_network_gradient_of_family_coefficients_matches_finite_differences(small_data, granularity, expr, finite_differences):
    data = small_data("multiclass")
    config = TrainConfig(hidden=(5, 4), dtype="float64", family_granularity=granularity, learnable=("beta",))
    trainer = Trainer(expr, data, config)
    family = parse(expr).learnable_family
    assert trainer.learn is not None and set(family) <= set(trainer.learn.names)
    assert {trainer.learn.granularity[n] for n in family} == {granularity}
    net = MLP(data.n_features, (5, 4), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    trainer.learn.reset()
    rng = np.random.default_rng(5)
    trainer.learn.values[:] += rng.uniform(-0.3, 0.3, trainer.learn.values.size)  # APL's a_s off zero
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    got = trainer.learn.grad.copy()
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), trainer.learn.values)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-9)
    per_name = {"neuron": 9, "layer": 2, "network": 1}[granularity]
    assert got.size == per_name * len(family) + (1 if "beta" in expr else 0)


@pytest.mark.parametrize("expr", ["apl(x)", "rational(x)"])
def test_a_short_training_moves_the_coefficients_per_neuron(expr):
    from actsearch.datasets import load_dataset

    trainer = Trainer(expr, load_dataset("moons", seed=0), TrainConfig(hidden=(8, 8), epochs=5, lr=0.01))
    assert trainer.init_rule.name == "auto" and math.isfinite(trainer.init_rule.gain)
    result = trainer.fit(0)
    assert result.status == "ok" and result.val_score > 0.7
    start = parse(expr).params
    assert set(result.learned) == set(start) and all(len(v) == 2 for v in result.learned.values())
    layer0 = trainer.layer_params(0)
    moved = [n for n in start if np.ptp(layer0[n]) > 1e-4]  # neurons learned different values
    assert len(moved) >= len(start) // 2, moved
    assert max(abs(v[0] - start[n]) for n, v in result.learned.items()) > 1e-3


def test_export_with_learned_per_neuron_values_runs_alike_in_torch_and_numpy():
    torch = pytest.importorskip("torch")
    from actsearch.datasets import load_dataset
    from actsearch.export import export

    trainer = Trainer("apl(x) + rational(x)", load_dataset("moons", seed=0),
                      TrainConfig(hidden=(6,), epochs=3, lr=0.01, dtype="float64"))
    assert trainer.fit(0).status == "ok"
    learned = trainer.layer_params(0)  # per-neuron vectors for the families' coefficients
    assert all(np.shape(learned[n]) == (6,) for n in trainer.expr.learnable_family)
    z = np.random.default_rng(1).normal(scale=2.0, size=(50, 6))
    want = trainer.acts_eval[0](z, learned)[0]  # what the trained network computes
    space: dict = {}
    exec(export(trainer.expr, "numpy", params=learned), space)
    np.testing.assert_allclose(space["activation"](z), want, rtol=1e-12, atol=1e-12)
    exec(export(trainer.expr, "torch", params=learned), space)
    module = space["Activation"](dtype=torch.float64)
    got = module(torch.tensor(z)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert dict(module.named_parameters())["apl_a1"].shape == (6,)
    sympy_code = export(trainer.expr, "sympy", params=learned)
    assert "the mean of its per-neuron values" in sympy_code
    latex = export(trainer.expr, "latex", params=learned)
    assert "apl" not in latex and "rational" not in latex  # coefficients written as numbers


def test_screening_passes_families_and_spaces_build_them():
    from actsearch.screening import screen
    from actsearch.spaces import space_from_dict

    for text in ("apl(x)", "apl1(x)", "apl3(tanh(x))", "rational(x)", "x * rational(x)"):
        assert screen(parse(text)) is None, text
    tree = space_from_dict({"kind": "tree", "primitives": ["apl", "apl3", "rational", "tanh", "add"],
                            "max_depth": 3}, "tree.yaml")
    rng = np.random.default_rng(0)
    samples = [tree.sample(rng) for _ in range(40)]
    with_family = [f for f in samples if f.learnable_family]
    assert with_family and all(parse(str(f)).params.keys() == f.params.keys() for f in with_family)
    core = space_from_dict({"kind": "core_unit", "unary": ["x", "apl(x)"], "binary": ["x1 * x2"]}, "core.yaml")
    f = core.build({"u1_0": "apl(x)", "u2_0": "apl(x)", "b_0": "x1 * x2"})
    assert str(f) == "apl(x) * apl(x)" and len(f.params) == 8 and f.fingerprint != parse("relu(x)^2").fingerprint


def test_evolution_encodes_a_family_call_by_its_input():
    import random

    from actsearch.spaces import space_from_dict
    from actsearch.strategies.evolution.encoding import Encoding

    space = space_from_dict({"kind": "tree", "primitives": ["apl", "rational", "tanh", "add"]}, "t.yaml")
    encoding = Encoding(space, random.Random(0))
    f = parse("apl(tanh(x)) + rational(x)")
    individual = encoding.from_expression(f)
    assert individual is not None and encoding.to_expression(individual) == f


def test_torch_models_train_a_familys_coefficients():
    pytest.importorskip("torch")
    from actsearch.torch_backend.activation import activation_factory

    module = activation_factory(parse("apl(x) * beta"))()
    trained = {name for name, p in module.named_parameters() if p.requires_grad}
    assert trained == {"apl_a1", "apl_b1", "apl_a2", "apl_b2"}


@pytest.mark.parametrize("name, fragment", [("apl65", "at most 64 hinges"), ("apl00", "at least one hinge"),
                                            ("apl99999999999999999999", "at most 64 hinges"),
                                            ("apl007", "without leading zeros")])
def test_an_apl_with_too_many_hinges_or_a_malformed_count_is_a_one_line_error(cli, one_line_error, name, fragment):
    """A count past the cap would build (and hang on) a primitive of 2S + 1 arguments: refused at once."""
    one_line_error(*cli("evaluate", f"{name}(x)", "--epochs", "1", "--seeds", "1"), fragment)


# --- per-layer candidates: each group has its own coefficients ----------------------------

def test_per_layer_groups_learn_their_own_coefficients_at_network_granularity(small_data, finite_differences):
    data = small_data("multiclass")
    config = TrainConfig(hidden=(5, 4), dtype="float64", family_granularity="network")
    trainer = Trainer(parse("apl(x) | apl(tanh(x))"), data, config)
    assert trainer.learn.values.size == 2 * 4  # one set per group, not one shared set
    assert trainer.learn.layer_names == [[f"{n}_g0" for n in ("apl_a1", "apl_b1", "apl_a2", "apl_b2")],
                                         [f"{n}_g1" for n in ("apl_a1", "apl_b1", "apl_a2", "apl_b2")]]
    net = MLP(data.n_features, (5, 4), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    trainer.learn.reset()
    trainer.learn.values[:] += np.random.default_rng(5).uniform(-0.3, 0.3, 8)  # APL's a_s off zero
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    got = trainer.learn.grad.copy()
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), trainer.learn.values)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-9)
    assert np.all(got != 0.0)  # every group's coefficients reach the loss


def test_per_layer_learned_values_export_per_group_and_run_as_the_trained_layers():
    from actsearch.datasets import load_dataset
    from actsearch.export import export

    trainer = Trainer(parse("apl(x) | apl(tanh(x))"), load_dataset("moons", seed=0),
                      TrainConfig(hidden=(6, 5), epochs=3, lr=0.01, dtype="float64"))
    assert trainer.fit(0).status == "ok"
    # every layer's learned values in one dict: the names of the two groups differ
    learned = {**trainer.params, **trainer.learn.views[0], **trainer.learn.views[1]}
    assert np.shape(learned["apl_a1_g0"]) == (6,) and np.shape(learned["apl_a1_g1"]) == (5,)
    # the candidate holds each group's (mean) values, and its row text parses back to them
    means = {n: float(np.mean(learned[n])) for n in trainer.expr.params}
    held = trainer.expr.with_params(means)
    assert held.params["apl_b1_g0"] != held.params["apl_b1_g1"]
    assert parse(str(held), params=held.params).params == held.params
    space: dict = {}
    exec(export(trainer.expr, "numpy", params=learned), space)
    rng = np.random.default_rng(1)
    for layer, width in enumerate((6, 5)):
        z = rng.normal(scale=2.0, size=(40, width))
        want = trainer.acts_eval[layer](z, trainer.layer_params(layer))[0]  # what the trained layer computes
        np.testing.assert_allclose(space["activations"][layer](z), want, rtol=1e-12, atol=1e-12)


def test_a_per_layer_space_gives_each_groups_family_its_own_names():
    from actsearch.spaces import space_from_dict

    space = space_from_dict({"kind": "core_unit", "unary": ["x", "apl(x)"], "binary": ["x1 * x2"],
                             "per_layer": True, "layers": 2}, "core.yaml")
    rng = np.random.default_rng(0)
    samples = [space.sample(rng) for _ in range(12)]
    both = [f for f in samples if all(p.learnable_family for p in f.parts)]
    assert both
    for f in both:
        for k, part in enumerate(f.parts):
            assert part.learnable_family and all(n.endswith(f"_g{k}") for n in part.learnable_family)
        assert len(f.params) == sum(len(p.params) for p in f.parts)  # nothing shared
        assert parse(str(f), params=f.params) == f
    built = space.build({"u1_0_g0": "apl(x)", "u2_0_g0": "x", "b_0_g0": "x1 * x2",
                         "u1_0_g1": "apl(x)", "u2_0_g1": "x", "b_0_g1": "x1 * x2"})
    assert str(built) == "apl(x) * x | apl(x) * x" and sorted(built.params)[:2] == ["apl_a1_g0", "apl_a1_g1"]


# --- rationalMN: other degrees, named like APL's hinges -----------------------------------

LEAKY_X = np.linspace(-3.0, 3.0, 2001)
LEAKY = np.where(LEAKY_X > 0, LEAKY_X, 0.01 * LEAKY_X)  # the fit's target, written out


def _safe_pau(x, coefs, degrees):
    """P(x) / (1 + |Q(x)|) by powers of x, not Horner: the truth the primitive is checked against."""
    m, _ = degrees
    p, q = coefs[:m + 1], coefs[m + 1:]
    return sum(c * x ** j for j, c in enumerate(p)) / (1 + np.abs(sum(c * x ** k for k, c in enumerate(q, 1))))


@pytest.mark.parametrize("name,degrees", [("rational32", (3, 2)), ("rational22", (2, 2)), ("rational54", (5, 4)),
                                          ("rational19", (1, 9))])
@pytest.mark.parametrize("where", ["start", "moved"])
def test_rational_of_other_degrees_partials_match_central_differences(name, degrees, where):
    prim, family = PRIMITIVES[name], family_of(name)
    m, n = degrees
    assert family.degrees == degrees and prim.arity == 2 + m + n
    assert family.coefficients == tuple(f"p{j}" for j in range(m + 1)) + tuple(f"q{k}" for k in range(1, n + 1))
    coefs = family.initial if where == "start" else _moved(family, np.random.default_rng(11))
    x = np.linspace(-2.5, 2.5, 801)  # degree 9 at |x| = 4 would make the differences' rounding dominate
    args = (x, *coefs)
    value = prim.forward(*args)
    np.testing.assert_allclose(value, _safe_pau(x, coefs, degrees), rtol=1e-11, atol=1e-12)
    # away from |Q|'s kinks by more than a step h = 1e-6 of q_k moves Q (h |x|^k)
    keep = np.abs(sum(c * x ** k for k, c in enumerate(coefs[m + 1:], 1))) > 1e-4 + 1e-5 * np.maximum(1, np.abs(x)) ** n
    assert keep.sum() > 700
    for i in range(prim.arity):
        got = np.broadcast_to(prim.partial(i, value, *args), x.shape)
        fd = _central_differences(prim, args, i)
        np.testing.assert_allclose(got[keep], fd[keep], rtol=1e-6, atol=1e-6, err_msg=f"{name} partial {i}")


@pytest.mark.parametrize("name,degrees,largest,rms", [("rational32", (3, 2), 0.125, 0.035),
                                                      ("rational22", (2, 2), 0.23, 0.086),
                                                      ("rational54", (5, 4), 0.035, 0.006)])
def test_rational_of_other_degrees_starts_at_a_least_squares_fit_to_leaky_relu(name, degrees, largest, rms):
    family = family_of(name)
    err = PRIMITIVES[name](LEAKY_X, *family.initial) - LEAKY
    assert np.max(np.abs(err)) < largest and np.sqrt(np.mean(err ** 2)) < rms
    # a least-squares optimum: no small step along any coefficient lowers the squared error
    base = np.sum(err ** 2)
    for i in range(len(family.initial)):
        for step in (1e-4, -1e-4):
            coefs = list(family.initial)
            coefs[i] += step
            assert np.sum((_safe_pau(LEAKY_X, coefs, degrees) - LEAKY) ** 2) >= base * (1 - 1e-9), (name, i, step)


def test_the_fit_is_the_procedure_of_the_stored_start_and_is_deterministic():
    from actsearch.primitives.rational import leaky_relu_fit

    # the same procedure at 5/4 gives back the stored RATIONAL_INIT, which rational54 keeps exactly
    np.testing.assert_allclose(leaky_relu_fit(5, 4), RATIONAL_INIT, rtol=0, atol=1e-6)
    assert family_of("rational54").initial == RATIONAL_INIT == family_of("rational").initial
    assert leaky_relu_fit(3, 2) is leaky_relu_fit(3, 2)  # fitted once per (M, N)
    assert leaky_relu_fit.__wrapped__(3, 2) == leaky_relu_fit(3, 2)  # and again: bit for bit
    # more coefficients fit at least as well (a nested family: q_k = 0 gives the smaller one)
    def sse(m, n):
        return np.sum((_safe_pau(LEAKY_X, leaky_relu_fit(m, n), (m, n)) - LEAKY) ** 2)
    assert sse(2, 2) > sse(3, 2) > sse(5, 4) > sse(7, 6)


def test_rational54_is_rational_under_its_own_coefficient_names():
    f, g = parse("rational(x)"), parse("rational54(x)")
    assert list(g.params) == [f"rational54_{c}" for c in family_of("rational").coefficients]
    assert list(g.params.values()) == list(f.params.values())
    np.testing.assert_array_equal(g(GRID), f(GRID))
    assert g.fingerprint == f.fingerprint != parse("rational32(x)").fingerprint
    assert str(g) == "rational54(x)" and parse(str(g)) == g


@pytest.mark.parametrize("expr", ["rational32(x)", "rational22(tanh(x)) + rational(x) * rational32(x)"])
def test_network_gradient_of_other_degrees_matches_finite_differences(small_data, expr, finite_differences):
    """Several degrees in one network share the forward cache of the partials: no mix-up between them."""
    data = small_data("multiclass")
    trainer = Trainer(expr, data, TrainConfig(hidden=(5, 4), dtype="float64"))
    family = parse(expr).learnable_family
    assert set(family) == set(trainer.learn.names)
    net = MLP(data.n_features, (5, 4), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    trainer.learn.reset()
    trainer.learn.values[:] += np.random.default_rng(5).uniform(-0.2, 0.2, trainer.learn.values.size)
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    got = trainer.learn.grad.copy()
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), trainer.learn.values)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-9)
    assert got.size == 9 * len(family)  # per neuron


@pytest.mark.parametrize("expr", ["rational32(x)", "rational19(x) + rational22(x)"])
def test_other_degrees_export_to_numpy_and_torch_as_the_primitive(expr):
    from actsearch.export import export

    f = parse(expr)
    rng = np.random.default_rng(2)
    values = {n: v + rng.uniform(-0.3, 0.3) for n, v in f.params.items()}
    x = rng.normal(scale=2.0, size=300)
    want = f(x, values)
    space: dict = {}
    exec(export(f, "numpy", params=values), space)
    np.testing.assert_allclose(space["activation"](x), want, rtol=1e-12, atol=1e-12)
    torch = pytest.importorskip("torch")
    exec(export(f, "torch", params=values), space)
    got = space["Activation"](dtype=torch.float64)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    sympy = pytest.importorskip("sympy")
    exec(export(f, "sympy", params=values), space)
    at = sympy.lambdify(space["x"], space["expr"].subs(space["subs"]), "numpy")
    np.testing.assert_allclose(at(x[:20]), want[:20], rtol=1e-12, atol=1e-12)
    latex = export(f, "latex", params=values)
    assert "rational" not in latex and latex.count("\\frac") == expr.count("rational")


@pytest.mark.parametrize("name,fragment", [("rational0", "got 1 digit: 0"), ("rational5", "got 1 digit: 5"),
                                           ("rational123", "got 3 digits: 123"),
                                           ("rational05", "P of degree 0, Q of degree 5"),
                                           ("rational90", "Q of degree 0")])
def test_a_malformed_rational_name_is_a_one_line_error(cli, one_line_error, name, fragment):
    with pytest.raises(ExpressionError) as info:
        parse(f"{name}(x)")
    assert fragment in str(info.value) and "\n" not in str(info.value)
    one_line_error(*cli("evaluate", f"{name}(x)", "--epochs", "1", "--seeds", "1"), name, fragment)
