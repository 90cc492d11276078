"""Learnable families: primitives whose coefficients are parameters trained with the weights.

A family member is an ordinary primitive (a name, a forward, one analytic
partial per argument) whose first argument is the input and whose other
arguments are its coefficients.  In an expression each call gets its own
coefficient parameters (:func:`actsearch.expression.families.complete`), so
the same compiler that gives f'(x) gives their gradients, and the trainer
learns them (per neuron by default).

``apl`` -- the adaptive piecewise linear unit of Agostinelli et al. (2014),
"Learning activation functions to improve deep neural networks"::

    apl(x) = max(0, x) + sum_s a_s * max(0, -x + b_s),   s = 1..S

``apl`` has S = 2 hinges; ``aplS`` (``apl1``, ``apl3``, ``apl5``, ...) has S.
The number of hinges is part of the name, so a space file, a baseline list
and the CLI all say it the same way.  Every a_s starts at 0, so APL starts
as relu exactly; the hinges b_s start at the S quantiles of N(0, 1) that
split it into S + 1 equal parts (0 for S = 1, -0.43 and 0.43 for S = 2):
the auto initialisation keeps pre-activations near N(0, 1), so each hinge
starts where an equal share of them lies.  With a_s = 0, d/db_s is 0 at the
start; a_s moves on the first step and b_s follows.

``rational`` -- the "safe" Padé activation unit of Molina et al. (2019),
"Padé Activation Units: End-to-end Learning of Flexible Activation Functions
in Deep Networks" (ICLR 2020), with degrees 5/4::

    rational(x) = P(x) / (1 + |Q(x)|),  P = sum_{j=0..5} p_j x^j,  Q = sum_{k=1..4} q_k x^k

It starts at the paper's own initialisation, a least-squares fit to
leaky_relu (slope 0.01); :data:`RATIONAL_INIT` was fitted once on 2,001
points of [-3, 3] (a linearised fit ``P = f (1 + Q)`` as the start, then
Levenberg-Marquardt on the safe form): largest error 0.034, RMS 0.0055.

``rationalMN`` has other degrees, written as APL's hinges are, in the name:
two digits, P of degree M and Q of degree N, each 1 to 9 (``rational32`` is
P_3 / (1 + |Q_2|), coefficients p0..p3, q1..q2).  A member is made on first
use, its start fitted to leaky_relu by the same procedure
(:func:`.rational.leaky_relu_fit`, deterministic, SciPy loaded then, cached
per (M, N)).  ``rational54`` is a name of its own, as ``apl2`` is beside
``apl``: the same function as ``rational`` with the same stored start, so the
same fingerprint, but its coefficients are ``rational54_p0, ...``.  Other
digits (``rational5``, ``rational05``, ``rational123``) are a one-line
:func:`family_error`.

>>> apl = family_of("apl")
>>> apl.coefficients, [round(v, 4) for v in apl.initial]
(('a1', 'b1', 'a2', 'b2'), [0.0, -0.4307, 0.0, 0.4307])
>>> family_of("apl3").hinges, family_of("tanh") is None
(3, True)
>>> family_of("rational32").degrees, [round(v, 3) for v in family_of("rational32").initial]
((3, 2), [0.123, 0.505, 0.426, 0.1, 0.0, 0.197])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from .rational import leaky_relu_fit, rational_primitive
from .registry import PRIMITIVES, Primitive, add_factory, make_primitive

__all__ = ["Family", "FAMILIES", "RATIONAL_INIT", "family_of", "family_error", "apl_hinges", "rational_start"]

#: ``apl`` without a number: S = 2, as the issue asks.
DEFAULT_HINGES = 2
#: The most hinges an ``aplS`` may have: each costs two passes over the layer, and the
#: APL paper used at most a handful (S = 1..7).
MAX_HINGES = 64
_APL = re.compile(r"apl(\d+)\Z")
#: ``rational`` without digits: P of degree 5 over Q of degree 4, as the PAU paper's default.
DEFAULT_DEGREES = (5, 4)
_RATIONAL = re.compile(r"rational(\d+)\Z")

#: p_0..p_5 then q_1..q_4 of ``rational`` at its start: the safe PAU fitted to leaky_relu(x, 0.01) on [-3, 3].
RATIONAL_INIT: tuple[float, ...] = (
    0.033572103381, 0.505000005044, 1.652675086587, 2.008122718299, 0.930575480382, 0.152132759383,
    4.8546054740e-08, 3.976480564394, 3.4553294506e-08, 0.301252983157,
)
#: A second point (away from the start) where the registration check probes ``rational``'s partials.
_RATIONAL_MOVED = (0.1, 0.6, 1.2, 1.5, 0.7, 0.1, 0.3, 2.5, -0.4, 0.2)


@dataclass(frozen=True)
class Family:
    """A learnable family member: its primitive name, coefficient names and starting values.

    ``hinges`` is APL's S (0 for other families); ``degrees`` the rational's (M, N) (empty for others).
    """

    name: str
    coefficients: tuple[str, ...]
    initial: tuple[float, ...]
    hinges: int = 0
    degrees: tuple[int, ...] = ()

    def start(self) -> dict[str, float]:
        """Coefficient name -> starting value.

        >>> family_of("apl1").start()
        {'a1': 0.0, 'b1': 0.0}
        """
        return dict(zip(self.coefficients, self.initial))


# --- APL ------------------------------------------------------------------------

def apl_hinges(hinges: int) -> tuple[float, ...]:
    """The starting hinge positions: the quantiles s/(S+1) of N(0, 1).

    >>> apl_hinges(1), [round(b, 4) for b in apl_hinges(3)]
    ((0.0,), [-0.6745, 0.0, 0.6745])
    """
    normal = NormalDist()
    return tuple(0.0 if 2 * s == hinges + 1 else normal.inv_cdf(s / (hinges + 1)) for s in range(1, hinges + 1))


def _above(mask, like):
    # a 0/1 array in the floating dtype of the input (a bool times a Python float would be float64)
    return np.asarray(mask).astype(np.result_type(like, 1.0))


def _apl(x, *coefs):
    out = np.maximum(x, 0.0)
    for a, b in zip(coefs[0::2], coefs[1::2]):
        out = out + a * np.maximum(b - x, 0.0)
    return out


def _apl_dx(value, x, *coefs):
    out = _above(x > 0, x)
    for a, b in zip(coefs[0::2], coefs[1::2]):
        out = out - a * _above(b - x > 0, x)
    return out


def _apl_da(s):
    return lambda value, x, *coefs: np.maximum(coefs[2 * s + 1] - x, 0.0) + 0.0 * value


def _apl_db(s):
    return lambda value, x, *coefs: coefs[2 * s] * _above(coefs[2 * s + 1] - x > 0, x)


def _apl_kinks(x, *coefs):
    return np.min([np.abs(x)] + [np.abs(x - b) for b in coefs[1::2]], axis=0)


def _apl_primitive(name: str, hinges: int) -> Primitive:
    start = apl_hinges(hinges)
    initial = tuple(v for b in start for v in (0.0, b))
    moved = tuple(v for s, b in enumerate(start) for v in (0.3 - 0.2 * s, b + 0.25))
    partials = (_apl_dx,) + tuple(d for s in range(hinges) for d in (_apl_da(s), _apl_db(s)))
    return make_primitive(
        name, 1 + 2 * hinges, _apl, partials, register=False, check=False, defaults=initial,
        kink_distance=_apl_kinks, check_points=(initial, moved),
        doc=f"APL with {hinges} hinge(s) (Agostinelli et al. 2014): max(0, x) + sum_s a_s max(0, b_s - x), "
            "learnable a_s, b_s; starts as relu",
    )


# --- rational (safe PAU): the primitive and the fit are in .rational ----------------------

def _rational_coefficients(numerator: int, denominator: int) -> tuple[str, ...]:
    return tuple(f"p{j}" for j in range(numerator + 1)) + tuple(f"q{k}" for k in range(1, denominator + 1))


def rational_start(numerator: int, denominator: int) -> tuple[float, ...]:
    """The starting coefficients of degrees M/N: the stored :data:`RATIONAL_INIT` for 5/4, else
    :func:`.rational.leaky_relu_fit` (the same procedure, run on first use and cached).

    >>> rational_start(5, 4) == RATIONAL_INIT, len(rational_start(3, 2))
    (True, 6)
    """
    if (numerator, denominator) == DEFAULT_DEGREES:
        return RATIONAL_INIT
    return leaky_relu_fit(numerator, denominator)


# --- the registry of families ----------------------------------------------------------

FAMILIES: dict[str, Family] = {}


def _declare(prim: Primitive, coefficients: tuple[str, ...], hinges: int = 0, register: bool = True,
             degrees: tuple[int, ...] = ()) -> Family:
    family = Family(prim.name, coefficients, prim.defaults, hinges, degrees)
    if register:
        PRIMITIVES[prim.name] = prim
        FAMILIES[prim.name] = family
    return family


def _apl_coefficients(hinges: int) -> tuple[str, ...]:
    return tuple(f"{c}{s}" for s in range(1, hinges + 1) for c in "ab")


@lru_cache(maxsize=None)
def _apl_member(name: str) -> tuple[Primitive, Family] | None:
    """``aplS`` for S >= 1, made on first use (not listed in the registry, so any S works)."""
    m = _APL.match(name)
    if m is None or not 1 <= int(m.group(1)) <= MAX_HINGES or m.group(1).startswith("0"):
        return None
    hinges = int(m.group(1))
    prim = _apl_primitive(name, hinges)
    return prim, _declare(prim, _apl_coefficients(hinges), hinges, register=False)


@lru_cache(maxsize=None)
def _rational_member(name: str) -> tuple[Primitive, Family] | None:
    """``rationalMN`` for one digit each, 1 <= M, N <= 9, made on first use (its start fitted then)."""
    m = _RATIONAL.match(name)
    if m is None or len(m.group(1)) != 2 or "0" in m.group(1):
        return None
    degrees = (int(m.group(1)[0]), int(m.group(1)[1]))
    prim = rational_primitive(name, *degrees, rational_start(*degrees))
    return prim, _declare(prim, _rational_coefficients(*degrees), register=False, degrees=degrees)


def _member(name: str) -> tuple[Primitive, Family] | None:
    return _apl_member(name) or _rational_member(name)


def family_of(name: str) -> Family | None:
    """The :class:`Family` of primitive ``name``, or None if it has no learnable coefficients.

    >>> family_of("apl3").coefficients, family_of("apl3").hinges, family_of("tanh")
    (('a1', 'b1', 'a2', 'b2', 'a3', 'b3'), 3, None)
    >>> family_of("rational32").coefficients, family_of("rational32").degrees
    (('p0', 'p1', 'p2', 'p3', 'q1', 'q2'), (3, 2))
    """
    family = FAMILIES.get(name)
    if family is None:
        member = _member(name)
        family = member[1] if member is not None else None
    return family


def family_error(name: str) -> str | None:
    """Why ``name`` looks like a family member but is not one (``apl0``, ``apl65``, ``rational5``), else None.

    >>> family_error("apl0")
    'apl0: an APL needs at least one hinge (S=0); write apl1(x), apl(x) (S=2), apl3(x), ...'
    >>> family_error("apl65")
    'apl65: an APL has at most 64 hinges (S=65)'
    >>> family_error("rational05")
    'rational05: a rational needs degrees 1 to 9 (P of degree 0, Q of degree 5); write rational32(x) for 3/2, rational(x) for 5/4'
    """
    if _RATIONAL.match(name):
        return _rational_error(name)
    m = _APL.match(name)
    if m is None or _apl_member(name) is not None:
        return None
    digits = m.group(1)
    if not digits.strip("0"):
        return (f"{name}: an APL needs at least one hinge (S={digits}); "
                "write apl1(x), apl(x) (S=2), apl3(x), ...")
    if digits.startswith("0"):
        return f"{name}: write the number of hinges without leading zeros (apl{digits.lstrip('0')})"
    return f"{name}: an APL has at most {MAX_HINGES} hinges (S={digits[:12]}{'...' * (len(digits) > 12)})"


def _rational_error(name: str) -> str | None:
    digits = _RATIONAL.match(name).group(1)
    if _rational_member(name) is not None:
        return None
    hint = "write rational32(x) for 3/2, rational(x) for 5/4"
    if len(digits) != 2:
        shown = digits[:12] + "..." * (len(digits) > 12)
        return (f"{name}: a rational's degrees are two digits M N, one each "
                f"(got {len(digits)} digit{'s' * (len(digits) != 1)}: {shown}); {hint}")
    return (f"{name}: a rational needs degrees 1 to 9 (P of degree {digits[0]}, Q of degree {digits[1]}); {hint}")


def _factory(name: str) -> Primitive | None:
    member = _member(name)
    return None if member is None else member[0]


_declare(_apl_primitive("apl", DEFAULT_HINGES), _apl_coefficients(DEFAULT_HINGES), DEFAULT_HINGES)
_declare(rational_primitive("rational", *DEFAULT_DEGREES, RATIONAL_INIT, moved=_RATIONAL_MOVED),
         _rational_coefficients(*DEFAULT_DEGREES), degrees=DEFAULT_DEGREES)
add_factory(_factory)
