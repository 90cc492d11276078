"""A LaTeX formula (no code; the protections' thresholds are not written there).

>>> from actsearch.expression import parse
>>> latex_formula(parse("x^-2 + sin(x)"))
'x^{-2} + \\\\sin(x)'
"""

from __future__ import annotations

from ..expression import Expression
from .rendering import Renderer

__all__ = ["latex_formula"]


def latex_formula(expr: Expression) -> str:
    """``expr`` as one line of LaTeX."""
    renderer = Renderer(expr, "latex")
    return renderer.render(renderer.tree)[0]
