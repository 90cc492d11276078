"""The registry of primitives: every function an activation can be built from.

A primitive is a declared object, as in gplearn's ``make_function``: a name, an
arity, a protected NumPy forward, and one analytic partial derivative per
argument.  Registering a primitive checks it (shape, finiteness on zeros,
negatives and large inputs, and each partial against central finite
differences), so a wrong declaration fails at import, not in the middle of a
search.

Partials are declared in one of three forms, which the expression compiler
turns into as few NumPy calls as possible:

* a number ``c``: the partial is the constant ``c`` (``d(a+b)/da = 1``);
* ``Arg(k)``: the partial is the value of argument ``k`` (``d(a*b)/da = b``);
* a callable ``d(value, *args)``: computed from the primitive's value and its
  arguments (``d tanh(a)/da = 1 - value**2``).

All implementations keep the dtype of their input (float32 in training), so
constants are written as Python floats, never NumPy float64 scalars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

__all__ = [
    "Arg",
    "Primitive",
    "make_primitive",
    "get_primitive",
    "PRIMITIVES",
    "ACTIVATIONS",
    "RAMACHANDRAN_UNARY",
    "RAMACHANDRAN_BINARY",
    "EXP_CLIP",
]

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


@dataclass(frozen=True)
class Arg:
    """A partial derivative equal to the value of argument ``index``."""

    index: int


Partial = Union[float, Arg, Callable[..., np.ndarray]]


@dataclass(frozen=True)
class Primitive:
    """A function of ``arity`` arguments with its analytic partial derivatives.

    ``defaults`` gives values for trailing arguments that may be omitted, so
    ``leaky_relu(x)`` means ``leaky_relu(x, 0.01)`` and ``leaky_relu(x, alpha)``
    makes the slope a named parameter.  ``kink_distance(*args)`` returns how far
    each point is from a place where the derivative jumps; the registration
    check and the tests skip points close to one.
    """

    name: str
    arity: int
    forward: Callable[..., np.ndarray]
    partials: tuple[Partial, ...]
    defaults: tuple[float, ...] = ()
    commutative: bool = False
    symbol: str | None = None
    kink_distance: Callable[..., np.ndarray] | None = None
    zero_gradient: bool = False
    constant_args: tuple[int, ...] = ()
    doc: str = ""
    check_points: tuple[tuple[float, ...], ...] = field(default=(), repr=False)

    @property
    def min_arity(self) -> int:
        """How many arguments must be written out (the rest have defaults)."""
        return self.arity - len(self.defaults)

    def partial(self, index: int, value, *args):
        """Evaluate the partial derivative with respect to argument ``index``.

        >>> get_primitive("mul").partial(0, 6.0, 2.0, 3.0)
        3.0
        """
        d = self.partials[index]
        if isinstance(d, Arg):
            return args[d.index]
        if callable(d):
            return d(value, *args)
        return d * np.ones_like(value)

    def __call__(self, *args):
        full = tuple(args) + self.defaults[len(args) - self.min_arity:]
        return self.forward(*full)


PRIMITIVES: dict[str, Primitive] = {}


def get_primitive(name: str) -> Primitive:
    """Look a primitive up by name; unknown names raise ``KeyError`` with the list.

    >>> get_primitive("tanh").arity
    1
    """
    try:
        return PRIMITIVES[name]
    except KeyError:
        raise KeyError(f"unknown primitive {name!r}; known: {', '.join(sorted(PRIMITIVES))}") from None


def make_primitive(
    name: str,
    arity: int,
    forward: Callable[..., np.ndarray],
    partials: tuple[Partial, ...],
    *,
    register: bool = True,
    **options,
) -> Primitive:
    """Declare a primitive, check it, and add it to the registry.

    The check evaluates the primitive in float64 on zeros, negatives and inputs
    up to 1e4 in size (it must stay finite) and compares every partial with
    central finite differences away from kinks.

    >>> p = make_primitive("twice", 1, lambda a: 2.0 * a, (2.0,), register=False)
    >>> float(p(np.array(3.0)))
    6.0
    """
    if not name.isidentifier():
        raise ValueError(f"primitive name {name!r} must be an identifier")
    if register and name in PRIMITIVES:
        raise ValueError(f"primitive {name!r} is already registered")
    if len(partials) != arity:
        raise ValueError(f"primitive {name!r}: {arity} arguments but {len(partials)} partials")
    prim = Primitive(name, arity, forward, tuple(partials), **options)
    check_primitive(prim)
    if register:
        PRIMITIVES[name] = prim
    return prim


def _check_args(prim: Primitive, grid: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Argument tuples to probe: the grid in argument 0, fixed values elsewhere."""
    if prim.check_points:
        others = prim.check_points
    else:
        others = [tuple(prim.defaults)] if prim.arity - 1 == len(prim.defaults) else [
            (v,) * (prim.arity - 1) for v in (-1.3, 0.7, 2.1)
        ]
    # Other arguments stay Python floats, as constants and parameters do in
    # compiled expressions (pow, for one, treats a whole-number exponent apart).
    return [(grid,) + tuple(float(v) for v in rest) for rest in others]


