"""The trainer: a small NumPy MLP with the candidate activation in every hidden layer.

Speed matters here more than anywhere: a search trains thousands of these,
and at batch 32 the time goes to per-call overhead, not arithmetic.  So:

* all weights and biases live in one flat float32 buffer (and so do their
  gradients and the optimiser's state), and Adam is a few in-place calls on
  the whole buffer rather than a loop over layers;
* each bias is folded into its weight matrix as a last row, against a column
  of ones kept in the activation buffers, which saves an add in the forward
  pass and a sum in the backward pass;
* the activation is compiled once into a program that returns f(z) and f'(z)
  together (see :mod:`actsearch.expression.compiler`).

A run whose weights or losses become NaN or infinite ends with status
``diverged`` and finite numbers elsewhere; it never raises.

>>> from actsearch.datasets import load_dataset
>>> data = load_dataset("moons", seed=0)
>>> result = train("relu(x)", data, TrainConfig(hidden=(16,), epochs=5), seed=0)
>>> result.status, result.epochs
('ok', 5)
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np

from .errors import ConfigError
from .expression import Expression, parse
from .initialisation import RULES, InitRule, init_rule, initialise


#: Hidden activations beyond this size mean the run has diverged: the next
#: layer's products would overflow float32 (3.4e38) and the protected
#: primitives (exp clipped at 80) only postpone it.
MAX_ACTIVATION = 1e15
GRANULARITIES = ("network", "layer", "neuron")


@dataclass(frozen=True)
class TrainConfig:
    """How one network is trained; the protocol every candidate shares.

    ``l2`` is weight decay on the weights (not biases): ``l2 * w`` is added to
    each weight's gradient.  ``learnable`` names activation parameters trained
    with the weights (``beta`` also matches ``beta_u1``, the per-slot names of
    search spaces), one value per network, per layer or per neuron
    (``granularity``), as in PANGAEA and Swish's trainable beta.  ``init`` is
    ``"auto"`` (the default: a variance-preserving gain computed for each
    activation at target scale ``init_scale``, see :mod:`actsearch.initialisation`),
    ``"he"`` or ``"xavier"``; None means ``"auto"``.  ``resample``: each seed
    trains on its own stratified train/validation partition of the non-test
    rows (:meth:`actsearch.datasets.Dataset.resplit`); the test rows never
    change.  ``frozen``
    lists layers whose weights keep their starting values (0 is the first
    hidden layer, ``len(hidden)`` the output layer): random features, or a
    teacher's features in a planted problem (see :meth:`Trainer.fit`).
    ``param_lr`` is the learning rate of the learnable activation parameters
    (default: ``lr``); DARTS trains its mixture weights on their own rate.
    """

    hidden: tuple[int, ...] = (128, 64)
    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    dropout: float = 0.0
    l2: float = 0.0
    clip_norm: float | None = None
    early_stopping: bool = True
    patience: int = 10
    init: str | None = "auto"
    init_scale: float = 1.0
    resample: bool = False
    dtype: str = "float32"
    learnable: tuple[str, ...] = ()
    granularity: str = "network"
    frozen: tuple[int, ...] = ()
    param_lr: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "learnable", tuple(self.learnable))
        object.__setattr__(self, "frozen", tuple(sorted({int(i) for i in self.frozen})))
        if self.init is None:
            object.__setattr__(self, "init", "auto")
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting out of range."""
        checks = [
            (len(self.hidden) > 0 and all(h > 0 for h in self.hidden), "hidden", "positive layer sizes"),
            (self.epochs >= 1, "epochs", "at least 1"),
            (self.batch_size >= 1, "batch_size", "at least 1"),
            (self.lr > 0 and math.isfinite(self.lr), "lr", "a positive number"),
            (self.optimizer in ("adam", "sgd"), "optimizer", "'adam' or 'sgd'"),
            (0 <= self.momentum < 1, "momentum", "in [0, 1)"),
            (0 <= self.dropout < 1, "dropout", "in [0, 1)"),
            (0 <= self.l2 < math.inf, "l2", "a non-negative number"),
            (self.clip_norm is None or 0 < self.clip_norm < math.inf, "clip_norm", "positive or None"),
            (self.patience >= 1, "patience", "at least 1"),
            (self.param_lr is None or (self.param_lr > 0 and math.isfinite(self.param_lr)), "param_lr",
             "a positive number or None"),
            (self.init in RULES, "init", "'auto', 'he' or 'xavier'"),
            (0 < self.init_scale < math.inf, "init_scale", "a positive number"),
            (self.dtype in ("float32", "float64"), "dtype", "'float32' or 'float64'"),
            (self.granularity in GRANULARITIES, "granularity", "'network', 'layer' or 'neuron'"),
            (all(0 <= i <= len(self.hidden) for i in self.frozen), "frozen",
             f"layer indices from 0 to {len(self.hidden)}"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise ConfigError(f"training setting {name}={getattr(self, name)!r}: expected {expected}")


@dataclass
class TrainResult:
    """What one training run reports (losses are on standardised targets for regression)."""

    status: str
    reason: str = ""
    train_loss: float = math.nan
    val_loss: float = math.nan
    test_loss: float = math.nan
    train_score: float = math.nan
    val_score: float = math.nan
    test_score: float = math.nan
    epochs: int = 0
    best_epoch: int = 0
    seconds: float = 0.0
    init_gain: float = math.nan
    grad_flow: list[float] = field(default_factory=list)
    val_history: list[float] = field(default_factory=list)
    learned: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class MLP:
    """A multilayer perceptron over one flat parameter buffer.

    Layer ``l`` is the view ``W[l]`` of shape ``(fan_in + 1, fan_out)``: the
    last row is the bias.
    """

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


class LearnableParams:
    """Learnable activation parameters in one flat buffer, shared or per layer or neuron.

    ``views[l][name]`` is the value that layer ``l`` uses: a 0-d view (one per
    network, shared by every layer, or one per layer) or a vector over the
    layer's neurons; ``grad_views`` mirror them in the gradient buffer.
    """

    def __init__(self, names: list[str], initial: dict[str, float], hidden: tuple[int, ...], granularity: str,
                 dtype):
        self.names, self.initial = names, initial
        sizes = {"network": [1], "layer": [1] * len(hidden), "neuron": list(hidden)}[granularity]
        total = len(names) * sum(sizes)
        self.values = np.zeros(total, dtype=dtype)
        self.grad = np.zeros(total, dtype=dtype)
        self.start = np.zeros(total, dtype=dtype)
        self.views: list[dict] = [{} for _ in hidden]
        self.grad_views: list[dict] = [{} for _ in hidden]
        offset = 0
        for name in names:
            slots = []
            for n in sizes:
                slots.append((offset, n))
                self.start[offset:offset + n] = initial[name]
                offset += n
            for layer in range(len(hidden)):
                lo, n = slots[0] if granularity == "network" else slots[layer]
                shape = () if granularity != "neuron" else (n,)
                self.views[layer][name] = self.values[lo:lo + n].reshape(shape)
                self.grad_views[layer][name] = self.grad[lo:lo + n].reshape(shape)

    def reset(self) -> None:
        self.values[:] = self.start

    def learned(self) -> dict[str, list[float]]:
        """Each parameter's mean value per layer."""
        return {name: [float(np.mean(v[name])) for v in self.views] for name in self.names}


class Trainer:
    """Trains one :class:`MLP` with one activation on one dataset split.

    Construct it once per (activation, data, config); :meth:`fit` takes the
    seed.  The compiled activation is reused across seeds.
    """

    def __init__(self, expr: Expression | str, data, config: TrainConfig):
        self.expr = parse(expr)
        self.config = config
        self.data = data
        self.dtype = np.dtype(config.dtype)
        self.params = dict(self.expr.params)
        names = learnable_names(self.params, config.learnable)
        self.learn = LearnableParams(names, self.params, config.hidden, config.granularity, np.dtype(config.dtype)) \
            if names else None
        # value and f'(z) in the forward pass; the gradients of learnable
        # parameters in reverse mode, whose cost does not grow with their number
        self.act_train = self.expr.compile(("x",), reverse=names)
        self.act_eval = self.expr.compile(())
        self.init_rule = init_rule(self.expr, config.init, config.init_scale)
        self.init = self.init_rule.name
        self.task = data.task
        self.n_out = data.n_outputs
        self.use_split(data)

    def use_split(self, data) -> None:
        """Train and score on ``data``'s train, validation and test rows from now on."""
        dt = self.dtype
        self.split = data
        self.X = {k: with_ones(getattr(data, f"X_{k}"), dt) for k in ("train", "val", "test")}
        self.y = {k: getattr(data, f"y_{k}") for k in ("train", "val", "test")}
        if self.task == "multiclass":
            self.T_train = np.eye(self.n_out, dtype=dt)[self.y["train"]]
        else:
            self.T_train = self.y["train"].astype(dt).reshape(-1, 1)

    def layer_params(self, layer: int) -> dict:
        """The parameter values hidden layer ``layer`` uses (learned ones as views)."""
        if self.learn is None:
            return self.params
        return {**self.params, **self.learn.views[layer]}

    # --- forward ---------------------------------------------------------------
    def _output(self, z: np.ndarray) -> np.ndarray:
        if self.task == "multiclass":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        if self.task == "binary":
            return 0.5 * np.tanh(0.5 * z) + 0.5
        return z

    def predict_raw(self, net: MLP, X_ext: np.ndarray) -> np.ndarray:
        """Probabilities (classification) or values (regression), no dropout.

        Records the largest |hidden activation| in ``self.max_activation``:
        past :data:`MAX_ACTIVATION` a run counts as diverged even where the
        protected primitives kept every number finite.
        """
        H = X_ext
        self.max_activation = 0.0
        for layer, W in enumerate(net.W[:-1]):
            a = self.act_eval(H @ W, self.layer_params(layer))[0]
            peak = float(np.max(np.abs(a))) if a.size else 0.0
            self.max_activation = max(self.max_activation, peak if peak == peak else math.inf)
            H = np.empty((a.shape[0], a.shape[1] + 1), dtype=self.dtype)
            H[:, :-1] = a
            H[:, -1] = 1.0
        return self._output(H @ net.W[-1])

    def loss_and_score(self, net: MLP, split: str) -> tuple[float, float]:
        """Mean loss and score (accuracy, or R^2 for regression) on a split."""
        y = self.y[split]
        if len(y) == 0:
            return math.nan, math.nan
        with np.errstate(all="ignore"):
            out = self.predict_raw(net, self.X[split]).astype(np.float64)
        if not np.all(np.isfinite(out)) or not self.max_activation <= MAX_ACTIVATION:
            return math.nan, math.nan
        eps = 1e-12
        if self.task == "multiclass":
            loss = -np.mean(np.log(np.clip(out[np.arange(len(y)), y], eps, 1.0)))
            score = float(np.mean(out.argmax(axis=1) == y))
        elif self.task == "binary":
            p = np.clip(out[:, 0], eps, 1 - eps)
            loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            score = float(np.mean((p > 0.5) == (y > 0.5)))
        else:
            resid = out[:, 0] - y
            loss = float(np.mean(resid ** 2))
            total = np.sum((y - y.mean()) ** 2)
            score = float(1.0 - np.sum(resid ** 2) / total) if total > 0 else math.nan
        return float(loss), score

    def grad_flow(self, net: MLP, n: int = 256) -> list[float]:
        """Mean |f'(z)| per hidden layer at the current weights, on up to n training rows."""
        H = self.X["train"][:n]
        flow = []
        with np.errstate(all="ignore"):
            for layer, W in enumerate(net.W[:-1]):
                a, d = self.act_train(H @ W, self.layer_params(layer))[:2]
                flow.append(float(np.mean(np.abs(d))))
                H = with_ones(a, self.dtype)
        return flow

    # --- training --------------------------------------------------------------
    def fit(self, seed: int, on_epoch: Callable[[int, float], bool] | None = None,
            start: dict[int, np.ndarray] | None = None) -> TrainResult:
        """Train from scratch with ``seed`` (initial weights, batch order, dropout).

        ``start`` maps layer indices to starting weights of shape ``(fan_in +
        1, fan_out)``, bias in the last row, in place of the random ones.
        The validation split is scored after every epoch when early stopping
        is on or ``on_epoch`` is given; ``on_epoch(epoch, val_score)``
        returning True stops the run with status ``pruned`` (Optuna's pruners
        plug in here).  With ``config.resample`` the seed also draws the
        train/validation partition (:meth:`~actsearch.datasets.Dataset.resplit`).
        """
        began = time.perf_counter()
        cfg = self.config
        rng = np.random.default_rng(seed)
        net = MLP(self.X["train"].shape[1] - 1, cfg.hidden, self.n_out, self.dtype)
        if cfg.resample:
            self.use_split(self.data.resplit(seed))
        net.initialise(rng, self.init_rule)
        for layer, weights in (start or {}).items():
            if np.shape(weights) != net.W[layer].shape:
                raise ConfigError(f"starting weights of layer {layer}: expected shape {net.W[layer].shape}, "
                                  f"got {np.shape(weights)}")
            net.W[layer][:] = weights
        if self.learn is not None:
            self.learn.reset()
        flow = self.grad_flow(net)
        result = TrainResult(status="ok", grad_flow=flow, init_gain=self.init_rule.gain)
        notes = [self.init_rule.reason] if self.init_rule.reason else []
        if self.expr.zero_gradient:
            notes.insert(0, "zero gradient almost everywhere: the hidden layers cannot learn")
        result.reason = "; ".join(notes)
        with np.errstate(all="ignore"):
            self._loop(net, rng, result, on_epoch)
        if result.status in ("ok", "pruned"):
            result.train_loss, result.train_score = self.loss_and_score(net, "train")
            result.val_loss, result.val_score = self.loss_and_score(net, "val")
            result.test_loss, result.test_score = self.loss_and_score(net, "test")
            if not all(map(math.isfinite, (result.train_loss, result.test_loss))):
                result.status = "diverged"
                result.reason = (f"hidden activations exploded (|a| reached {self.max_activation:.3g})"
                                 if self.max_activation > MAX_ACTIVATION else "non-finite outputs after training")
        if result.status == "diverged":
            for name in ("train_loss", "val_loss", "test_loss", "train_score", "val_score", "test_score"):
                setattr(result, name, math.nan)
        if self.learn is not None:
            result.learned = self.learn.learned()
        result.seconds = time.perf_counter() - began
        self.net = net
        return result

    def backprop(self, net: MLP, H: np.ndarray, Tb: np.ndarray, rng: np.random.Generator | None = None,
                 buffers: dict | None = None) -> None:
        """Gradient of the mean batch loss, written into ``net.grad``.

        ``H`` is the batch with its column of ones, ``Tb`` the targets (one-hot
        for multiclass).  Dropout applies when the config has it and ``rng``
        is given.
        """
        dt = self.dtype
        W, G = net.W, net.G
        L = len(W) - 1
        act, learn = self.act_train, self.learn
        keep = 1.0 - self.config.dropout
        b = H.shape[0]
        buffers = {} if buffers is None else buffers
        Hs = buffers.get(b)
        if Hs is None:
            Hs = buffers[b] = [np.ones((b, h + 1), dtype=dt) for h in self.config.hidden]
        inputs, derivs, states, masks = [H], [], [], []
        for layer in range(L):
            z = np.dot(H, W[layer])
            if learn is None:
                a, d = act(z, self.layer_params(layer))
            else:
                (a, d), state = act.forward(z, self.layer_params(layer))
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
        z = np.dot(H, W[L])
        # delta = dLoss/dz for the mean loss over the batch, in place on z.
        if self.task == "multiclass":
            # Clipping the logits to +-40 keeps exp finite without the per-row
            # max, which costs more than the rest of the softmax at this size;
            # logits that large mean divergence anyway.
            np.clip(z, -40.0, 40.0, out=z)
            np.exp(z, out=z)
            z *= (1.0 / b) / z.sum(axis=1, keepdims=True)
            z -= Tb * (1.0 / b)
        elif self.task == "binary":
            z *= 0.5
            np.tanh(z, out=z)
            z += 1.0
            z -= 2.0 * Tb
            z *= 0.5 / b
        else:
            z -= Tb
            z *= (2.0 / self.n_out) / b
        delta = z
        if learn is not None:
            learn.grad[:] = 0.0
        for layer in range(L, 0, -1):
            # np.dot: less call overhead than matmul at these small sizes.
            np.dot(inputs[layer].T, delta, out=G[layer])
            if learn is None:
                delta = np.dot(delta, W[layer][:-1].T) * derivs[layer - 1]
                continue
            upstream = np.dot(delta, W[layer][:-1].T)  # dLoss/d(activation output)
            mask = masks[layer - 1]
            grads = act.vjp(states[layer - 1], upstream if mask is None else upstream * mask)
            for name, g_elementwise in zip(learn.names, grads):
                g = learn.grad_views[layer - 1][name]
                g += g_elementwise.sum(axis=0 if g.ndim else None)
            delta = upstream * derivs[layer - 1]
        np.dot(inputs[0].T, delta, out=G[0])

    def batch_loss(self, net: MLP, H: np.ndarray, Tb: np.ndarray) -> float:
        """The mean loss that :meth:`backprop` differentiates (no dropout)."""
        out = self.predict_raw(net, H).astype(np.float64)
        if self.task == "regression":
            return float(np.mean((out - Tb) ** 2))
        if self.task == "binary":
            p = np.clip(out, 1e-300, 1 - 1e-16)
            return float(-np.mean(Tb * np.log(p) + (1 - Tb) * np.log(1 - p)))
        return float(-np.mean(np.sum(Tb * np.log(np.clip(out, 1e-300, 1.0)), axis=1)))

    def _loop(self, net: MLP, rng: np.random.Generator, result: TrainResult, on_epoch) -> None:
        cfg = self.config
        X, T = self.X["train"], self.T_train
        n = X.shape[0]
        B = min(cfg.batch_size, n)
        theta, grad = net.theta, net.grad
        buffers: dict[int, list[np.ndarray]] = {}  # activation buffers per batch size
        optimizer = make_optimizer(cfg, theta.size, self.dtype)
        learn = self.learn
        learn_optimizer = None
        if learn is not None:
            learn_optimizer = make_optimizer(replace(cfg, lr=cfg.param_lr or cfg.lr), learn.values.size, self.dtype)
        best_learned = None
        decay = (net.weight_mask * cfg.l2).astype(self.dtype) if cfg.l2 > 0 else None
        trainable = None
        if cfg.frozen:
            trainable = np.ones_like(theta)
            for layer in cfg.frozen:
                trainable[net.offsets[layer]:net.offsets[layer] + net.W[layer].size] = 0.0
        early = cfg.early_stopping and len(self.y["val"]) > 0
        best_loss, best_theta, best_epoch, waited = math.inf, None, 0, 0
        for epoch in range(1, cfg.epochs + 1):
            # One shuffled copy per epoch, then contiguous slices: cheaper than
            # gathering rows for every batch.
            order = rng.permutation(n)
            X_epoch, T_epoch = X[order], T[order]
            for lo in range(0, n, B):
                self.backprop(net, X_epoch[lo:lo + B], T_epoch[lo:lo + B], rng, buffers)
                if decay is not None:
                    grad += decay * theta
                if trainable is not None:
                    grad *= trainable
                if cfg.clip_norm is not None:
                    norm = math.sqrt(float(np.dot(grad, grad)))
                    if norm > cfg.clip_norm:
                        grad *= cfg.clip_norm / norm
                optimizer.step(theta, grad)
                if learn is not None:
                    learn_optimizer.step(learn.values, learn.grad)
            result.epochs = epoch
            if not np.all(np.isfinite(theta)) or (learn is not None and not np.all(np.isfinite(learn.values))):
                result.status, result.reason = "diverged", f"non-finite weights in epoch {epoch}"
                return
            if len(self.y["val"]) and (early or on_epoch is not None):
                val_loss, val_score = self.loss_and_score(net, "val")
                if not math.isfinite(val_loss):
                    result.status, result.reason = "diverged", (
                        f"hidden activations exploded in epoch {epoch}" if self.max_activation > MAX_ACTIVATION
                        else f"non-finite validation loss in epoch {epoch}")
                    return
                result.val_history.append(val_score)
                if on_epoch is not None and on_epoch(epoch, val_score):
                    result.status, result.reason = "pruned", f"stopped by the pruner after epoch {epoch}"
                    return
                if val_loss < best_loss:
                    best_loss, best_epoch, waited = val_loss, epoch, 0
                    if early:
                        best_theta = theta.copy()
                        best_learned = learn.values.copy() if learn is not None else None
                elif early:
                    waited += 1
                    if waited >= cfg.patience:
                        break
        result.best_epoch = best_epoch if early else result.epochs
        if early and best_theta is not None:
            theta[:] = best_theta  # restore the weights of the best validation loss
            if best_learned is not None:
                learn.values[:] = best_learned


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


class SGD:
    """SGD with momentum, as PyTorch defines it: buf = momentum*buf + g; theta -= lr*buf."""

    def __init__(self, size: int, lr: float, momentum: float = 0.9, dtype=np.float32):
        self.lr, self.momentum = lr, momentum
        self.buf = np.zeros(size, dtype=dtype)

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        self.buf *= self.momentum
        self.buf += grad
        theta -= self.lr * self.buf


def make_optimizer(config: TrainConfig, size: int, dtype) -> Adam | SGD:
    if config.optimizer == "adam":
        return Adam(size, config.lr, dtype)
    return SGD(size, config.lr, config.momentum, dtype)


def train(expr: Expression | str, data, config: TrainConfig | None = None, seed: int = 0) -> TrainResult:
    """Train one network with activation ``expr`` on ``data`` and report it.

    >>> from actsearch.datasets import load_dataset
    >>> r = train("tanh(x)", load_dataset("iris"), TrainConfig(hidden=(8,), epochs=3), seed=1)
    >>> r.status
    'ok'
    """
    return Trainer(expr, data, config or TrainConfig()).fit(seed)
