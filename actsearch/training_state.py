"""What a training run carries from epoch to epoch: early stopping, and the checkpoint of a paused run.

A paused run (racing's lower rungs, see :mod:`actsearch.racing`) is a
:class:`Checkpoint`; :meth:`actsearch.networks.Trainer.fit` goes on from it
and ends exactly as a run that was never paused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for the annotation: networks imports this module
    from .networks import TrainResult


@dataclass
class Checkpoint:
    """A run paused after ``result.epochs`` (see :meth:`Trainer.fit`'s ``until``): plain arrays and
    numbers, so it pickles to another process and goes on there bit for bit."""

    seed: int
    theta: np.ndarray
    learnable: np.ndarray | None
    optimiser: dict
    rng: dict
    stopping: tuple
    result: "TrainResult"
    #: BatchNorm's running statistics (:attr:`actsearch.architectures.ProxyNet.stats`); None without them
    stats: np.ndarray | None = None

    @classmethod
    def of(cls, seed: int, net, learn, rng: np.random.Generator, step, stopping: "EarlyStopping",
           result: "TrainResult") -> "Checkpoint":
        """Copies of what a run of ``seed`` needs to go on: the network's buffers, the learnable parameters
        (``learn``, or None), the optimisers' state (``step``), the rng, early stopping and the result so far."""
        s = stopping
        return cls(
            seed=seed, theta=net.theta.copy(), learnable=None if learn is None else learn.values.copy(),
            optimiser=step.state(), rng=rng.bit_generator.state,
            stopping=(s.best_loss, s.best_epoch, s.waited, None if s.saved is None else [b.copy() for b in s.saved]),
            result=replace(result, net=None, val_history=list(result.val_history), grad_flow=list(result.grad_flow),
                           checkpoint=None), stats=None if net.stats is None else net.stats.copy())

    def restore(self, net, learn, step, stopping: "EarlyStopping") -> tuple[np.random.Generator, "TrainResult"]:
        """Put the paused run's state into a new ``net``, ``learn``, optimiser ``step`` and ``stopping``;
        ``(rng, result)`` to go on with."""
        net.theta[:] = self.theta
        if learn is not None:
            learn.values[:] = self.learnable
        if self.stats is not None:
            net.stats[:] = self.stats
        rng = np.random.default_rng()
        rng.bit_generator.state = self.rng
        step.load(self.optimiser)
        stopping.best_loss, stopping.best_epoch, stopping.waited, saved = self.stopping
        stopping.saved = None if saved is None else [b.copy() for b in saved]
        return rng, replace(self.result, val_history=list(self.result.val_history),
                            grad_flow=list(self.result.grad_flow))



class EarlyStopping:
    """Early stopping on the validation loss: keeps the best epoch's parameters, counts the patience.

    ``buffers`` are the arrays training changes in place (the weights, and the
    learnable activation parameters if any).  When not ``enabled`` it only
    records the best epoch: nothing is saved, restored or stopped.

    >>> w = np.zeros(2)
    >>> stop = EarlyStopping(patience=1, buffers=[w])
    >>> stop.update(1, 0.5), (w.fill(9.0), stop.update(2, 0.7))[1], stop.best_epoch
    (False, True, 1)
    >>> stop.restore(); w.tolist()
    [0.0, 0.0]
    """

    def __init__(self, patience: int, buffers: list[np.ndarray], enabled: bool = True):
        self.patience, self.buffers, self.enabled = patience, buffers, enabled
        self.best_loss, self.best_epoch, self.waited = math.inf, 0, 0
        self.saved: list[np.ndarray] | None = None

    def update(self, epoch: int, val_loss: float) -> bool:
        """Record epoch ``epoch``'s validation loss; True when the patience has run out."""
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.waited = val_loss, epoch, 0
            if self.enabled:
                self.saved = [b.copy() for b in self.buffers]
            return False
        if self.enabled:
            self.waited += 1
            return self.waited >= self.patience
        return False

    def restore(self) -> None:
        """Put the parameters of the best validation loss back (when enabled and one was seen)."""
        if self.enabled and self.saved is not None:
            for buffer, saved in zip(self.buffers, self.saved):
                buffer[:] = saved
