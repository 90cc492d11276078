"""The network the trainer trains: an MLP over one flat buffer, and the learnable activation parameters.

All weights and biases live in one flat buffer (and so do their gradients
and the optimiser's state), so an optimiser step is a few in-place calls on
the whole buffer rather than a loop over layers.  Each bias is folded into
its weight matrix as a last row, against a column of ones kept in the
activation buffers (:func:`with_ones`), which saves an add in the forward
pass and a sum in the backward pass.

>>> net = MLP(2, (3,), 1)
>>> [w.shape for w in net.W], net.theta.size
([(3, 3), (4, 1)], 13)
"""

from __future__ import annotations

import numpy as np

from .initialisation import InitRule, init_rule, initialise


class MLP:
    """A multilayer perceptron over one flat parameter buffer.

    Layer ``l`` is the view ``W[l]`` of shape ``(fan_in + 1, fan_out)``: the
    last row is the bias.
    """

    #: running statistics trained alongside (the norm layers' of :class:`actsearch.architectures.ProxyNet`): none
    stats = None

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, dtype=np.float32):
        self.sizes = (n_in, *hidden, n_out)
        shapes = [(a + 1, b) for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        total = sum(a * b for a, b in shapes)
        self.theta = np.zeros(total, dtype=dtype)
        self.grad = np.zeros(total, dtype=dtype)
        self.weight_mask = np.zeros(total, dtype=dtype)  # 1 on weights, 0 on biases
        self.W, self.G, self.offsets = [], [], []
        offset = 0
        for a, b in shapes:
            n = a * b
            self.offsets.append(offset)
            self.W.append(self.theta[offset:offset + n].reshape(a, b))
            self.G.append(self.grad[offset:offset + n].reshape(a, b))
            self.weight_mask[offset:offset + (a - 1) * b] = 1.0
            offset += n

    def initialise(self, rng: np.random.Generator, rule: InitRule | str) -> None:
        """Draw the weights by ``rule`` (see :func:`actsearch.initialisation.initialise`); zero biases.

        ``"he"`` and ``"xavier"`` may be given by name; ``auto`` depends on the
        activation, so it comes as the :class:`InitRule` of one.
        """
        if isinstance(rule, str):
            if rule == "auto":
                raise ValueError("the auto rule depends on the activation: pass init_rule(expr, 'auto')")
            rule = init_rule(None, rule)
        initialise(self.W, rng, rule)

    def frozen_slices(self, layer: int) -> list[tuple[int, int]]:
        """The range of ``theta`` that ``TrainConfig.frozen`` index ``layer`` keeps: that layer's weights.

        >>> MLP(2, (3,), 1).frozen_slices(1)
        [(9, 13)]
        """
        return [(self.offsets[layer], self.offsets[layer] + self.W[layer].size)]


def with_ones(X: np.ndarray, dtype) -> np.ndarray:
    """``X`` with a column of ones appended, the layout the folded biases expect.

    >>> with_ones(np.zeros((2, 1)), np.float32).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
    """
    out = np.ones((X.shape[0], X.shape[1] + 1), dtype=dtype)
    out[:, :-1] = X
    return out


def learnable_names(params, wanted) -> list[str]:
    """The parameters of ``params`` that ``wanted`` makes learnable (``beta`` matches ``beta_u1``).

    >>> learnable_names({"beta_u1": 1.0, "alpha": 0.5}, ("beta",))
    ['beta_u1']
    """
    return [p for p in params if any(p == n or p.startswith(n + "_") for n in wanted)]


def layer_learnables(layer_exprs, config) -> tuple[list[list[str]], dict[str, str]]:
    """What each hidden layer learns, and each name's granularity: the names ``config.learnable``
    matches at ``config.granularity``, and a learnable family's coefficients (always trained) at
    ``config.family_granularity``.

    >>> from actsearch.expression import parse
    >>> from actsearch.networks import TrainConfig
    >>> layer_learnables([parse("apl1(beta*x)")], TrainConfig(hidden=(4,), learnable=("beta",)))
    ([['beta', 'apl1_a1', 'apl1_b1']], {'beta': 'network', 'apl1_a1': 'neuron', 'apl1_b1': 'neuron'})
    """
    names = [list(dict.fromkeys([*learnable_names(e.params, config.learnable), *e.learnable_family]))
             for e in layer_exprs]
    family = {n for e in layer_exprs for n in e.learnable_family}
    granularity = {n: config.family_granularity if n in family else config.granularity for ns in names for n in ns}
    return names, granularity


class LearnableParams:
    """Learnable activation parameters in one flat buffer, shared or per layer or neuron.

    ``names`` lists what each hidden layer learns: one list of names for
    every layer, or a list per layer (a per-layer candidate's layers learn
    different parameters).  A name is one parameter of the candidate: at
    ``network`` granularity every layer that uses it shares one value.
    ``granularity`` is one word for every name, or a mapping from name to
    word (learnable families are per neuron while ``beta`` is per network).
    ``views[l][name]`` is the value that layer ``l`` uses: a 0-d view (one per
    network, or one per layer) or a vector over the layer's neurons;
    ``grad_views`` mirror them in the gradient buffer.

    >>> learn = LearnableParams([["beta"], ["beta", "alpha"]], {"beta": 1.0, "alpha": 0.5}, (3, 4),
    ...                         {"beta": "network", "alpha": "neuron"}, np.float64)
    >>> learn.reset(); learn.values.size, learn.layer_names, learn.learned()
    (5, [['beta'], ['beta', 'alpha']], {'beta': [1.0, 1.0], 'alpha': [0.5]})
    """

    def __init__(self, names, initial: dict[str, float], hidden: tuple[int, ...], granularity, dtype):
        if not names or isinstance(names[0], str):
            names = [list(names) for _ in hidden]
        self.layer_names: list[list[str]] = [list(n) for n in names]
        # name-major, then layer: the buffer of a uniform candidate is laid out as it always was
        self.names = list(dict.fromkeys(n for layer in self.layer_names for n in layer))
        self.initial = initial
        self.granularity = {n: granularity if isinstance(granularity, str) else granularity[n] for n in self.names}
        slots: dict[tuple[str, int], tuple[int, int]] = {}
        offset = 0
        for name in self.names:
            users = [layer for layer, used in enumerate(self.layer_names) if name in used]
            kind = self.granularity[name]
            for layer in users:
                if kind == "network" and layer != users[0]:
                    slots[name, layer] = slots[name, users[0]]
                    continue
                n = hidden[layer] if kind == "neuron" else 1
                slots[name, layer] = (offset, n)
                offset += n
        self.values = np.zeros(offset, dtype=dtype)
        self.grad = np.zeros(offset, dtype=dtype)
        self.start = np.zeros(offset, dtype=dtype)
        self.views: list[dict] = [{} for _ in hidden]
        self.grad_views: list[dict] = [{} for _ in hidden]
        for (name, layer), (lo, n) in slots.items():
            self.start[lo:lo + n] = initial[name]
            shape = (n,) if self.granularity[name] == "neuron" else ()
            self.views[layer][name] = self.values[lo:lo + n].reshape(shape)
            self.grad_views[layer][name] = self.grad[lo:lo + n].reshape(shape)

    def reset(self) -> None:
        self.values[:] = self.start

    def learned(self) -> dict[str, list[float]]:
        """Each parameter's mean value per layer, over the layers that use it."""
        return {name: [float(np.mean(v[name])) for v in self.views if name in v] for name in self.names}
