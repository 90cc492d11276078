"""Cheap checks before training: reject candidates that cannot be good activations.

Each check runs on fixed probe points in well under a millisecond, so a search
spends no training time on a function that is non-finite, constant, linear
(a linear activation makes the whole network linear), step-like, or whose
slope vanishes or explodes over the range where preactivations live.

>>> from actsearch import parse
>>> screen(parse("x + 1"))
'linear: f(x) = a + b*x, so the network would be linear'
>>> screen(parse("x * sigmoid(x)")) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .expression import PROBES, Expression

#: Where preactivations typically lie after standardisation and sensible init.
GRID = np.linspace(-3.0, 3.0, 61)


@dataclass(frozen=True)
class ScreenConfig:
    """Thresholds of the screen, over :data:`GRID` (|x| <= 3)."""

    min_slope: float = 1e-3  # mean |f'| below this: the gradient vanishes
    max_slope: float = 1e3  # max |f'| above this: the gradient explodes
    flat_fraction: float = 0.9  # share of points with zero slope that makes a function step-like
    linear_tol: float = 1e-6  # largest residual of a straight-line fit, relative to the spread


def screen(expr: Expression, config: ScreenConfig = ScreenConfig()) -> str | None:
    """The reason to reject ``expr``, or None when it may be trained.

    A per-layer candidate (:class:`~actsearch.expression.LayeredExpression`) is rejected when one of its
    parts is (the reason names the part), except for linearity: a linear layer among non-linear ones
    leaves the network non-linear, so it is rejected as linear only when every part is.

    >>> from actsearch import parse
    >>> screen(parse("relu(x) | x")) is None, screen(parse("relu(x) | 0*x + 1"))
    (True, 'part 1 (0 * x + 1): constant: f(x) does not depend on x')
    """
    parts = getattr(expr, "parts", None)
    if parts is not None:
        reasons = [screen(part, config) for part in parts]
        linear = [r is not None and r.startswith("linear") for r in reasons]
        if all(linear):
            return reasons[0]
        for i, (part, reason) in enumerate(zip(parts, reasons)):
            if reason is not None and not linear[i]:
                return f"part {i} ({part}): {reason}"
        return None
    with np.errstate(all="ignore"):
        probe_values = expr(PROBES)
        values, slopes = expr.value_and_derivative(GRID)
    if not (np.all(np.isfinite(probe_values)) and np.all(np.isfinite(values)) and np.all(np.isfinite(slopes))):
        bad = np.concatenate([PROBES[~np.isfinite(probe_values)], GRID[~np.isfinite(values) | ~np.isfinite(slopes)]])
        return f"non-finite values or slopes at x={float(bad[0]):.3g}"
    spread = float(np.ptp(values))
    scale = max(1.0, float(np.max(np.abs(values))))
    if spread <= 1e-9 * scale and float(np.ptp(probe_values)) <= 1e-9 * scale:
        return "constant: f(x) does not depend on x"
    slope, intercept = np.polyfit(GRID, values, 1)
    residual = np.max(np.abs(values - (slope * GRID + intercept)))
    probe_residual = np.max(np.abs(probe_values - (slope * PROBES + intercept)))
    probe_spread = max(float(np.ptp(probe_values)), 1e-300)
    if residual <= config.linear_tol * max(spread, 1e-300) and probe_residual <= config.linear_tol * probe_spread:
        return "linear: f(x) = a + b*x, so the network would be linear"
    abs_slopes = np.abs(slopes)
    flat = abs_slopes <= 1e-12 + 1e-9 * float(np.max(abs_slopes))
    if expr.zero_gradient or np.mean(flat) >= config.flat_fraction:
        return "step-like: zero gradient almost everywhere"
    if np.mean(abs_slopes) < config.min_slope:
        return f"vanishing gradient: mean |f'(x)| = {np.mean(abs_slopes):.2g} on [-3, 3]"
    if np.max(abs_slopes) > config.max_slope:
        return f"exploding gradient: max |f'(x)| = {np.max(abs_slopes):.2g} on [-3, 3]"
    return None