def check_primitive(prim: Primitive, *, rtol: float = 1e-4) -> None:
    """Raise ``ValueError`` if a primitive's values or partials are wrong.

    Values must keep the input's shape and be finite for |x| <= 1e4; each
    partial must match central finite differences (relative error < ``rtol``,
    float64) on a grid from -20 to 20, away from kinks.
    """
    wide = np.concatenate([np.linspace(-1e4, 1e4, 2001), [0.0, -0.0, 1e-12, -1e-12]])
    for args in _check_args(prim, wide):
        v = prim.forward(*args)
        if np.shape(v) != wide.shape:
            raise ValueError(f"primitive {prim.name!r}: output shape {np.shape(v)} != input shape {wide.shape}")
        if not np.all(np.isfinite(v)):
            bad = args[0][~np.isfinite(v)][0]
            raise ValueError(f"primitive {prim.name!r} is not finite at x={bad}")
        for i in range(prim.arity):
            d = prim.partial(i, v, *args)
            if not np.all(np.isfinite(d)):
                raise ValueError(f"primitive {prim.name!r}: partial {i} is not finite")
    grid = np.linspace(-20.0, 20.0, 4001)
    h = 1e-6
    for args in _check_args(prim, grid):
        keep = np.ones_like(grid, dtype=bool)
        if prim.kink_distance is not None:
            keep = prim.kink_distance(*args) > 1e-3
        v = prim.forward(*args)
        for i in range(prim.arity):
            if i in prim.constant_args:
                continue
            up = list(args)
            down = list(args)
            up[i] = args[i] + h
            down[i] = args[i] - h
            fd = (prim.forward(*up) - prim.forward(*down)) / (2 * h)
            d = np.broadcast_to(prim.partial(i, v, *args), grid.shape)
            err = np.abs(d - fd) / np.maximum(1.0, np.abs(fd))
            err = np.where(keep, err, 0.0)
            if np.max(err) > rtol:
                j = int(np.argmax(err))
                raise ValueError(
                    f"primitive {prim.name!r}: partial {i} = {d[j]:.6g} but finite difference "
                    f"= {fd[j]:.6g} at args {[float(a[j]) for a in args]}"
                )


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

make_primitive("add", 2, np.add, (1.0, 1.0), commutative=True, symbol="+", doc="a + b")
make_primitive("sub", 2, np.subtract, (1.0, -1.0), symbol="-", doc="a - b")
make_primitive("mul", 2, np.multiply, (Arg(1), Arg(0)), commutative=True, symbol="*", doc="a * b")
make_primitive(
    "div", 2, _safe_div,
    (
        lambda v, a, b: _safe_reciprocal(b, v),
        lambda v, a, b: -v * _safe_reciprocal(b, v),
    ),
    symbol="/", kink_distance=lambda a, b: np.abs(np.abs(b) - _DIV_EPS),
    doc="protected a / b: 1 where |b| <= 1e-3, as in gplearn",
)
make_primitive(
    "pow", 2, _pow, (_pow_da, _pow_dp),
    symbol="^", constant_args=(1,), kink_distance=_pow_kinks,
    check_points=((2.0,), (3.0,), (0.5,), (-1.0,), (-2.0,)),
    doc="a ^ p for a constant p; |a| ^ p when p is not a whole number >= 0",
)
make_primitive("neg", 1, np.negative, (-1.0,), doc="-a")
make_primitive(
    "max", 2, np.maximum,
    (lambda v, a, b: _indicator(a >= b, a, b), lambda v, a, b: _indicator(a < b, a, b)),
    commutative=True, kink_distance=lambda a, b: np.abs(a - b), doc="the larger of a and b",
)
make_primitive(
    "min", 2, np.minimum,
    (lambda v, a, b: _indicator(a <= b, a, b), lambda v, a, b: _indicator(a > b, a, b)),
    commutative=True, kink_distance=lambda a, b: np.abs(a - b), doc="the smaller of a and b",
)

