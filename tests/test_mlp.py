"""The network's flat buffers: layer views, folded biases, learnable activation parameters."""

import numpy as np
import pytest

from actsearch.mlp import MLP, LearnableParams, learnable_names, with_ones


def test_layers_are_views_of_one_buffer_with_the_bias_as_last_row():
    net = MLP(3, (4, 2), 5, np.float64)
    assert [w.shape for w in net.W] == [(4, 4), (5, 2), (3, 5)]
    assert net.theta.size == 4 * 4 + 5 * 2 + 3 * 5 == net.grad.size
    net.theta[:] = np.arange(net.theta.size)
    np.testing.assert_array_equal(net.W[1].ravel(), np.arange(16, 26))  # a view: writes show through
    net.G[2][:] = 1.0
    assert net.grad[26:].sum() == 15 and net.grad[:26].sum() == 0
    biases = np.concatenate([w[-1] for w in net.W])
    assert net.weight_mask.sum() == net.theta.size - biases.size
    np.testing.assert_array_equal(net.weight_mask[net.offsets[1] + 4 * 2:net.offsets[2]], 0.0)  # layer 1's bias row


def test_with_ones_appends_the_bias_column():
    X = np.arange(6.0).reshape(3, 2)
    out = with_ones(X, np.float32)
    assert out.dtype == np.float32 and out.shape == (3, 3)
    np.testing.assert_array_equal(out, [[0, 1, 1], [2, 3, 1], [4, 5, 1]])


def test_learnable_names_match_whole_names_and_slot_suffixes():
    params = {"beta": 1.0, "beta_u1": 2.0, "betax": 3.0, "alpha": 0.1}
    assert learnable_names(params, ("beta",)) == ["beta", "beta_u1"]
    assert learnable_names(params, ()) == []


@pytest.mark.parametrize("granularity,size", [("network", 1), ("layer", 2), ("neuron", 7)])
def test_learnable_params_share_or_split_values_by_granularity(granularity, size):
    learn = LearnableParams(["beta"], {"beta": 1.5}, (3, 4), granularity, np.float64)
    assert learn.values.size == size
    learn.reset()
    np.testing.assert_array_equal(learn.values, 1.5)
    learn.values[:] = np.arange(size) + 1.0
    shapes = [np.shape(v["beta"]) for v in learn.views]
    assert shapes == ([(), ()] if granularity != "neuron" else [(3,), (4,)])
    expected = {"network": [1.0, 1.0], "layer": [1.0, 2.0], "neuron": [2.0, 5.5]}[granularity]
    assert learn.learned() == {"beta": expected}
    learn.reset()
    np.testing.assert_array_equal(learn.values, 1.5)
