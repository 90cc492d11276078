"""Per-layer candidates (actsearch.expression.layered): text, parameters, canonical form, fingerprint."""

import json
import pickle

import numpy as np
import pytest

from actsearch.errors import ConfigError, ExpressionError
from actsearch.expression import Expression, LayeredExpression, parse
from actsearch.expression.layered import groups_problem, parse_layered, rename_params


def test_parse_gives_a_layered_candidate_and_str_parses_back():
    f = parse("relu(x) | tanh(x) | x*sigmoid(x)")
    assert isinstance(f, LayeredExpression)
    assert [str(p) for p in f.parts] == ["relu(x)", "tanh(x)", "x * sigmoid(x)"]
    assert f.groups == ((0,), (1,), (2,))
    assert str(f) == "relu(x) | tanh(x) | x * sigmoid(x)"
    assert parse(str(f)) == f
    assert str(parse("relu | gelu")) == "relu(x) | gelu(x)"  # bare names, as for one expression


def test_grouped_text_says_the_layers_and_parses_back():
    f = LayeredExpression([parse("relu(x)"), parse("tanh(x)")], groups=[[0, 1], [2, 3, 4, 5]])
    assert str(f) == "relu(x) @ (0, 1) | tanh(x) @ (2, 3, 4, 5)"
    back = parse(str(f))
    assert back == f and back.groups == ((0, 1), (2, 3, 4, 5))
    assert [str(e) for e in back.layer_expressions(6)] == ["relu(x)"] * 2 + ["tanh(x)"] * 4


def test_params_merge_and_round_trip_through_the_row_text():
    f = parse("x*sigmoid(beta_g0*x) | x*tanh(beta_g1*x)", params={"beta_g0": 2.0, "beta_g1": 0.5})
    assert f.params == {"beta_g0": 2.0, "beta_g1": 0.5}
    back = parse(str(f), params=f.params)
    assert back == f and back.params == f.params
    # the second part's parameter lives in the second part, with its value
    assert f.parts[1].params == {"beta_g1": 0.5}
    assert f.parts[1](np.array([1.0])).item() == pytest.approx(np.tanh(0.5))


def test_a_shared_name_is_one_parameter_and_two_values_are_an_error():
    f = parse("x*sigmoid(beta*x) | beta*tanh(x)", params={"beta": 3.0})
    assert f.params == {"beta": 3.0}
    with pytest.raises(ExpressionError, match="parameter 'beta' has two values"):
        LayeredExpression([parse("beta*x", {"beta": 1.0}), parse("beta*tanh(x)", {"beta": 2.0})])


def test_rename_params_suffixes_every_name():
    e = rename_params(parse("x*sigmoid(beta*x) + alpha", {"beta": 2.0}), "u1_g1")
    assert e.params == {"beta_u1_g1": 2.0, "alpha_u1_g1": 1.0}
    assert str(e) == "x * sigmoid(beta_u1_g1 * x) + alpha_u1_g1"


def test_canonical_is_the_parts_canonical_forms():
    f = parse("sigmoid(x)*x*1 | x + x")
    assert str(f.canonical()) == "sigmoid(x) * x | 2 * x"
    assert f.canonical().fingerprint == f.fingerprint


def test_complexity_and_zero_gradient():
    f = parse("relu(x) | x*sigmoid(x)")
    assert f.complexity == parse("relu(x)").complexity + parse("x*sigmoid(x)").complexity == 6
    assert not f.zero_gradient
    assert parse("relu(x) | step(x)").zero_gradient


def test_same_function_in_every_layer_has_the_uniform_fingerprint():
    assert parse("relu(x) | relu(x)").fingerprint == parse("relu(x)").fingerprint
    assert parse("max(x, 0) | relu(x) | relu(x)").fingerprint == parse("relu(x)").fingerprint
    grouped = LayeredExpression([parse("tanh(x)"), parse("tanh(x)")], [[0, 2], [1]])
    assert grouped.fingerprint == parse("tanh(x)").fingerprint


def test_fingerprint_follows_the_layers_in_order():
    a, b = parse("relu(x) | tanh(x)"), parse("tanh(x) | relu(x)")
    assert a.fingerprint != b.fingerprint
    assert a.fingerprint not in (parse("relu(x)").fingerprint, parse("tanh(x)").fingerprint)
    assert a.fingerprint == parse("max(x, 0) | tanh(x)").fingerprint  # the parts' functions, not their text
    # the same network written with groups is the same candidate
    grouped = LayeredExpression([parse("relu(x)"), parse("tanh(x)")], [[0, 1], [2]])
    assert grouped.fingerprint == parse("relu(x) | relu(x) | tanh(x)").fingerprint
    # parameter values are part of the function
    assert parse("x*sigmoid(beta*x) | tanh(x)", {"beta": 2.0}).fingerprint != \
        parse("x*sigmoid(beta*x) | tanh(x)", {"beta": 1.0}).fingerprint


def test_layer_expressions_checks_the_count():
    f = parse("relu(x) | tanh(x)")
    assert f.layer_expressions(2) == [parse("relu(x)"), parse("tanh(x)")]
    with pytest.raises(ConfigError) as info:
        f.layer_expressions(3)
    assert str(info.value) == ("per-layer candidate 'relu(x) | tanh(x)' has 2 parts but the protocol has "
                               "3 hidden layers")
    grouped = LayeredExpression([parse("relu(x)"), parse("tanh(x)")], [[0, 1], [2, 3]])
    with pytest.raises(ConfigError, match="covers 4 layers but the protocol has 2 hidden layers"):
        grouped.layer_expressions(2)


