"""The contract every primitive keeps, checked over the whole registry."""

import math

import numpy as np
import pytest
import scipy.special as sp
from scipy.stats import norm

from actsearch import parse
from actsearch.primitives import (
    ACTIVATIONS, PRIMITIVES, RAMACHANDRAN_BINARY, RAMACHANDRAN_UNARY, check_primitive, get_primitive, make_primitive,
)

GRID = np.linspace(-20.0, 20.0, 8001)
WIDE = np.concatenate([np.linspace(-1e4, 1e4, 20001), [0.0, -0.0, 1e-300, -1e-300]])


def other_args(prim):
    """Values for the arguments after the first: the declared check points, defaults, or a spread."""
    if prim.check_points:
        return list(prim.check_points)
    if prim.arity - 1 == len(prim.defaults):
        return [tuple(prim.defaults)]
    return [(v,) * (prim.arity - 1) for v in (-1.3, 0.7, 2.1)]


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_registered_primitive_passes_the_registration_check(name):
    """Built-ins are registered unchecked (so ``import actsearch`` stays cheap): the check runs here."""
    check_primitive(PRIMITIVES[name])


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_partials_match_central_differences(name):
    prim = PRIMITIVES[name]
    h = 1e-6
    for rest in other_args(prim):
        args = [GRID, *rest]
        value = prim.forward(*args)
        keep = np.ones_like(GRID, dtype=bool)
        if prim.kink_distance is not None:
            keep = prim.kink_distance(*args) > 1e-3
        assert keep.mean() > 0.9
        for i in range(prim.arity):
            if i in prim.constant_args:
                continue
            up, down = list(args), list(args)
            up[i] = args[i] + h
            down[i] = args[i] - h
            fd = (prim.forward(*up) - prim.forward(*down)) / (2 * h)
            d = np.broadcast_to(prim.partial(i, value, *args), GRID.shape)
            rel = np.abs(d - fd) / np.maximum(1.0, np.abs(fd))
            assert np.max(rel[keep]) < 1e-4, (name, i, rest, GRID[keep][np.argmax(rel[keep])])


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_values_and_partials_stay_finite_up_to_1e4(name):
    prim = PRIMITIVES[name]
    for rest in other_args(prim):
        args = [WIDE, *rest]
        with np.errstate(all="raise", under="ignore"):
            value = prim.forward(*args)
        assert value.shape == WIDE.shape
        assert np.all(np.isfinite(value)), name
        for i in range(prim.arity):
            assert np.all(np.isfinite(prim.partial(i, value, *args))), (name, i)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_float32_stays_float32(name):
    prim = PRIMITIVES[name]
    x = np.linspace(-3, 3, 101, dtype=np.float32)
    for rest in other_args(prim):
        args = [x, *rest]
        value = prim.forward(*args)
        assert value.dtype == np.float32, name
        for i in range(prim.arity):
            # as the chain rule uses it: partial times a float32 tangent
            assert (prim.partial(i, value, *args) * x).dtype == np.float32, (name, i)


REFERENCES = {
    "sigmoid": sp.expit,
    "tanh": np.tanh,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "prelu": lambda x: np.where(x > 0, x, 0.25 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
    # Klambauer et al. 2017, the constants to their published precision
    "selu": lambda x: 1.0507009873554804934 * np.where(x > 0, x, 1.6732632423543772848 * (np.exp(x) - 1.0)),
    "softplus": lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "swish": lambda x: x * sp.expit(x),
    "silu": lambda x: x * sp.expit(x),
    "gelu": lambda x: x * norm.cdf(x),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)),
    "hard_sigmoid": lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,  # PyTorch: relu6(x + 3) / 6
    "log_sigmoid": sp.log_expit,
    "expm1": np.expm1,
    "erfc": sp.erfc,
    "erf": sp.erf,
    "identity": lambda x: x,
    "step": lambda x: (x > 0).astype(float),
    "sinc": lambda x: np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1.0, x)),
    "asinh": np.arcsinh,
    "atan": np.arctan,
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_named_functions_match_reference_definitions(name):
    x = np.linspace(-8, 8, 1601)
    np.testing.assert_allclose(get_primitive(name)(x), REFERENCES[name](x), rtol=1e-12, atol=1e-12)


def test_every_named_activation_is_registered_with_a_reference():
    assert set(ACTIVATIONS) <= set(PRIMITIVES)
    assert set(ACTIVATIONS) <= set(REFERENCES)


