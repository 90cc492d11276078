"""``actsearch.export``: generated NumPy, PyTorch and SymPy code reproduces the compiled
function, protections included.

Every registered primitive (its other arguments taken as in the registry's own check:
``check_points``, the defaults, or -1.3, 0.7 and 2.1; also with a named parameter there)
and a set of composite expressions are exported; the code is exec'ed (it is generated
by our code from the parsed tree, never from user text) and evaluated on a grid over
[-20, 20] that includes 0, both sides of each protection (|x| ~ 1e-3, 1e-6, +-80) and
points beyond 80.  Agreement means ``|got - want| <= 1e-5 * max(1, |want|)``: absolute
1e-5 for values below 1 in size, relative 1e-5 above (a torch parameter gradient is a
sum over the points, so it is compared on the scale of the sum of the terms' sizes).

Derivatives (torch autograd, sympy.diff lambdified) are compared with
``f.derivative`` and ``f.gradients`` away from kinks: points within 1e-9 of a place
where a primitive's derivative jumps (``kink_distance``, and the log floor at 1e-6)
are left out, since one-sided derivatives may legitimately differ there.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import actsearch
from actsearch.errors import ActsearchError, ExpressionError
from actsearch.export import TARGETS, TRANSLATIONS, export, translation
from actsearch.expression import Expression, parse
from actsearch.expression.tree import Call, Const, Param, Var, walk
from actsearch.primitives import PRIMITIVES, make_primitive

_edges = [0.0, 1e-12, 1e-6, 1e-6 * 0.99, 1e-6 * 1.01, 1e-3, 1e-3 * 0.999, 1e-3 * 1.001,
          3.0, 2.9999, 3.0001, 80.0, 79.9, 80.5, 85.0, 100.0]
GRID = np.unique(np.concatenate([np.linspace(-20.0, 20.0, 401), _edges, np.negative(_edges)]))
TOL = 1e-5
KINK = 1e-9


def assert_close(got, want, what):
    got = np.broadcast_to(np.asarray(got, dtype=np.float64), np.shape(want))
    want = np.asarray(want, dtype=np.float64)
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    bad = ~(err <= TOL) & ~((got == want) | (np.isnan(got) & np.isnan(want)))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise AssertionError(f"{what}: {int(bad.sum())} points differ, e.g. got {got.flat[i]!r}, "
                             f"want {want.flat[i]!r} (point index {i})")


# --- the cases ------------------------------------------------------------------------

def _other_args(prim):
    """The values of the other arguments, as actsearch.primitives checks a primitive."""
    if prim.check_points:
        return [tuple(p) for p in prim.check_points]
    if prim.arity - 1 == len(prim.defaults):
        return [tuple(prim.defaults)]
    return [(v,) * (prim.arity - 1) for v in (-1.3, 0.7, 2.1)]


def _primitive_cases():
    x = Var("x")
    cases = []
    for name in sorted(PRIMITIVES):
        prim = PRIMITIVES[name]
        if prim.arity == 1:
            cases.append((f"{name}(x)", Call(name, (x,)), {}))
            cases.append((f"{name}(beta*x)", Call(name, (Call("mul", (Param("beta"), x)),)), {"beta": 1.5}))
            continue
        if prim.defaults:
            cases.append((f"{name}(x)", Call(name, (x,)), {}))
        for rest in _other_args(prim):
            consts = tuple(Const(float(v)) for v in rest)
            cases.append((f"{name}(x, {', '.join(map(str, rest))})", Call(name, (x, *consts)), {}))
            if prim.arity == 2 and not prim.defaults and 1 not in prim.constant_args:
                cases.append((f"{name}({rest[0]}, x)", Call(name, (consts[0], x)), {}))
        if 1 not in prim.constant_args:  # a named parameter in the second slot
            value = float(prim.defaults[0]) * 1.5 if prim.defaults else 0.7
            cases.append((f"{name}(x, gamma)", Call(name, (x, Param("gamma"))), {"gamma": value}))
    return cases


COMPOSITES = [
    ("x*sigmoid(beta*x)", {"beta": 1.5}),
    ("max(x, sin(x))", {}),
    ("leaky_relu(x, alpha)", {"alpha": 0.2}),
    ("x^-2", {}),
    ("x^-1 + x^-0.5", {}),
    ("x^1.5 - (-x)^3", {}),
    ("-x^2", {}),
    ("1/x", {}),
    ("x / beta", {"beta": 0.5}),
    ("x / (1 - beta)", {"beta": 1.0005}),  # |1 - beta| <= 1e-3: protected, 1 everywhere
    ("log(x)*x", {}),
    ("log(abs(x) + eps)", {}),
    ("exp(exp(x))", {}),
    ("sinc(x)", {}),
    ("sinc(beta*x)*x", {"beta": 0.7}),
    ("hard_sigmoid(x)", {}),
    ("x * hard_sigmoid(x)", {}),
    ("exp(-beta*(x - sin(x))^2)", {"beta": 0.3}),
    ("beta*x + (1 - beta)*tanh(x)", {"beta": 0.3}),
    ("sinh(x)*cosh(x)/exp(x)", {}),
    ("softplus(x^2) - log_sigmoid(-x)", {}),
    ("mish(x) + gelu(x)*erfc(x)", {}),
    ("min(x, 0) + max(x, 0)*sigmoid(x)", {}),
    ("sqrt(x) + atan(x) - asinh(x)", {}),
    ("elu(x, alpha) + selu(x) + swish(x, beta)", {"alpha": 0.5, "beta": 2.0}),
    ("prelu(sin(x), alpha)", {"alpha": 0.25}),
    ("step(x)*x + expm1(x)", {}),
    ("cos(x)*x^2", {}),
    ("x*2 - -2*x", {}),
    ("identity(x) + softsign(x + 1)", {}),
    ("exp(x)/(exp(x) + 1)", {}),
    ("tanh(beta)*x + beta^-2", {"beta": 0.8}),
    ("x * (x - 1) * (x - pi)", {}),
    ("beta", {"beta": 1.5}),
    ("2", {}),
    ("x", {}),
]

CASES = [pytest.param(tree, params, id=label) for label, tree, params in _primitive_cases()]
CASES += [pytest.param(parse(text, params=params).tree, params, id=text) for text, params in COMPOSITES]


def _expression(tree, params):
    return Expression(tree, params)


def _derivative_mask(f: Expression, points: np.ndarray) -> np.ndarray:
    """Points farther than KINK from every kink of every primitive in the tree."""
    keep = np.ones(points.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for node in walk(f.tree):
            if not isinstance(node, Call):
                continue
            prim = PRIMITIVES[node.op]
            args = [np.broadcast_to(Expression(a, {p: f.params[p] for p in _params(a)})(points), points.shape)
                    for a in node.args]
            args += [np.full(points.shape, d) for d in prim.defaults[len(args) - prim.min_arity:]]
            if prim.kink_distance is not None:
                dist = prim.kink_distance(*args)
                keep &= np.abs(np.broadcast_to(dist, points.shape)) > KINK
            if node.op == "log":  # the floor at |a| = 1e-6 is a kink too
                keep &= np.abs(np.abs(args[0]) - 1e-6) > KINK
    return keep


def _params(node):
    return [n.name for n in walk(node) if isinstance(n, Param)]


def _exec(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<exported>", "exec"), namespace)  # our generated code, never user text
    return namespace


# --- the table --------------------------------------------------------------------------

def test_every_registered_primitive_has_a_translation_for_every_target():
    missing = [(name, target) for name in sorted(PRIMITIVES) for target in TARGETS
               if target not in TRANSLATIONS.get(name, {})]
    assert not missing, ("primitives without a translation (add them to "
                         f"actsearch.export.translations.TRANSLATIONS): {missing}")
    assert set(TRANSLATIONS) <= set(PRIMITIVES), "translations for primitives that are not registered"


def test_a_primitive_without_a_translation_is_named(monkeypatch):
    prim = make_primitive("twice_for_test", 1, lambda a: 2.0 * a, (2.0,), register=False)
    monkeypatch.setitem(PRIMITIVES, prim.name, prim)
    f = Expression(Call(prim.name, (Var("x"),)))
    with pytest.raises(KeyError, match="twice_for_test"):
        export(f, "numpy")
    with pytest.raises(KeyError, match="numpy translation"):
        translation(prim.name, "numpy")


def test_unknown_target_is_a_one_line_error():
    with pytest.raises(ActsearchError, match="unknown export target 'fortran'"):
        export("x", "fortran")


def test_export_is_importable_from_the_package_even_after_the_module_is_imported():
    importlib.import_module("actsearch.export")
    assert actsearch.export("x * sigmoid(beta * x)", "latex") == "x \\cdot \\sigma(\\beta x)"
    from actsearch import export as exported
    assert "def activation(x):" in exported("tanh(x)", to="numpy")


def test_importing_the_subpackage_first_leaves_actsearch_export_the_function():
    # the subpackage actsearch.export shares the function's name: importing it (as the CLI
    # does) must not bind the module in its place; this session has imported both already,
    # so a fresh interpreter imports the subpackage before it ever asks for actsearch.export
    code = ("from actsearch.export import TARGETS\n"
            "import actsearch\n"
            "print(actsearch.export('x * sigmoid(beta * x)', 'latex'))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(actsearch.__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "x \\cdot \\sigma(\\beta x)\n"


# --- numpy ------------------------------------------------------------------------------

@pytest.mark.parametrize("tree, params", CASES)
def test_numpy_export_matches_the_compiled_function(tree, params):
    f = _expression(tree, params)
    code = export(f, "numpy")
    assert "import numpy as np" in code
    assert ("scipy.special." in code.split("\n", 2)[-1]) == ("import scipy.special" in code)
    fn = _exec(code)["activation"]
    with np.errstate(all="ignore"):
        assert_close(fn(GRID), f(GRID), f"numpy values of {f}")
        x32 = GRID.astype(np.float32)
        got32, want32 = fn(x32), f(x32)
    assert got32.dtype == want32.dtype == np.float32, f"{f}: float32 in, {got32.dtype} out"
    assert got32.shape == x32.shape


def test_numpy_export_takes_parameters_as_keyword_arguments():
    fn = _exec(export("x * sigmoid(beta * x)", "numpy", params={"beta": 1.5}))["activation"]
    f = parse("x * sigmoid(beta * x)", params={"beta": 1.5})
    assert_close(fn(GRID), f(GRID), "default beta")
    assert_close(fn(GRID, beta=0.5), f(GRID, params={"beta": 0.5}), "beta=0.5")
    assert fn([1, 2]).dtype == np.float64  # integers are computed in float64, as actsearch does


def test_awkward_parameter_names_are_renamed_in_code():
    params = {"forward": 2.0, "np": 0.5, "t0": 1.5, "lambda": 0.3}
    f = parse("forward*x + np*tanh(t0*x) - lambda", params=params)
    fn = _exec(export(f, "numpy"))["activation"]
    assert_close(fn(GRID), f(GRID), "numpy")
    torch = pytest.importorskip("torch", reason="torch is optional: the PyTorch export is checked where it is installed")
    module = _exec(export(f, "torch"))["Activation"](dtype=torch.float64)
    with torch.no_grad():
        assert_close(module(torch.tensor(GRID)).numpy(), f(GRID), "torch")
    assert {n for n, _ in module.named_parameters()} == {"forward_", "np_", "t0_", "lambda_"}


def test_several_variables():
    f = Expression.from_string("x1 * sigmoid(beta * x2) - x2", params={"beta": 2.0}, variables=("x1", "x2"))
    fn = _exec(export(f, "numpy"))["activation"]
    a, b = GRID, GRID[::-1].copy()
    assert_close(fn(a, b), f({"x1": a, "x2": b}), "two variables")


# --- torch ------------------------------------------------------------------------------

@pytest.mark.parametrize("tree, params", CASES)
def test_torch_export_matches_values_and_autograd(tree, params):
    torch = pytest.importorskip("torch", reason="torch is optional: the PyTorch export is checked where it is installed")
    f = _expression(tree, params)
    code = export(f, "torch")
    assert "class Activation(nn.Module):" in code and "def forward(self, x):" in code
    for name in f.params:
        assert f"self.{name} = nn.Parameter(torch.tensor({name}, dtype=dtype))" in code
    module = _exec(code)["Activation"](dtype=torch.float64)
    assert {n: p.item() for n, p in module.named_parameters()} == f.params
    with torch.no_grad():
        got = module(torch.tensor(GRID)).numpy()
    with np.errstate(all="ignore"):
        want = f(GRID)
    assert_close(got, want, f"torch values of {f}")

    points = GRID[_derivative_mask(f, GRID)]
    xt = torch.tensor(points, requires_grad=True)
    y = module(xt)
    if y.requires_grad:
        y.sum().backward()
    _, grads = f.gradients(points)
    dx = xt.grad.numpy() if xt.grad is not None else np.zeros_like(points)
    assert_close(dx, grads["x"], f"torch d/dx of {f}")
    for name, p in module.named_parameters():
        # autograd gives the sum over the points: compared on the scale of the sum of |terms|
        got_p = 0.0 if p.grad is None else p.grad.item()
        want_p = float(np.sum(grads[name]))
        scale = max(1.0, float(np.sum(np.abs(grads[name]))))
        assert abs(got_p - want_p) <= TOL * scale, f"torch d/d{name} of {f}: got {got_p!r}, want {want_p!r}"


# --- sympy ------------------------------------------------------------------------------

def _lambdify(sympy, x, expr):
    fn = sympy.lambdify(x, expr, modules=["numpy", "scipy"])

    def call(points):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.broadcast_to(np.asarray(fn(points), dtype=np.float64), points.shape)
    return call


@pytest.mark.parametrize("tree, params", CASES)
def test_sympy_export_matches_values_and_derivatives(tree, params):
    sympy = pytest.importorskip("sympy", reason="sympy is optional: the SymPy export is checked where it is installed")
    f = _expression(tree, params)
    ns = _exec(export(f, "sympy"))
    expr, x, subs = ns["expr"], ns["x"], ns["subs"]
    assert {str(s): v for s, v in subs.items()} == f.params
    with np.errstate(all="ignore"):
        assert_close(_lambdify(sympy, x, expr.subs(subs))(GRID), f(GRID), f"sympy values of {f}")
    points = GRID[_derivative_mask(f, GRID)]
    _, grads = f.gradients(points)
    assert_close(_lambdify(sympy, x, sympy.diff(expr, x).subs(subs))(points), grads["x"], f"sympy d/dx of {f}")
    for name in f.params:
        d = sympy.diff(expr, ns[name]).subs(subs)
        assert_close(_lambdify(sympy, x, d)(points), grads[name], f"sympy d/d{name} of {f}")


# --- jax and latex ----------------------------------------------------------------------

@pytest.mark.parametrize("tree, params", CASES)
def test_jax_export_is_valid_python_and_latex_is_a_formula(tree, params):
    f = _expression(tree, params)
    code = export(f, "jax")
    compile(code, "<jax>", "exec")
    assert code.startswith("import jax.numpy as jnp") and "def activation(x" in code
    assert "np." not in code.replace("jnp.", "")
    latex = export(f, "latex")
    assert latex and "\n" not in latex
    assert latex.count("{") == latex.count("}") and latex.count("(") == latex.count(")")
    assert latex.count("\\left") == latex.count("\\right")


@pytest.mark.parametrize("text, params, expected", [
    ("x * sigmoid(beta * x)", {}, "x \\cdot \\sigma(\\beta x)"),
    ("max(x, sin(x))", {}, "\\max(x, \\sin(x))"),
    ("x^-2", {}, "x^{-2}"),
    ("1/x", {}, "\\frac{1}{x}"),
    ("log(x)*x", {}, "\\log\\left|x\\right| \\cdot x"),
    ("exp(exp(x))", {}, "e^{e^{x}}"),
    ("sqrt(x) + erf(x)", {}, "\\sqrt{\\left|x\\right|} + \\operatorname{erf}(x)"),
    ("(-x)^2 - (x - 1)", {}, "\\left(-x\\right)^{2} - \\left(x - 1\\right)"),
    ("leaky_relu(x, alpha)", {}, "\\operatorname{LeakyReLU}_{\\alpha}(x)"),
    ("x^0.5 * 1e-6", {}, "\\left|x\\right|^{0.5} \\cdot 10^{-6}"),
    ("pi * x", {}, "\\pi x"),
])
def test_latex_formulas(text, params, expected):
    assert export(text, "latex", params=params) == expected


def test_python_code_has_only_the_parentheses_precedence_needs():
    body = export("x*sigmoid(x) + sin(x) - x*(x - 1)", "torch").rstrip().rsplit("\n", 1)[-1]
    assert body.strip() == "return x * torch.sigmoid(x) + torch.sin(x) - x * (x - 1.0)"
    assert export("-x^2", "numpy").rstrip().endswith("return -x ** 2")
    assert export("(-x)^2", "numpy").rstrip().endswith("return (-x) ** 2")


def test_a_repeated_argument_is_computed_once():
    code = export("leaky_relu(tanh(x) + 1)", "numpy")
    assert code.count("np.tanh(") == 1 and "t0 = np.tanh(x) + 1.0" in code


def test_non_constant_exponent_is_an_expression_error():
    f = Expression(Call("pow", (Var("x"), Param("beta"))), {"beta": 2.0})
    with pytest.raises(ExpressionError, match="exponent"):
        export(f, "numpy")


def test_generated_code_contains_no_user_text_beyond_names_and_numbers():
    # the expression reaches the code only through the tree: names, numbers and our templates
    code = export("x * sigmoid(beta * x)  ", "numpy", params={"beta": 1.5})
    assert re.search(r'"""x \* sigmoid\(beta \* x\), exported', code)
    assert math.isclose(_exec(code)["activation"](2.0), float(parse("x*sigmoid(1.5*x)")(2.0)))