@pytest.mark.parametrize("groups, words", [
    ([[0, 1], [1, 2]], "layer 1 is in two groups"),
    ([[0], [2]], "no group has layer 1"),
    ([[0], []], "group 1 should be a non-empty list"),
    ([[0], ["a"]], "not a layer index"),
])
def test_bad_groups_are_one_line_errors(groups, words):
    assert words in groups_problem(groups)
    with pytest.raises(ExpressionError, match=words) as info:
        LayeredExpression([parse("relu(x)"), parse("tanh(x)")], groups)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text, words", [
    ("relu(x) |", "part 1 is empty"),
    ("| relu(x)", "part 0 is empty"),
    ("relu(x) | foo(x)", "part 1: unknown function 'foo'"),
    ("relu(x) @ (0) | tanh(x)", "of every part or of none"),
    ("relu(x) @ 0 | tanh(x) @ 1", "expected the layers after '@' as (0, 1)"),
    ("relu(x) @ (0, 1) | tanh(x) @ (1)", "layer 1 is in two groups"),
])
def test_bad_text_is_a_one_line_expression_error(text, words):
    with pytest.raises(ExpressionError, match=words.replace("(", r"\(").replace(")", r"\)")) as info:
        parse(text)
    assert "\n" not in str(info.value)


def test_bar_is_not_in_the_grammar_of_one_expression():
    """'|' is only the per-layer separator: Expression.from_string and templates over x1, x2 refuse it."""
    with pytest.raises(ExpressionError, match="unexpected character '\\|'"):
        Expression.from_string("relu(x) | tanh(x)")
    with pytest.raises(ExpressionError, match="functions of x"):
        parse("x1 | x2", variables=("x1", "x2"))


def test_pickles_like_an_expression():
    f = parse("x*sigmoid(beta_g0*x) | tanh(x)", {"beta_g0": 1.5})
    fp = f.fingerprint
    f.parts[0].derivative(np.array([0.3]))  # compiled programs are dropped by pickling and rebuilt
    back = pickle.loads(pickle.dumps(f))
    assert back == f and back.params == f.params and back.fingerprint == fp
    assert back.parts[0].derivative(np.array([0.3])) == pytest.approx(f.parts[0].derivative(np.array([0.3])))


def test_with_params_and_uniform():
    f = parse("x*sigmoid(beta_g0*x) | tanh(beta_g1*x)", {"beta_g0": 1.0, "beta_g1": 1.0})
    g = f.with_params({"beta_g1": 2.0})
    assert g.params == {"beta_g0": 1.0, "beta_g1": 2.0} and f.params["beta_g1"] == 1.0
    u = LayeredExpression.uniform(parse("gelu(x)"), 3)
    assert str(u) == "gelu(x) | gelu(x) | gelu(x)" and u.fingerprint == parse("gelu(x)").fingerprint


def test_sharing_names_the_layers_of_each_parameter():
    f = parse("x*sigmoid(beta*x) | tanh(beta*x) | x*sigmoid(gamma*x)")
    assert f.sharing(["gamma", "beta"]) == (("beta", (0, 1)), ("gamma", (2,)))


def test_each_groups_family_coefficients_have_the_groups_suffix_and_round_trip():
    f = parse("apl(x) | apl(tanh(x))")
    assert str(f) == "apl(x) | apl(tanh(x))"
    assert f.parts[0].learnable_family == ["apl_a1_g0", "apl_b1_g0", "apl_a2_g0", "apl_b2_g0"]
    assert f.parts[1].learnable_family == ["apl_a1_g1", "apl_b1_g1", "apl_a2_g1", "apl_b2_g1"]
    assert len(f.params) == 8
    back = parse(str(f), params=f.params)
    assert back == f and back.params == f.params
    # a uniform candidate keeps its names; its copy in every group gets the group's own
    assert parse("apl(x)").learnable_family == ["apl_a1", "apl_b1", "apl_a2", "apl_b2"]
    u = LayeredExpression.uniform(parse("apl(x) + apl(tanh(x))"), 2)
    assert u.parts[1].learnable_family[4:6] == ["apl_2_a1_g1", "apl_2_b1_g1"] and len(u.params) == 16
    # a part keeps its group through canonical and with_params, and a moved part is renamed for its place
    assert f.canonical().params.keys() == f.params.keys()
    assert LayeredExpression([f.parts[1], f.parts[0]]).parts[0].learnable_family[0] == "apl_a1_g0"
    with pytest.raises(ExpressionError, match="'apl_a1_g0' is also a coefficient"):
        parse("apl(x) + apl_a1_g0 | tanh(x)", {"apl_a1_g0": 1.0})


def test_groups_hold_different_family_values_and_the_row_parses_back_to_them():
    f = parse("apl1(x) | apl1(x)")  # two parts, the same function
    values = {"apl1_a1_g0": 0.3, "apl1_b1_g0": -0.2, "apl1_a1_g1": -0.4, "apl1_b1_g1": 0.5}
    g = f.with_params(values)
    assert g.params == values and f.params["apl1_a1_g0"] == 0.0
    back = parse(str(g), params=json.loads(json.dumps(g.params)))  # as a table row stores them
    assert back == g and back.params == values
    z = np.linspace(-2, 2, 9)
    # apl1 = max(0, x) + a1 * max(0, b1 - x), written out
    for part, (a, b) in zip(back.parts, [(0.3, -0.2), (-0.4, 0.5)]):
        np.testing.assert_allclose(part(z), np.maximum(0, z) + a * np.maximum(0, b - z), atol=1e-15)
    assert back.fingerprint != parse("apl1(x)").fingerprint  # the layers differ now
    # values written under the unsuffixed names (a uniform candidate's) start every group there
    assert parse("apl1(x) | apl1(x)", {"apl1_a1": 0.7}).params["apl1_a1_g1"] == 0.7
