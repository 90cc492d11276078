"""The optimisers: Adam and SGD against their textbook updates (and PyTorch's Adam when installed)."""

import numpy as np
import pytest

from actsearch.networks import TrainConfig
from actsearch.optimizers import SGD, Adam, make_optimizer


def test_adam_matches_the_textbook_update():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=50)
    ref = theta.copy()
    opt = Adam(50, lr=0.01, dtype=np.float64)
    m = np.zeros(50)
    v = np.zeros(50)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, 30):
        g = rng.normal(size=50) * (0.001 if t % 7 == 0 else 1.0)
        opt.step(theta, g)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        ref -= 0.01 * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(theta, ref, rtol=1e-10, atol=1e-12)


def test_sgd_with_momentum_matches_the_textbook_update():
    rng = np.random.default_rng(1)
    theta = rng.normal(size=20)
    ref = theta.copy()
    buf = np.zeros(20)
    opt = SGD(20, lr=0.1, momentum=0.9, dtype=np.float64)
    for _ in range(10):
        g = rng.normal(size=20)
        opt.step(theta, g)
        buf = 0.9 * buf + g
        ref -= 0.1 * buf
    np.testing.assert_allclose(theta, ref, rtol=1e-12)


def test_adam_matches_torch_when_installed():
    torch = pytest.importorskip("torch", reason="PyTorch is optional; this cross-check needs it")
    rng = np.random.default_rng(2)
    theta = rng.normal(size=30)
    p = torch.nn.Parameter(torch.tensor(theta.copy()))
    topt = torch.optim.Adam([p], lr=0.003)
    opt = Adam(30, lr=0.003, dtype=np.float64)
    for _ in range(20):
        g = rng.normal(size=30)
        opt.step(theta, g)
        p.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(theta, p.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_make_optimizer_follows_the_config():
    adam = make_optimizer(TrainConfig(lr=0.02), 7, np.float64)
    sgd = make_optimizer(TrainConfig(optimizer="sgd", lr=0.5, momentum=0.3), 7, np.float32)
    assert isinstance(adam, Adam) and adam.lr == 0.02 and adam.m.shape == (7,)
    assert isinstance(sgd, SGD) and (sgd.lr, sgd.momentum) == (0.5, 0.3) and sgd.buf.dtype == np.float32
