"""Weight initialisation: one rule for every activation.

The default rule, ``auto``, is variance preserving after AutoInit (Bingham &
Miikkulainen 2023): a layer fed by activations ``f(z)``, with pre-activations
``z ~ N(0, s^2)``, draws its weights from ``N(0, g^2 / fan_in)`` with

    g = s / sqrt(E[f(s u)^2]),   u ~ N(0, 1),

so the next layer's pre-activations have variance ``s^2`` again.  ``s`` is the
rule's target scale (:data:`AUTO_SCALE`, 1 by default).  At ``s = 1`` relu's
``E[relu(u)^2] = 1/2`` gives He's ``2 / fan_in``; ``c * f(x)`` gets ``1/|c|`` of
f's gain; ``-f(-x)`` the same as f, since ``u`` is symmetric.  So
``min(x, 0)``, the relu network with every weight's sign flipped, is
initialised as relu is, and the rule decides nothing about the activation.

The moment is one integral per expression, computed from the compiled
function by composite Gauss-Legendre quadrature (:func:`gaussian_moments`):
panels with a boundary at 0, where rectifiers have their kink, so relu's
moment is exact to rounding and smooth functions to ~1e-12.

``he`` (``N(0, 2/fan_in)``) and ``xavier`` (Glorot uniform) are the fixed rules
of the literature, kept for comparison.

>>> from actsearch.expression import parse
>>> rule = init_rule(parse("relu(x)"), "auto")
>>> rule.name, round(rule.gain ** 2, 12)
('auto', 2.0)
>>> round(init_rule(parse("2*relu(x)"), "auto").gain / rule.gain, 12)
0.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .expression import PROBES, Expression

RULES = ("auto", "he", "xavier")

#: The target scale s of the auto rule: the standard deviation of every
#: hidden pre-activation at initialisation.
AUTO_SCALE = 1.0

#: Below this the activation's output is taken as constant on N(0, s^2): no
#: signal reaches the next layer whatever the gain.
_MIN_VARIANCE = 1e-12


@lru_cache(maxsize=1)
def _nodes(half_width: float = 12.0, panel: float = 0.5, order: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of composite Gauss-Legendre over [-w, w] against the N(0, 1) density.

    Panels of width 0.5 meet at 0 (and at every multiple of 0.5), so a kink
    there costs no accuracy; beyond 12 the density is below 1e-31.
    """
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.arange(-half_width, half_width + panel / 2, panel)
    lo, hi = edges[:-1, None], edges[1:, None]
    nodes = (lo + hi) / 2 + (hi - lo) / 2 * x
    weights = (hi - lo) / 2 * w * np.exp(-nodes ** 2 / 2) / math.sqrt(2 * math.pi)
    return nodes.ravel(), weights.ravel()


def gaussian_moments(expr: Expression, scale: float = 1.0) -> tuple[float, float]:
    """``(E[f(s u)], E[f(s u)^2])`` for ``u ~ N(0, 1)``, by quadrature.

    The second moment is infinite (returned as ``inf``) when more than 1e-9 of
    it comes from beyond 10 standard deviations: the integral does not
    converge (``exp(x^2)``), however the protected primitives clip it.

    >>> from actsearch.expression import parse
    >>> mean, second = gaussian_moments(parse("relu(x)"))
    >>> round(mean, 12), round(second, 12)   # 1/sqrt(2 pi) and 1/2
    (0.398942280401, 0.5)
    """
    nodes, weights = _nodes()
    with np.errstate(all="ignore"):
        values = np.asarray(expr(scale * nodes), dtype=np.float64)
        values = np.broadcast_to(values, nodes.shape)
        squares = weights * values * values
        second = float(squares.sum())
        tail = float(squares[np.abs(nodes) > 10].sum())
        if not tail <= 1e-9 * second:
            second = math.inf
        return float(weights @ values), second


@dataclass(frozen=True)
class InitRule:
    """The initialisation one activation gets.

    ``name`` is the rule applied (``auto``, ``he`` or ``xavier``; ``xavier``
    also when ``auto`` fell back); ``gain`` the factor g of ``N(0, g^2/fan_in)``
    for the layers fed by activations (NaN for Glorot, whose scale depends on
    both fans); ``first_gain`` that of the first layer, fed by standardised
    inputs; ``reason`` why ``auto`` fell back ("" when it did not).
    """

    name: str
    gain: float
    first_gain: float
    reason: str = ""

    def describe(self) -> str:
        """``auto (g=1.414)``, ``he``, or ``xavier``."""
        return f"{self.name} (g={self.gain:.4g})" if self.name == "auto" else self.name


def auto_rule(expr: Expression, scale: float = AUTO_SCALE) -> InitRule:
    """The auto rule for ``expr`` at target scale ``scale``; Xavier when the moment is degenerate.

    >>> from actsearch.expression import parse
    >>> auto_rule(parse("0*x + 3")).reason
    'auto init fell back to xavier: f(z) is constant on N(0, 1)'
    """
    mean, second = gaussian_moments(expr, scale)
    variance = second - mean * mean
    problem = None
    if not (math.isfinite(second) and math.isfinite(mean)):
        problem = "E[f(z)^2] is not finite (or not within 10 standard deviations)"
    elif second <= 0:
        problem = "E[f(z)^2] is 0"
    elif variance <= _MIN_VARIANCE * max(second, 1.0):
        problem = f"f(z) is constant on N(0, {scale ** 2:g})"
    if problem is not None:
        return InitRule("xavier", math.nan, math.nan, f"auto init fell back to xavier: {problem}")
    return InitRule("auto", scale / math.sqrt(second), scale)


