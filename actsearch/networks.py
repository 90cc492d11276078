"""The trainer: a small NumPy MLP with the candidate activation in every hidden layer.

Speed matters here more than anywhere: a search trains thousands of these,
and at batch 32 the time goes to per-call overhead, not arithmetic.  So:

* all weights and biases live in one flat float32 buffer (and so do their
  gradients and the optimiser's state), and Adam is a few in-place calls on
  the whole buffer rather than a loop over layers
  (:mod:`actsearch.mlp`, :mod:`actsearch.optimizers`);
* each bias is folded into its weight matrix as a last row, against a column
  of ones kept in the activation buffers, which saves an add in the forward
  pass and a sum in the backward pass;
* what depends on the task (output link, loss, its gradient, score) is one
  head object per task (:mod:`actsearch.heads`), asked without branching;
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
from typing import Callable, NamedTuple

import numpy as np

from .errors import ConfigError
from .expression import Expression, parse
from .heads import make_head
from .initialisation import RULES, InitRule, combined_rule, init_rule
from .architectures import ProxyBackprop, ProxyNet, architecture_checks, make_network, proxy_forward
from .backprop import Backprop
from .mlp import MLP, LearnableParams, layer_learnables, learnable_names, with_ones
from .optimizers import ParameterStep
from .training_state import Checkpoint, EarlyStopping


#: Hidden activations beyond this size mean the run has diverged: the next
#: layer's products would overflow float32 (3.4e38) and the protected
#: primitives (exp clipped at 80) only postpone it.
MAX_ACTIVATION = 1e15
GRANULARITIES = ("network", "layer", "neuron")


def layer_expressions(expr, n_hidden: int) -> list[Expression]:
    """The activation of each of ``n_hidden`` hidden layers: ``expr`` in every one, or a per-layer
    candidate's own list (any object with a ``layer_expressions(n_hidden)`` method, which raises
    :class:`ConfigError` when its parts do not fit the layers).

    >>> [str(e) for e in layer_expressions(parse("tanh(x)"), 2)]
    ['tanh(x)', 'tanh(x)']
    """
    own = getattr(expr, "layer_expressions", None)
    return [expr] * n_hidden if own is None else list(own(n_hidden))


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
    ``family_granularity``: that of learnable families' coefficients (``apl``,
    ``rational``), always trained; per neuron by default, as in their papers.
    ``arch``: ``"mlp"`` or ``"resmlp"`` (a pre-norm residual block per hidden layer, all of
    one width); ``norm``: None, ``"batch"`` or ``"layer"`` (:mod:`actsearch.architectures`).
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
    family_granularity: str = "neuron"
    frozen: tuple[int, ...] = ()
    param_lr: float | None = None
    arch: str = "mlp"
    norm: str | None = None

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
            (self.family_granularity in GRANULARITIES, "family_granularity", "'network', 'layer' or 'neuron'"),
            (all(0 <= i <= len(self.hidden) for i in self.frozen), "frozen",
             f"layer indices from 0 to {len(self.hidden)}"),
        ] + architecture_checks(self.arch, self.norm, self.hidden)
        for ok, name, expected in checks:
            if not ok:
                raise ConfigError(f"training setting {name}={getattr(self, name)!r}: expected {expected}")


@dataclass
class TrainResult:
    """What one training run reports (losses are on standardised targets for regression).

    ``net`` is the trained network (the weights of the best validation loss
    under early stopping), for :meth:`Trainer.predict`; it is not reported.
    """

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
    net: MLP | None = field(default=None, repr=False, compare=False)
    checkpoint: Checkpoint | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The reported fields as plain containers (everything but ``net`` and ``checkpoint``)."""
        record = asdict(replace(self, net=None, checkpoint=None))
        del record["net"], record["checkpoint"]
        return record


class SplitScores(NamedTuple):
    """The mean loss and score on one split, and the largest |hidden activation| seen computing them."""

    loss: float
    score: float
    peak_activation: float | None  # None: the split has no rows, nothing was computed