# --- unary functions (Ramachandran et al. 2017 and friends) -----------------

make_primitive("abs", 1, np.abs, (lambda v, a: np.sign(a),), kink_distance=_kink_at_zero, doc="|a|")
make_primitive(
    "sqrt", 1, lambda a: np.sqrt(np.abs(a)),
    (lambda v, a: 0.5 * np.sign(a) / np.maximum(v, 1e-6),),
    kink_distance=_kink_at_zero, doc="protected sqrt(|a|)",
)
make_primitive(
    "log", 1, lambda a: np.log(np.maximum(np.abs(a), _LOG_EPS)),
    (lambda v, a: np.where(np.abs(a) > _LOG_EPS, 1.0 / np.where(np.abs(a) > _LOG_EPS, a, 1.0), 0.0),),
    kink_distance=_kink_at_zero, doc="protected log(|a|), floored at |a| = 1e-6",
)
make_primitive(
    "exp", 1, _exp, (lambda v, a: np.where(a < EXP_CLIP, v, 0.0),),
    kink_distance=lambda a: np.abs(a - EXP_CLIP), doc="exp(a), argument clipped at 80",
)
make_primitive("sin", 1, np.sin, (lambda v, a: np.cos(a),), doc="sin(a)")
make_primitive("cos", 1, np.cos, (lambda v, a: -np.sin(a),), doc="cos(a)")
make_primitive(
    "sinh", 1, lambda a: np.sinh(_clip(a)),
    (lambda v, a: np.where(np.abs(a) < EXP_CLIP, np.cosh(_clip(a)), 0.0),),
    kink_distance=lambda a: np.abs(np.abs(a) - EXP_CLIP), doc="sinh(a), argument clipped at +-80",
)
make_primitive(
    "cosh", 1, lambda a: np.cosh(_clip(a)),
    (lambda v, a: np.where(np.abs(a) < EXP_CLIP, np.sinh(_clip(a)), 0.0),),
    kink_distance=lambda a: np.abs(np.abs(a) - EXP_CLIP), doc="cosh(a), argument clipped at +-80",
)
make_primitive("tanh", 1, np.tanh, (lambda v, a: 1.0 - v * v,), doc="tanh(a)")
make_primitive("asinh", 1, np.arcsinh, (lambda v, a: 1.0 / np.sqrt(1.0 + a * a),), doc="asinh(a)")
make_primitive("atan", 1, np.arctan, (lambda v, a: 1.0 / (1.0 + a * a),), doc="atan(a)")
make_primitive(
    "sinc", 1, lambda a: np.sinc(a * (1.0 / math.pi)), (_sinc_derivative,),
    doc="sin(a)/a, 1 at 0 (unnormalised, as in Ramachandran et al.)",
)
make_primitive(
    "erf", 1, _erf, (lambda v, a: _TWO_OVER_SQRT_PI * np.exp(-a * a),), doc="the error function",
)

# --- named activations from the literature ----------------------------------

