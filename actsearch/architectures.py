"""The trainer's proxies closer to modern networks: an MLP with a norm before each activation, and a residual MLP.

``TrainConfig(arch, norm)`` picks the network (:mod:`actsearch.networks`);
the plain MLP without norm layers stays :class:`actsearch.mlp.MLP` with its
own backprop, untouched.  Here:

* ``arch="mlp"`` with ``norm``: Linear -> Norm -> f in every hidden layer (the
  norm sits between the weights and the candidate, as in Ramachandran et al.'s
  batch-normalised networks), then the output layer.
* ``arch="resmlp"``: a linear input projection to the width, then one pre-norm
  residual block per hidden layer, ``h <- h + W2 f(W1 norm(h))``, then (with a
  norm) a final norm, then the output layer: the structure of the torch
  backend's ``resmlp`` model (:mod:`actsearch.torch_backend.models`).
  ``hidden=(32, 32, 32)`` is width 32 and 3 blocks; the widths must be equal.
  With ``norm=None`` there are no norm layers at all.

Hidden layer ``l`` is the activation of layer (or block) ``l``: its
activation program and learnable parameters, and ``frozen`` (see
:meth:`ProxyNet.frozen_slices`); ``Trainer.fit``'s ``start`` weights index
:attr:`ProxyNet.W`, the linear layers in order.  Every linear layer keeps its
bias folded as the last row of its weight matrix, against a column of ones, as
in the MLP.
Norm layers' ``gamma``/``beta`` follow the linear layers in the same flat
parameter buffer; BatchNorm's running statistics are in ``stats``
(:mod:`actsearch.normalization`).

>>> net = ProxyNet(2, (3, 3), 1, "resmlp", "layer", np.float32)
>>> [w.shape for w in net.W], net.theta.size, net.stats is None
([(3, 3), (4, 3), (4, 3), (4, 3), (4, 3), (4, 1)], 79, True)
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .initialisation import InitRule, init_rule, initialise_gains
from .mlp import MLP
from .normalization import make_norm

ARCHS = ("mlp", "resmlp")
NORMS = (None, "batch", "layer")


def architecture_checks(arch: str, norm: str | None, hidden: tuple[int, ...]) -> list[tuple[bool, str, str]]:
    """``(ok, setting, expected)`` of ``TrainConfig``'s ``arch``, ``norm`` and, for resmlp, ``hidden``.

    >>> [name for ok, name, _ in architecture_checks("resmlp", "layer", (8, 4)) if not ok]
    ['hidden']
    """
    return [(arch in ARCHS, "arch", "'mlp' or 'resmlp'"), (norm in NORMS, "norm", "None, 'batch' or 'layer'"),
            (arch != "resmlp" or len(set(hidden)) == 1, "hidden",
             "equal sizes with arch='resmlp' (the width of its residual blocks, one block per size)")]


class ProxyNet:
    """The weights, norm parameters and running statistics of a norm MLP or a residual MLP, in flat buffers.

    ``W`` are the linear layers in order (resmlp: the input projection, then
    ``W1``, ``W2`` of each block, then the output layer), ``G`` their gradient
    views, ``norms`` the norm layers (resmlp: one per block, then the final
    one), ``theta``/``grad`` the flat buffers, ``stats`` BatchNorm's running
    means and variances (None without BatchNorm).
    """

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, arch: str, norm: str | None, dtype):
        self.arch, self.norm, self.hidden = arch, norm, tuple(hidden)
        n = len(hidden)
        if arch == "resmlp":
            w = hidden[0]
            shapes = [(n_in + 1, w)] + [(w + 1, w)] * (2 * n) + [(w + 1, n_out)]
            norm_sizes = [w] * (n + 1) if norm else []
        else:
            sizes = (n_in, *hidden, n_out)
            shapes = [(a + 1, b) for a, b in zip(sizes[:-1], sizes[1:])]
            norm_sizes = list(hidden) if norm else []
        total = sum(a * b for a, b in shapes) + 2 * sum(norm_sizes)
        self.theta = np.zeros(total, dtype=dtype)
        self.grad = np.zeros(total, dtype=dtype)
        self.weight_mask = np.zeros(total, dtype=dtype)  # 1 on weights; 0 on biases, gammas and betas
        self.W, self.G, self.offsets = [], [], []
        offset = 0
        for a, b in shapes:
            self.offsets.append(offset)
            self.W.append(self.theta[offset:offset + a * b].reshape(a, b))
            self.G.append(self.grad[offset:offset + a * b].reshape(a, b))
            self.weight_mask[offset:offset + (a - 1) * b] = 1.0
            offset += a * b
        self.stats = np.zeros(2 * sum(norm_sizes), dtype=dtype) if norm == "batch" else None
        self.norms, self.norm_offsets, stat = [], [], 0
        for size in norm_sizes:
            views = [buf[offset + k * size:offset + (k + 1) * size] for buf in (self.theta, self.grad) for k in (0, 1)]
            running = (self.stats[stat:stat + size], self.stats[stat + size:stat + 2 * size]) \
                if norm == "batch" else (None, None)
            self.norms.append(make_norm(norm, views[0], views[1], views[2], views[3], *running))
            self.norm_offsets.append(offset)
            offset += 2 * size
            stat += 2 * size if norm == "batch" else 0
        self.reset_stats()

    def reset_stats(self) -> None:
        """BatchNorm's running statistics as PyTorch starts them: mean 0, variance 1.

        >>> net = ProxyNet(2, (3,), 1, "mlp", "batch", np.float64)
        >>> net.stats[:] = 5.0; net.reset_stats(); net.stats.tolist()   # three means, then three variances
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
        """
        for norm in self.norms:
            if getattr(norm, "running_var", None) is not None:
                norm.running_mean[:] = 0.0
                norm.running_var[:] = 1.0

    def layer_gains(self, rules: list[InitRule]) -> list[float | None]:
        """Each linear layer's gain g of N(0, g^2/fan_in) (None: Glorot uniform); ``rules[l]`` is hidden layer
        ``l``'s activation's rule.

        A layer follows the rule of the activation it feeds or is fed by, as in the MLP (norm MLP: layer 0
        the first activation's, layer ``l`` the rule of activation ``l - 1`` that feeds it; resmlp: the input
        projection block 0's, W1 and W2 of block ``l`` activation ``l``'s, the output layer the last one's).
        ``auto``: ``first_gain`` (the target scale s) for a layer fed by unit-variance numbers (the
        standardised inputs, a normalised stream), the activation's ``gain`` for a layer fed by f (W2 of a
        block, a layer after the first in the norm MLP).  Without norms a residual stream's variance grows by
        s^2 per block (each branch adds an independent N(0, s^2) at initialisation), so a layer that reads
        the stream before block ``l``'s addition gets 1/sqrt(1 + l) and its output is again N(0, s^2).
        ``he``: sqrt(2) for every layer but the output layer; ``xavier`` (or auto's fallback): Glorot.

        >>> net = ProxyNet(2, (3, 3), 1, "resmlp", None, np.float64)   # no norms: W1 of block l gets 1/sqrt(1 + l)
        >>> [round(g, 3) for g in net.layer_gains([InitRule("auto", gain=2.0, first_gain=1.0)] * 2)]
        [1.0, 1.0, 2.0, 0.707, 2.0, 0.577]
        """
        last, n = len(self.W) - 1, len(self.hidden)
        if self.arch == "mlp":
            governing = [rules[max(i - 1, 0)] for i in range(last + 1)]
            auto = [rules[0].first_gain] + [rules[i - 1].gain for i in range(1, last + 1)]
        else:
            governing = [rules[0]] + [rules[i // 2] for i in range(2 * n)] + [rules[n - 1]]
            stream = [r.first_gain if self.norm else 1.0 / math.sqrt(1 + l) for l, r in enumerate([*rules, rules[-1]])]
            auto = [rules[0].first_gain] + [g for l in range(n) for g in (stream[l], rules[l].gain)] + [stream[n]]
        gains = []
        for i, rule in enumerate(governing):
            gains.append(auto[i] if rule.name == "auto" else rule.gain if rule.name == "he" and i < last else None)
        return gains

    def initialise(self, rng: np.random.Generator, rule: InitRule | list[InitRule] | str) -> None:
        """Draw the weights by ``rule`` (one per hidden layer, or one for all; see :meth:`layer_gains`), zero
        the biases and betas, set the gammas, reset the running statistics.  The gammas start at 1, except
        before the activation in the norm MLP under ``auto``, where they start at the target scale s, so
        the activation sees N(0, s^2) as the rule intends.

        >>> net = ProxyNet(2, (3,), 1, "mlp", "layer", np.float64)
        >>> net.initialise(np.random.default_rng(0), "he")
        >>> bool(net.W[0][:-1].all()), bool(net.W[0][-1].any()), net.norms[0].gamma.tolist()   # weights, biases
        (True, False, [1.0, 1.0, 1.0])
        """
        if isinstance(rule, str):
            rule = init_rule(None, rule)
        rules = list(rule) if isinstance(rule, (list, tuple)) else [rule] * len(self.hidden)
        initialise_gains(self.W, rng, self.layer_gains(rules))
        for l, norm in enumerate(self.norms):
            auto = self.arch == "mlp" and rules[l].name == "auto"
            norm.gamma[:] = rules[l].first_gain if auto else 1.0
            norm.beta[:] = 0.0
        self.reset_stats()

    def frozen_slices(self, layer: int) -> list[tuple[int, int]]:
        """The ranges of ``theta`` that ``TrainConfig.frozen`` index ``layer`` keeps at their starting values.

        Norm MLP: layer ``l``'s weights and the norm after them (``len(hidden)``: the output layer).
        resmlp: block ``l``'s norm, W1 and W2, and for block 0 also the input projection;
        ``len(hidden)``: the final norm and the output layer.

        >>> net = ProxyNet(2, (3, 3), 1, "mlp", "layer", np.float64)   # W sizes 9, 12, 4; then 2 * 3 per norm
        >>> net.frozen_slices(0), net.frozen_slices(2)
        ([(0, 9), (25, 31)], [(21, 25)])
        """
        n = len(self.hidden)
        if self.arch == "mlp":
            linears, norms = [layer], [layer] if layer < n and self.norms else []
        elif layer < n:
            linears, norms = ([0] if layer == 0 else []) + [1 + 2 * layer, 2 + 2 * layer], [layer] if self.norms \
                else []
        else:
            linears, norms = [len(self.W) - 1], [n] if self.norms else []
        spans = [(self.offsets[i], self.offsets[i] + self.W[i].size) for i in linears]
        return spans + [(self.norm_offsets[i], self.norm_offsets[i] + 2 * self.norms[i].gamma.size) for i in norms]


def make_network(n_in: int, config, n_out: int, dtype) -> MLP | ProxyNet:
    """The untrained (all-zero) network of ``config`` (a ``TrainConfig``): its ``arch``, ``norm`` and ``hidden``.

    >>> from actsearch.networks import TrainConfig
    >>> type(make_network(2, TrainConfig(hidden=(4,)), 1, np.float32)).__name__
    'MLP'
    """
    if config.arch == "mlp" and config.norm is None:
        return MLP(n_in, config.hidden, n_out, dtype)
    return ProxyNet(n_in, config.hidden, n_out, config.arch, config.norm, dtype)


def _act(program, z, params, learn: bool):
    """``(a, d, state)`` of one activation program: value, f'(z), and its reverse-mode state if learning."""
    if not learn:
        a, d = program(z, params)
        return a, d, None
    (a, d), state = program.forward(z, params)
    return a, d, state


class ProxyBackprop:
    """The gradient of the mean batch loss of a :class:`ProxyNet`, the counterpart of
    :class:`actsearch.backprop.Backprop`: ``acts[l]`` is hidden layer ``l``'s training program."""

    def __init__(self, acts: list, learn, head, layer_params: Callable[[int], dict], dtype, hidden, dropout: float):
        self.acts, self.learn, self.head, self.layer_params = acts, learn, head, layer_params
        self.dtype, self.hidden, self.dropout = dtype, tuple(hidden), dropout

    def _activate(self, layer: int, z: np.ndarray, rng, states: list, masks: list) -> tuple[np.ndarray, np.ndarray]:
        """Hidden layer ``layer``'s activation and f'(z) of ``z``, with dropout; keeps its state and mask."""
        a, d, state = _act(self.acts[layer], z, self.layer_params(layer), self.learn is not None)
        states.append(state)
        keep, mask = 1.0 - self.dropout, None
        if keep < 1.0 and rng is not None:
            mask = (rng.random(a.shape, dtype=self.dtype) < keep) * np.asarray(1.0 / keep, self.dtype)
            a, d = a * mask, d * mask
        masks.append(mask)
        return a, d

    def _learn_grads(self, layer: int, states: list, masks: list, upstream: np.ndarray) -> None:
        """Add hidden layer ``layer``'s learnable parameters' gradients, from dLoss/d(its activation output)."""
        learn = self.learn
        if learn is None or not learn.layer_names[layer]:  # a per-layer candidate's layer may learn nothing
            return
        mask = masks[layer]
        grads = self.acts[layer].vjp(states[layer], upstream if mask is None else upstream * mask)
        for name, g_elementwise in zip(learn.layer_names[layer], grads):
            g = learn.grad_views[layer][name]
            g += g_elementwise.sum(axis=0 if g.ndim else None)

    def _buffers(self, buffers: dict | None, b: int, count: int, width) -> list[np.ndarray]:
        """``count`` arrays of ``b`` rows with a last column of ones, kept in ``buffers`` between batches."""
        buffers = {} if buffers is None else buffers
        found = buffers.get(b)
        if found is None:
            widths = width if isinstance(width, (list, tuple)) else [width] * count
            found = buffers[b] = [np.ones((b, w + 1), dtype=self.dtype) for w in widths]
        return found

    def gradient(self, net: ProxyNet, H: np.ndarray, Tb: np.ndarray, rng: np.random.Generator | None = None,
                 buffers: dict | None = None) -> None:
        """Gradient of the mean batch loss into ``net.grad`` (and ``learn.grad``); BatchNorm in training mode
        (batch statistics, running statistics moved).  Arguments as :meth:`actsearch.backprop.Backprop.gradient`."""
        if self.learn is not None:
            self.learn.grad[:] = 0.0
        if net.arch == "resmlp":
            self._resmlp(net, H, Tb, rng, buffers)
        else:
            self._norm_mlp(net, H, Tb, rng, buffers)

    def _norm_mlp(self, net: ProxyNet, H, Tb, rng, buffers) -> None:
        """Linear -> Norm -> f per hidden layer, then the output layer; forward and backward."""
        W, G, norms = net.W, net.G, net.norms
        L = len(W) - 1
        Hs = self._buffers(buffers, H.shape[0], L, list(self.hidden))
        inputs, derivs, caches, states, masks = [H], [], [], [], []
        for layer in range(L):
            zn, cache = norms[layer].forward(np.dot(H, W[layer]))
            a, d = self._activate(layer, zn, rng, states, masks)
            H = Hs[layer]
            H[:, :-1] = a
            inputs.append(H)
            derivs.append(d)
            caches.append(cache)
        delta = self.head.delta(np.dot(H, W[L]), Tb)
        for layer in range(L, 0, -1):
            np.dot(inputs[layer].T, delta, out=G[layer])
            upstream = np.dot(delta, W[layer][:-1].T)
            self._learn_grads(layer - 1, states, masks, upstream)
            delta = norms[layer - 1].backward(upstream * derivs[layer - 1], caches[layer - 1])
        np.dot(inputs[0].T, delta, out=G[0])

    def _resmlp(self, net: ProxyNet, H, Tb, rng, buffers) -> None:
        """Input projection, pre-norm residual blocks, final norm, output layer; forward and backward."""
        W, G, norms = net.W, net.G, net.norms
        n = len(self.hidden)
        bufs = self._buffers(buffers, H.shape[0], 2 * n + 1, self.hidden[0])
        Us, As, V = bufs[:n], bufs[n:2 * n], bufs[2 * n]
        h = np.dot(H, W[0])
        derivs, caches, states, masks = [], [], [], []
        for l in range(n):
            if norms:
                Us[l][:, :-1], cache = norms[l].forward(h)
                caches.append(cache)
            else:
                Us[l][:, :-1] = h
            a, d = self._activate(l, np.dot(Us[l], W[1 + 2 * l]), rng, states, masks)
            As[l][:, :-1] = a
            derivs.append(d)
            h = h + np.dot(As[l], W[2 + 2 * l])
        if norms:
            V[:, :-1], final = norms[n].forward(h)
        else:
            V[:, :-1] = h
        delta = self.head.delta(np.dot(V, W[-1]), Tb)
        np.dot(V.T, delta, out=G[-1])
        dh = np.dot(delta, W[-1][:-1].T)  # dLoss/d(stream after the last block)
        if norms:
            dh = norms[n].backward(dh, final)
        for l in range(n - 1, -1, -1):
            np.dot(As[l].T, dh, out=G[2 + 2 * l])
            upstream = np.dot(dh, W[2 + 2 * l][:-1].T)
            self._learn_grads(l, states, masks, upstream)
            dz = upstream * derivs[l]
            np.dot(Us[l].T, dz, out=G[1 + 2 * l])
            du = np.dot(dz, W[1 + 2 * l][:-1].T)
            dh = dh + (norms[l].backward(du, caches[l]) if norms else du)
        np.dot(H.T, dh, out=G[0])


def _peak(a: np.ndarray) -> float:
    """max |a| (inf if any is NaN; 0 for an empty array)."""
    peak = float(np.max(np.abs(a))) if a.size else 0.0
    return peak if peak == peak else math.inf


def proxy_forward(net: ProxyNet, X_ext: np.ndarray, programs: list, layer_params: Callable[[int], dict],
                  train: bool = False, flow: list | None = None) -> tuple[np.ndarray, float]:
    """``(z, peak)``: the output layer's pre-activations for ``X_ext`` (with its column of ones), and the
    largest |hidden activation| (for resmlp also |stream|).  ``programs[l]`` returns f(z) first (and f'(z)
    second when ``flow`` is a list, which then gets mean |f'(z)| per hidden layer).  ``train``: BatchNorm
    normalises by the batch's statistics (without moving the running ones), else by the running ones.

    >>> from actsearch.expression import parse
    >>> net = ProxyNet(2, (4, 4), 1, "resmlp", None, np.float64)
    >>> identity = parse("x").compile(())
    >>> proxy_forward(net, np.ones((3, 3)), [identity] * 2, lambda layer: {})[0].shape   # all-zero weights
    (3, 1)
    """
    dt = X_ext.dtype
    norms, W, peak = net.norms, net.W, 0.0

    def act(layer, z):
        out = programs[layer](z, layer_params(layer))
        if flow is not None:
            flow.append(float(np.mean(np.abs(out[1]))))
        return out[0]

    def ones(x):
        out = np.ones((x.shape[0], x.shape[1] + 1), dtype=dt)
        out[:, :-1] = x
        return out
    if net.arch == "mlp":
        H = X_ext
        for layer in range(len(W) - 1):
            a = act(layer, norms[layer].forward(H @ W[layer], train, False)[0])
            peak = max(peak, _peak(a))
            H = ones(a)
        return H @ W[-1], peak
    h = X_ext @ W[0]
    for l in range(len(net.hidden)):
        u = norms[l].forward(h, train, False)[0] if norms else h
        a = act(l, ones(u) @ W[1 + 2 * l])
        peak = max(peak, _peak(a))
        h = h + ones(a) @ W[2 + 2 * l]
    v = norms[-1].forward(h, train, False)[0] if norms else h
    return ones(v) @ W[-1], max(peak, _peak(h))