class Trainer:
    """Trains one :class:`MLP` with one activation on one dataset split.

    Construct it once per (activation, data, config); :meth:`fit` takes the
    seed.  The compiled activation is reused across seeds.  What is specific
    to the task (output link, loss, its gradient, score) is ``self.head``
    (see :mod:`actsearch.heads`).
    """

    def __init__(self, expr: Expression | str, data, config: TrainConfig):
        self.expr = parse(expr)
        self.config = config
        self.data = data
        self.dtype = np.dtype(config.dtype)
        self.params = dict(self.expr.params)
        #: the expression of each hidden layer (the same one everywhere but for a per-layer candidate)
        self.layer_exprs = layer_expressions(self.expr, len(config.hidden))
        layer_names, granularity = layer_learnables(self.layer_exprs, config)
        self.learn = LearnableParams(layer_names, self.params, config.hidden, granularity,
                                     np.dtype(config.dtype)) if any(layer_names) else None
        # value and f'(z) in the forward pass; the gradients of learnable
        # parameters in reverse mode, whose cost does not grow with their number
        self.acts_train = [e.compile(("x",), reverse=names) for e, names in zip(self.layer_exprs, layer_names)]
        self.acts_eval = [e.compile(()) for e in self.layer_exprs]
        rules: dict[int, InitRule] = {}  # one quadrature per distinct layer expression
        for e in self.layer_exprs:
            if id(e) not in rules:
                rules[id(e)] = init_rule(e, config.init, config.init_scale)
        self.layer_rules = [rules[id(e)] for e in self.layer_exprs]
        self.init_rule = combined_rule(self.layer_rules)
        self.init = self.init_rule.name
        self.task = data.task
        self.n_out = data.n_outputs
        self.head = make_head(self.task, self.n_out)
        #: the plain MLP keeps its own backprop; a norm or a residual architecture is a ProxyNet
        self.plain = config.arch == "mlp" and config.norm is None
        #: ``backprop(net, H, T, rng=None, buffers=None)``: the gradient of the mean batch loss
        #: (:meth:`Backprop.gradient`; a bound method is called faster than an object with ``__call__``)
        self.backprop = (Backprop if self.plain else ProxyBackprop)(
            self.acts_train, self.learn, self.head, self.layer_params, self.dtype, config.hidden,
            config.dropout).gradient
        self.use_split(data)

    def use_split(self, data) -> None:
        """Train and score on ``data``'s train, validation and test rows from now on."""
        self.split = data
        self.X = {k: with_ones(getattr(data, f"X_{k}"), self.dtype) for k in ("train", "val", "test")}
        self.y = {k: getattr(data, f"y_{k}") for k in ("train", "val", "test")}
        self.T_train = self.head.targets(self.y["train"], self.dtype)

    def new_net(self) -> MLP | ProxyNet:
        """An untrained (all-zero) network of this trainer's architecture, shape and dtype."""
        return make_network(self.X["train"].shape[1] - 1, self.config, self.n_out, self.dtype)

    def layer_params(self, layer: int) -> dict:
        """The parameter values hidden layer ``layer`` uses (learned ones as views)."""
        if self.learn is None:
            return self.params
        return {**self.params, **self.learn.views[layer]}

    # --- forward ---------------------------------------------------------------
    def forward(self, net: MLP, X_ext: np.ndarray, train: bool = False) -> tuple[np.ndarray, float]:
        """Probabilities (classification) or values (regression), no dropout; and the peak activation.

        ``X_ext`` has the column of ones (:func:`with_ones`).  The peak is the
        largest |hidden activation| (inf if any is NaN): past
        :data:`MAX_ACTIVATION` a run counts as diverged even where the
        protected primitives kept every number finite.  BatchNorm: running statistics, or with ``train`` the batch's.
        """
        if not self.plain:
            z, peak = proxy_forward(net, X_ext, self.acts_eval, self.layer_params, train)
            return self.head.output(z), peak
        H = X_ext
        peak_activation = 0.0
        for layer, W in enumerate(net.W[:-1]):
            a = self.acts_eval[layer](H @ W, self.layer_params(layer))[0]
            peak = float(np.max(np.abs(a))) if a.size else 0.0
            peak_activation = max(peak_activation, peak if peak == peak else math.inf)
            H = np.empty((a.shape[0], a.shape[1] + 1), dtype=self.dtype)
            H[:, :-1] = a
            H[:, -1] = 1.0
        return self.head.output(H @ net.W[-1]), peak_activation

    def predict(self, net: MLP, X: np.ndarray) -> np.ndarray:
        """The outputs of ``net`` (trained by :meth:`fit`) on standardised features ``X``, as float64.

        Probabilities for classification (one column for binary: class 1),
        standardised values for regression; non-finite numbers pass through.
        """
        with np.errstate(all="ignore"):
            return self.forward(net, with_ones(X, self.dtype))[0].astype(np.float64)

    def loss_and_score(self, net: MLP, split: str) -> SplitScores:
        """Mean loss and score (accuracy, or R^2 for regression) on a split; NaN when it diverged."""
        y = self.y[split]
        if len(y) == 0:
            return SplitScores(math.nan, math.nan, None)
        with np.errstate(all="ignore"):
            out, peak = self.forward(net, self.X[split])
            out = out.astype(np.float64)
        if not np.all(np.isfinite(out)) or not peak <= MAX_ACTIVATION:
            return SplitScores(math.nan, math.nan, peak)
        return SplitScores(self.head.loss(out, y), self.head.score(out, y), peak)

    def grad_flow(self, net: MLP, n: int = 256) -> list[float]:
        """Mean |f'(z)| per hidden layer at the current weights, on up to n training rows."""
        H = self.X["train"][:n]
        flow = []
        with np.errstate(all="ignore"):
            if not self.plain:  # BatchNorm on these rows' statistics, as in training
                proxy_forward(net, H, self.acts_train, self.layer_params, True, flow)
                return flow
            for layer, W in enumerate(net.W[:-1]):
                a, d = self.acts_train[layer](H @ W, self.layer_params(layer))[:2]
                flow.append(float(np.mean(np.abs(d))))
                H = with_ones(a, self.dtype)
        return flow

    # --- training --------------------------------------------------------------
    def fit(self, seed: int, on_epoch: Callable[[int, float], bool] | None = None,
            start: dict[int, np.ndarray] | None = None, *, until: int | None = None,
            resume: Checkpoint | None = None) -> TrainResult:
        """Train from scratch with ``seed`` (initial weights, batch order, dropout).

        ``start`` maps layer indices to starting weights of shape ``(fan_in +
        1, fan_out)``, bias in the last row, in place of the random ones.
        The validation split is scored after every epoch when early stopping
        is on or ``on_epoch`` is given; ``on_epoch(epoch, val_score)``
        returning True stops the run with status ``pruned`` (Optuna's pruners
        plug in here).  With ``config.resample`` the seed also draws the
        train/validation partition (:meth:`~actsearch.datasets.Dataset.resplit`).
        The trained network is ``result.net``.

        ``until`` pauses the run after that epoch (racing's lower rungs): the
        result's ``checkpoint`` then holds what the remaining epochs need, its
        ``val_score`` is the one training would report if it ended there, and
        nothing is scored on the test split.  ``resume`` goes on from such a
        checkpoint, and the run ends exactly as one that was never paused.

        >>> from actsearch.datasets import load_dataset
        >>> trainer = Trainer("tanh(x)", load_dataset("moons"), TrainConfig(hidden=(4,), epochs=6))
        >>> paused = trainer.fit(0, until=2)
        >>> paused.epochs, trainer.fit(0, resume=paused.checkpoint).val_score == trainer.fit(0).val_score
        (2, True)
        """
        began = time.perf_counter()
        if resume is not None:
            net, rng, result, step, stopping = self._resumed(resume)
        else:
            rng = np.random.default_rng(seed)
            net = self._starting_net(seed, rng, start or {})
            result = TrainResult(status="ok", grad_flow=self.grad_flow(net), init_gain=self.init_rule.gain)
            notes = [self.init_rule.reason] if self.init_rule.reason else []
            if self.expr.zero_gradient:
                notes.insert(0, "zero gradient almost everywhere: the hidden layers cannot learn")
            result.reason = "; ".join(notes)
            step, stopping = self._optimiser(net)
        result.net = net
        last = self.config.epochs if until is None else max(result.epochs, min(until, self.config.epochs))
        with np.errstate(all="ignore"):
            finished = self._loop(net, rng, result, on_epoch, step, stopping, last)
        if not finished:
            self._pause(seed, net, rng, result, step, stopping)
        elif result.status in ("ok", "pruned"):
            self._score_splits(net, result)
        if result.status == "diverged":
            for name in ("train_loss", "val_loss", "test_loss", "train_score", "val_score", "test_score"):
                setattr(result, name, math.nan)
        if self.learn is not None:
            result.learned = self.learn.learned()
        result.seconds += time.perf_counter() - began
        return result

    def _optimiser(self, net: MLP) -> tuple[ParameterStep, EarlyStopping]:
        """A new run's parameter step and early stopping over its trained buffers."""
        cfg = self.config
        trained = [net.theta] if self.learn is None else [net.theta, self.learn.values]
        trained += [] if net.stats is None else [net.stats]  # BatchNorm's running statistics go with the weights
        early = cfg.early_stopping and len(self.y["val"]) > 0
        return ParameterStep(cfg, net, self.learn, self.dtype), EarlyStopping(cfg.patience, trained, enabled=early)

    def _pause(self, seed: int, net: MLP, rng, result: TrainResult, step: ParameterStep,
               stopping: EarlyStopping) -> None:
        """Keep a paused run's state in ``result.checkpoint``; its validation score as if it ended now."""
        s = stopping
        result.checkpoint = Checkpoint.of(seed, net, self.learn, rng, step, stopping, result)
        if s.enabled and s.best_epoch:
            result.val_score = result.val_history[s.best_epoch - 1]
        else:
            result.val_loss, result.val_score = self.loss_and_score(net, "val")[:2]
        result.best_epoch = s.best_epoch if s.enabled else result.epochs

    def _resumed(self, ckpt: Checkpoint):
        """``(net, rng, result, step, stopping)`` of the run paused in ``ckpt``."""
        net = self.new_net()
        if self.config.resample:
            self.use_split(self.data.resplit(ckpt.seed))
        step, stopping = self._optimiser(net)
        rng, result = ckpt.restore(net, self.learn, step, stopping)
        return net, rng, result, step, stopping

    def _starting_net(self, seed: int, rng: np.random.Generator, start: dict[int, np.ndarray]) -> MLP:
        """The network before training: drawn by the init rule from ``rng``, then ``start``'s layers."""
        net = self.new_net()
        if self.config.resample:
            self.use_split(self.data.resplit(seed))
        net.initialise(rng, self.layer_rules)
        for layer, weights in start.items():
            if np.shape(weights) != net.W[layer].shape:
                raise ConfigError(f"starting weights of layer {layer}: expected shape {net.W[layer].shape}, "
                                  f"got {np.shape(weights)}")
            net.W[layer][:] = weights
        if self.learn is not None:
            self.learn.reset()
        return net

    def _score_splits(self, net: MLP, result: TrainResult) -> None:
        """The final losses and scores of every split; status ``diverged`` if train or test is not finite."""
        scores = [self.loss_and_score(net, split) for split in ("train", "val", "test")]
        (result.train_loss, result.train_score), (result.val_loss, result.val_score), \
            (result.test_loss, result.test_score) = (s[:2] for s in scores)
        if not all(map(math.isfinite, (result.train_loss, result.test_loss))):
            # the peak of the last split that was computed
            peak = next((s.peak_activation for s in reversed(scores) if s.peak_activation is not None), 0.0)
            result.status = "diverged"
            result.reason = (f"hidden activations exploded (|a| reached {peak:.3g})"
                             if peak > MAX_ACTIVATION else "non-finite outputs after training")

    def batch_loss(self, net: MLP, H: np.ndarray, y: np.ndarray) -> float:
        """The mean loss that :meth:`backprop` differentiates (no dropout; BatchNorm on the batch's statistics),
        against labels or values ``y``."""
        return self.head.loss(self.forward(net, H, train=True)[0].astype(np.float64), y)

    def _loop(self, net: MLP, rng: np.random.Generator, result: TrainResult, on_epoch, step: ParameterStep,
              stopping: EarlyStopping, last: int) -> bool:
        """The epochs after ``result.epochs`` up to ``last``: batches, the divergence checks, validation,
        pruning and early stopping.  False when the run paused at ``last`` with epochs still to go."""
        cfg = self.config
        apply = step.apply
        trained = stopping.buffers
        early = stopping.enabled
        buffers: dict[int, list[np.ndarray]] = {}  # activation buffers per batch size
        for epoch in range(result.epochs + 1, last + 1):
            self._epoch(net, rng, apply, buffers)
            result.epochs = epoch
            if not all(np.all(np.isfinite(values)) for values in trained):
                result.status, result.reason = "diverged", f"non-finite weights in epoch {epoch}"
                return True
            if len(self.y["val"]) and (early or on_epoch is not None):
                val = self.loss_and_score(net, "val")
                if not math.isfinite(val.loss):
                    result.status, result.reason = "diverged", (
                        f"hidden activations exploded in epoch {epoch}" if val.peak_activation > MAX_ACTIVATION
                        else f"non-finite validation loss in epoch {epoch}")
                    return True
                result.val_history.append(val.score)
                if on_epoch is not None and on_epoch(epoch, val.score):
                    result.status, result.reason = "pruned", f"stopped by the pruner after epoch {epoch}"
                    return True
                if stopping.update(epoch, val.loss):
                    break
        else:
            if last < cfg.epochs:
                return False
        result.best_epoch = stopping.best_epoch if early else result.epochs
        stopping.restore()  # the weights of the best validation loss
        return True

    def _epoch(self, net: MLP, rng: np.random.Generator, step: Callable[[], None], buffers: dict) -> None:
        """One pass over the training rows in shuffled batches."""
        X, T = self.X["train"], self.T_train
        n = X.shape[0]
        B = min(self.config.batch_size, n)
        # One shuffled copy per epoch, then contiguous slices: cheaper than
        # gathering rows for every batch.
        order = rng.permutation(n)
        X_epoch, T_epoch = X[order], T[order]
        backprop = self.backprop
        for lo in range(0, n, B):
            backprop(net, X_epoch[lo:lo + B], T_epoch[lo:lo + B], rng, buffers)
            step()


def train(expr: Expression | str, data, config: TrainConfig | None = None, seed: int = 0) -> TrainResult:
    """Train one network with activation ``expr`` on ``data`` and report it.

    >>> from actsearch.datasets import load_dataset
    >>> r = train("tanh(x)", load_dataset("iris"), TrainConfig(hidden=(8,), epochs=3), seed=1)
    >>> r.status
    'ok'
    """
    return Trainer(expr, data, config or TrainConfig()).fit(seed)
