"""Compile a tree once into a straight-line program of vectorised NumPy calls.

The program computes the value and, in the same pass, the derivative with
respect to each requested input (``x`` and named parameters) by forward-mode
differentiation: every node carries its tangent, ``t(node) = sum_i
partial_i * t(arg_i)``.  Tangents that are known at compile time to be zero or
a constant (``dx/dx = 1``) are folded away, identical subtrees are computed
once, and partials that are just an argument's value (``d(a*b)/da = b``) cost
nothing.  There is no per-element Python and no eval: running the program is
one Python loop over a handful of NumPy calls.

Gradients with respect to many parameters (a DARTS mixture has one logit per
choice) are cheaper in reverse mode: :func:`compile_tree` with ``reverse``
appends a second, backward program that takes the upstream gradient and
accumulates adjoints, ``adj(arg) += adj(node) * partial``, from the output
down to each parameter.  Its cost does not grow with the number of parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..primitives import PRIMITIVES, Arg
from .tree import Call, Const, Node, Param, Var


@dataclass(frozen=True)
class _K:
    """A tangent (or value) known at compile time.

    The compiler tracks each quantity as a symbol: None (zero), a ``_K`` (a
    constant) or an int (a register).
    """

    value: float


class CompiledFunction:
    """A compiled expression: ``fn(x, params)`` returns ``(value, *tangents)``.

    The tangents follow ``wrt`` (names of variables or parameters); each output
    has the shape of ``x``.  Parameters are looked up in ``params`` by name and
    may be Python floats or arrays that broadcast against ``x``.
    """

    def __init__(self, program, n_registers, inputs, outputs, wrt, reverse=(), n_forward=None,
                 upstream=None, adjoints=()):
        self._program = program
        self._n = n_registers
        self._inputs = inputs  # (register, name) for variables and parameters
        self._outputs = outputs  # symbols
        self.wrt = tuple(wrt)
        self.reverse = tuple(reverse)
        self.n_ops = len(program)
        self._n_forward = len(program) if n_forward is None else n_forward
        self._upstream, self._adjoints = upstream, list(adjoints)
        # Registers that depend on a variable have its shape; outputs that are
        # all such registers are returned as they are.
        varying = {reg for reg, kind, _ in inputs if kind == "var"} | ({upstream} if upstream is not None else set())
        for _, out, ins in program:
            if varying.intersection(ins):
                varying.add(out)
        self._direct = all(isinstance(s, int) and s in varying for s in outputs)
        # An op on scalars only (a parameter expression such as 1 - beta) gives a
        # NumPy float64 scalar, which would turn float32 work into float64: such
        # results go back to Python floats.
        self._program = [(fn if out in varying else _scalar_op(fn), out, ins) for fn, out, ins in program]
        self._forward = self._program[:self._n_forward]
        self._backward = self._program[self._n_forward:]

    def __call__(self, x, params=None):
        return self.forward(x, params)[0]

    def forward(self, x, params=None) -> tuple[tuple, list]:
        """``(outputs, registers)``: the registers feed :meth:`vjp` afterwards."""
        regs: list = [None] * self._n
        for reg, kind, name in self._inputs:
            if kind == "const":
                regs[reg] = name
            elif kind == "var":
                regs[reg] = x if not isinstance(x, dict) else x[name]
            else:
                regs[reg] = _as_operand(params[name])
        for fn, out, ins in self._forward:
            regs[out] = fn(*[regs[i] for i in ins])
        if self._direct:  # every output is an array computed from x: no copies
            return tuple([regs[i] for i in self._outputs]), regs
        like = x if not isinstance(x, dict) else next(iter(x.values()))
        return tuple(_materialise(sym, regs, like) for sym in self._outputs), regs

    def vjp(self, registers: list, upstream) -> list:
        """``upstream * d(value)/d(p)`` for each name in ``reverse``, elementwise.

        ``registers`` come from :meth:`forward` on the same inputs; summing a
        result gives the gradient of ``sum(upstream * value)`` for a shared
        parameter.
        """
        regs = list(registers)
        regs[self._upstream] = upstream
        for fn, out, ins in self._backward:
            regs[out] = fn(*[regs[i] for i in ins])
        return [_materialise(sym, regs, upstream) for sym in self._adjoints]


def _scalar_op(fn):
    def op(*args):
        return _as_operand(fn(*args))
    return op


def _as_operand(value):
    # Python floats keep the array's dtype (NumPy's weak scalars); a NumPy
    # float64 scalar would turn float32 work into float64.  Type checks first:
    # this runs for every parameter-only op of every layer call.
    if isinstance(value, np.ndarray):
        return value if value.ndim else float(value)
    if isinstance(value, (float, int, np.generic)):
        return float(value)
    return value if np.ndim(value) else float(value)


def _materialise(sym, regs, like):
    if sym is None:
        return np.zeros_like(like)
    if isinstance(sym, _K):
        return np.full_like(like, sym.value)
    value = regs[sym]
    if np.shape(value) != np.shape(like):
        value = np.broadcast_to(value, np.shape(like)).astype(np.result_type(like, 1.0))
    return value


class _Builder:
    def __init__(self):
        self.program: list[tuple[Callable, int, tuple[int, ...]]] = []
        self.inputs: list[tuple[int, str, object]] = []
        self.n = 0
        self.cache: dict = {}
        self.values: dict = {}

    def new(self) -> int:
        self.n += 1
        return self.n - 1

    def emit(self, key, fn, ins: Sequence[int]) -> int:
        """Append ``fn(*regs[ins])`` unless the same call was emitted before."""
        key = (key, tuple(ins))
        if key not in self.cache:
            out = self.new()
            self.program.append((fn, out, tuple(ins)))
            self.cache[key] = out
        return self.cache[key]

    def leaf(self, kind: str, name) -> int:
        key = ("leaf", kind, name)
        if key not in self.cache:
            reg = self.new()
            self.inputs.append((reg, kind, name))
            self.cache[key] = reg
        return self.cache[key]

    # --- arithmetic on symbols ------------------------------------------------
    def times(self, a, b):
        """The symbol for a * b."""
        if a is None or b is None:
            return None
        if isinstance(a, _K) and isinstance(b, _K):
            return _K(a.value * b.value)
        if isinstance(b, _K):
            a, b = b, a
        if isinstance(a, _K):
            if a.value == 0.0:
                return None
            if a.value == 1.0:
                return b
            if a.value == -1.0:
                return self.emit("neg", np.negative, (b,))
            c = a.value
            return self.emit(("scale", c), lambda t, c=c: c * t, (b,))
        return self.emit("mul", np.multiply, (a, b))

    def plus(self, a, b):
        """The symbol for a + b."""
        if a is None:
            return b
        if b is None:
            return a
        if isinstance(a, _K) and isinstance(b, _K):
            return _K(a.value + b.value)
        if isinstance(b, _K):
            a, b = b, a
        if isinstance(a, _K):
            c = a.value
            return self.emit(("shift", c), lambda t, c=c: t + c, (b,))
        return self.emit("add", np.add, (a, b))

    def as_register(self, sym) -> int:
        if isinstance(sym, _K):
            return self.leaf("const", sym.value)
        return sym


def _value(builder: _Builder, node: Node):
    """The symbol of a node's value: a constant or a register."""
    if node not in builder.values:
        builder.values[node] = _compute_value(builder, node)
    return builder.values[node]


