"""A parser for plain maths notation, written by hand: no eval, no exec.

Grammar (``^`` and ``**`` are the same, right-associative, and bind tighter
than unary minus, so ``-x^2`` is ``-(x^2)``)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := NUMBER | NAME | NAME "(" sum ("," sum)* ")" | "(" sum ")"

A name is a variable (``x``), a parameter (``beta``), a constant (``pi``,
``e``) or, when followed by ``(``, a registered primitive.  Anything else is
an :class:`~actsearch.errors.ExpressionError` naming the position.
"""

from __future__ import annotations

import math
import re
from typing import Callable

from ..errors import ExpressionError
from ..primitives import PRIMITIVES, family_error, family_of
from .tree import Call, Const, Node, Param, Var, param_names

#: Names that parse as parameters, with their values when nothing else says.
DEFAULT_PARAMS: dict[str, float] = {"alpha": 1.0, "beta": 1.0, "gamma": 1.0, "eps": 1e-6}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
MAX_DEPTH = 64  # each level costs ~8 Python frames; 64 stays far from the recursion limit
MAX_LENGTH = 100_000

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/^(),]))"
)


def _snippet(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


class _Parser:
    def __init__(self, text: str, variables: tuple[str, ...], params: set[str]):
        self.text = text
        self.variables = variables
        self.params = params
        self.tokens = self._tokenize(text)
        self.i = 0
        self.depth = 0
        self.slot_defaults: dict[str, float] = {}

    def error(self, message: str, pos: int | None = None) -> ExpressionError:
        if pos is None:
            pos = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)
        return ExpressionError(f"{message} at position {pos} in {_snippet(self.text)}")

    def _tokenize(self, text: str) -> list[tuple[str, str, int]]:
        tokens = []
        pos = 0
        end = len(text.rstrip())
        while pos < end:
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                start = pos + len(text[pos:]) - len(text[pos:].lstrip())
                raise ExpressionError(
                    f"unexpected character {text[start]!r} at position {start} in {_snippet(text)}"
                )
            kind = m.lastgroup
            tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        return tokens

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            want = f"{expected!r}" if expected else "more input"
            raise self.error(f"expected {want} but the expression ended")
        tok = self.tokens[self.i]
        if expected is not None and tok[1] != expected:
            raise self.error(f"expected {expected!r} but found {tok[1]!r}")
        self.i += 1
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested more than {MAX_DEPTH} levels deep")

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("empty expression: write a function of x, such as 'x * sigmoid(x)'")
        node = self.sum()
        if self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if tok[1] == ")":
                raise self.error("unbalanced parenthesis: ')' without '('")
            raise self.error(f"unexpected {tok[1]!r}")
        return node

    def sum(self) -> Node:
        return self.left_associative(self.product, {"+": "add", "-": "sub"})

    def product(self) -> Node:
        return self.left_associative(self.unary, {"*": "mul", "/": "div"})

    def left_associative(self, operand: Callable[[], Node], ops: dict[str, str]) -> Node:
        """Operands joined by the binary operators ``ops`` (symbol -> primitive), from the left:
        ``a - b - c`` is ``(a - b) - c``."""
        node = operand()
        while self.peek() in ops:
            node = Call(ops[self.take()[1]], (node, operand()))
        return node

    def unary(self) -> Node:
        if self.peek() in ("-", "+"):
            sign = self.take()[1]
            start = self.i
            self.enter()
            operand = self.unary()
            self.depth -= 1
            if sign == "+":
                return operand
            if isinstance(operand, Const) and self.i == start + 1:
                return Const(-operand.value)  # "-2" is a number; "-(2)" and "-2^2" are not
            return Call("neg", (operand,))
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek() in ("^", "**"):
            _, _, pos = self.take()
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            value = _constant_value(exponent)
            if value is None:
                raise self.error("the exponent of '^' must be a number, such as x^2", pos)
            return Call("pow", (base, Const(value)))
        return base

    def atom(self) -> Node:
        kind, value, pos = self.take()
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise self.error(f"number {value} is too large", pos)
            return Const(number)
        if value == "(":
            self.enter()
            node = self.sum()
            self.depth -= 1
            if self.peek() != ")":
                raise self.error("unbalanced parenthesis: '(' is never closed", pos)
            self.take(")")
            return node
        if kind != "name":
            raise self.error(f"unexpected {value!r}", pos)
        if self.peek() == "(":
            return self.call(value, pos)
        if value in self.variables:
            return Var(value)
        if value in self.params:
            return Param(value)
        if value in CONSTANTS:
            return Const(CONSTANTS[value])
        if value in PRIMITIVES:
            raise self.error(f"{value!r} is a function: write {value}(x)", pos)
        if family_error(value):
            raise self.error(family_error(value), pos)
        known = ", ".join([*self.variables, *sorted(self.params), *CONSTANTS])
        raise self.error(f"unknown name {value!r} (known: {known})", pos)

    def call(self, name: str, pos: int) -> Node:
        prim = PRIMITIVES.get(name)
        if prim is None:
            problem = family_error(name)
            raise self.error(problem or f"unknown function {name!r}", pos)
        self.take("(")
        self.enter()
        args = [self.sum()]
        while self.peek() == ",":
            self.take(",")
            args.append(self.sum())
        self.depth -= 1
        if self.peek() != ")":
            raise self.error(f"unbalanced parenthesis: '(' of {name}( is never closed", pos)
        self.take(")")
        family = family_of(name)
        if family is not None and len(args) != 1:
            raise self.error(f"{name}() takes 1 argument, got {len(args)}: its coefficients "
                             f"({', '.join(family.coefficients)}) are learnable parameters", pos)
        if not prim.min_arity <= len(args) <= prim.arity:
            want = str(prim.arity) if prim.min_arity == prim.arity else f"{prim.min_arity} to {prim.arity}"
            raise self.error(f"{name}() takes {want} argument(s), got {len(args)}", pos)
        for k, arg in enumerate(args):
            # A parameter written in a slot that has a default starts there:
            # leaky_relu(x, alpha) starts with alpha = 0.01.
            if isinstance(arg, Param) and k >= prim.min_arity:
                self.slot_defaults.setdefault(arg.name, prim.defaults[k - prim.min_arity])
        return Call(name, tuple(args))


def _constant_value(node: Node) -> float | None:
    """The value of a subtree without variables or parameters, else None."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Call):
        values = [_constant_value(a) for a in node.args]
        if any(v is None for v in values):
            return None
        out = float(PRIMITIVES[node.op](*values))
        return out if math.isfinite(out) else None
    return None


def parse_tree(
    text: str,
    variables: tuple[str, ...] = ("x",),
    params: dict[str, float] | None = None,
) -> tuple[Node, dict[str, float]]:
    """Parse ``text`` into a tree and the values of the parameters it uses.

    A parameter takes, in order: the value in ``params``, the default of the
    primitive slot it is written in, or :data:`DEFAULT_PARAMS`.

    >>> parse_tree("x * sigmoid(beta * x)")[1]
    {'beta': 1.0}
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    given = dict(params or {})
    for name in given:
        if not name.isidentifier() or name in PRIMITIVES or name in CONSTANTS or name in variables:
            raise ExpressionError(f"{name!r} cannot be a parameter name")
    parser = _Parser(text, tuple(variables), set(DEFAULT_PARAMS) | set(given))
    tree = parser.parse()
    values = {}
    for name in param_names(tree):
        if name in given:
            values[name] = float(given[name])
        elif name in parser.slot_defaults:
            values[name] = float(parser.slot_defaults[name])
        else:
            values[name] = DEFAULT_PARAMS[name]
    return tree, values
