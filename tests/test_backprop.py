"""Backpropagation: the gradients of the weights and of learnable activation parameters against finite differences."""

import numpy as np
import pytest

from actsearch.expression import parse
from actsearch.mlp import MLP
from actsearch.networks import TrainConfig, Trainer


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("expr", ["tanh(x)", "x*sigmoid(beta*x)", "gelu(x)", "softplus(x) - 0.5*x"])
def test_backprop_matches_finite_differences_of_the_loss(small_data, task, expr, finite_differences):
    data = small_data(task)
    trainer = Trainer(expr, data, TrainConfig(hidden=(5, 4), dtype="float64"))
    net = MLP(data.n_features, (5, 4), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    net.theta += np.random.default_rng(4).normal(scale=0.1, size=net.theta.size)  # non-zero biases too
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    grad = net.grad.copy()
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), net.theta)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("granularity", ["network", "layer", "neuron"])
@pytest.mark.parametrize("expr,names", [("x*sigmoid(beta*x)", ("beta",)), ("leaky_relu(x, alpha)", ("alpha",)),
                                        ("beta*tanh(alpha*x) + x*sigmoid(beta*x)", ("alpha", "beta"))])
def test_learnable_parameter_gradients_match_finite_differences(small_data, granularity, expr, names, finite_differences):
    data = small_data("multiclass")
    trainer = Trainer(expr, data, TrainConfig(hidden=(5, 4), dtype="float64", learnable=names,
                                              granularity=granularity))
    assert trainer.learn is not None and trainer.learn.names == [n for n in parse(expr).params if n in names]
    net = MLP(data.n_features, (5, 4), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    rng = np.random.default_rng(5)
    trainer.learn.values[:] = rng.uniform(0.3, 2.0, trainer.learn.values.size)
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    got = trainer.learn.grad.copy()
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), trainer.learn.values)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-9)
    sizes = {"network": 1, "layer": 2, "neuron": 9}[granularity]
    assert got.size == sizes * len(names)


def test_dropout_scales_the_kept_units_and_draws_from_the_rng(small_data):
    """With dropout the gradient is that of the thinned network: the same draw twice gives the same gradient."""
    data = small_data("binary")
    trainer = Trainer("tanh(x)", data, TrainConfig(hidden=(6,), dtype="float64", dropout=0.5))
    net = MLP(data.n_features, (6,), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    H, T = trainer.X["train"][:16], trainer.T_train[:16]
    grads = []
    for seed in (7, 7, 8):
        trainer.backprop(net, H, T.copy(), np.random.default_rng(seed))
        grads.append(net.grad.copy())
    trainer.backprop(net, H, T.copy())  # no rng: no dropout
    full = net.grad.copy()
    np.testing.assert_array_equal(grads[0], grads[1])
    assert not np.array_equal(grads[0], grads[2]) and not np.array_equal(grads[0], full)


def test_per_layer_activations_are_each_layers_own(small_data):
    """The forward pass applies layer l's expression in layer l: against the network written out by hand."""
    data = small_data("regression")
    trainer = Trainer(parse("tanh(x) | sin(x) | max(x, 0.3*x)"), data,
                      TrainConfig(hidden=(5, 4, 3), dtype="float64"))
    net = MLP(data.n_features, (5, 4, 3), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    H = trainer.X["train"][:16]
    h = np.tanh(H @ net.W[0])
    h = np.sin(np.c_[h, np.ones(16)] @ net.W[1])
    z = np.c_[h, np.ones(16)] @ net.W[2]
    h = np.maximum(z, 0.3 * z)
    expected = np.c_[h, np.ones(16)] @ net.W[3]
    np.testing.assert_allclose(trainer.forward(net, H)[0], expected, rtol=1e-12)


@pytest.mark.parametrize("granularity", ["network", "layer", "neuron"])
def test_per_layer_candidate_gradients_match_finite_differences(small_data, granularity, finite_differences):
    """Weights and learnable parameters of a per-layer candidate (layers that learn different
    parameters, one that learns none, one parameter in two layers) against finite differences."""
    data = small_data("multiclass")
    cand = parse("x*sigmoid(beta*x) | tanh(x) | beta*tanh(alpha*x) + 0.5*x", params={"beta": 1.2, "alpha": 0.7})
    trainer = Trainer(cand, data, TrainConfig(hidden=(5, 4, 3), dtype="float64", learnable=("alpha", "beta"),
                                              granularity=granularity))
    assert trainer.learn.layer_names == [["beta"], [], ["beta", "alpha"]]
    net = MLP(data.n_features, (5, 4, 3), data.n_outputs, np.float64)
    net.initialise(np.random.default_rng(3), "xavier")
    rng = np.random.default_rng(5)
    trainer.learn.values[:] = rng.uniform(0.3, 2.0, trainer.learn.values.size)
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    got = np.concatenate([net.grad, trainer.learn.grad])
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), net.theta, trainer.learn.values)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-9)
    # beta: one value (network), one per layer that uses it, or one per neuron of those layers; alpha likewise
    assert trainer.learn.values.size == {"network": 2, "layer": 3, "neuron": 5 + 3 + 3}[granularity]


