"""The PyTorch scorer: a candidate activation trained inside a torch model over seeds.

It returns what :class:`~actsearch.scoring.NumpyScorer` returns (one
:class:`~actsearch.networks.TrainResult` per seed: status, scores, epochs,
seconds, reason), so executors, the search and the final stage use it
unchanged.  Losses and scores are the task heads' (:mod:`actsearch.heads`):
accuracy for classification, R^2 for regression.  The seed fixes the weights,
the batch order, dropout and, with ``resample``, the train/validation
partition; on the CPU the same seed gives the same numbers.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..errors import ActsearchError, ConfigError
from ..expression import Expression
from ..heads import make_head
from ..networks import TrainResult
from ..scoring import TRAINING_FAILURES, Scorer, SeedRuns
from .activation import activation_factory, require_torch
from .models import ModelSpec, model_spec


@dataclass(frozen=True)
class TorchConfig:
    """How a torch model is trained (the protocol every candidate shares in it).

    >>> TorchConfig(optimizer="lbfgs")
    Traceback (most recent call last):
    ...
    actsearch.errors.ConfigError: torch training setting optimizer='lbfgs': expected 'adam' or 'sgd'
    """

    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.9
    early_stopping: bool = True
    patience: int = 8
    resample: bool = True
    learnable: tuple[str, ...] = ()
    device: str = "cpu"

    def __post_init__(self):
        object.__setattr__(self, "learnable", tuple(self.learnable))
        checks = [(self.epochs >= 1, "epochs", "at least 1"), (self.batch_size >= 1, "batch_size", "at least 1"),
                  (self.lr > 0 and math.isfinite(self.lr), "lr", "a positive number"),
                  (self.optimizer in ("adam", "sgd"), "optimizer", "'adam' or 'sgd'"),
                  (0 <= self.weight_decay < math.inf, "weight_decay", "a non-negative number"),
                  (0 <= self.momentum < 1, "momentum", "in [0, 1)"), (self.patience >= 1, "patience", "at least 1"),
                  (self.device == "cpu" or self.device.startswith("cuda"), "device", "'cpu' or 'cuda[:N]'")]
        for ok, name, expected in checks:
            if not ok:
                raise ConfigError(f"torch training setting {name}={getattr(self, name)!r}: expected {expected}")

    @classmethod
    def from_protocol(cls, train, device: str = "cpu") -> TorchConfig:
        """The torch settings of a search protocol (:class:`~actsearch.networks.TrainConfig`): its epochs,
        batch size, learning rate, optimiser, momentum, weight decay (``l2``), early stopping, resampling and
        learnable parameters.  The hidden layers, initialisation and dtype are the model's own.

        >>> from actsearch.networks import TrainConfig
        >>> TorchConfig.from_protocol(TrainConfig(epochs=3, l2=1e-4)).weight_decay
        0.0001
        """
        return cls(epochs=train.epochs, batch_size=train.batch_size, lr=train.lr, optimizer=train.optimizer,
                   weight_decay=train.l2, momentum=train.momentum, early_stopping=train.early_stopping,
                   patience=train.patience, resample=train.resample, learnable=train.learnable, device=device)


@contextlib.contextmanager
def _one_thread(torch):
    """torch on one thread for the block (as BLAS everywhere else: the fastest at these sizes, and exact)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchScorer(Scorer):
    """Scores a candidate inside the torch ``model`` (``resmlp``, ``cnn``, ``PATH.py:FUNCTION`` or a
    :class:`~actsearch.torch_backend.models.ModelSpec`)."""

    name = "torch"

    def __init__(self, data, config: TorchConfig | None = None, model: str | ModelSpec = "resmlp",
                 replace_modules: bool = False, protocol=None):
        torch = require_torch()
        self.data, self.config = data, config or TorchConfig()
        self.protocol = protocol  # the search's TrainConfig, which a candidate's training overrides name
        self.model = model if isinstance(model, ModelSpec) else model_spec(model, replace_modules)
        if self.config.device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"--device {self.config.device}: CUDA is not available on this machine")
        self.head = make_head(data.task, data.n_outputs)
        self._check_shape(torch)

    def _check_shape(self, torch) -> None:
        """Build the model once (with ReLU) and check that its output fits the task."""
        model = self.model.build(torch.nn.ReLU, self.data.n_features, self.data.n_outputs)
        with torch.no_grad():
            out = model.eval()(torch.zeros(2, self.data.n_features))
        if tuple(out.shape) != (2, self.data.n_outputs):
            raise ConfigError(f"model {self.model.name}: output shape {tuple(out.shape)} for 2 rows does not fit "
                              f"the {self.data.task} task of {self.data.name}: expected (2, {self.data.n_outputs})")

    def train_seeds(self, expr: Expression, seeds: Sequence[int], *, pruner=None, train: dict | None = None,
                    stop_on_failure: bool = True) -> SeedRuns:
        torch = require_torch()
        config = self._with(train) if train else self.config
        factory = activation_factory(expr, config.learnable)
        results = []
        with _one_thread(torch):
            for i, seed in enumerate(seeds):
                try:
                    r = self._fit(torch, config, factory, seed, pruner if i == 0 else None)
                except ActsearchError:
                    raise
                except (*TRAINING_FAILURES, RuntimeError) as exc:  # a numeric failure is the candidate's result
                    r = TrainResult(status="diverged", reason=f"training failed: {type(exc).__name__}: {exc}")
                results.append(r)
                if stop_on_failure and r.status in ("pruned", "diverged"):
                    break
        return SeedRuns(tuple(seeds[:len(results)]), tuple(results), "torch", math.nan)

    def _with(self, train: dict) -> TorchConfig:
        """The settings with a candidate's training overrides (named as in the search's protocol)."""
        if self.protocol is not None:
            return TorchConfig.from_protocol(replace(self.protocol, **train), self.config.device)
        return replace(self.config, **train)

    # --- one seed -------------------------------------------------------------------------
    def _tensors(self, torch, split, device):
        long = self.data.task == "multiclass"
        X = {k: torch.tensor(getattr(split, f"X_{k}"), dtype=torch.float32, device=device)
             for k in ("train", "val", "test")}
        y = {k: torch.tensor(getattr(split, f"y_{k}"), dtype=torch.long if long else torch.float32, device=device)
             for k in ("train", "val", "test")}
        return X, y, {k: np.asarray(getattr(split, f"y_{k}")) for k in ("train", "val", "test")}

    def _loss(self, torch, out, y):
        F = torch.nn.functional
        if self.data.task == "multiclass":
            return F.cross_entropy(out, y)
        if self.data.task == "binary":
            return F.binary_cross_entropy_with_logits(out[:, 0], y)
        return F.mse_loss(out[:, 0], y)

    def _split_scores(self, torch, model, X, labels) -> tuple[float, float]:
        """The head's loss and score of ``model`` on one split (NaN when it has no rows)."""
        if len(labels) == 0:
            return math.nan, math.nan
        model.eval()
        with torch.no_grad(), np.errstate(all="ignore"):
            out = self.head.output(model(X).double().cpu().numpy())
        model.train()
        return self.head.loss(out, labels), self.head.score(out, labels)

    def _fit(self, torch, config: TorchConfig, factory, seed: int, on_epoch) -> TrainResult:
        began = time.perf_counter()
        split = self.data.resplit(seed) if config.resample else self.data
        torch.manual_seed(seed)
        order = torch.Generator().manual_seed(seed)
        made = []

        def activation():
            module = factory()
            made.append(module)
            return module

        model = self.model.build(activation, self.data.n_features, self.data.n_outputs).to(config.device)
        X, y, labels = self._tensors(torch, split, config.device)
        trained = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(trained, lr=config.lr, weight_decay=config.weight_decay) \
            if config.optimizer == "adam" else \
            torch.optim.SGD(trained, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
        result = TrainResult(status="ok", reason="; ".join(self.model.notes))
        self._loop(torch, config, model, opt, X, y, labels, order, result, on_epoch)
        if result.status in ("ok", "pruned"):
            result.train_loss, result.train_score = self._split_scores(torch, model, X["train"], labels["train"])
            result.val_loss, result.val_score = self._split_scores(torch, model, X["val"], labels["val"])
            result.test_loss, result.test_score = self._split_scores(torch, model, X["test"], labels["test"])
            if not (math.isfinite(result.train_loss) and math.isfinite(result.test_loss)):
                result.status, result.reason = "diverged", "non-finite outputs after training"
        if result.status == "diverged":
            for name in ("train_loss", "val_loss", "test_loss", "train_score", "val_score", "test_score"):
                setattr(result, name, math.nan)
        result.learned = _learned(made)
        result.seconds = time.perf_counter() - began
        return result

    def _loop(self, torch, config, model, opt, X, y, labels, order, result, on_epoch) -> None:
        """The epochs: shuffled batches, the divergence check, validation, pruning and early stopping."""
        n = len(labels["train"])
        early = config.early_stopping and len(labels["val"]) > 0
        best_loss, best_state, waited = math.inf, None, 0
        model.train()
        for epoch in range(1, config.epochs + 1):
            perm = torch.randperm(n, generator=order).to(config.device)
            for lo in range(0, n, config.batch_size):
                idx = perm[lo:lo + config.batch_size]
                opt.zero_grad()
                self._loss(torch, model(X["train"][idx]), y["train"][idx]).backward()
                opt.step()
            result.epochs = epoch
            if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
                result.status, result.reason = "diverged", f"non-finite weights in epoch {epoch}"
                return
            if len(labels["val"]) and (early or on_epoch is not None):
                val_loss, val_score = self._split_scores(torch, model, X["val"], labels["val"])
                if not math.isfinite(val_loss):
                    result.status, result.reason = "diverged", f"non-finite validation loss in epoch {epoch}"
                    return
                result.val_history.append(val_score)
                if on_epoch is not None and on_epoch(epoch, val_score):
                    result.status, result.reason = "pruned", f"stopped by the pruner after epoch {epoch}"
                    return
                if val_loss < best_loss:
                    best_loss, waited, result.best_epoch = val_loss, 0, epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()} if early else None
                elif early:
                    waited += 1
                    if waited >= config.patience:
                        break
        if best_state is not None:
            model.load_state_dict(best_state)  # the weights of the best validation loss
        else:
            result.best_epoch = result.epochs


def _learned(modules) -> dict[str, list[float]]:
    """The trained activation parameters: one value per activation module (per place it is used)."""
    values: dict[str, list[float]] = {}
    for module in modules:
        for name, parameter in module.named_parameters():
            if parameter.requires_grad:
                values.setdefault(name, []).append(round(float(parameter.detach()), 6))
    return values
