"""The renderer: a folded tree written out in one target with the translation table,
parentheses only where precedence needs them and shared subtrees as temporaries.

>>> from actsearch.expression import parse
>>> r = Renderer(parse("tanh(x) * tanh(x) + 1"), "numpy")
>>> r.render(r.tree)[0], r.lines
('t0 * t0 + 1.0', ['t0 = np.tanh(x)'])
>>> identifiers(["lambda", "t0", "forward"], "torch")
{'lambda': 'lambda_', 't0': 't0_', 'forward': 'forward_'}
"""

from __future__ import annotations

import keyword
import re
from collections import Counter

from ..expression import Expression
from ..expression.tree import Call, Const, Node, Param, Var, walk
from .literals import is_whole, latex_name, latex_number, named_constant, number
from .precedence import ATOM, SUM, UNARY, precedence, slots
from .translations import NAMESPACES, translation
from .trees import fold, has_var

__all__ = ["EXPORTED", "Renderer", "array_result", "identifiers", "import_lines"]

#: What the docstring (or comment) of every exported function says after the expression.
EXPORTED = "exported from actsearch (protected as in actsearch.primitives)"

_PY_RESERVED = {
    "np", "scipy", "jnp", "jax", "torch", "nn", "F", "math", "sympy", "self", "activation", "Activation",
    "expr", "subs", "dtype", "super", "float", "int", "abs", "True", "False", "None",
}
#: nn.Module's own attributes: a parameter of that name is renamed.
_MODULE_ATTRS = {
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile",
    "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state",
    "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad",
}


def identifiers(names: list[str], target: str) -> dict[str, str]:
    """Code identifiers for variable and parameter names: a keyword, a module we import,
    a temporary's name (t0, t1, ...) or an nn.Module attribute gets a trailing underscore."""
    taken: set[str] = set()
    out = {}
    for name in names:
        ident = name
        while (keyword.iskeyword(ident) or keyword.issoftkeyword(ident) or ident in _PY_RESERVED
               or re.fullmatch(r"t\d+", ident) or (target == "torch" and ident in _MODULE_ATTRS)
               or ident.startswith("__") or ident in taken):
            ident += "_"
        taken.add(ident)
        out[name] = ident
    return out


def _cheap(text: str) -> bool:
    """A name or a non-negative number: repeating it in code costs nothing."""
    return re.fullmatch(r"[\w.]+", text) is not None


class Renderer:
    """Writes ``expr``'s folded tree (:attr:`tree`) in ``target``; :meth:`render` gives
    (text, precedence) of a node, and :attr:`lines` collects the temporaries it needed."""

    def __init__(self, expr: Expression, target: str):
        self.tree = fold(expr.tree)
        self.target = target
        self.names = identifiers([*expr.variables, *expr.params], target)
        self.latex = target == "latex"
        self.lines: list[str] = []
        self.memo: dict[Node, tuple[str, int]] = {}
        self.uses = Counter(n for n in walk(self.tree) if isinstance(n, Call))
        self.namespaces = NAMESPACES.get(target, {})
        # a formula shows a learnable family's coefficients as their (learned) values, not as names
        self.coefficients = {n: expr.params[n] for n in expr.learnable_family} if self.latex else {}

    def temporary(self, text: str) -> tuple[str, int]:
        """A new temporary ``t<k> = text``, written as its name."""
        name = f"t{len(self.lines)}"
        self.lines.append(f"{name} = {text}")
        return name, ATOM

    def leaf(self, node: Node) -> tuple[str, int]:
        """A variable, parameter or constant as the target writes it."""
        if isinstance(node, Var):
            return (latex_name(node.name) if self.latex else self.names[node.name]), ATOM
        if isinstance(node, Param):
            if node.name in self.coefficients:
                return latex_number(float(f"{self.coefficients[node.name]:.4g}"))
            if self.latex:
                return latex_name(node.name), ATOM
            ident = self.names[node.name]
            return (f"self.{ident}" if self.target == "torch" else ident), ATOM
        value = node.value
        if self.latex:
            return latex_number(value)
        if self.target == "sympy":
            named = named_constant(value, "sympy")
            if named is not None:
                return named
            if is_whole(value):
                text = str(int(value))
                return text, UNARY if text.startswith("-") else ATOM
        text = number(value)
        return text, UNARY if text.startswith("-") else ATOM

    def render(self, node: Node) -> tuple[str, int]:
        """``node`` as (text, precedence), each shared subtree computed once."""
        if node in self.memo:
            return self.memo[node]
        if not isinstance(node, Call):
            out = self.leaf(node)
        else:
            out = self.call(node)
            if self.target == "numpy" and not has_var(node) and re.search(r"(?<![\w.])(np|scipy)\.", out[0]):
                # a function of the parameters only: NumPy returns a float64 scalar, which would
                # turn float32 work into float64; the compiler makes it a Python float too
                out = f"float({out[0]})", ATOM
            if not self.latex and self.uses[node] > 1 and not _cheap(out[0]):
                out = self.temporary(out[0])  # a shared subtree is computed once
        self.memo[node] = out
        return out

    def call(self, node: Call) -> tuple[str, int]:
        """A primitive's call: its template with the rendered arguments, wrapped where needed."""
        template = translation(node.op, self.target)
        if callable(template):
            template = template(node.args)
        for key, value in self.namespaces.items():
            template = template.replace("$" + key, value)
        args = [self.render(a) for a in node.args]
        template_slots = slots(template)
        counts = Counter(tok for tok, _, _ in template_slots)
        for tok, n in counts.items():
            k = int(tok[1:])
            if n > 1 and not self.latex and not _cheap(args[k][0]):
                args[k] = self.temporary(args[k][0])  # an argument the template repeats
        pieces = []
        pos = 0
        texts = iter(template_slots)
        for m in re.finditer(r"\$\d+", template):
            tok, need, minus = next(texts)
            text, prec = args[int(tok[1:])]
            if prec < need or (minus and text.startswith("-")):
                text = f"\\left({text}\\right)" if self.latex else f"({text})"
            pieces.append(template[pos:m.start()])
            pieces.append(text)
            pos = m.end()
        pieces.append(template[pos:])
        text = "".join(pieces)
        return text, precedence(text)


def array_result(renderer: Renderer, array_module: str, like: str) -> str:
    """The returned expression of array code (NumPy, JAX, torch): one value per point of
    ``like`` even when the tree is a constant or depends on the parameters only."""
    tree = renderer.tree
    if isinstance(tree, Const):
        return f"{array_module}.full_like({like}, {number(tree.value)})"
    result, prec = renderer.render(tree)
    if not has_var(tree):  # a function of the parameters only: one value per point all the same
        result = f"{result if prec > SUM else f'({result})'} + {array_module}.zeros_like({like})"
    return result


def import_lines(body: str, modules: list[tuple[str, str]]) -> list[str]:
    """The import lines for the modules ``body`` uses, from (prefix, line) pairs.

    >>> import_lines("return F.silu(x)", [("math.", "import math"), ("F.", "import torch.nn.functional as F")])
    ['import torch.nn.functional as F']
    """
    return [line for prefix, line in modules if re.search(r"(?<![\w.])" + re.escape(prefix), body)]
