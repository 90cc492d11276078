"""Training-free features of an activation, for the surrogate search.

Features (:func:`features`, no training):

* the outputs on the 64 standard-normal fingerprint probes
  (``PROBES[:64]``, sorted by input), squashed with ``asinh`` and clipped,
  so a function that explodes or returns NaN still gives finite numbers;
* statistics of the slope f' on those probes: mean, std, min, max, mean |f'|
  (each ``asinh``-squashed) and the fraction of near-zero slopes (|f'| < 0.01);
* the fraction of non-finite values and slopes;
* the gradient flow of an untrained deep network (``flow=True``, the
  default): a fixed batch of 128 standard-normal inputs through six layers of
  32 with the activation and the trainer's initialisation rule
  of old (He for rectifier-like functions,
  :func:`~actsearch.initialisation.is_rectifier_like`, else Xavier), giving log10 of the last layer's
  activation spread, log10 of the ratio of backpropagated gradient norms
  (first over last layer), the last layer's mean over its spread and its
  share of dead (zero-slope) units.  About 1 ms per candidate.

A per-layer candidate's features are its parts' features one after the
other (one block of 75 per group, each weighing the same in distances).

Features are cached by expression for the whole process, so the pools of a
long search or of many benchmark seeds cost little.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ...expression import PROBES, Expression
from ...screening import screen

#: The 64 standard-normal probes, sorted by input.
X_PROBES = np.sort(PROBES[:64])
#: Where the feature blocks start and end (see :func:`features`).
VALUES = slice(0, 64)
SLOPES = slice(64, 71)
FLOW = slice(71, 75)
CLIP = 20.0
NEAR_ZERO_SLOPE = 1e-2

_FLOW_WIDTH, _FLOW_DEPTH, _FLOW_N = 32, 6, 128
_flow_rng = np.random.default_rng(20230417)
_FLOW_INPUT = _flow_rng.standard_normal((_FLOW_N, _FLOW_WIDTH))
_FLOW_WEIGHTS = [_flow_rng.standard_normal((_FLOW_WIDTH, _FLOW_WIDTH)) for _ in range(_FLOW_DEPTH)]
_FLOW_GRAD = _flow_rng.standard_normal((_FLOW_N, _FLOW_WIDTH))
del _flow_rng

_CACHE: dict[tuple, Any] = {}
_CACHE_MAX = 200_000


def squash(values) -> np.ndarray:
    """asinh, with NaN to 0 and +-inf (and huge values) clipped to +-CLIP."""
    v = np.asarray(values, dtype=np.float64)
    v = np.nan_to_num(v, nan=0.0, posinf=1e300, neginf=-1e300)
    return np.clip(np.arcsinh(v), -CLIP, CLIP)


def clipped_log10(value: float) -> float:
    """log10 clipped to [-10, 10]; +inf and NaN give 10, -inf gives -10."""
    if not math.isfinite(value):
        return 10.0 if value > 0 else -10.0  # NaN counts as exploded
    return float(np.clip(np.log10(max(value, 1e-300)), -10.0, 10.0))


def gradient_flow(expr: Expression) -> np.ndarray:
    """Gradient flow through an untrained 6 x 32 network (4 numbers, always finite)."""
    from ...initialisation import is_rectifier_like

    gain = math.sqrt((2.0 if is_rectifier_like(expr) else 1.0) / _FLOW_WIDTH)
    H, slopes, weights = _FLOW_INPUT, [], []
    for W in _FLOW_WEIGHTS:
        W = W * gain
        H, d = expr.value_and_derivative(H @ W)
        H = np.nan_to_num(np.asarray(H, dtype=np.float64), nan=0.0, posinf=1e150, neginf=-1e150)
        d = np.nan_to_num(np.broadcast_to(np.asarray(d, dtype=np.float64), H.shape), nan=0.0,
                          posinf=1e150, neginf=-1e150)
        slopes.append(d)
        weights.append(W)
    G = _FLOW_GRAD
    last = float(np.linalg.norm(G))
    for W, d in zip(reversed(weights), reversed(slopes)):
        G = np.nan_to_num((G * d) @ W.T, nan=0.0, posinf=1e150, neginf=-1e150)
    spread = float(np.std(H))
    mean = float(np.mean(H))
    return np.array([
        clipped_log10(spread),
        clipped_log10(float(np.linalg.norm(G)) / last),
        float(squash(mean / spread)) if spread > 0 else 0.0,
        float(np.mean(np.abs(slopes[-1]) < 1e-12)),
    ])


def features(expr: Expression, flow: bool = True) -> np.ndarray:
    """Training-free features of an activation: a vector of 75 finite floats (71 without ``flow``).

    ``[0:64]``
        ``asinh(f(x))`` on the 64 standard-normal fingerprint probes sorted by
        input (NaN counts as 0, values clipped to +-20).
    ``[64:71]``
        slope statistics on the same probes: ``asinh`` of the mean, std, min,
        max and mean absolute value of f', the fraction of near-zero slopes
        (|f'| < 0.01) and the fraction of non-finite values or slopes.
    ``[71:75]`` (``flow=True``)
        gradient flow of an untrained 6 x 32 network on fixed inputs: log10
        activation spread at the last layer, log10 of the first- over
        last-layer gradient norm, the last layer's mean over its spread, and
        its share of dead units.

    Never raises on NaN, inf or overflow; equal functions get equal features.

    >>> from actsearch import parse
    >>> f = features(parse("x * sigmoid(x)"))
    >>> f.shape, bool(np.all(np.isfinite(features(parse("exp(exp(x))")))))
    ((75,), True)
    >>> features(parse("relu(x) | tanh(x)")).shape
    (150,)
    """
    parts = getattr(expr, "parts", None)
    if parts is not None:  # a per-layer candidate: its parts' features, concatenated
        out = np.concatenate([features(p, flow) for p in parts])
        out.setflags(write=False)
        return out
    key = (expr.tree, tuple(sorted(expr.params.items())), bool(flow))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values, slopes = expr.value_and_derivative(X_PROBES)
            values = np.broadcast_to(np.asarray(values, dtype=np.float64), X_PROBES.shape)
            slopes = np.broadcast_to(np.asarray(slopes, dtype=np.float64), X_PROBES.shape)
        except Exception:  # noqa: BLE001 - a function that cannot be computed looks like nothing
            values = slopes = np.full(X_PROBES.shape, np.nan)
        bad = float(np.mean(~np.isfinite(values) | ~np.isfinite(slopes)))
        s = np.nan_to_num(slopes, nan=0.0, posinf=1e300, neginf=-1e300)
        stats = [*squash([np.mean(np.clip(s, -1e150, 1e150)), np.std(np.clip(s, -1e150, 1e150)),
                           np.min(s), np.max(s), np.mean(np.abs(np.clip(s, -1e150, 1e150)))]),
                 float(np.mean(np.abs(s) < NEAR_ZERO_SLOPE)), bad]
        parts = [squash(values), np.asarray(stats, dtype=np.float64)]
        if flow:
            try:
                parts.append(gradient_flow(expr))
            except Exception:  # noqa: BLE001
                parts.append(np.array([10.0, 10.0, 0.0, 1.0]))
    out = np.nan_to_num(np.concatenate(parts), nan=0.0, posinf=CLIP, neginf=-CLIP)
    out = np.round(out, 8)  # forgive the last bits between equivalent ways of computing a function
    out.setflags(write=False)
    if len(_CACHE) < _CACHE_MAX:
        _CACHE[key] = out
    return out


def fingerprint(expr: Expression) -> str | None:
    """The function's fingerprint, or None when it cannot be probed."""
    try:
        return expr.fingerprint
    except Exception:  # noqa: BLE001 - cannot be probed: never a repeat
        return None


def screened_out(expr: Expression) -> bool:
    """Whether :func:`~actsearch.screening.screen` rejects the function (cached like the features)."""
    key = ("screen", expr) if hasattr(expr, "parts") else ("screen", expr.tree, tuple(sorted(expr.params.items())))
    hit = _CACHE.get(key)
    if hit is None:
        try:
            hit = screen(expr) is not None
        except Exception:  # noqa: BLE001
            hit = True
        if len(_CACHE) < _CACHE_MAX:
            _CACHE[key] = hit
    return hit


def block_weights(width: int) -> np.ndarray:
    """Column weights so that each block weighs the same in distances, whatever its number of columns
    (a per-layer candidate's width is a multiple of one part's, 75 or 71: each part's blocks alike).

    >>> w = block_weights(150)
    >>> bool(np.allclose(w[:75], w[75:])), bool(np.allclose(w[:75], block_weights(75)))
    (True, True)
    """
    part = next((n for n in (FLOW.stop, FLOW.start) if width > n and width % n == 0), width)
    weight = np.ones(part)
    for block in [VALUES, SLOPES] + ([FLOW] if part > FLOW.start else []):
        weight[block] = 1.0 / math.sqrt(len(range(*block.indices(part))))
    return np.tile(weight, width // part)
