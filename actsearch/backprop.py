"""Backpropagation through the trainer's MLP: the gradient of the mean batch loss.

The forward pass keeps each layer's input, f'(z) and (for learnable
activation parameters) the compiled activation's reverse-mode state; the
output layer's gradient comes from the task's head
(:meth:`actsearch.heads.Head.delta`); the backward pass writes every
layer's gradient into the network's flat gradient buffer.  The hidden
activations' arrays are reused between batches of one size (``buffers``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .mlp import MLP, LearnableParams


class Backprop:
    """The gradient of the mean batch loss of an :class:`MLP` with activation ``acts[l]`` in hidden layer ``l``.

    ``acts`` are the training programs of the hidden layers' activations
    (value and f'(z); with ``forward``/``vjp`` when ``learn`` holds learnable
    parameters: layer ``l``'s program is reverse-compiled for
    ``learn.layer_names[l]``, in that order),
    ``layer_params(layer)`` the parameter values of a hidden layer, ``head``
    the task's output layer.  ``dropout`` is the fraction of hidden units
    dropped in training.
    """

    def __init__(self, acts: list, learn: LearnableParams | None, head, layer_params: Callable[[int], dict], dtype,
                 hidden: tuple[int, ...], dropout: float):
        self.acts, self.learn, self.head, self.layer_params = acts, learn, head, layer_params
        self.dtype, self.hidden, self.dropout = dtype, hidden, dropout

    def gradient(self, net: MLP, H: np.ndarray, Tb: np.ndarray, rng: np.random.Generator | None = None,
                 buffers: dict | None = None) -> None:
        """Gradient of the mean batch loss, written into ``net.grad`` (and ``learn.grad``).

        ``H`` is the batch with its column of ones, ``Tb`` its training
        targets (``head.targets``: one-hot for multiclass).  Dropout applies
        when ``dropout`` > 0 and ``rng`` is given.  ``buffers`` keeps the
        hidden activations' arrays between calls, by batch size.  One
        method, forward and backward: at batch 32 on a small network every
        call per batch shows.
        """
        dt, acts, keep, learn = self.dtype, self.acts, 1.0 - self.dropout, self.learn
        W, G = net.W, net.G
        L = len(W) - 1
        buffers = {} if buffers is None else buffers
        b = H.shape[0]
        Hs = buffers.get(b)
        if Hs is None:
            Hs = buffers[b] = [np.ones((b, h + 1), dtype=dt) for h in self.hidden]
        inputs, derivs, states, masks = [H], [], [], []
        for layer in range(L):
            z = np.dot(H, W[layer])
            if learn is None:
                a, d = acts[layer](z, self.layer_params(layer))
            else:
                (a, d), state = acts[layer].forward(z, self.layer_params(layer))
                states.append(state)
            mask = None
            if keep < 1.0 and rng is not None:
                mask = (rng.random(a.shape, dtype=dt) < keep) * np.asarray(1.0 / keep, dt)
                a = a * mask
                d = d * mask
            masks.append(mask)
            H = Hs[layer]
            H[:, :-1] = a
            inputs.append(H)
            derivs.append(d)
        delta = self.head.delta(np.dot(H, W[L]), Tb)  # dLoss/dz of the output layer
        if learn is not None:
            learn.grad[:] = 0.0
        for layer in range(L, 0, -1):
            # np.dot: less call overhead than matmul at these small sizes.
            np.dot(inputs[layer].T, delta, out=G[layer])
            if learn is None:
                delta = np.dot(delta, W[layer][:-1].T) * derivs[layer - 1]
                continue
            upstream = np.dot(delta, W[layer][:-1].T)  # dLoss/d(activation output)
            names = learn.layer_names[layer - 1]
            if names:  # a per-layer candidate's layer may learn nothing
                mask = masks[layer - 1]
                grads = acts[layer - 1].vjp(states[layer - 1], upstream if mask is None else upstream * mask)
                for name, g_elementwise in zip(names, grads):
                    g = learn.grad_views[layer - 1][name]
                    g += g_elementwise.sum(axis=0 if g.ndim else None)
            delta = upstream * derivs[layer - 1]
        np.dot(inputs[0].T, delta, out=G[0])