make_primitive("identity", 1, lambda a: a + 0.0, (1.0,), doc="a (a linear network)")
make_primitive(
    "step", 1, lambda a: _indicator(a > 0, a), (0.0,),
    kink_distance=_kink_at_zero, zero_gradient=True,
    doc="Heaviside step; its gradient is zero almost everywhere, so a network cannot train through it",
)
make_primitive("sigmoid", 1, _sigmoid, (lambda v, a: v * (1.0 - v),), doc="logistic sigmoid")
make_primitive(
    "relu", 1, lambda a: np.maximum(a, 0.0), (lambda v, a: _indicator(a > 0, a),),
    kink_distance=_kink_at_zero, doc="max(a, 0)",
)
_leaky_partials = (
    lambda v, a, alpha: np.where(a > 0, 1.0, alpha * np.ones_like(a)),
    lambda v, a, alpha: np.where(a > 0, 0.0, a),
)
make_primitive(
    "leaky_relu", 2, lambda a, alpha: np.where(a > 0, a, alpha * a), _leaky_partials,
    defaults=(0.01,), kink_distance=_kink_at_zero, doc="a if a > 0 else alpha*a (alpha = 0.01)",
)
make_primitive(
    "prelu", 2, lambda a, alpha: np.where(a > 0, a, alpha * a), _leaky_partials,
    defaults=(0.25,), kink_distance=_kink_at_zero,
    doc="parametric ReLU (He et al. 2015): leaky ReLU with a learnable slope, 0.25 at start",
)
make_primitive(
    "elu", 2, lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0.0))),
    (
        lambda v, a, alpha: np.where(a > 0, 1.0, alpha * np.exp(np.minimum(a, 0.0))),
        lambda v, a, alpha: np.where(a > 0, 0.0, np.expm1(np.minimum(a, 0.0))),
    ),
    defaults=(1.0,), kink_distance=_kink_at_zero, doc="a if a > 0 else alpha*(exp(a)-1)",
)
make_primitive(
    "selu", 1,
    lambda a: _SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * np.expm1(np.minimum(a, 0.0))),
    (lambda v, a: _SELU_SCALE * np.where(a > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(a, 0.0))),),
    kink_distance=_kink_at_zero, doc="scaled ELU (Klambauer et al. 2017)",
)
make_primitive(
    "softplus", 1, lambda a: np.logaddexp(0.0, a), (lambda v, a: _sigmoid(a),), doc="log(1 + exp(a))",
)
make_primitive(
    "softsign", 1, lambda a: a / (1.0 + np.abs(a)),
    (lambda v, a: 1.0 / (1.0 + np.abs(a)) ** 2,), doc="a / (1 + |a|)",
)


def _swish(a, beta):
    return a * _sigmoid(beta * a)


make_primitive(
    "swish", 2, _swish,
    (
        lambda v, a, beta: _sigmoid(beta * a) + beta * v * (1.0 - _sigmoid(beta * a)),
        lambda v, a, beta: a * v * (1.0 - _sigmoid(beta * a)),
    ),
    defaults=(1.0,), doc="a * sigmoid(beta*a) (Ramachandran et al. 2017)",
)
make_primitive(
    "silu", 1, lambda a: a * _sigmoid(a),
    (lambda v, a: v + _sigmoid(a) * (1.0 - v),), doc="a * sigmoid(a), swish with beta = 1",
)
make_primitive(
    "gelu", 1, lambda a: 0.5 * a * (1.0 + _erf(a * (1.0 / _SQRT2))),
    (lambda v, a: 0.5 * (1.0 + _erf(a * (1.0 / _SQRT2))) + a * _INV_SQRT_2PI * np.exp(-0.5 * a * a),),
    doc="a * Phi(a), the exact erf form (Hendrycks & Gimpel 2016)",
)


def _mish_derivative(v, a):
    t = np.tanh(np.logaddexp(0.0, a))
    return t + a * (1.0 - t * t) * _sigmoid(a)


make_primitive(
    "mish", 1, lambda a: a * np.tanh(np.logaddexp(0.0, a)), (_mish_derivative,),
    doc="a * tanh(softplus(a)) (Misra 2019)",
)
make_primitive(
    "hard_sigmoid", 1, lambda a: np.clip(a * (1.0 / 6.0) + 0.5, 0.0, 1.0),
    (lambda v, a: _indicator(np.abs(a) < 3.0, a) * (1.0 / 6.0),),
    kink_distance=lambda a: np.abs(np.abs(a) - 3.0), doc="clip(a/6 + 1/2, 0, 1), as in PyTorch",
)
make_primitive(
    "log_sigmoid", 1, lambda a: -np.logaddexp(0.0, -a), (lambda v, a: 1.0 - _sigmoid(a),),
    doc="log(sigmoid(a))",
)
make_primitive(
    "expm1", 1, lambda a: np.expm1(np.minimum(a, EXP_CLIP)),
    (lambda v, a: np.where(a < EXP_CLIP, v + 1.0, 0.0),),
    kink_distance=lambda a: np.abs(a - EXP_CLIP), doc="exp(a) - 1, argument clipped at 80",
)
make_primitive(
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
