"""The task heads against scipy's and scikit-learn's definitions of each link, loss and score."""

import math

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score

from actsearch.heads import IdentityHead, SigmoidHead, SoftmaxHead, make_head

RNG = np.random.default_rng(0)
Z3 = RNG.normal(scale=2.0, size=(40, 3))
LABELS3 = RNG.integers(0, 3, size=40)
Z1 = RNG.normal(scale=2.0, size=(40, 1))
LABELS2 = RNG.integers(0, 2, size=40)
VALUES = RNG.normal(size=40)


def test_make_head_picks_the_head_of_each_task():
    assert isinstance(make_head("multiclass", 3), SoftmaxHead)
    assert isinstance(make_head("binary", 1), SigmoidHead)
    assert isinstance(make_head("regression", 1), IdentityHead)
    with pytest.raises(KeyError):
        make_head("ranking", 1)


def test_outputs_are_softmax_sigmoid_and_identity():
    np.testing.assert_allclose(SoftmaxHead(3).output(Z3), softmax(Z3, axis=1), rtol=1e-12)
    np.testing.assert_allclose(SigmoidHead().output(Z1), expit(Z1), rtol=1e-12)
    np.testing.assert_array_equal(IdentityHead().output(Z1), Z1)


def test_losses_and_scores_match_sklearn():
    probs = softmax(Z3, axis=1)
    head = SoftmaxHead(3)
    assert head.loss(probs, LABELS3) == pytest.approx(log_loss(LABELS3, probs, labels=[0, 1, 2]), rel=1e-12)
    assert head.score(probs, LABELS3) == accuracy_score(LABELS3, probs.argmax(axis=1))
    p = expit(Z1)
    assert SigmoidHead().loss(p, LABELS2) == pytest.approx(log_loss(LABELS2, p[:, 0]), rel=1e-12)
    assert SigmoidHead().score(p, LABELS2) == accuracy_score(LABELS2, p[:, 0] > 0.5)
    assert IdentityHead().loss(Z1, VALUES) == pytest.approx(mean_squared_error(VALUES, Z1[:, 0]), rel=1e-12)
    assert IdentityHead().score(Z1, VALUES) == pytest.approx(r2_score(VALUES, Z1[:, 0]), rel=1e-12)


def test_r2_of_a_constant_target_is_nan():
    assert math.isnan(IdentityHead().score(Z1, np.ones(40)))


def test_targets_are_one_hot_rows_or_a_column():
    np.testing.assert_array_equal(SoftmaxHead(3).targets(np.array([2, 0]), np.float32),
                                  [[0, 0, 1], [1, 0, 0]])
    column = SigmoidHead().targets(np.array([1, 0]), np.float32)
    assert column.shape == (2, 1) and column.dtype == np.float32
    np.testing.assert_array_equal(IdentityHead().targets(np.array([0.5, -1.0]), np.float64), [[0.5], [-1.0]])


def _reference_loss(task, z, y):
    if task == "multiclass":
        return log_loss(y, softmax(z, axis=1), labels=[0, 1, 2])
    if task == "binary":
        return log_loss(y, expit(z[:, 0]), labels=[0, 1])
    return mean_squared_error(y, z[:, 0])


@pytest.mark.parametrize("task,z,y", [("multiclass", Z3, LABELS3), ("binary", Z1, LABELS2),
                                      ("regression", Z1, VALUES)])
def test_delta_is_the_gradient_of_the_mean_loss(task, z, y):
    head = make_head(task, z.shape[1])
    z = z[:16].copy()
    y = y[:16]
    got = head.delta(z.copy(), head.targets(y, np.float64))
    fd = np.empty_like(z)
    h = 1e-6
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        fd[index] = (_reference_loss(task, up, y) - _reference_loss(task, down, y)) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-9)


def test_delta_writes_over_its_input():
    z = Z3[:4].copy()
    assert SoftmaxHead(3).delta(z, SoftmaxHead(3).targets(LABELS3[:4], np.float64)) is z
