"""The output layer of each task: its link, its loss, the loss's gradient and the score.

One head object per task (in the spirit of gplearn's ``_Fitness``), so the
trainer asks its head instead of branching on the task:

=============  ===========  =====================  ==================
task           ``output``   ``loss``               ``score``
=============  ===========  =====================  ==================
``multiclass`` softmax      cross-entropy          accuracy
``binary``     sigmoid      binary cross-entropy   accuracy
``regression`` identity     mean squared error     R^2
=============  ===========  =====================  ==================

``delta`` is the gradient of the mean batch loss with respect to the output
layer's pre-activations, written over them in place (no allocation per batch).

>>> import numpy as np
>>> head = make_head("binary", 1)
>>> out = head.output(np.array([[0.0], [2.0]]))
>>> head.score(out, np.array([0.0, 1.0])), round(head.loss(out, np.array([0.0, 1.0])), 4)
(1.0, 0.41)
"""

from __future__ import annotations

import math

import numpy as np

#: Probabilities are clipped to [EPS, 1 - EPS] before the log of a reported loss.
EPS = 1e-12


class Head:
    """What every head shares: ``n_out`` outputs, trained against a column of targets."""

    task = ""

    def __init__(self, n_out: int = 1):
        self.n_out = n_out

    def targets(self, y: np.ndarray, dtype) -> np.ndarray:
        """The training targets of labels or values ``y``: a column."""
        return y.astype(dtype).reshape(-1, 1)


class SoftmaxHead(Head):
    """Multiclass: softmax outputs, cross-entropy on integer labels, accuracy."""

    task = "multiclass"

    def targets(self, y: np.ndarray, dtype) -> np.ndarray:
        """The training targets of labels ``y``: one-hot rows."""
        return np.eye(self.n_out, dtype=dtype)[y]

    def output(self, z: np.ndarray) -> np.ndarray:
        """Class probabilities of logits ``z``."""
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def delta(self, z: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """dLoss/dz of the mean batch loss, over ``z`` in place."""
        b = z.shape[0]
        # Clipping the logits to +-40 keeps exp finite without the per-row
        # max, which costs more than the rest of the softmax at this size;
        # logits that large mean divergence anyway.
        np.clip(z, -40.0, 40.0, out=z)
        np.exp(z, out=z)
        z *= (1.0 / b) / z.sum(axis=1, keepdims=True)
        z -= targets * (1.0 / b)
        return z

    def loss(self, out: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of probabilities ``out`` against labels ``y``."""
        return float(-np.mean(np.log(np.clip(out[np.arange(len(y)), y], EPS, 1.0))))

    def score(self, out: np.ndarray, y: np.ndarray) -> float:
        """Accuracy."""
        return float(np.mean(out.argmax(axis=1) == y))


class SigmoidHead(Head):
    """Binary: one sigmoid output, binary cross-entropy, accuracy at 0.5."""

    task = "binary"

    def output(self, z: np.ndarray) -> np.ndarray:
        """The probability of class 1 (sigmoid written with tanh, which cannot overflow)."""
        return 0.5 * np.tanh(0.5 * z) + 0.5

    def delta(self, z: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """dLoss/dz of the mean batch loss, over ``z`` in place: (sigmoid(z) - t) / b."""
        b = z.shape[0]
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z -= 2.0 * targets
        z *= 0.5 / b
        return z

    def loss(self, out: np.ndarray, y: np.ndarray) -> float:
        """Mean binary cross-entropy of probabilities ``out`` against labels ``y``."""
        p = np.clip(out[:, 0], EPS, 1 - EPS)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def score(self, out: np.ndarray, y: np.ndarray) -> float:
        """Accuracy."""
        return float(np.mean((out[:, 0] > 0.5) == (y > 0.5)))


class IdentityHead(Head):
    """Regression: linear outputs, mean squared error, R^2 (NaN for a constant target)."""

    task = "regression"

    def output(self, z: np.ndarray) -> np.ndarray:
        """The predicted values: ``z`` itself."""
        return z

    def delta(self, z: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """dLoss/dz of the mean batch loss, over ``z`` in place: 2 (z - t) / b."""
        b = z.shape[0]
        z -= targets
        z *= (2.0 / self.n_out) / b
        return z

    def loss(self, out: np.ndarray, y: np.ndarray) -> float:
        """Mean squared error."""
        return float(np.mean((out[:, 0] - y) ** 2))

    def score(self, out: np.ndarray, y: np.ndarray) -> float:
        """The coefficient of determination R^2."""
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - np.sum((out[:, 0] - y) ** 2) / total) if total > 0 else math.nan


HEADS = {head.task: head for head in (SoftmaxHead, SigmoidHead, IdentityHead)}


def make_head(task: str, n_out: int) -> Head:
    """The head of ``task`` (``multiclass``, ``binary`` or ``regression``) with ``n_out`` outputs.

    >>> make_head("regression", 1).task
    'regression'
    """
    return HEADS[task](n_out)