def _compute_value(builder: _Builder, node: Node):
    if isinstance(node, Const):
        return _K(node.value)
    if isinstance(node, Var):
        return builder.leaf("var", node.name)
    if isinstance(node, Param):
        return builder.leaf("param", node.name)
    prim = PRIMITIVES[node.op]
    args = [_value(builder, a) for a in node.args]
    args += [_K(d) for d in prim.defaults[len(args) - prim.min_arity:]]
    if all(isinstance(a, _K) for a in args):  # a constant subtree: fold it now
        with np.errstate(all="ignore"):
            return _K(float(prim.forward(*[a.value for a in args])))
    regs = tuple(builder.as_register(a) for a in args)
    return builder.emit(("value", node.op), prim.forward, regs)


def _tangent(builder: _Builder, node: Node, name: str, memo: dict):
    """The symbol of d(node)/d(name)."""
    if node in memo:
        return memo[node]
    if isinstance(node, Const):
        out = None
    elif isinstance(node, (Var, Param)):
        out = _K(1.0) if node.name == name else None
    else:
        prim = PRIMITIVES[node.op]
        value = _value(builder, node)
        args = [_value(builder, a) for a in node.args]
        args += [_K(d) for d in prim.defaults[len(args) - prim.min_arity:]]
        regs = tuple(builder.as_register(a) for a in args)
        out = None
        for i, arg in enumerate(node.args):
            t = _tangent(builder, arg, name, memo)
            if t is None:
                continue
            d = prim.partials[i]
            if isinstance(d, Arg):
                partial = args[d.index]
            elif callable(d):
                partial = builder.emit(("partial", node.op, i), d, (value,) + regs)
            else:
                partial = _K(float(d))
            out = builder.plus(out, builder.times(partial, t))
    memo[node] = out
    return out


