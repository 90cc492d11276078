"""The primitives every activation is built from: the registry and the built-in table.

:mod:`.registry` declares and checks primitives (:func:`make_primitive`, as in
gplearn's ``make_function``); :mod:`.builtin` registers the built-in ones;
:mod:`.families` the learnable families (``apl``, ``aplS``, ``rational``).

>>> get_primitive("tanh").arity
1
>>> "gelu" in ACTIVATIONS and "gelu" in PRIMITIVES
True
"""

from __future__ import annotations

from .builtin import ACTIVATIONS, EXP_CLIP, RAMACHANDRAN_BINARY, RAMACHANDRAN_UNARY
from .families import FAMILIES, RATIONAL_INIT, Family, family_error, family_of
from .registry import PRIMITIVES, Arg, Partial, Primitive, check_primitive, get_primitive, make_primitive

__all__ = [
    "Arg",
    "Partial",
    "Primitive",
    "make_primitive",
    "check_primitive",
    "get_primitive",
    "PRIMITIVES",
    "ACTIVATIONS",
    "RAMACHANDRAN_UNARY",
    "RAMACHANDRAN_BINARY",
    "EXP_CLIP",
    "FAMILIES",
    "Family",
    "family_of",
    "family_error",
    "RATIONAL_INIT",
]
