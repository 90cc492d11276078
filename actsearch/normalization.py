"""Batch and layer normalisation in NumPy, with their backward passes, over views of the trainer's buffers.

A norm layer owns no arrays: its learnable ``gamma`` and ``beta`` are views of
the network's flat parameter buffer (and their gradients views of its flat
gradient buffer), so the optimiser, early stopping and checkpoints handle them
as they handle the weights; BatchNorm's running mean and variance are views of
the network's flat statistics buffer (``stats``), which is not trained but is
saved and restored with the weights.

Both follow PyTorch's definitions (``torch.nn.BatchNorm1d``, ``torch.nn.LayerNorm``,
eps 1e-5): y = (x - mean) / sqrt(var + eps) * gamma + beta, with the biased
variance of the batch (BatchNorm, over the rows) or of the row (LayerNorm,
over the features).  In training BatchNorm also moves its running statistics,
``running = (1 - momentum) * running + momentum * batch`` with momentum 0.1
and the *unbiased* batch variance, as PyTorch does; in evaluation it
normalises with the running statistics instead of the batch's.  A training
batch of one row leaves the running statistics as they were (its unbiased
variance is undefined; PyTorch refuses such a batch).

>>> import numpy as np
>>> p, g = np.array([1.0, 1.0, 0.0, 0.0]), np.zeros(4)
>>> ln = LayerNorm(p[:2], p[2:], g[:2], g[2:])
>>> y, cache = ln.forward(np.array([[1.0, 3.0]]))
>>> np.round(y, 4).tolist()
[[-1.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

#: PyTorch's defaults for both layers.
EPS = 1e-5
MOMENTUM = 0.1


def standardised(x: np.ndarray, eps: float, axis: int) -> tuple:
    """``(xhat, 1/sqrt(var + eps), mean, var)`` of ``x`` along ``axis`` (kept as a length-1 axis), with
    the biased variance: the forward pass both norms share.

    >>> np.round(standardised(np.array([[1.0, 3.0]]), 0.0, axis=1)[0], 4).tolist()
    [[-1.0, 1.0]]
    """
    mu = x.mean(axis=axis, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=axis, keepdims=True)
    inv = 1.0 / np.sqrt(var + np.asarray(eps, x.dtype))
    return xc * inv, inv, mu, var


def norm_backward(norm, dy: np.ndarray, cache: tuple, axis: int) -> np.ndarray:
    """dLoss/dx of a norm layer that standardised along ``axis``, from dLoss/dy and its forward's
    ``(xhat, inv)``; writes ``norm.d_gamma`` and ``norm.d_beta`` (summed over the rows).

    >>> ln = LayerNorm(np.ones(2), np.zeros(2), np.zeros(2), np.zeros(2))
    >>> y, cache = ln.forward(np.array([[1.0, 3.0]]))
    >>> norm_backward(ln, np.ones((1, 2)), cache, axis=1).tolist(), ln.d_beta.tolist()
    ([[0.0, 0.0]], [1.0, 1.0])
    """
    xhat, inv = cache
    norm.d_gamma[:] = np.sum(dy * xhat, axis=0)
    norm.d_beta[:] = np.sum(dy, axis=0)
    g = dy * norm.gamma
    return inv * (g - g.mean(axis=axis, keepdims=True) - xhat * np.mean(g * xhat, axis=axis, keepdims=True))


class LayerNorm:
    """Layer normalisation over the features of each row (Ba et al. 2016); the same in training and evaluation.

    ``gamma``, ``beta`` are the learnable scale and shift (views), ``d_gamma``,
    ``d_beta`` where :meth:`backward` writes their gradients.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, d_gamma: np.ndarray, d_beta: np.ndarray,
                 eps: float = EPS):
        self.gamma, self.beta, self.d_gamma, self.d_beta, self.eps = gamma, beta, d_gamma, d_beta, eps

    def forward(self, x: np.ndarray, train: bool = True, update: bool = True) -> tuple[np.ndarray, tuple]:
        """``(y, cache)``: the normalised rows, and what :meth:`backward` needs (``train``/``update``: unused).

        >>> ln = LayerNorm(np.full(2, 2.0), np.full(2, 0.5), np.zeros(2), np.zeros(2))
        >>> np.round(ln.forward(np.array([[1.0, 3.0], [0.0, -4.0]]))[0], 4).tolist()   # 2 * xhat + 0.5, per row
        [[-1.5, 2.5], [2.5, -1.5]]
        """
        xhat, inv = standardised(x, self.eps, axis=1)[:2]
        return xhat * self.gamma + self.beta, (xhat, inv)

    def backward(self, dy: np.ndarray, cache: tuple) -> np.ndarray:
        """dLoss/dx from dLoss/dy; writes dLoss/dgamma and dLoss/dbeta (summed over the rows).

        >>> ln = LayerNorm(np.ones(3), np.zeros(3), np.zeros(3), np.zeros(3))
        >>> y, cache = ln.forward(np.array([[0.0, 1.0, 2.0]]))
        >>> np.round(ln.backward(np.array([[1.0, 0.0, 0.0]]), cache), 4).tolist(), ln.d_beta.tolist()
        ([[0.2041, -0.4082, 0.2041]], [1.0, 0.0, 0.0])
        """
        return norm_backward(self, dy, cache, axis=1)


