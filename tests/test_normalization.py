"""Batch and layer normalisation: backward passes against finite differences, forward passes against PyTorch,
and BatchNorm's evaluation mode against its closed form."""

import numpy as np
import pytest

from actsearch.normalization import BatchNorm, LayerNorm, make_norm


def _layer(kind, width, rng):
    """A norm layer of ``kind`` over fresh float64 buffers: random gamma/beta, running stats at 0 and 1."""
    params, grads, stats = np.zeros(2 * width), np.zeros(2 * width), np.zeros(2 * width)
    params[:width] = rng.uniform(0.5, 1.5, width)
    params[width:] = rng.normal(size=width)
    stats[width:] = 1.0
    norm = make_norm(kind, params[:width], params[width:], grads[:width], grads[width:], stats[:width],
                     stats[width:])
    return norm, params, grads, stats


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_backward_matches_finite_differences(kind, finite_differences):
    """d input, d gamma and d beta of loss = sum(c * y), central differences in float64."""
    rng = np.random.default_rng(0)
    norm, params, grads, _ = _layer(kind, 5, rng)
    x = rng.normal(size=(7, 5)) * 2.0 + 0.3
    c = rng.normal(size=(7, 5))

    def loss():
        return float(np.sum(c * norm.forward(x, True, False)[0]))
    y, cache = norm.forward(x, True, False)
    dx = norm.backward(c, cache)
    fd_x = finite_differences(loss, x).reshape(x.shape)
    fd_p = finite_differences(loss, params)
    np.testing.assert_allclose(dx, fd_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads, fd_p, rtol=1e-6, atol=1e-8)


def test_batchnorm_eval_mode_uses_the_running_statistics():
    """After training steps, evaluation is (x - running_mean)/sqrt(running_var + eps)*gamma + beta, which
    differs from normalising by the batch's own statistics; the running statistics follow PyTorch's update
    (momentum 0.1, unbiased batch variance), computed here by hand."""
    rng = np.random.default_rng(1)
    norm, params, _, stats = _layer("batch", 4, rng)
    mean, var = np.zeros(4), np.ones(4)
    for _ in range(3):
        x = rng.normal(loc=2.0, scale=3.0, size=(16, 4))
        norm.forward(x, train=True)
        mean = 0.9 * mean + 0.1 * x.mean(axis=0)
        var = 0.9 * var + 0.1 * x.var(axis=0, ddof=1)
    np.testing.assert_allclose(stats[:4], mean, rtol=1e-12)
    np.testing.assert_allclose(stats[4:], var, rtol=1e-12)
    x = rng.normal(loc=-1.0, scale=0.5, size=(10, 4))
    got, cache = norm.forward(x, train=False)
    expected = (x - mean) / np.sqrt(var + 1e-5) * params[:4] + params[4:]
    assert cache is None
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    batch_stats = norm.forward(x, train=True, update=False)[0]
    assert np.max(np.abs(batch_stats - got)) > 0.5
    np.testing.assert_allclose(stats[:4], mean, rtol=1e-12)  # update=False left them alone


def test_a_batch_of_one_row_leaves_the_running_statistics():
    norm, _, _, stats = _layer("batch", 3, np.random.default_rng(2))
    before = stats.copy()
    y, _ = norm.forward(np.array([[1.0, 2.0, 3.0]]), train=True)
    np.testing.assert_array_equal(stats, before)
    np.testing.assert_allclose(y, norm.beta[None, :])  # one row normalises to zero: beta remains


@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_forward_matches_torch_in_train_and_eval_modes(kind):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference implementation")
    rng = np.random.default_rng(3)
    width = 6
    norm, params, _, stats = _layer(kind, width, rng)
    ref = torch.nn.BatchNorm1d(width) if kind == "batch" else torch.nn.LayerNorm(width)
    ref = ref.double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(params[:width]))
        ref.bias.copy_(torch.tensor(params[width:]))
    ref.train()
    for step in range(4):
        x = rng.normal(loc=step, scale=1.0 + step, size=(12, width))
        ours = norm.forward(x, train=True)[0]
        theirs = ref(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    if kind == "batch":
        np.testing.assert_allclose(stats[:width], ref.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(stats[width:], ref.running_var.numpy(), rtol=1e-12)
    ref.eval()
    x = rng.normal(size=(5, width))
    np.testing.assert_allclose(norm.forward(x, train=False)[0], ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-10)


def test_layernorm_is_the_same_in_training_and_evaluation():
    rng = np.random.default_rng(4)
    norm = _layer("layer", 4, rng)[0]
    x = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(norm.forward(x, True)[0], norm.forward(x, False)[0])
    assert isinstance(norm, LayerNorm) and isinstance(_layer("batch", 4, rng)[0], BatchNorm)


def test_float32_stays_float32():
    norm = make_norm("batch", *[np.ones(3, np.float32) for _ in range(4)], np.zeros(3, np.float32),
                     np.ones(3, np.float32))
    x = np.random.default_rng(5).normal(size=(4, 3)).astype(np.float32)
    y, cache = norm.forward(x)
    assert y.dtype == np.float32 and norm.backward(np.ones_like(y), cache).dtype == np.float32
    assert norm.forward(x, train=False)[0].dtype == np.float32


def test_an_unknown_norm_is_named():
    with pytest.raises(ValueError, match="unknown norm 'group'"):
        make_norm("group", *[np.zeros(2)] * 4)
