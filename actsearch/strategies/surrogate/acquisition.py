"""Which candidates of a pool the surrogate search trains next: an initial design, then acquisition.

:func:`design` is greedy k-medoids in the standardised feature space of the
pool; :func:`acquire` ranks the pool by the fitted model's acquisition
(*predicted score + kappa x min(1, 2 d / d0)* for kNN, UCB for the GP), a
batch at a time, each pick counted as evaluated for the next (see
:mod:`actsearch.strategies.surrogate`).
"""

from __future__ import annotations

import warnings

import numpy as np

from .features import block_weights
from .model import SurrogateModel


def pairwise(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of A and those of B.

    >>> pairwise(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[5.0, 1.0]]
    """
    sq = np.sum(A ** 2, axis=1)[:, None] + np.sum(B ** 2, axis=1)[None, :] - 2.0 * A @ B.T
    return np.sqrt(np.maximum(sq, 0.0))


def min_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Each row of A's distance to its nearest row of B."""
    return pairwise(A, B).min(axis=1)


def design(P: np.ndarray, T: np.ndarray, n: int) -> list[int]:
    """Greedy k-medoids (facility location) of the pool's feature rows ``P``, given the evaluated rows ``T``.

    Each pick most reduces the pool's summed distance to its nearest pick or
    evaluated candidate (the first is the pool's medoid), so the picks are
    typical functions of different kinds, not outliers.
    """
    both = np.vstack([P, T])
    scale = both.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    weight = block_weights(P.shape[1])
    Z = (P - both.mean(axis=0)) / scale * weight
    D = pairwise(Z, Z)
    if len(T):
        cover = min_dist(Z, (T - both.mean(axis=0)) / scale * weight)
    else:
        cover = np.full(len(Z), float(D.max()))
    picks: list[int] = []
    for _ in range(n):
        gain = np.maximum(cover[:, None] - D, 0.0).sum(axis=0)
        gain[picks] = -np.inf
        i = int(np.argmax(gain))
        picks.append(i)
        cover = np.minimum(cover, D[i])
    return picks


def acquire(model: SurrogateModel, P: np.ndarray, n: int, kappa: float) -> list[tuple[int, float]]:
    """``n`` picks (pool index, predicted score) from the pool's feature rows ``P`` by a fitted model."""
    if model.model == "knn":
        return _acquire_knn(model, P, n, kappa)
    return _acquire_gp(model, P, n, kappa)


def _acquire_knn(model: SurrogateModel, P: np.ndarray, n: int, kappa: float) -> list[tuple[int, float]]:
    """Predicted score plus a bounded novelty bonus; each pick shrinks the distances of the next."""
    Z = model.transform(P)
    picks: list[tuple[int, float]] = []
    available = np.ones(len(P), dtype=bool)
    mean = model.predict(P)
    ref = model.X
    d = min_dist(Z, ref)
    # d0: typical spacing of the evaluated points (median nearest-neighbour distance)
    if len(ref) > 1:
        dd = pairwise(ref, ref)
        np.fill_diagonal(dd, np.inf)
        d0 = float(np.median(dd.min(axis=1)))
    else:
        d0 = 1.0
    d0 = d0 if d0 > 1e-12 else 1.0
    for _ in range(n):
        acq = np.where(available, mean + kappa * np.minimum(1.0, 2.0 * d / d0), -np.inf)
        i = int(np.argmax(acq))
        picks.append((i, float(mean[i])))
        available[i] = False
        d = np.minimum(d, np.sqrt(np.sum((Z - Z[i]) ** 2, axis=1)))
    return picks


def _acquire_gp(model: SurrogateModel, P: np.ndarray, n: int, kappa: float) -> list[tuple[int, float]]:
    """UCB, mean + kappa x std; each pick joins the fit at its predicted mean (kriging believer)."""
    Z = model.transform(P)
    picks: list[tuple[int, float]] = []
    available = np.ones(len(P), dtype=bool)
    reg = model.reg
    X_fit, y_fit = model.X, model.y
    for j in range(n):
        mean, std = reg.predict(Z, return_std=True)
        acq = np.where(available, mean + kappa * std, -np.inf)
        i = int(np.argmax(acq))
        picks.append((i, float(mean[i])))
        available[i] = False
        if j + 1 < n:
            X_fit = np.vstack([X_fit, Z[i:i + 1]])
            y_fit = np.append(y_fit, mean[i])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = model.gp_regressor(optimize=False, kernel=model.reg.kernel_).fit(X_fit, y_fit)
    return picks