@pytest.mark.parametrize("arch,norm", [("resmlp", None), ("resmlp", "layer"), ("resmlp", "batch"),
                                       ("mlp", "layer"), ("mlp", "batch")])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_proxy_network_gradients_match_finite_differences_of_the_loss(small_data, arch, norm, task, finite_differences):
    """Every weight, bias, gamma and beta (and a learnable beta per layer) of the norm MLP and the residual
    MLP against central differences of the mean batch loss; BatchNorm on the batch's statistics, as in
    training.  gamma and beta are moved off 1 and 0 so their gradients are not a special case."""
    data = small_data(task)
    trainer = Trainer("x*sigmoid(beta*x) + 0.1*tanh(x)", data,
                      TrainConfig(hidden=(5, 5, 5), dtype="float64", arch=arch, norm=norm, learnable=("beta",),
                                  granularity="layer"))
    net = trainer.new_net()
    net.initialise(np.random.default_rng(3), trainer.layer_rules)
    net.theta += np.random.default_rng(4).normal(scale=0.1, size=net.theta.size)
    trainer.learn.values[:] = np.random.default_rng(5).uniform(0.5, 1.5, trainer.learn.values.size)
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    trainer.backprop(net, H, T.copy())
    got = np.concatenate([net.grad, trainer.learn.grad])
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), net.theta, trainer.learn.values)
    assert len(net.norms) == (0 if norm is None else 4 if arch == "resmlp" else 3)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-8)


def test_proxy_dropout_draws_from_the_rng(small_data):
    """resmlp with dropout: the same draw gives the same gradient, another draw (or none) another."""
    data = small_data("binary")
    trainer = Trainer("tanh(x)", data, TrainConfig(hidden=(6, 6), dtype="float64", dropout=0.5, arch="resmlp",
                                                   norm="layer"))
    net = trainer.new_net()
    net.initialise(np.random.default_rng(3), "xavier")
    H, T = trainer.X["train"][:16], trainer.T_train[:16]
    grads = []
    for seed in (7, 7, 8, None):
        trainer.backprop(net, H, T.copy(), None if seed is None else np.random.default_rng(seed))
        grads.append(net.grad.copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert not np.array_equal(grads[0], grads[2]) and not np.array_equal(grads[0], grads[3])


@pytest.mark.parametrize("norm", [None, "layer", "batch"])
def test_resmlp_per_layer_candidate_uses_each_blocks_own_activation(small_data, norm, finite_differences):
    """Block l applies the candidate's layer-l expression: the evaluation forward pass against resmlp written
    out by hand (norm=None; with a norm, against finite differences only), and the gradients of weights,
    norms and per-layer learnable parameters against finite differences."""
    data = small_data("multiclass")
    cand = parse("x*sigmoid(beta*x) | tanh(x) | beta*tanh(alpha*x) + 0.5*x", params={"beta": 1.2, "alpha": 0.7})
    trainer = Trainer(cand, data, TrainConfig(hidden=(4, 4, 4), dtype="float64", learnable=("alpha", "beta"),
                                              granularity="neuron", arch="resmlp", norm=norm))
    net = trainer.new_net()
    net.initialise(np.random.default_rng(3), trainer.layer_rules)
    net.theta += np.random.default_rng(4).normal(scale=0.1, size=net.theta.size)
    trainer.learn.values[:] = np.random.default_rng(5).uniform(0.3, 2.0, trainer.learn.values.size)
    H, T, y = trainer.X["train"][:16], trainer.T_train[:16], trainer.y["train"][:16]
    if norm is None:
        views = trainer.learn.views
        fs = [lambda z: z / (1 + np.exp(-views[0]["beta"] * z)), np.tanh,
              lambda z: views[2]["beta"] * np.tanh(views[2]["alpha"] * z) + 0.5 * z]
        h = H @ net.W[0]
        for l, f in enumerate(fs):
            a = f(np.c_[h, np.ones(16)] @ net.W[1 + 2 * l])
            h = h + np.c_[a, np.ones(16)] @ net.W[2 + 2 * l]
        z = np.c_[h, np.ones(16)] @ net.W[-1]
        expected = np.exp(z - z.max(axis=1, keepdims=True))
        np.testing.assert_allclose(trainer.forward(net, H)[0], expected / expected.sum(axis=1, keepdims=True),
                                   rtol=1e-10)
    trainer.backprop(net, H, T.copy())
    got = np.concatenate([net.grad, trainer.learn.grad])
    fd = finite_differences(lambda: trainer.batch_loss(net, H, y), net.theta, trainer.learn.values)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-8)
