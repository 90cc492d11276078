"""Export of a per-layer candidate: each part exported as one activation would be, then a list per layer.

* ``numpy`` and ``jax``: ``activation_0``, ``activation_1``, ... (one function per group) and
  ``activations``, the function of each hidden layer in order;
* ``torch``: ``Activation0``, ``Activation1``, ... (one ``nn.Module`` per group) and
  ``activations(dtype)``, an ``nn.ModuleList`` with the module of each hidden layer (the layers of one
  group share its module, hence its parameters; a parameter name in two groups is two ``nn.Parameter``);
* ``sympy``: ``expr_0``, ``subs_0``, ... per group, then ``exprs`` (per hidden layer) and ``subs`` (all);
* ``latex``: one line per group, ``f_{0, 1}(x) = ...``, subscripted by its layers.

>>> from actsearch.expression import parse
>>> print(layered_code(parse("relu(x) | tanh(x)"), "latex", lambda e, to: str(e)))
f_{0}(x) = relu(x) \\\\
f_{1}(x) = tanh(x)
"""

from __future__ import annotations

from typing import Callable

__all__ = ["layered_code"]

#: What each target calls the one activation, and what group k's is called.
_NAMES = {"numpy": ("def activation(", "def activation_{k}("), "jax": ("def activation(", "def activation_{k}("),
          "torch": ("class Activation(nn.Module):", "class Activation{k}(nn.Module):")}


def layered_code(expr, to: str, one: Callable[[object, str], str]) -> str:
    """The code of per-layer candidate ``expr`` in target ``to``, from ``one(part, to)``, the code of one part.

    >>> from actsearch.expression import parse
    >>> print(layered_code(parse("relu(x) @ (0, 2) | tanh(x) @ (1)"), "latex", lambda part, to: str(part)))
    f_{0, 2}(x) = relu(x) \\\\
    f_{1}(x) = tanh(x)
    """
    codes = [one(part, to) for part in expr.parts]
    if to == "latex":
        return " \\\\\n".join(f"f_{{{', '.join(map(str, g))}}}(x) = {code}" for g, code in zip(expr.groups, codes))
    layers = expr.layer_parts()
    if to == "sympy":
        bodies = [code.split("\n", 2)[2].replace("\nsubs = ", f"\nsubs_{k} = ").replace("\nexpr = ", f"\nexpr_{k} = ")
                  for k, code in enumerate(codes)]
        tail = [f"# {expr}: one expression per hidden layer, and every parameter's value",
                f"exprs = [{', '.join(f'expr_{k}' for k in layers)}]",
                "subs = {" + ", ".join(f"**subs_{k}" for k in range(len(codes))) + "}"]
        return "import sympy\n\n" + "\n".join(bodies) + "\n" + "\n".join(tail) + "\n"
    heads, bodies = [], []
    old, new = _NAMES[to]
    for k, code in enumerate(codes):
        head, _, body = code.partition("\n\n\n")
        heads += [line for line in head.split("\n") if line not in heads]
        bodies.append(body.replace(old, new.format(k=k), 1).rstrip("\n"))
    if to == "torch":
        modules = ", ".join(f"Activation{k}(dtype=dtype)" for k in range(len(codes)))
        tail = ("def activations(dtype=torch.float32):\n"
                f'    """One module per hidden layer of {expr} (the layers of a group share its module)."""\n'
                f"    groups = [{modules}]\n"
                f"    return nn.ModuleList([{', '.join(f'groups[{k}]' for k in layers)}])")
    else:
        tail = (f"#: the activation of each hidden layer of {expr}\n"
                f"activations = [{', '.join(f'activation_{k}' for k in layers)}]")
    return "\n".join(heads) + "\n\n\n" + "\n\n\n".join(bodies) + "\n\n\n" + tail + "\n"
