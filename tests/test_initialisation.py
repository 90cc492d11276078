"""The auto initialisation rule against closed forms and SciPy's quadrature."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from actsearch.datasets import load_dataset
from actsearch.evaluation import evaluate
from actsearch.expression import parse
from actsearch.initialisation import gaussian_moments, init_rule, initialise, is_rectifier_like
from actsearch.mlp import MLP
from actsearch.networks import TrainConfig, Trainer


def _variance(rule, fan_in=100):
    return rule.gain ** 2 / fan_in


def test_relu_gets_he_and_scaled_or_mirrored_relus_follow():
    relu = init_rule(parse("relu(x)"), "auto")
    assert relu.name == "auto" and not relu.reason
    assert _variance(relu) == pytest.approx(2 / 100, rel=1e-12)
    double = init_rule(parse("2*relu(x)"), "auto")
    assert _variance(double) == pytest.approx(_variance(relu) / 4, rel=1e-12)
    mirrored = init_rule(parse("min(x, 0)"), "auto")
    assert mirrored.gain == pytest.approx(relu.gain, rel=1e-12)
    # -f(-x) has f's gain for a function with no symmetry of its own
    assert init_rule(parse("-elu(-x)"), "auto").gain == pytest.approx(init_rule(parse("elu(x)"), "auto").gain,
                                                                      rel=1e-12)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_the_ratio_of_c_f_to_f_is_one_over_c_at_any_target_scale(scale):
    for text in ("relu(x)", "tanh(x)", "swish(x)"):
        base = init_rule(parse(text), "auto", scale).gain
        assert init_rule(parse(f"-3*{text}"), "auto", scale).gain == pytest.approx(base / 3, rel=1e-12)


@pytest.mark.parametrize("text, f", [
    ("tanh(x)", np.tanh),
    ("x*sigmoid(x)", lambda z: z * stats.logistic.cdf(z)),
    ("gelu(x)", lambda z: z * stats.norm.cdf(z)),
    ("elu(x)", lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0)))),
])
def test_moments_match_scipy_quadrature(text, f):
    for scale in (1.0, 1.7):
        mean, second = gaussian_moments(parse(text), scale)
        ref_mean = integrate.quad(lambda u: f(scale * u) * stats.norm.pdf(u), -np.inf, np.inf, epsabs=1e-13)[0]
        ref_second = integrate.quad(lambda u: f(scale * u) ** 2 * stats.norm.pdf(u), -np.inf, np.inf,
                                    epsabs=1e-13)[0]
        assert mean == pytest.approx(ref_mean, abs=1e-6)
        assert second == pytest.approx(ref_second, abs=1e-6)


def test_degenerate_moments_fall_back_to_xavier_with_the_reason():
    constant = init_rule(parse("0*x + 3"), "auto")
    assert constant.name == "xavier" and math.isnan(constant.gain)
    assert "constant" in constant.reason and "fell back to xavier" in constant.reason
    assert "is 0" in init_rule(parse("0*x"), "auto").reason
    assert "not finite" in init_rule(parse("exp(x^2)"), "auto").reason
    df = evaluate("0*x + 3", dataset="moons", hidden=(4,), epochs=1, seeds=1)
    assert df["init"].iloc[0] == "xavier" and math.isnan(df["init_gain"].iloc[0])
    assert "fell back to xavier" in df["reason"].iloc[0]


def test_auto_weights_have_the_rules_variance():
    rule = init_rule(parse("tanh(x)"), "auto")
    net = MLP(400, (300, 300), 10, np.float64)
    net.initialise(np.random.default_rng(0), rule)
    assert net.W[0][:-1].std() == pytest.approx(1 / math.sqrt(400), rel=0.02)  # standardised inputs: g = s
    assert net.W[1][:-1].std() == pytest.approx(rule.gain / math.sqrt(300), rel=0.02)
    assert net.W[2][:-1].std() == pytest.approx(rule.gain / math.sqrt(300), rel=0.03)
    assert np.all(net.W[1][-1] == 0)
    he = MLP(400, (300,), 10, np.float64)
    he.initialise(np.random.default_rng(0), "he")
    assert he.W[0][:-1].std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    with pytest.raises(ValueError, match="depends on the activation"):
        he.initialise(np.random.default_rng(0), "auto")


def test_auto_init_preserves_the_pre_activation_variance_through_depth():
    """The rule's purpose, checked by simulation: six layers' pre-activations keep variance near 1.

    Only near: a non-zero E[f(z)] shifts each unit by a constant that the
    rule (second moments only, as AutoInit's weight rule) does not remove,
    and it grows with depth (2*swish reaches 1.18 at layer six).
    """
    rng = np.random.default_rng(1)
    for text in ("relu(x)", "tanh(x)", "gelu(x)", "2*swish(x)"):
        expr = parse(text)
        weights = [np.zeros((257, 256)) for _ in range(6)]
        initialise(weights, rng, init_rule(expr, "auto"))
        H = rng.standard_normal((4000, 256))
        for W in weights:
            z = H @ W[:-1]
            assert z.var() == pytest.approx(1.0, rel=0.25), text
            H = expr(z)


def test_the_gain_is_recorded_and_the_old_rectifier_test_kept():
    data = load_dataset("moons")
    trainer = Trainer("relu(x)", data, TrainConfig(hidden=(8,), epochs=1))
    assert trainer.init == "auto" and trainer.fit(0).init_gain == pytest.approx(math.sqrt(2))
    assert Trainer("relu(x)", data, TrainConfig(hidden=(8,), epochs=1, init="he")).init_rule.gain == math.sqrt(2)
    assert is_rectifier_like(parse("gelu(x)")) and not is_rectifier_like(parse("sigmoid(x)"))


def test_a_per_layer_rule_draws_each_layer_by_the_activation_that_feeds_it():
    """Layer 0 by the rule of the activation it feeds, layer l by that of activation l-1: the weights'
    standard deviation is each rule's gain over sqrt(fan_in)."""
    from actsearch.initialisation import initialise

    tanh_rule, relu_rule = init_rule(parse("tanh(x)"), "auto"), init_rule(parse("relu(x)"), "auto")
    W = [np.zeros((401, 300)), np.zeros((301, 300)), np.zeros((301, 2))]
    initialise(W, np.random.default_rng(0), [tanh_rule, relu_rule])
    assert np.std(W[0][:-1]) == pytest.approx(tanh_rule.first_gain / np.sqrt(400), rel=0.01)
    assert np.std(W[1][:-1]) == pytest.approx(tanh_rule.gain / np.sqrt(300), rel=0.01)
    assert np.std(W[2][:-1]) == pytest.approx(relu_rule.gain / np.sqrt(300), rel=0.05)
    assert abs(tanh_rule.gain - relu_rule.gain) > 0.1
