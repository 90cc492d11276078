"""The registry of primitives, and the check a declared primitive must pass.

A primitive is a declared object, as in gplearn's ``make_function``: a name, an
arity, a protected NumPy forward, and one analytic partial derivative per
argument.  :func:`make_primitive` checks it (shape, finiteness on zeros,
negatives and large inputs, and each partial against central finite
differences), so a wrong declaration fails where it is made, with a one-line
``ValueError``, not in the middle of a search.

The built-in primitives (:mod:`.builtin`) are registered without the check:
it costs tens of milliseconds on every ``import actsearch``, and erf's would
import scipy.  The test suite runs the same check over the whole registry
(``tests/test_primitives.py``).

Partials are declared in one of three forms, which the expression compiler
turns into as few NumPy calls as possible:

* a number ``c``: the partial is the constant ``c`` (``d(a+b)/da = 1``);
* ``Arg(k)``: the partial is the value of argument ``k`` (``d(a*b)/da = b``);
* a callable ``d(value, *args)``: computed from the primitive's value and its
  arguments (``d tanh(a)/da = 1 - value**2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

__all__ = ["Arg", "Partial", "Primitive", "PRIMITIVES", "get_primitive", "make_primitive", "check_primitive",
           "add_factory"]


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


class _Registry(dict):
    """The registry: a dict of the listed primitives that also answers for the members a factory
    makes on demand (``apl3``, ``apl7``: any number of hinges), without listing them."""

    factories: list[Callable[[str], "Primitive | None"]] = []

    def __missing__(self, name):
        for factory in self.factories:
            prim = factory(name) if isinstance(name, str) else None
            if prim is not None:
                return prim
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, name) or self.get(name) is not None

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default


PRIMITIVES: dict[str, Primitive] = _Registry()


def add_factory(factory: Callable[[str], "Primitive | None"]) -> None:
    """Let ``factory(name)`` answer for names the registry does not list (a family's members).

    The families' factory is added on import, so ``apl3`` is found though never stored:

    >>> "apl3" in PRIMITIVES, dict.__contains__(PRIMITIVES, "apl3")
    (True, False)
    """
    _Registry.factories.append(factory)


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
    check: bool = True,
    **options,
) -> Primitive:
    """Declare a primitive, check it, and add it to the registry (unless ``register=False``).

    The check (:func:`check_primitive`) evaluates the primitive in float64 on
    zeros, negatives and inputs up to 1e4 in size (it must stay finite) and
    compares every partial with central finite differences away from kinks.
    ``check=False`` skips it: only for the built-in table, which the test suite
    checks instead.  ``options`` are the other fields of :class:`Primitive`.

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
    if check:
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
                    f"= {fd[j]:.6g} at args {[float(np.broadcast_to(a, grid.shape)[j]) for a in args]}"
                )