def _partial(builder: _Builder, node: Call, i: int):
    """The symbol of d(node)/d(arg i), from the primitive's declared partials."""
    prim = PRIMITIVES[node.op]
    args = [_value(builder, a) for a in node.args]
    args += [_K(d) for d in prim.defaults[len(args) - prim.min_arity:]]
    d = prim.partials[i]
    if isinstance(d, Arg):
        return args[d.index]
    if callable(d):
        regs = tuple(builder.as_register(a) for a in args)
        return builder.emit(("partial", node.op, i), d, (_value(builder, node),) + regs)
    return _K(float(d))


def _adjoints(builder: _Builder, tree: Node, names: Sequence[str], upstream: int) -> list:
    """Reverse accumulation from ``tree`` (seeded with ``upstream``) to the parameters ``names``."""
    wanted = set(names)
    order: list[Node] = []  # each distinct node after all of its arguments
    depends: dict[Node, bool] = {}

    def visit(node: Node) -> bool:
        if node not in depends:
            if isinstance(node, Param):
                depends[node] = node.name in wanted
            elif isinstance(node, Call):
                depends[node] = any([visit(a) for a in node.args])  # a list: visit every argument
            else:
                depends[node] = False
            order.append(node)
        return depends[node]

    visit(tree)
    adj = {tree: upstream}
    for node in reversed(order):  # parents before their arguments
        a = adj.get(node)
        if a is None or not isinstance(node, Call) or not depends[node]:
            continue
        for i, arg in enumerate(node.args):
            if depends[arg]:
                adj[arg] = builder.plus(adj.get(arg), builder.times(a, _partial(builder, node, i)))
    return [adj.get(Param(name)) for name in names]


def compile_tree(tree: Node, wrt: Sequence[str] = ("x",), reverse: Sequence[str] = ()) -> CompiledFunction:
    """Compile ``tree`` into a function returning its value and its derivatives.

    ``wrt`` are differentiated in forward mode (returned with the value);
    ``reverse`` names parameters whose gradients :meth:`CompiledFunction.vjp`
    computes by reverse accumulation.

    >>> from actsearch.expression.parser import parse_tree
    >>> f = compile_tree(parse_tree("x * sigmoid(x)")[0], wrt=("x",))
    >>> value, dx = f(np.array([0.0, 1.0]))
    >>> [round(float(v), 4) for v in dx]
    [0.5, 0.9277]
    """
    builder = _Builder()
    value = _value(builder, tree)
    tangents = [_tangent(builder, tree, name, {}) for name in wrt]
    if not reverse:
        return CompiledFunction(builder.program, builder.n, builder.inputs, [value, *tangents], wrt)
    n_forward = len(builder.program)
    upstream = builder.new()
    adjoints = _adjoints(builder, tree, reverse, upstream)
    return CompiledFunction(builder.program, builder.n, builder.inputs, [value, *tangents], wrt, reverse,
                            n_forward, upstream, adjoints)