def is_rectifier_like(expr: Expression) -> bool:
    """Whether ``expr``'s mean slope on negative inputs is under 0.75 times its slope on positive ones.

    The old per-activation choice between He and Xavier; kept for reference.

    >>> from actsearch.expression import parse
    >>> is_rectifier_like(parse("relu(x)")), is_rectifier_like(parse("tanh(x)"))
    (True, False)
    """
    with np.errstate(all="ignore"):
        d = np.abs(expr.derivative(PROBES[:64]))
    left, right = d[PROBES[:64] < 0].mean(), d[PROBES[:64] > 0].mean()
    if not (np.isfinite(left) and np.isfinite(right)) or right == 0:
        return False
    return bool(left < 0.75 * right)


def init_rule(expr: Expression, rule: str = "auto", scale: float = AUTO_SCALE) -> InitRule:
    """The :class:`InitRule` of ``rule`` (``auto``, ``he`` or ``xavier``) for ``expr``.

    >>> from actsearch.expression import parse
    >>> init_rule(parse("tanh(x)"), "he").gain == math.sqrt(2)
    True
    """
    if rule == "auto":
        return auto_rule(expr, scale)
    if rule == "he":
        return InitRule("he", math.sqrt(2.0), math.sqrt(2.0))
    if rule == "xavier":
        return InitRule("xavier", math.nan, math.nan)
    raise ValueError(f"unknown init rule {rule!r}; choose one of {', '.join(RULES)}")


def initialise(weights: list[np.ndarray], rng: np.random.Generator, rule: InitRule | list[InitRule]) -> None:
    """Draw every layer of an MLP in place: ``weights[l]`` is ``(fan_in + 1, fan_out)``, bias last.

    ``he``: N(0, 2/fan_in) for the hidden layers, Glorot uniform for the
    output.  ``xavier``: Glorot uniform everywhere.  ``auto``: N(0,
    first_gain^2/fan_in) for the first layer and N(0, gain^2/fan_in) for every
    layer fed by activations, the output layer included.  Biases start at 0.

    ``rule`` may be a list with one rule per hidden layer's activation (a
    per-layer candidate): the first layer is drawn by the rule of the
    activation it feeds, every later layer by the rule of the activation that
    feeds it.

    >>> W = [np.zeros((3, 4)), np.zeros((5, 1))]
    >>> initialise(W, np.random.default_rng(0), [init_rule(None, "he")])
    >>> float(W[0][-1].max()), W[1].shape
    (0.0, (5, 1))
    """
    last = len(weights) - 1
    rules = rule if isinstance(rule, (list, tuple)) else [rule] * last
    gains = []
    for layer in range(last + 1):
        rule = rules[max(layer - 1, 0)]
        gain = None
        if rule.name == "he" and layer < last:
            gain = rule.gain
        elif rule.name == "auto":
            gain = rule.first_gain if layer == 0 else rule.gain
        gains.append(gain)
    initialise_gains(weights, rng, gains)


def initialise_gains(weights: list[np.ndarray], rng: np.random.Generator, gains: list[float | None]) -> None:
    """Draw ``weights[l]`` (``(fan_in + 1, fan_out)``, bias last) in place from N(0, gains[l]^2/fan_in), or
    Glorot uniform where ``gains[l]`` is None; biases start at 0.  The layers are drawn in order from ``rng``.

    >>> W = [np.empty((3, 2)), np.empty((3, 1))]
    >>> initialise_gains(W, np.random.default_rng(0), [1.0, None])
    >>> W[0][-1].tolist(), bool(np.all(np.abs(W[1]) <= np.sqrt(6 / 3)))
    ([0.0, 0.0], True)
    """
    for W, gain in zip(weights, gains):
        fan_in, fan_out = W.shape[0] - 1, W.shape[1]
        if gain is not None:
            w = rng.standard_normal((fan_in, fan_out)) * (gain / math.sqrt(fan_in))
        else:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, (fan_in, fan_out))
        W[:-1] = w
        W[-1] = 0.0


def combined_rule(rules: list[InitRule]) -> InitRule:
    """The one rule a row reports for the hidden layers' rules: theirs when they agree; otherwise a
    NaN gain, since no single gain was used, and their name, or the names joined by ``|`` (one per
    layer) when the rules differ.

    >>> combined_rule([init_rule(None, "he")] * 2).name, combined_rule([init_rule(None, "he"),
    ...                                                                  init_rule(None, "xavier")]).name
    ('he', 'he|xavier')
    """
    first = rules[0]
    if all(repr(r) == repr(first) for r in rules):  # repr: a NaN gain equals itself
        return first
    reasons = "; ".join(dict.fromkeys(r.reason for r in rules if r.reason))
    names = [r.name for r in rules]
    name = names[0] if len(set(names)) == 1 else "|".join(names)
    return InitRule(name, math.nan, math.nan, reasons)
