"""The safe Padé activation unit of any degrees M/N: its primitive and its starting fit.

``rationalMN`` (see :mod:`.families`) is P(x) / (1 + |Q(x)|) with
P = sum_{j=0..M} p_j x^j and Q = sum_{k=1..N} q_k x^k (Molina et al. 2019).
The primitive's arguments are ``x, p_0..p_M, q_1..q_N``; its partials share
the forward's Q, 1/D and powers of x through :data:`_RATIONAL_FORWARDS`.

:func:`leaky_relu_fit` gives the starting coefficients of degrees M/N as
Molina et al. do: a least-squares fit to leaky_relu(x, 0.01) on 2,001 points
of [-3, 3], started from the linearised fit ``P = f (1 + Q)`` and finished by
Levenberg-Marquardt (MINPACK, through SciPy, imported on first use) on the
safe form.  It is deterministic (no random start) and cached per (M, N).

>>> prim = rational_primitive("r21", 2, 1, (0.0, 1.0, 0.5, 2.0))
>>> float(prim(np.array(1.0), 0.0, 1.0, 0.5, 2.0))  # (1 + 0.5) / (1 + 2)
0.5
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .registry import Primitive, make_primitive

__all__ = ["rational_primitive", "leaky_relu_fit", "FIT_POINTS"]

#: Where the starting coefficients are fitted: 2,001 points of [-3, 3], as the stored 5/4 start.
FIT_POINTS = (-3.0, 3.0, 2001)


def _poly(x, coefs, first: int):
    """sum_k coefs[k] x^(k + first), by Horner's rule."""
    out = coefs[-1] + 0.0 * x
    for c in coefs[-2::-1]:
        out = out * x + c
    return out * x if first else out


def _rational_parts(x, coefs, numerator: int):
    p, q = coefs[:numerator + 1], coefs[numerator + 1:]
    Q = _poly(x, q, 1)
    return _poly(x, p, 0), Q, 1.0 + np.abs(Q)


#: The last forwards' ``[value, x, coefs, Q, 1/D, powers of x]`` by the id of their value: the
#: compiler calls each partial as ``d(value, *args)`` with the forward's own value array, so they
#: share Q, 1/D and x^j instead of recomputing the polynomials once per coefficient.  An entry
#: holds its value, so the id cannot be reused while it is kept, and it is used only when ``x``
#: and the coefficients are the very same objects (and as many: every degree shares this dict).
#: Enough entries for the deepest networks' forward pass to be still there when the backward pass
#: comes down to the first layer.  Only arrays up to this size are kept: training batches, whose
#: backward pass asks for the partials; a forward over a whole large split (scoring) is not kept.
_RATIONAL_FORWARDS: dict[int, list] = {}
_RATIONAL_KEEP = 64
_RATIONAL_CACHED_SIZE = 1 << 16


def _rational_forward(numerator: int):
    def forward(x, *coefs):
        P, Q, D = _rational_parts(x, coefs, numerator)
        value = P / D
        if np.size(value) <= _RATIONAL_CACHED_SIZE:
            _RATIONAL_FORWARDS[id(value)] = [value, x, coefs, Q, 1.0 / D, None]
            if len(_RATIONAL_FORWARDS) > _RATIONAL_KEEP:
                try:
                    _RATIONAL_FORWARDS.pop(next(iter(_RATIONAL_FORWARDS)), None)
                except (RuntimeError, StopIteration):  # another thread changed it meanwhile; it trims itself
                    pass
        return value
    return forward


def _rational_shared(value, x, coefs, numerator: int) -> list:
    """``[value, x, coefs, Q, 1/D, powers]`` of the forward that gave ``value`` (recomputed if it was
    not kept); ``powers[j]`` is x^j up to the larger degree, computed on first use."""
    entry = _RATIONAL_FORWARDS.get(id(value))
    if entry is None or entry[0] is not value or entry[1] is not x or len(entry[2]) != len(coefs) \
            or not all(a is b for a, b in zip(entry[2], coefs)):
        _, Q, D = _rational_parts(x, coefs, numerator)
        entry = [value, x, coefs, Q, 1.0 / D, None]
    if entry[5] is None:
        powers = [None, x]
        for _ in range(max(numerator, len(coefs) - numerator - 1) - 1):
            powers.append(powers[-1] * x)
        entry[5] = powers
    return entry


