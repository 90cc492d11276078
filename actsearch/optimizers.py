"""The optimisers of the trainer: in-place updates of one flat parameter buffer.

:meth:`ParameterStep.apply` is what the trainer calls after each batch: weight
decay, frozen layers and gradient clipping, then the optimisers' steps.

Both follow PyTorch's definitions, so a run can be checked against it.

>>> import numpy as np
>>> theta = np.ones(3)
>>> SGD(3, lr=0.1, momentum=0.0, dtype=np.float64).step(theta, np.ones(3))
>>> theta.tolist()
[0.9, 0.9, 0.9]
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for the annotations: networks imports this module
    from .mlp import LearnableParams, MLP
    from .networks import TrainConfig


class Adam:
    """Adam (Kingma & Ba 2015) on a flat buffer, as PyTorch defines it.

    The moments are kept unscaled (m' = m/(1-b1), v' = v/(1-b2)) and the
    scale factors fold into the step size and eps, which saves two passes over
    the buffer per step; the update is the same.
    """

    def __init__(self, size: int, lr: float, dtype=np.float32, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)
        self.tmp = np.empty(size, dtype=dtype)
        self.t = 0

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """Move ``theta`` in place by one Adam step along ``grad``."""
        b1, b2, m, v, tmp = self.b1, self.b2, self.m, self.v, self.tmp
        self.t += 1
        bias2 = math.sqrt(1.0 - b2 ** self.t) / math.sqrt(1.0 - b2)
        m *= b1
        m += grad
        v *= b2
        np.multiply(grad, grad, out=tmp)
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.eps * bias2
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr * (1.0 - b1) / (1.0 - b1 ** self.t) * bias2
        theta -= tmp

    def state(self) -> dict:
        """A copy of the moments and the step count (what a paused run needs to go on)."""
        return {"m": self.m.copy(), "v": self.v.copy(), "t": self.t}

    def load(self, state: dict) -> None:
        """Go on from :meth:`state`'s copy."""
        self.m[:], self.v[:], self.t = state["m"], state["v"], state["t"]


class SGD:
    """SGD with momentum, as PyTorch defines it: buf = momentum*buf + g; theta -= lr*buf."""

    def __init__(self, size: int, lr: float, momentum: float = 0.9, dtype=np.float32):
        self.lr, self.momentum = lr, momentum
        self.buf = np.zeros(size, dtype=dtype)

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """Move ``theta`` in place by one momentum step along ``grad``."""
        self.buf *= self.momentum
        self.buf += grad
        theta -= self.lr * self.buf

    def state(self) -> dict:
        """A copy of the momentum buffer."""
        return {"buf": self.buf.copy()}

    def load(self, state: dict) -> None:
        """Go on from :meth:`state`'s copy."""
        self.buf[:] = state["buf"]


def make_optimizer(config: TrainConfig, size: int, dtype) -> Adam | SGD:
    """The optimiser ``config.optimizer`` names, at ``config.lr``, for a buffer of ``size`` values.

    >>> from actsearch.networks import TrainConfig
    >>> type(make_optimizer(TrainConfig(optimizer="sgd"), 4, np.float32)).__name__
    'SGD'
    """
    if config.optimizer == "adam":
        return Adam(size, config.lr, dtype)
    return SGD(size, config.lr, config.momentum, dtype)


class ParameterStep:
    """One update after each batch's backprop: weight decay, frozen layers, clipping, the optimisers.

    Built once per run, so the per-batch work is the in-place arithmetic alone.
    """

    def __init__(self, config: TrainConfig, net: MLP, learn: LearnableParams | None, dtype):
        self.theta, self.grad, self.clip_norm, self.learn = net.theta, net.grad, config.clip_norm, learn
        self.optimizer = make_optimizer(config, net.theta.size, dtype)
        self.learn_optimizer = None if learn is None else make_optimizer(
            replace(config, lr=config.param_lr or config.lr), learn.values.size, dtype)
        self.decay = (net.weight_mask * config.l2).astype(dtype) if config.l2 > 0 else None
        self.trainable = None
        if config.frozen:
            self.trainable = np.ones_like(net.theta)
            for layer in config.frozen:
                for lo, hi in net.frozen_slices(layer):
                    self.trainable[lo:hi] = 0.0

    def state(self) -> dict:
        """The optimisers' state, copied (see :meth:`Adam.state`)."""
        return {"weights": self.optimizer.state(),
                "learnable": None if self.learn_optimizer is None else self.learn_optimizer.state()}

    def load(self, state: dict) -> None:
        """Go on from :meth:`state`'s copy."""
        self.optimizer.load(state["weights"])
        if self.learn_optimizer is not None:
            self.learn_optimizer.load(state["learnable"])

    def apply(self) -> None:
        """Step the weights (and learnable parameters) along the gradients backprop left."""
        theta, grad = self.theta, self.grad
        if self.decay is not None:
            grad += self.decay * theta
        if self.trainable is not None:
            grad *= self.trainable
        if self.clip_norm is not None:
            norm = math.sqrt(float(np.dot(grad, grad)))
            if norm > self.clip_norm:
                grad *= self.clip_norm / norm
        self.optimizer.step(theta, grad)
        if self.learn is not None:
            self.learn_optimizer.step(self.learn.values, self.learn.grad)
