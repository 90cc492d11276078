"""SymPy code that builds ``expr`` over real symbols, with the parameters' values in ``subs``.

>>> from actsearch.expression import parse
>>> print(sympy_code(parse("beta * x", params={"beta": 2.0})))
import sympy
<BLANKLINE>
# beta * x, exported from actsearch (protected as in actsearch.primitives)
# values: expr.subs(subs); derivative: sympy.diff(expr, x)
x = sympy.Symbol("x", real=True)
beta = sympy.Symbol("beta", real=True)
subs = {beta: 2.0}
expr = beta * x
<BLANKLINE>
"""

from __future__ import annotations

from ..expression import Expression
from ..expression.tree import Call
from .literals import number
from .rendering import EXPORTED, Renderer

__all__ = ["sympy_code"]


def sympy_code(expr: Expression, per_neuron: list[str] | None = None) -> str:
    """Python code that defines the symbols, ``subs`` and ``expr`` for ``expr``; ``per_neuron`` names
    parameters whose value in ``subs`` is the mean of per-neuron values."""
    renderer = Renderer(expr, "sympy")
    names = renderer.names
    result, _ = renderer.render(renderer.tree)
    lines = ["import sympy", "", f"# {expr}, {EXPORTED}",
             "# values: expr.subs(subs); derivative: sympy.diff(expr, x)"]
    if per_neuron:
        lines.append(f"# {', '.join(per_neuron)}: each the mean of its per-neuron values (one function, "
                     "not the neurons' mean)")
    lines += [f'{names[v]} = sympy.Symbol("{v}", real=True)' for v in expr.variables]
    lines += [f'{names[p]} = sympy.Symbol("{p}", real=True)' for p in expr.params]
    lines.append("subs = {" + ", ".join(f"{names[p]}: {number(v)}" for p, v in expr.params.items()) + "}")
    lines += renderer.lines
    lines.append(f"expr = sympy.sympify({result})" if not isinstance(renderer.tree, Call) else f"expr = {result}")
    return "\n".join(lines) + "\n"
