"""Search spaces: which candidates a search may propose, read from YAML files.

Two kinds of space:

``core_unit`` (Ramachandran et al. 2017)
    A candidate is a chain of 1 or 2 core units ``b(u1(in1), u2(in2))``, where
    ``u1, u2`` come from the ``unary`` list (templates over ``x``), ``b`` from
    the ``binary`` list (templates over ``x1`` and ``x2``), and each input is
    ``x`` or the output of an earlier unit.  The last unit is the activation.
    Each choice is a *slot*, which is what Optuna samples and what exhaustive
    search enumerates.

``tree``
    Free expression trees over ``x``, constants and the listed primitives, up
    to ``max_depth`` and ``max_size``; the space of genetic programming.

A parameter in a template (``beta`` in ``beta*x``) gets its own name per slot
(``beta_u1``, ``beta_b``), so units do not share values by accident.

Either kind may be *per layer*: ``per_layer: true`` with ``layers: N`` (the
protocol's number of hidden layers) gives every hidden layer its own
activation, and ``groups: [[0, 1], [2, 3]]`` ties layers into groups that
share one.  A candidate is then a
:class:`~actsearch.expression.LayeredExpression`, one expression per group,
each chosen independently from the space; group ``k``'s slots and parameters
carry the suffix ``_g<k>`` (``u1_0_g1``, ``beta_u1_g1``; a learnable family's
coefficients too, ``apl_a1_g1``), so groups never share a value by accident.

>>> space = load_space("small")
>>> space.kind, space.size() > 10
('core_unit', True)
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from .errors import ConfigError, ExpressionError
from .expression import Expression, LayeredExpression, Node, Param, parse, substitute
from .expression.layered import default_groups, groups_problem, rename_params
from .expression.parser import DEFAULT_PARAMS
from .expression.tree import Call, Const, Var, param_names
from .primitives import PRIMITIVES

SPACES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "search_spaces")
KINDS = ("core_unit", "tree")


class SpaceError(ConfigError):
    """A search-space file that is missing, malformed or names unknown things."""


def _rename_params(node: Node, suffix: str) -> Node:
    if isinstance(node, Param):
        return Param(f"{node.name}_{suffix}")
    if isinstance(node, Call):
        return Call(node.op, tuple(_rename_params(a, suffix) for a in node.args))
    return node


@dataclass
class Template:
    """A unary (over ``x``) or binary (over ``x1``, ``x2``) building block."""

    text: str
    tree: Node
    params: dict[str, float]

    def apply(self, inputs: dict[str, Node], suffix: str) -> tuple[Node, dict[str, float]]:
        tree = substitute(_rename_params(self.tree, suffix), inputs)  # inputs keep their own names
        return tree, {f"{k}_{suffix}": v for k, v in self.params.items()}


@dataclass
class Space:
    """A parsed search space.  See the module docstring for the two kinds."""

    name: str
    kind: str
    unary: list[Template] = field(default_factory=list)
    binary: list[Template] = field(default_factory=list)
    units: tuple[int, ...] = (1,)
    primitives: list[str] = field(default_factory=list)
    max_depth: int = 4
    max_size: int = 15
    constants: tuple[float, float] = (-2.0, 2.0)
    params: dict[str, tuple[float, float]] = field(default_factory=dict)
    source: str = ""
    raw: dict = field(default_factory=dict)
    #: per-layer spaces: the hidden layers of each group (None: one activation for every layer)
    groups: tuple[tuple[int, ...], ...] | None = None

    # --- per layer ------------------------------------------------------------
    @property
    def per_layer(self) -> bool:
        """Whether a candidate is one expression per group of hidden layers.

        >>> load_space("per_layer").per_layer, load_space("small").per_layer
        (True, False)
        """
        return self.groups is not None

    @property
    def n_layers(self) -> int | None:
        """How many hidden layers a per-layer space's groups cover (None for a uniform space).

        >>> load_space("per_layer").n_layers, load_space("small").n_layers
        (2, None)
        """
        return None if self.groups is None else sum(len(g) for g in self.groups)

    def check_layers(self, n_hidden: int, model: str | None = None) -> None:
        """A one-line SpaceError unless a per-layer space covers ``n_hidden`` hidden layers (of the NumPy MLP:
        a torch ``model`` takes one activation).

        >>> load_space("per_layer").check_layers(2) is None
        True
        >>> load_space("per_layer").check_layers(3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        actsearch.spaces.SpaceError: ...per layer over 2 hidden layers but the protocol has 3 ...
        """
        if self.per_layer and model is not None:
            raise SpaceError(f"{self.source or self.name}: a per-layer space trains the NumPy MLP; "
                             f"--model {model} takes one activation for every layer")
        if self.per_layer and self.n_layers != n_hidden:
            raise SpaceError(f"{self.source or self.name}: the space is per layer over {self.n_layers} hidden "
                             f"layer{'s' * (self.n_layers != 1)} but the protocol has {n_hidden} "
                             f"(--hidden {','.join(['64'] * self.n_layers)}, or change the space's layers)")

    def split_choices(self, choices: dict[str, Any]) -> list[dict[str, Any]]:
        """A per-layer assignment (``u1_0_g0``, ``n_units_g1``, ...) as one plain assignment per group.

        >>> space = load_space("per_layer")
        >>> space.split_choices({"u1_0_g0": "x", "u1_0_g1": "tanh(x)", "n_units_g1": 1})
        [{'u1_0': 'x'}, {'u1_0': 'tanh(x)', 'n_units': 1}]
        """
        out = []
        for k in range(len(self.groups)):
            end = f"_g{k}"
            out.append({name[:-len(end)]: value for name, value in choices.items() if name.endswith(end)})
        return out

    def join_choices(self, per_group: list[dict[str, Any]]) -> dict[str, Any]:
        """One assignment per group as one per-layer assignment (the inverse of :meth:`split_choices`).

        >>> load_space("per_layer").join_choices([{"u1_0": "x"}, {"u1_0": "tanh(x)"}])
        {'n_units': None, 'u1_0_g0': 'x', 'u1_0_g1': 'tanh(x)'}
        """
        out: dict[str, Any] = {"n_units": None}
        for k, choices in enumerate(per_group):
            out.update({f"{name}_g{k}": value for name, value in choices.items()})
        return out

    def layered(self, parts: list[Expression]) -> LayeredExpression:
        """The per-layer candidate of one plain expression per group, parameters suffixed ``_g<k>``.

        >>> load_space("per_layer").layered([parse("x*sigmoid(beta*x)"), parse("tanh(x)")]).params
        {'beta_g0': 1.0}
        """
        return LayeredExpression([rename_params(p, f"g{k}") for k, p in enumerate(parts)], self.groups)

    # --- core units: slots --------------------------------------------------
    def slots(self, n_units: int) -> list[tuple[str, list]]:
        """The categorical choices of an ``n_units`` candidate, in order.

        >>> [name for name, _ in load_space("small").slots(1)]
        ['u1_0', 'u2_0', 'b_0']
        """
        out: list[tuple[str, list]] = []
        for k in range(n_units):
            out.append((f"u1_{k}", [t.text for t in self.unary]))
            out.append((f"u2_{k}", [t.text for t in self.unary]))
            out.append((f"b_{k}", [t.text for t in self.binary]))
            if k > 0:
                sources = ["x"] + [f"unit{j}" for j in range(k)]
                out.append((f"in1_{k}", sources))
                out.append((f"in2_{k}", sources))
        return out

    def build(self, choices: dict[str, Any], n_units: int | None = None) -> Expression | LayeredExpression:
        """The expression for a dict of slot choices (template texts and sources).

        Inputs of unit ``k > 0`` default to the previous unit and ``x``.  A per-layer space
        builds each group's part from its suffixed slots (``u1_0_g0``, ...; see :meth:`split_choices`).

        >>> str(load_space("small").build({"u1_0": "x", "u2_0": "tanh(x)", "b_0": "x1 * x2"}))
        'x * tanh(x)'
        """
        if self.per_layer:
            return self.layered([self.build_part(c, c.get("n_units")) for c in self.split_choices(choices)])
        return self.build_part(choices, n_units)

    def build_part(self, choices: dict[str, Any], n_units: int | None = None) -> Expression:
        """The plain expression of one assignment of the slots (one group's, in a per-layer space).

        >>> str(load_space("per_layer").build_part({"u1_0": "x", "u2_0": "tanh(x)", "b_0": "x1 * x2"}))
        'x * tanh(x)'
        """
        if self.kind != "core_unit":
            raise SpaceError(f"{self.source or self.name}: only core_unit spaces have slots")
        if n_units is None:
            n_units = 1 + max((int(k.rsplit("_", 1)[1]) for k in choices if k[:2] in ("u1", "u2", "b_")), default=0)
        unary = {t.text: t for t in self.unary}
        binary = {t.text: t for t in self.binary}
        outputs: list[Node] = []
        values: dict[str, float] = {}
        for k in range(n_units):
            srcs = []
            for side, default in (("in1", f"unit{k - 1}" if k else "x"), ("in2", "x")):
                src = choices.get(f"{side}_{k}", default)
                srcs.append(Var("x") if src == "x" else outputs[int(str(src)[4:])])
            t1, t2, tb = unary[choices[f"u1_{k}"]], unary[choices[f"u2_{k}"]], binary[choices[f"b_{k}"]]
            a, pa = t1.apply({"x": srcs[0]}, f"u1_{k}" if n_units > 1 else "u1")
            b, pb = t2.apply({"x": srcs[1]}, f"u2_{k}" if n_units > 1 else "u2")
            out, po = tb.apply({"x1": a, "x2": b}, f"b_{k}" if n_units > 1 else "b")
            values.update(pa)
            values.update(pb)
            values.update(po)
            outputs.append(out)
        tree = outputs[-1]
        return Expression(tree, {n: values[n] for n in param_names(tree)})

    def enumerate(self) -> Iterator[dict[str, Any]]:
        """Every slot assignment of a core-unit space, in a fixed order (per layer: the product over the
        groups, the last group's choice changing fastest)."""
        if self.per_layer:
            one = list(self.enumerate_part())
            for combo in itertools.product(one, repeat=len(self.groups)):
                yield self.join_choices(list(combo))
            return
        yield from self.enumerate_part()

    def enumerate_part(self) -> Iterator[dict[str, Any]]:
        """Every slot assignment of one expression (one group's), in a fixed order.

        >>> parts = list(load_space("per_layer").enumerate_part())
        >>> len(parts), parts[0]
        (75, {'n_units': 1, 'u1_0': 'x', 'u2_0': 'x', 'b_0': 'x1 + x2'})
        """
        for n_units in self.units:
            slots = self.slots(n_units)
            for combo in itertools.product(*(choices for _, choices in slots)):
                yield {"n_units": n_units, **dict(zip((name for name, _ in slots), combo))}

    def size(self) -> int:
        """How many slot assignments the space has (``inf`` for tree spaces)."""
        if self.kind != "core_unit":
            return math.inf
        one = sum(math.prod(len(c) for _, c in self.slots(n)) for n in self.units)
        return one ** len(self.groups) if self.per_layer else one

    # --- sampling -----------------------------------------------------------
    def sample_choices(self, rng: np.random.Generator) -> dict[str, Any]:
        """Uniformly random slot choices (core-unit spaces)."""
        n_units = int(rng.choice(self.units))
        out: dict[str, Any] = {"n_units": n_units}
        for name, choices in self.slots(n_units):
            out[name] = choices[int(rng.integers(len(choices)))]
        return out

    def sample(self, rng: np.random.Generator) -> Expression | LayeredExpression:
        """A random candidate: uniform slots, or a ramped half-and-half tree (per layer: one per group).

        >>> str(load_space("small").sample(np.random.default_rng(0))) != ""
        True
        >>> str(load_space("per_layer").sample(np.random.default_rng(0))).count(" | ")
        1
        """
        if self.per_layer:
            return self.layered([self.sample_part(rng) for _ in self.groups])
        return self.sample_part(rng)

    def sample_part(self, rng: np.random.Generator) -> Expression:
        """A random plain expression (one group's, in a per-layer space).

        >>> space = load_space("per_layer")
        >>> part = space.sample_part(np.random.default_rng(0))
        >>> str(part) in {str(space.build_part(c)) for c in space.enumerate_part()}
        True
        """
        if self.kind == "core_unit":
            choices = self.sample_choices(rng)
            return self.build_part(choices, choices["n_units"])
        for _ in range(100):
            depth = int(rng.integers(1, self.max_depth + 1))
            tree = self._random_tree(rng, depth, full=bool(rng.random() < 0.5))
            if _size(tree) <= self.max_size and "x" in _vars(tree):
                return Expression(tree, {n: self._param_default(n) for n in param_names(tree)})
        return Expression(Var("x"))

    def _param_default(self, name: str) -> float:
        return DEFAULT_PARAMS.get(name, 1.0)

    def terminal(self, rng: np.random.Generator) -> Node:
        r = rng.random()
        if r < 0.6 or (not self.params and r < 0.8):
            return Var("x")
        if self.params and r < 0.8:
            return Param(str(rng.choice(sorted(self.params))))
        lo, hi = self.constants
        return Const(float(np.round(rng.uniform(lo, hi), 2)))

    def _random_tree(self, rng: np.random.Generator, depth: int, full: bool) -> Node:
        if depth == 0 or (not full and rng.random() < 0.3):
            return self.terminal(rng)
        name = str(rng.choice(self.primitives))
        prim = PRIMITIVES[name]
        return Call(name, tuple(self._random_tree(rng, depth - 1, full) for _ in range(prim.min_arity)))


def _size(tree: Node) -> int:
    from .expression.tree import size

    return size(tree)


def _vars(tree: Node) -> set[str]:
    from .expression.tree import walk

    return {n.name for n in walk(tree) if isinstance(n, Var)}


# --- loading ------------------------------------------------------------------

def _need(raw: dict, key: str, kind, where: str, expected: str):
    if key not in raw:
        raise SpaceError(f"{where}: missing key {key!r} ({expected})")
    value = raw[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise SpaceError(f"{where}: key {key!r} should be {expected}, got {type(value).__name__} {value!r}")
    return value


def _templates(raw: dict, key: str, variables: tuple[str, ...], where: str) -> list[Template]:
    items = _need(raw, key, list, where, "a list of expressions")
    if not items:
        raise SpaceError(f"{where}: key {key!r} is an empty list")
    out = []
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise SpaceError(f"{where}: {key}[{i}] should be an expression string, got {text!r}")
        try:
            f = parse(text, variables=variables)
        except ExpressionError as exc:
            raise SpaceError(f"{where}: {key}[{i}] {text!r}: {exc}") from None
        if not isinstance(f, Expression):
            raise SpaceError(f"{where}: {key}[{i}] {text!r}: a template is one expression ('|' separates "
                             f"the layers of a candidate; say per_layer: true for a per-layer space)")
        out.append(Template(text, f.tree, dict(f.params)))
    if len({t.text for t in out}) != len(out):
        raise SpaceError(f"{where}: key {key!r} lists an expression twice")
    return out


def space_from_dict(raw: Any, source: str = "<dict>") -> Space:
    """Validate a parsed YAML mapping into a :class:`Space`; errors name the key."""
    if not isinstance(raw, dict):
        raise SpaceError(f"{source}: expected a mapping at the top level, got {type(raw).__name__}")
    kind = _need(raw, "kind", str, source, f"one of {', '.join(KINDS)}")
    if kind not in KINDS:
        raise SpaceError(f"{source}: key 'kind' should be one of {', '.join(KINDS)}, got {kind!r}")
    known = {"name", "kind", "description", "unary", "binary", "units", "primitives", "max_depth", "max_size",
             "constants", "params", "protocol", "per_layer", "layers", "groups"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpaceError(f"{source}: unknown key {unknown[0]!r}; known keys are {', '.join(sorted(known))}")
    name = str(raw.get("name", os.path.splitext(os.path.basename(source))[0]))
    space = Space(name=name, kind=kind, source=source, raw=raw)
    if kind == "core_unit":
        space.unary = _templates(raw, "unary", ("x",), source)
        space.binary = _templates(raw, "binary", ("x1", "x2"), source)
        units = raw.get("units", [1])
        units = [units] if isinstance(units, int) else units
        if not isinstance(units, list) or not units or any(u not in (1, 2, 3) or isinstance(u, bool) for u in units):
            raise SpaceError(f"{source}: key 'units' should be 1, 2, 3 or a list of them, got {raw.get('units')!r}")
        space.units = tuple(sorted(set(units)))
    else:
        prims = _need(raw, "primitives", list, source, "a list of primitive names")
        for i, p in enumerate(prims):
            if p not in PRIMITIVES:
                raise SpaceError(f"{source}: primitives[{i}] {p!r} is not a known primitive")
            if PRIMITIVES[p].min_arity not in (1, 2):
                raise SpaceError(f"{source}: primitives[{i}] {p!r} takes {PRIMITIVES[p].min_arity} arguments")
        if not prims:
            raise SpaceError(f"{source}: key 'primitives' is an empty list")
        space.primitives = list(prims)
        for key in ("max_depth", "max_size"):
            if key in raw:
                value = _need(raw, key, int, source, "a positive whole number")
                if value < 1:
                    raise SpaceError(f"{source}: key {key!r} should be a positive whole number, got {value}")
                setattr(space, key, value)
    if "constants" in raw:
        c = raw["constants"]
        if not (isinstance(c, list) and len(c) == 2 and all(isinstance(v, (int, float)) for v in c) and c[0] < c[1]):
            raise SpaceError(f"{source}: key 'constants' should be [low, high] with low < high, got {c!r}")
        space.constants = (float(c[0]), float(c[1]))
    if "params" in raw:
        params = _need(raw, "params", dict, source, "a mapping of name: [low, high]")
        for pname, rng_ in params.items():
            if not (isinstance(rng_, list) and len(rng_) == 2 and all(isinstance(v, (int, float)) for v in rng_)
                    and rng_[0] < rng_[1]):
                raise SpaceError(f"{source}: params.{pname} should be [low, high] with low < high, got {rng_!r}")
            if pname not in DEFAULT_PARAMS:
                raise SpaceError(f"{source}: params.{pname}: unknown parameter; known: {', '.join(DEFAULT_PARAMS)}")
            space.params[pname] = (float(rng_[0]), float(rng_[1]))
    space.groups = _groups(raw, source)
    return space


def _groups(raw: dict, source: str) -> tuple[tuple[int, ...], ...] | None:
    """The groups of a per-layer space (``per_layer``, ``layers``, ``groups``), or None for a uniform one."""
    per_layer = raw.get("per_layer", False)
    if not isinstance(per_layer, bool):
        raise SpaceError(f"{source}: key 'per_layer' should be true or false, got {per_layer!r}")
    if not per_layer and "groups" not in raw:
        if "layers" in raw:
            raise SpaceError(f"{source}: key 'layers' needs per_layer: true")
        return None
    layers = raw.get("layers")
    if layers is not None and (isinstance(layers, bool) or not isinstance(layers, int) or layers < 1):
        raise SpaceError(f"{source}: key 'layers' should be the number of hidden layers (1 or more), got {layers!r}")
    if "groups" not in raw:
        if layers is None:
            raise SpaceError(f"{source}: per_layer: true needs layers: N (the protocol's hidden layers) or groups")
        return default_groups(layers)
    problem = groups_problem(raw["groups"])
    if problem is not None:
        raise SpaceError(f"{source}: key 'groups': {problem}")
    groups = tuple(tuple(g) for g in raw["groups"])
    covered = sum(len(g) for g in groups)
    if layers is not None and layers != covered:
        raise SpaceError(f"{source}: key 'groups' covers {covered} layers but layers is {layers}")
    return groups


def load_space(name_or_path: str | Space) -> Space:
    """Load a space by file path or by the name of a file in ``search_spaces/``.

    >>> load_space("ramachandran2017").units
    (1, 2)
    """
    import yaml

    if isinstance(name_or_path, Space):
        return name_or_path
    path = str(name_or_path)
    if not os.path.exists(path):
        candidate = os.path.join(SPACES_DIR, path if path.endswith((".yaml", ".yml")) else path + ".yaml")
        if os.path.exists(candidate):
            path = candidate
        else:
            shipped = sorted(f[:-5] for f in os.listdir(SPACES_DIR) if f.endswith(".yaml")) \
                if os.path.isdir(SPACES_DIR) else []
            raise SpaceError(f"search space {name_or_path!r} not found; give a YAML path or one of: {', '.join(shipped)}")
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpaceError(f"{path}:{where} is not valid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpaceError(f"{path}: cannot read: {exc}") from None
    return space_from_dict(raw, path)