# --- per-layer candidates ---------------------------------------------------------------

LAYERED = "x*sigmoid(beta_g0*x) @ (0, 2) | tanh(x) + 0.5*sin(x) @ (1)"


def test_layered_numpy_export_is_one_function_per_group_and_a_list_per_layer():
    f = parse(LAYERED, params={"beta_g0": 1.7})
    fns = _exec(export(f, "numpy"))["activations"]
    x = np.linspace(-4, 4, 33)
    assert len(fns) == 3 and fns[0] is fns[2]
    for fn, part in zip(fns, f.layer_expressions(3)):
        np.testing.assert_allclose(fn(x), part(x), rtol=1e-12, atol=1e-12)
    compile(export(f, "jax"), "<jax>", "exec")


def test_layered_torch_export_is_a_module_list_sharing_a_group_module():
    torch = pytest.importorskip("torch")
    f = parse(LAYERED, params={"beta_g0": 1.7})
    layers = _exec(export(f, "torch"))["activations"](dtype=torch.float64)
    assert isinstance(layers, torch.nn.ModuleList) and len(layers) == 3 and layers[0] is layers[2]
    assert [n for n, _ in layers.named_parameters()] == ["0.beta_g0"]  # the group's one parameter
    x = np.linspace(-4, 4, 33)
    for module, part in zip(layers, f.layer_expressions(3)):
        np.testing.assert_allclose(module(torch.tensor(x)).detach().numpy(), part(x), rtol=1e-12, atol=1e-12)


def test_layered_sympy_and_latex_exports():
    sympy = pytest.importorskip("sympy")
    f = parse("x*sigmoid(beta*x) | tanh(x)", params={"beta": 2.0})
    ns = _exec(export(f, "sympy"))
    assert len(ns["exprs"]) == 2 and ns["subs"] == {sympy.Symbol("beta", real=True): 2.0}
    for e, part in zip(ns["exprs"], f.parts):
        assert float(e.subs(ns["subs"]).subs(ns["x"], 0.7)) == pytest.approx(float(part(0.7)), rel=1e-12)
    assert export(f, "latex") == "f_{0}(x) = x \\cdot \\sigma(\\beta x) \\\\\nf_{1}(x) = \\tanh(x)"


def test_layered_export_from_the_cli(cli):
    code, out, err = cli("export", "relu | tanh", "--to", "numpy")
    assert code == 0 and "activations = [activation_0, activation_1]" in out