def test_protected_operations():
    div, log, sqrt, exp = (get_primitive(n) for n in ("div", "log", "sqrt", "exp"))
    assert div(np.array([3.0, 3.0]), np.array([0.0, 2.0])).tolist() == [1.0, 1.5]
    assert np.isfinite(log(np.array([0.0]))).all()
    assert sqrt(np.array([-4.0])).tolist() == [2.0]
    assert np.isfinite(exp(np.array([1000.0]))).all()
    assert get_primitive("step").zero_gradient


def test_registration_rejects_a_wrong_derivative():
    with pytest.raises(ValueError, match="finite difference"):
        make_primitive("bad_sin", 1, np.sin, (lambda v, a: np.sin(a),), register=False)


def test_registration_rejects_an_unprotected_primitive():
    with pytest.raises(ValueError, match="not finite"):
        make_primitive("raw_exp", 1, np.exp, (lambda v, a: v,), register=False)


def test_a_primitive_registered_after_import_is_checked_and_not_registered_when_wrong():
    with pytest.raises(ValueError, match="finite difference") as caught:
        make_primitive("wrong_cube", 1, lambda a: a ** 3, (lambda v, a: 2.0 * a * a,))
    assert "\n" not in str(caught.value) and "wrong_cube" in str(caught.value)
    assert "wrong_cube" not in PRIMITIVES


def test_registration_rejects_duplicates_and_wrong_arity():
    with pytest.raises(ValueError, match="already registered"):
        make_primitive("tanh", 1, np.tanh, (lambda v, a: 1 - v * v,))
    with pytest.raises(ValueError, match="partials"):
        make_primitive("two", 2, np.add, (1.0,), register=False)
    assert "bad_sin" not in PRIMITIVES


def test_a_new_primitive_is_one_declaration():
    prim = make_primitive("cube_root", 1, np.cbrt, (lambda v, a: 1.0 / (3.0 * np.maximum(v * v, 1e-12)),),
                          kink_distance=lambda a: np.abs(a), register=False)
    assert prim(np.array(8.0)) == 2.0


@pytest.mark.parametrize("text", RAMACHANDRAN_UNARY)
def test_ramachandran_unary_functions(text):
    f = parse(text)
    x = np.linspace(-5.0, 5.0, 1001) + 1e-3  # off the kinks at 0
    value, grads = f.gradients(x)
    h = 1e-6
    fd = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(grads["x"], fd, rtol=1e-4, atol=1e-4)
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("text", RAMACHANDRAN_BINARY)
def test_ramachandran_binary_functions(text):
    f = parse(text, variables=("x1", "x2"))
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=500), rng.normal(size=500)
    smooth = np.abs(x1 - x2) > 1e-3
    _, grads = f.gradients({"x1": x1, "x2": x2})
    h = 1e-6
    for name, var in (("x1", x1), ("x2", x2)):
        up = {"x1": x1, "x2": x2, name: var + h}
        down = {"x1": x1, "x2": x2, name: var - h}
        fd = (f(up) - f(down)) / (2 * h)
        np.testing.assert_allclose(grads[name][smooth], fd[smooth], rtol=1e-4, atol=1e-4)
    assert math.isfinite(float(np.sum(f({"x1": x1, "x2": x2}))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_pow_exponent_partial_is_a_to_the_p_log_a_and_zero_at_zero(dtype):
    """d(a^p)/dp = a^p log|a|: against the closed form, and 0 (its limit) at a = 0, not NaN, in float32 too."""
    pow_ = PRIMITIVES["pow"]
    a = np.linspace(-3, 3, 101, dtype=dtype)  # holds 0 exactly
    p = np.asarray(2.0, dtype=dtype)
    with np.errstate(all="raise"):  # no divide-by-zero or invalid value on the way
        partial = pow_.partial(1, pow_.forward(a, p), a, p)
    assert partial.dtype == dtype and np.all(np.isfinite(partial))
    assert partial[50] == 0
    nonzero = a != 0
    np.testing.assert_allclose(partial[nonzero], (a[nonzero].astype(float) ** 2 * np.log(np.abs(a[nonzero]))),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_a_wrong_partial_with_a_scalar_argument_is_reported_in_one_line():
    """The check's message names the arguments where the partial is wrong, scalar ones (a family's
    coefficients, a constant slope) included."""
    from actsearch.primitives.registry import Arg, make_primitive

    with pytest.raises(ValueError, match=r"partial 1 = .* but finite difference = .* at args \[.*, 1\.5\]"):
        make_primitive("scaled", 2, lambda x, a: a * x, (Arg(1), lambda v, x, a: 2.0 * x), register=False,
                       defaults=(1.0,), check_points=((1.5,),))
