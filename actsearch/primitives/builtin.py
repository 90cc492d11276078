"""The built-in primitives: arithmetic, the unary functions of Ramachandran et
al. (2017) and the named activations of the literature.

Each is one declaration (see :mod:`.registry`).  They are registered without
the registration check, which would cost tens of milliseconds on every
``import actsearch`` and import scipy for erf; ``tests/test_primitives.py``
runs that check over every one of them instead.

All implementations keep the dtype of their input (float32 in training), so
constants are written as Python floats, never NumPy float64 scalars.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from .registry import Arg, make_primitive

__all__ = ["ACTIVATIONS", "RAMACHANDRAN_UNARY", "RAMACHANDRAN_BINARY", "EXP_CLIP"]

#: Arguments of exp, sinh and cosh are clipped here: exp(80) ~ 5.5e34 stays
#: below float32's maximum (3.4e38), so a single primitive never overflows.
EXP_CLIP = 80.0
_DIV_EPS = 1e-3  # protected division returns 1 where |denominator| <= this (gplearn)
_LOG_EPS = 1e-6  # protected log floors |x| here
_SQRT2 = math.sqrt(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805

# Declares and registers a built-in, unchecked: the test suite checks the table.
_builtin = partial(make_primitive, check=False)


# --- protected building blocks ----------------------------------------------

def _sigmoid(a):
    # tanh form: one transcendental call, and no overflow for large |a|.
    # In place on a fresh temporary: this is the inner loop of swish.
    s = np.multiply(a, 0.5)
    if not isinstance(s, np.ndarray):
        return 0.5 * np.tanh(s) + 0.5
    np.tanh(s, out=s)
    s *= 0.5
    s += 0.5
    return s


def _exp(a):
    return np.exp(np.minimum(a, EXP_CLIP))


def _clip(a):
    return np.clip(a, -EXP_CLIP, EXP_CLIP)


def _special():
    import scipy.special  # imported on first use: it costs ~0.3 s

    return scipy.special


def _erf(a):
    return _special().erf(a)


def _safe_div(a, b):
    if np.ndim(b) == 0:  # a constant denominator: keep a's dtype
        b = float(b)
        return a / b if abs(b) > _DIV_EPS else a * 0.0 + 1.0
    ok = np.abs(b) > _DIV_EPS
    return np.where(ok, a / np.where(ok, b, 1.0), 1.0)


def _safe_reciprocal(b, like):
    """1/b where |b| > 1e-3, else 0: the partial of protected division in a."""
    if np.ndim(b) == 0:
        b = float(b)
        return like * 0.0 + (1.0 / b if abs(b) > _DIV_EPS else 0.0)
    ok = np.abs(b) > _DIV_EPS
    return np.where(ok, 1.0 / np.where(ok, b, 1.0), 0.0)


def _indicator(mask, *args):
    """A 0/1 array in the floating dtype of ``args`` (a bool times a Python
    float would silently become float64)."""
    return np.asarray(mask).astype(np.result_type(*args, 1.0))


def _kink_at_zero(a, *rest):
    return np.abs(a)


def _sinc_derivative(v, a):
    small = np.abs(a) < 1e-3
    safe = np.where(small, 1.0, a)
    return np.where(small, -a / 3.0, (np.cos(a) - v) / safe)


def _pow(a, p):
    p = float(p) if np.ndim(p) == 0 else p
    if np.ndim(p) == 0 and float(p).is_integer():
        if p >= 0:
            return a ** p
        # a negative whole power keeps the sign of a; |a| is floored as in division
        guarded = np.where(np.abs(a) < _DIV_EPS, np.copysign(_DIV_EPS, a), a)
        return guarded ** p
    base = np.abs(a)
    if np.any(np.asarray(p) < 0):
        base = np.maximum(base, _DIV_EPS)
    return base ** p


def _pow_da(v, a, p):
    p = float(p) if np.ndim(p) == 0 else p
    if np.ndim(p) == 0 and float(p).is_integer() and p >= 0:
        return p * a ** (p - 1.0) if p != 0 else np.zeros_like(a)
    floor = _DIV_EPS if np.any(np.asarray(p) < 0) else 1e-12
    inside = np.abs(a) > floor
    return np.where(inside, p * v / np.where(inside, a, 1.0), 0.0)


def _pow_dp(v, a, p):
    # d(a^p)/dp = a^p log|a|; the floor is the dtype's smallest normal number, since a fixed
    # 1e-300 is 0 in float32, and 0 * log(0) would be NaN where a = 0
    a = np.asarray(a)
    tiny = np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).tiny
    return v * np.log(np.maximum(np.abs(a), tiny))


def _pow_kinks(a, p):
    return np.abs(a) - (_DIV_EPS if np.any(np.asarray(p) < 0) else 0.0)


# --- arithmetic -------------------------------------------------------------

_builtin("add", 2, np.add, (1.0, 1.0), commutative=True, symbol="+", doc="a + b")
_builtin("sub", 2, np.subtract, (1.0, -1.0), symbol="-", doc="a - b")
_builtin("mul", 2, np.multiply, (Arg(1), Arg(0)), commutative=True, symbol="*", doc="a * b")
_builtin(
    "div", 2, _safe_div,
    (
        lambda v, a, b: _safe_reciprocal(b, v),
        lambda v, a, b: -v * _safe_reciprocal(b, v),
    ),
    symbol="/", kink_distance=lambda a, b: np.abs(np.abs(b) - _DIV_EPS),
    doc="protected a / b: 1 where |b| <= 1e-3, as in gplearn",
)
_builtin(
    "pow", 2, _pow, (_pow_da, _pow_dp),
    symbol="^", constant_args=(1,), kink_distance=_pow_kinks,
    check_points=((2.0,), (3.0,), (0.5,), (-1.0,), (-2.0,)),
    doc="a ^ p for a constant p; |a| ^ p when p is not a whole number >= 0",
)
_builtin("neg", 1, np.negative, (-1.0,), doc="-a")
_builtin(
    "max", 2, np.maximum,
    (lambda v, a, b: _indicator(a >= b, a, b), lambda v, a, b: _indicator(a < b, a, b)),
    commutative=True, kink_distance=lambda a, b: np.abs(a - b), doc="the larger of a and b",
)
_builtin(
    "min", 2, np.minimum,
    (lambda v, a, b: _indicator(a <= b, a, b), lambda v, a, b: _indicator(a > b, a, b)),
    commutative=True, kink_distance=lambda a, b: np.abs(a - b), doc="the smaller of a and b",
)

# --- unary functions (Ramachandran et al. 2017 and friends) -----------------

_builtin("abs", 1, np.abs, (lambda v, a: np.sign(a),), kink_distance=_kink_at_zero, doc="|a|")
_builtin(
    "sqrt", 1, lambda a: np.sqrt(np.abs(a)),
    (lambda v, a: 0.5 * np.sign(a) / np.maximum(v, 1e-6),),
    kink_distance=_kink_at_zero, doc="protected sqrt(|a|)",
)
_builtin(
    "log", 1, lambda a: np.log(np.maximum(np.abs(a), _LOG_EPS)),
    (lambda v, a: np.where(np.abs(a) > _LOG_EPS, 1.0 / np.where(np.abs(a) > _LOG_EPS, a, 1.0), 0.0),),
    kink_distance=_kink_at_zero, doc="protected log(|a|), floored at |a| = 1e-6",
)
_builtin(
    "exp", 1, _exp, (lambda v, a: np.where(a < EXP_CLIP, v, 0.0),),
    kink_distance=lambda a: np.abs(a - EXP_CLIP), doc="exp(a), argument clipped at 80",
)
_builtin("sin", 1, np.sin, (lambda v, a: np.cos(a),), doc="sin(a)")
_builtin("cos", 1, np.cos, (lambda v, a: -np.sin(a),), doc="cos(a)")
_builtin(
    "sinh", 1, lambda a: np.sinh(_clip(a)),
    (lambda v, a: np.where(np.abs(a) < EXP_CLIP, np.cosh(_clip(a)), 0.0),),
    kink_distance=lambda a: np.abs(np.abs(a) - EXP_CLIP), doc="sinh(a), argument clipped at +-80",
)
_builtin(
    "cosh", 1, lambda a: np.cosh(_clip(a)),
    (lambda v, a: np.where(np.abs(a) < EXP_CLIP, np.sinh(_clip(a)), 0.0),),
    kink_distance=lambda a: np.abs(np.abs(a) - EXP_CLIP), doc="cosh(a), argument clipped at +-80",
)
_builtin("tanh", 1, np.tanh, (lambda v, a: 1.0 - v * v,), doc="tanh(a)")
_builtin("asinh", 1, np.arcsinh, (lambda v, a: 1.0 / np.sqrt(1.0 + a * a),), doc="asinh(a)")
_builtin("atan", 1, np.arctan, (lambda v, a: 1.0 / (1.0 + a * a),), doc="atan(a)")
_builtin(
    "sinc", 1, lambda a: np.sinc(a * (1.0 / math.pi)), (_sinc_derivative,),
    doc="sin(a)/a, 1 at 0 (unnormalised, as in Ramachandran et al.)",
)
_builtin(
    "erf", 1, _erf, (lambda v, a: _TWO_OVER_SQRT_PI * np.exp(-a * a),), doc="the error function",
)

# --- named activations from the literature ----------------------------------

_builtin("identity", 1, lambda a: a + 0.0, (1.0,), doc="a (a linear network)")
_builtin(
    "step", 1, lambda a: _indicator(a > 0, a), (0.0,),
    kink_distance=_kink_at_zero, zero_gradient=True,
    doc="Heaviside step; its gradient is zero almost everywhere, so a network cannot train through it",
)
_builtin("sigmoid", 1, _sigmoid, (lambda v, a: v * (1.0 - v),), doc="logistic sigmoid")
_builtin(
    "relu", 1, lambda a: np.maximum(a, 0.0), (lambda v, a: _indicator(a > 0, a),),
    kink_distance=_kink_at_zero, doc="max(a, 0)",
)
_leaky_partials = (
    lambda v, a, alpha: np.where(a > 0, 1.0, alpha * np.ones_like(a)),
    lambda v, a, alpha: np.where(a > 0, 0.0, a),
)
_builtin(
    "leaky_relu", 2, lambda a, alpha: np.where(a > 0, a, alpha * a), _leaky_partials,
    defaults=(0.01,), kink_distance=_kink_at_zero, doc="a if a > 0 else alpha*a (alpha = 0.01)",
)
_builtin(
    "prelu", 2, lambda a, alpha: np.where(a > 0, a, alpha * a), _leaky_partials,
    defaults=(0.25,), kink_distance=_kink_at_zero,
    doc="parametric ReLU (He et al. 2015): leaky ReLU with a learnable slope, 0.25 at start",
)
_builtin(
    "elu", 2, lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0.0))),
    (
        lambda v, a, alpha: np.where(a > 0, 1.0, alpha * np.exp(np.minimum(a, 0.0))),
        lambda v, a, alpha: np.where(a > 0, 0.0, np.expm1(np.minimum(a, 0.0))),
    ),
    defaults=(1.0,), kink_distance=_kink_at_zero, doc="a if a > 0 else alpha*(exp(a)-1)",
)
_builtin(
    "selu", 1,
    lambda a: _SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * np.expm1(np.minimum(a, 0.0))),
    (lambda v, a: _SELU_SCALE * np.where(a > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(a, 0.0))),),
    kink_distance=_kink_at_zero, doc="scaled ELU (Klambauer et al. 2017)",
)
_builtin(
    "softplus", 1, lambda a: np.logaddexp(0.0, a), (lambda v, a: _sigmoid(a),), doc="log(1 + exp(a))",
)
_builtin(
    "softsign", 1, lambda a: a / (1.0 + np.abs(a)),
    (lambda v, a: 1.0 / (1.0 + np.abs(a)) ** 2,), doc="a / (1 + |a|)",
)


def _swish(a, beta):
    return a * _sigmoid(beta * a)


_builtin(
    "swish", 2, _swish,
    (
        lambda v, a, beta: _sigmoid(beta * a) + beta * v * (1.0 - _sigmoid(beta * a)),
        lambda v, a, beta: a * v * (1.0 - _sigmoid(beta * a)),
    ),
    defaults=(1.0,), doc="a * sigmoid(beta*a) (Ramachandran et al. 2017)",
)
_builtin(
    "silu", 1, lambda a: a * _sigmoid(a),
    (lambda v, a: v + _sigmoid(a) * (1.0 - v),), doc="a * sigmoid(a), swish with beta = 1",
)
_builtin(
    "gelu", 1, lambda a: 0.5 * a * (1.0 + _erf(a * (1.0 / _SQRT2))),
    (lambda v, a: 0.5 * (1.0 + _erf(a * (1.0 / _SQRT2))) + a * _INV_SQRT_2PI * np.exp(-0.5 * a * a),),
    doc="a * Phi(a), the exact erf form (Hendrycks & Gimpel 2016)",
)


def _mish_derivative(v, a):
    t = np.tanh(np.logaddexp(0.0, a))
    return t + a * (1.0 - t * t) * _sigmoid(a)


_builtin(
    "mish", 1, lambda a: a * np.tanh(np.logaddexp(0.0, a)), (_mish_derivative,),
    doc="a * tanh(softplus(a)) (Misra 2019)",
)
_builtin(
    "hard_sigmoid", 1, lambda a: np.clip(a * (1.0 / 6.0) + 0.5, 0.0, 1.0),
    (lambda v, a: _indicator(np.abs(a) < 3.0, a) * (1.0 / 6.0),),
    kink_distance=lambda a: np.abs(np.abs(a) - 3.0), doc="clip(a/6 + 1/2, 0, 1), as in PyTorch",
)
_builtin(
    "log_sigmoid", 1, lambda a: -np.logaddexp(0.0, -a), (lambda v, a: 1.0 - _sigmoid(a),),
    doc="log(sigmoid(a))",
)
_builtin(
    "expm1", 1, lambda a: np.expm1(np.minimum(a, EXP_CLIP)),
    (lambda v, a: np.where(a < EXP_CLIP, v + 1.0, 0.0),),
    kink_distance=lambda a: np.abs(a - EXP_CLIP), doc="exp(a) - 1, argument clipped at 80",
)
_builtin(
    "erfc", 1, lambda a: _special().erfc(a), (lambda v, a: -_TWO_OVER_SQRT_PI * np.exp(-a * a),),
    doc="1 - erf(a)",
)

#: The named activations of the literature, usable as baselines.
ACTIVATIONS: tuple[str, ...] = (
    "identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu",
    "softplus", "softsign", "swish", "silu", "gelu", "mish", "hard_sigmoid", "log_sigmoid",
    "expm1", "erfc",
)

#: Ramachandran et al. (2017), the unary functions of the core unit, written in
#: actsearch notation with ``x`` as the argument.
RAMACHANDRAN_UNARY: tuple[str, ...] = (
    "x", "-x", "abs(x)", "x^2", "x^3", "sqrt(x)", "beta*x", "x + beta", "log(abs(x) + eps)",
    "exp(x)", "sin(x)", "cos(x)", "sinh(x)", "cosh(x)", "tanh(x)", "asinh(x)", "atan(x)",
    "sinc(x)", "max(x, 0)", "min(x, 0)", "sigmoid(x)", "softplus(x)", "exp(-x^2)", "erf(x)",
    "beta",
)

#: Ramachandran et al. (2017), the binary functions of the core unit, over ``x1`` and ``x2``.
RAMACHANDRAN_BINARY: tuple[str, ...] = (
    "x1 + x2", "x1 - x2", "x1 * x2", "x1 / x2", "max(x1, x2)", "min(x1, x2)",
    "sigmoid(x1) * x2", "exp(-beta*(x1 - x2)^2)", "exp(-beta*abs(x1 - x2))",
    "beta*x1 + (1 - beta)*x2",
)
