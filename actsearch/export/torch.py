"""PyTorch code: an ``nn.Module`` named ``Activation`` whose parameters are ``nn.Parameter``.

>>> from actsearch.expression import parse
>>> print(torch_code(parse("x * tanh(x)")).split("\\n\\n\\n")[0])
import torch
from torch import nn
"""

from __future__ import annotations

from ..expression import Expression
from .literals import default_value
from .rendering import EXPORTED, Renderer, array_result, import_lines

__all__ = ["torch_code"]


def torch_code(expr: Expression, per_neuron: dict[str, tuple[float, ...]] | None = None) -> str:
    """A module defining ``class Activation(nn.Module)`` for ``expr``; ``per_neuron`` parameters
    default to a tuple of values, one per neuron (the last axis of ``x``)."""
    per_neuron = per_neuron or {}
    renderer = Renderer(expr, "torch")
    names = renderer.names
    var_names = [names[v] for v in expr.variables]
    result = array_result(renderer, "torch", var_names[0])
    init_args = ", ".join([f"{names[p]}={default_value(v, per_neuron.get(p))}" for p, v in expr.params.items()]
                          + ["dtype=torch.float32"])
    lines = [
        "class Activation(nn.Module):",
        f'    """{expr}, {EXPORTED}.',
        "",
        "    Parameters are learnable (nn.Parameter); dtype=torch.float64 gives double precision.",
        '    """',
        "",
        f"    def __init__(self, {init_args}):",
        "        super().__init__()",
    ]
    lines += [f"        self.{names[p]} = nn.Parameter(torch.tensor({names[p]}, dtype=dtype))" for p in expr.params]
    lines += ["", f"    def forward(self, {', '.join(var_names)}):"]
    lines += [f"        {line}" for line in renderer.lines] + [f"        return {result}"]
    text = "\n".join(lines)
    head = import_lines(text, [("math.", "import math")]) + ["import torch", "from torch import nn"]
    head += import_lines(text, [("F.", "import torch.nn.functional as F")])
    return "\n".join(head) + "\n\n\n" + text + "\n"
