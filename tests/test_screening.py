"""Screening: each reason, against functions whose answer is known."""

import pytest

from actsearch import parse
from actsearch.screening import screen


@pytest.mark.parametrize("text,reason", [
    ("x", "linear"), ("3*x - 2", "linear"), ("max(x, 0) + min(x, 0)", "linear"),
    ("2", "constant"), ("beta", "constant"), ("sin(x)*0 + 1", "constant"),
    ("step(x)", "step-like"), ("exp(exp(x))", "exploding"), ("1e-6*tanh(x)", "vanishing"),
])
def test_rejections(text, reason):
    assert reason in screen(parse(text))


@pytest.mark.parametrize("text", ["relu(x)", "x*sigmoid(x)", "gelu(x)", "tanh(x)", "elu(x)", "sin(x)",
                                  "max(x, sin(x))", "x^2", "abs(x)", "softplus(x)"])
def test_good_activations_pass(text):
    assert screen(parse(text)) is None
