"""NumPy and JAX code: ``def activation(x, <param>=<value>...)``.

JAX shares the NumPy templates, with ``jnp`` and ``jax.scipy.special`` for ``$np`` and ``$sp``.

>>> from actsearch.expression import parse
>>> print(function_code(parse("erf(x)"), "jax"))  # doctest: +NORMALIZE_WHITESPACE
import jax.numpy as jnp
import jax.scipy.special
<BLANKLINE>
<BLANKLINE>
def activation(x):
    \"\"\"erf(x), exported from actsearch (protected as in actsearch.primitives).\"\"\"
    return jax.scipy.special.erf(x)
"""

from __future__ import annotations

from ..expression import Expression
from .literals import default_value
from .rendering import EXPORTED, Renderer, array_result, import_lines

__all__ = ["function_code"]


def function_code(expr: Expression, target: str, per_neuron: dict[str, tuple[float, ...]] | None = None) -> str:
    """A module defining ``activation`` for ``target`` "numpy" or "jax"; ``per_neuron`` parameters
    default to a tuple of values, one per neuron (the last axis of ``x``)."""
    per_neuron = per_neuron or {}
    renderer = Renderer(expr, target)
    names = renderer.names
    np_ = "np" if target == "numpy" else "jnp"
    var_names = [names[v] for v in expr.variables]
    result = array_result(renderer, np_, var_names[0])
    body = [f"    {line}" for line in renderer.lines] + [f"    return {result}"]
    signature = ", ".join(var_names + [f"{names[p]}={default_value(v, per_neuron.get(p))}"
                                       for p, v in expr.params.items()])
    lines = [f"def activation({signature}):", f'    """{expr}, {EXPORTED}."""']
    if target == "numpy":
        for v in var_names:
            lines += [f"    {v} = np.asarray({v})", f"    {v} = {v}.astype(np.result_type({v}, 1.0), copy=False)"]
    lines += [f"    {names[p]} = {np_}.asarray({names[p]}, dtype={var_names[0]}.dtype)  # one per neuron"
              for p in expr.params if p in per_neuron]
    lines += body
    text = "\n".join(lines)
    if target == "numpy":
        head = ["import numpy as np"] + import_lines(text, [("scipy.special.", "import scipy.special  # erf, erfc")])
    else:
        head = ["import jax.numpy as jnp"] + import_lines(text, [("jax.scipy.special.", "import jax.scipy.special")])
    return "\n".join(head) + "\n\n\n" + text + "\n"