class BatchNorm:
    """Batch normalisation over the rows of a batch (Ioffe & Szegedy 2015), with running statistics.

    ``running_mean``, ``running_var`` are views of the network's statistics
    buffer (start: 0 and 1); the rest as :class:`LayerNorm`.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, d_gamma: np.ndarray, d_beta: np.ndarray,
                 running_mean: np.ndarray, running_var: np.ndarray, eps: float = EPS, momentum: float = MOMENTUM):
        self.gamma, self.beta, self.d_gamma, self.d_beta, self.eps = gamma, beta, d_gamma, d_beta, eps
        self.running_mean, self.running_var, self.momentum = running_mean, running_var, momentum

    def forward(self, x: np.ndarray, train: bool = True, update: bool = True) -> tuple[np.ndarray, tuple]:
        """``(y, cache)``.  ``train``: normalise by the batch's statistics, and with ``update`` move the running
        ones; otherwise (evaluation) by the running statistics, and the cache is None.

        >>> bn = BatchNorm(np.ones(1), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1))
        >>> y, cache = bn.forward(np.array([[1.0], [3.0]]))   # running: 0.9 * (0, 1) + 0.1 * (mean 2, unbiased var 2)
        >>> np.round(y, 4).ravel().tolist(), bn.running_mean.tolist(), bn.running_var.tolist()
        ([-1.0, 1.0], [0.2], [1.1])
        """
        dt = x.dtype
        if not train:
            inv = 1.0 / np.sqrt(self.running_var + np.asarray(self.eps, dt))
            return (x - self.running_mean) * (inv * self.gamma) + self.beta, None
        b = x.shape[0]
        xhat, inv, mu, var = standardised(x, self.eps, axis=0)
        if update and b > 1:
            m = np.asarray(self.momentum, dt)
            keep = np.asarray(1.0 - self.momentum, dt)
            self.running_mean *= keep
            self.running_mean += m * mu[0]
            self.running_var *= keep
            self.running_var += (m * np.asarray(b / (b - 1), dt)) * var[0]
        return xhat * self.gamma + self.beta, (xhat, inv)

    def backward(self, dy: np.ndarray, cache: tuple) -> np.ndarray:
        """dLoss/dx from dLoss/dy of a training forward pass; writes dLoss/dgamma and dLoss/dbeta.

        >>> bn = BatchNorm(np.ones(1), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1))
        >>> y, cache = bn.forward(np.array([[0.0], [1.0], [2.0]]))
        >>> np.round(bn.backward(np.array([[1.0], [0.0], [0.0]]), cache), 4).ravel().tolist(), bn.d_beta.tolist()
        ([0.2041, -0.4082, 0.2041], [1.0])
        """
        return norm_backward(self, dy, cache, axis=0)


def make_norm(kind: str, gamma, beta, d_gamma, d_beta, running_mean=None, running_var=None):
    """The norm layer ``kind`` (``batch`` or ``layer``) over the given views.

    >>> import numpy as np
    >>> type(make_norm("layer", *[np.zeros(2)] * 4)).__name__
    'LayerNorm'
    """
    if kind == "batch":
        return BatchNorm(gamma, beta, d_gamma, d_beta, running_mean, running_var)
    if kind == "layer":
        return LayerNorm(gamma, beta, d_gamma, d_beta)
    raise ValueError(f"unknown norm {kind!r}: expected 'batch' or 'layer'")
