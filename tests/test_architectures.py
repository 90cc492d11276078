"""The norm MLP and the residual MLP: their layout, the auto rule's variances, frozen layers, and the same
function as the torch backend's resmlp given the same weights."""

import numpy as np
import pytest

from actsearch.architectures import ProxyNet, proxy_forward
from actsearch.expression import parse
from actsearch.initialisation import init_rule


def _pre_activation_stds(net, X):
    """The standard deviation of every hidden layer's pre-activations, at evaluation (running stats 0/1)."""
    seen = []

    def program(rule_expr):
        def run(z, params):
            seen.append(float(z.std()))
            return rule_expr(z), None
        return run
    relu = parse("relu(x)")
    ones = np.ones((X.shape[0], X.shape[1] + 1))
    ones[:, :-1] = X
    proxy_forward(net, ones, [program(relu)] * len(net.hidden), lambda layer: {}, train=True)
    return seen


@pytest.mark.parametrize("scale", [1.0, 0.5])
@pytest.mark.parametrize("arch,norm", [("resmlp", None), ("resmlp", "layer"), ("mlp", "batch")])
def test_auto_init_gives_every_hidden_layer_pre_activations_of_the_target_scale(arch, norm, scale):
    """The auto rule's promise, measured: with relu every block's (or layer's) pre-activations have standard
    deviation s at initialisation, 6 blocks deep, without norms too (where the stream's growing variance is
    compensated) and with them."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 20))
    net = ProxyNet(20, (256,) * 6, 1, arch, norm, np.float64)
    rule = init_rule(parse("relu(x)"), "auto", scale)
    net.initialise(np.random.default_rng(1), [rule] * 6)
    stds = _pre_activation_stds(net, X)
    np.testing.assert_allclose(stds, scale, rtol=0.08)


def test_without_compensation_the_plain_residual_stream_would_grow():
    """The 1/sqrt(1 + l) on the layers reading an un-normalised stream matters: the stream itself grows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 20))
    net = ProxyNet(20, (256,) * 6, 1, "resmlp", None, np.float64)
    net.initialise(np.random.default_rng(1), init_rule(parse("relu(x)"), "auto"))
    h = X @ net.W[0][:-1]
    for l in range(6):
        a = np.maximum(np.hstack([h, np.ones((len(h), 1))]) @ net.W[1 + 2 * l], 0)
        h = h + np.hstack([a, np.ones((len(a), 1))]) @ net.W[2 + 2 * l]
    assert 2.2 < h.std() < 3.1  # sqrt(7) = 2.65: each block adds unit variance


def test_he_and_xavier_rules_and_gammas():
    net = ProxyNet(4, (8, 8), 2, "resmlp", "layer", np.float64)
    he = net.layer_gains([init_rule(None, "he")] * 2)
    assert he[:-1] == [np.sqrt(2)] * 5 and he[-1] is None
    assert net.layer_gains([init_rule(None, "xavier")] * 2) == [None] * 6
    mlp = ProxyNet(4, (8, 8), 2, "mlp", "batch", np.float64)
    mlp.initialise(np.random.default_rng(0), init_rule(parse("tanh(x)"), "auto", 0.5))
    assert all(np.all(n.gamma == 0.5) and np.all(n.beta == 0) for n in mlp.norms)
    np.testing.assert_array_equal(mlp.stats, [0.0] * 8 + [1.0] * 8 + [0.0] * 8 + [1.0] * 8)


@pytest.mark.parametrize("arch,norm,layer,sizes", [
    ("resmlp", "layer", 0, [5 * 4 + 2 * 4 * 5 + 2 * 4]), ("resmlp", "layer", 1, [2 * 4 * 5 + 2 * 4]),
    ("resmlp", "batch", 2, [5 * 2 + 2 * 4]), ("resmlp", None, 1, [2 * 4 * 5]), ("mlp", "layer", 0, [5 * 4 + 2 * 4]),
    ("mlp", "batch", 2, [5 * 2])])
def test_frozen_slices_cover_each_layers_parameters(arch, norm, layer, sizes):
    net = ProxyNet(4, (4, 4), 2, arch, norm, np.float64)
    spans = net.frozen_slices(layer)
    assert [sum(hi - lo for lo, hi in spans)] == sizes
    covered = np.zeros(net.theta.size, bool)
    for layer_ in range(3):
        for lo, hi in net.frozen_slices(layer_):
            assert not covered[lo:hi].any()  # no parameter belongs to two layers
            covered[lo:hi] = True
    assert covered.all()


@pytest.mark.parametrize("norm", ["layer", "batch", None])
def test_resmlp_computes_the_torch_backends_resmlp(norm):
    """The same weights in the torch backend's resmlp (LayerNorm; with norm='batch' BatchNorm1d, None none) give
    the same outputs, in training mode (batch statistics) and evaluation mode (running statistics after two
    training batches)."""
    torch = pytest.importorskip("torch", reason="the torch backend's resmlp is the reference")
    from actsearch.torch_backend.models import resmlp

    torch.manual_seed(0)
    model = resmlp(torch.nn.Tanh, 5, 3, width=8, blocks=2, norm=norm).double()
    net = ProxyNet(5, (8, 8), 3, "resmlp", norm, np.float64)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    norms = [m for m in model.modules() if isinstance(m, (torch.nn.LayerNorm, torch.nn.BatchNorm1d))]
    assert len(linears) == len(net.W) and len(norms) == len(net.norms)
    for W, lin in zip(net.W, linears):
        W[:-1] = lin.weight.detach().numpy().T
        W[-1] = lin.bias.detach().numpy()
    rng = np.random.default_rng(1)
    for ours, theirs in zip(net.norms, norms):
        ours.gamma[:] = rng.uniform(0.5, 1.5, 8)
        ours.beta[:] = rng.normal(size=8)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.gamma))
            theirs.bias.copy_(torch.tensor(ours.beta))
    net.reset_stats()
    tanh = parse("tanh(x)").compile(())
    model.train()
    for _ in range(2):
        X = rng.normal(size=(16, 5))
        ones = np.hstack([X, np.ones((16, 1))])
        ours = proxy_forward(net, ones, [tanh, tanh], lambda layer: {}, train=True)[0]
        np.testing.assert_allclose(ours, model(torch.tensor(X)).detach().numpy(), rtol=1e-10, atol=1e-12)
        if norm == "batch":  # the running statistics move in training: one step of ours by hand
            h = ones @ net.W[0]
            _advance_batch_stats(net, h, ones, tanh)
    model.eval()
    X = rng.normal(size=(7, 5))
    ours = proxy_forward(net, np.hstack([X, np.ones((7, 1))]), [tanh, tanh], lambda layer: {})[0]
    np.testing.assert_allclose(ours, model(torch.tensor(X)).detach().numpy(), rtol=1e-10, atol=1e-12)


def _advance_batch_stats(net, h, ones, tanh):
    """Move every BatchNorm's running statistics as one training forward pass of resmlp does."""
    for l in range(len(net.hidden)):
        u, _ = net.norms[l].forward(h, True, True)
        a = tanh(np.hstack([u, np.ones((len(u), 1))]) @ net.W[1 + 2 * l])[0]
        h = h + np.hstack([a, np.ones((len(a), 1))]) @ net.W[2 + 2 * l]
    net.norms[-1].forward(h, True, True)