def _rational_dx(numerator: int):
    def d(value, x, *coefs):
        p, q = coefs[:numerator + 1], coefs[numerator + 1:]
        Q, inv_D = _rational_shared(value, x, coefs, numerator)[3:5]
        dP = _poly(x, [j * c for j, c in enumerate(p)][1:], 0)
        dQ = _poly(x, [k * c for k, c in enumerate(q, start=1)], 0)
        return (dP - value * np.sign(Q) * dQ) * inv_D
    return d


def _rational_dp(j: int, numerator: int):
    def d(value, x, *coefs):
        entry = _rational_shared(value, x, coefs, numerator)
        return entry[4] if j == 0 else entry[5][j] * entry[4]
    return d


def _rational_dq(k: int, numerator: int):
    def d(value, x, *coefs):
        entry = _rational_shared(value, x, coefs, numerator)
        return -value * np.sign(entry[3]) * entry[5][k] * entry[4]
    return d


def _rational_kinks(numerator: int):
    return lambda x, *coefs: np.abs(_poly(x, coefs[numerator + 1:], 1))


def rational_primitive(name: str, numerator: int, denominator: int, initial: tuple[float, ...],
                       moved: tuple[float, ...] | None = None) -> Primitive:
    """The safe PAU of degrees ``numerator``/``denominator`` as a primitive of 2 + M + N arguments
    (``x, p_0..p_M, q_1..q_N``), starting at ``initial``; ``moved`` is a second point to check it at.

    >>> rational_primitive("r11", 1, 1, (0.0, 1.0, 1.0)).arity
    4
    """
    partials = ((_rational_dx(numerator),) + tuple(_rational_dp(j, numerator) for j in range(numerator + 1))
                + tuple(_rational_dq(k, numerator) for k in range(1, denominator + 1)))
    if moved is None:
        moved = tuple(c + 0.1 * ((i % 3) - 1) for i, c in enumerate(initial))
    return make_primitive(
        name, 2 + numerator + denominator, _rational_forward(numerator), partials, register=False,
        check=False, defaults=tuple(initial), kink_distance=_rational_kinks(numerator),
        check_points=(tuple(initial), moved),
        doc=f"safe Padé activation unit {numerator}/{denominator} (Molina et al. 2019): P(x)/(1 + |Q(x)|), "
            "learnable p_j, q_k; starts fitted to leaky_relu",
    )


@lru_cache(maxsize=None)
def leaky_relu_fit(numerator: int, denominator: int) -> tuple[float, ...]:
    """``p_0..p_M, q_1..q_N``: the safe PAU of degrees M/N fitted to leaky_relu(x, 0.01) on [-3, 3].

    The linearised fit (P - f Q = f, a linear least-squares problem) starts Levenberg-Marquardt on
    the residuals P / (1 + |Q|) - f, with their exact Jacobian.  Computed once per (M, N).

    >>> [round(c, 3) for c in leaky_relu_fit(2, 2)]
    [0.227, 0.554, 0.193, 0.1, -0.06]
    """
    from scipy.optimize import least_squares  # scipy is not loaded by ``import actsearch``

    x = np.linspace(*FIT_POINTS)
    f = np.where(x > 0, x, 0.01 * x)
    Vp = x[:, None] ** np.arange(numerator + 1)
    Vq = x[:, None] ** np.arange(1, denominator + 1)
    start = np.linalg.lstsq(np.hstack([Vp, -f[:, None] * Vq]), f, rcond=None)[0]

    def residuals(c):
        return Vp @ c[:numerator + 1] / (1.0 + np.abs(Vq @ c[numerator + 1:])) - f

    def jacobian(c):
        P, Q = Vp @ c[:numerator + 1], Vq @ c[numerator + 1:]
        D = 1.0 + np.abs(Q)
        return np.hstack([Vp / D[:, None], (-P * np.sign(Q) / D ** 2)[:, None] * Vq])

    # tolerances at the precision of float64: the 5/4 fit gives back the stored RATIONAL_INIT to 1e-7
    fit = least_squares(residuals, start, jac=jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return tuple(float(c) for c in fit.x)
