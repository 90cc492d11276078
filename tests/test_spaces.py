"""Search-space files: loading, validation errors, slots, enumeration, sampling."""

import itertools

import numpy as np
import pytest

from actsearch import parse
from actsearch.primitives import RAMACHANDRAN_BINARY, RAMACHANDRAN_UNARY
from actsearch.spaces import SpaceError, load_space, space_from_dict


def test_shipped_spaces_load():
    ram = load_space("ramachandran2017")
    assert ram.kind == "core_unit" and ram.units == (1, 2)
    assert [t.text for t in ram.unary] == list(RAMACHANDRAN_UNARY)
    assert [t.text for t in ram.binary] == list(RAMACHANDRAN_BINARY)
    tree = load_space("search_spaces/gp_tree.yaml")
    assert tree.kind == "tree" and tree.max_depth == 4 and tree.max_size == 15
    assert load_space("small").size() == 5 * 5 * 3


def test_size_matches_an_independent_count():
    ram = load_space("ramachandran2017")
    u, b = len(RAMACHANDRAN_UNARY), len(RAMACHANDRAN_BINARY)
    one = u * u * b
    two = one * (u * u * b) * 2 * 2  # second unit: its own slots, each input x or unit 0
    assert ram.size() == one + two


def test_build_matches_hand_written_expressions():
    space = load_space("ramachandran2017")
    swish = space.build({"u1_0": "x", "u2_0": "sigmoid(x)", "b_0": "x1 * x2"})
    x = np.linspace(-4, 4, 41)
    np.testing.assert_allclose(swish(x), parse("x*sigmoid(x)")(x))
    two = space.build({"u1_0": "x", "u2_0": "sin(x)", "b_0": "max(x1, x2)",
                       "u1_1": "tanh(x)", "u2_1": "x", "b_1": "x1 * x2", "in1_1": "unit0", "in2_1": "x"}, 2)
    np.testing.assert_allclose(two(x), np.tanh(np.maximum(x, np.sin(x))) * x)
    param = space.build({"u1_0": "beta*x", "u2_0": "x + beta", "b_0": "x1 + x2"})
    assert param.params == {"beta_u1": 1.0, "beta_u2": 1.0}  # one parameter per slot


def test_enumeration_is_the_product_of_the_slots():
    space = load_space("small")
    listed = list(space.enumerate())
    assert len(listed) == space.size()
    expected = set(itertools.product([t.text for t in space.unary], [t.text for t in space.unary],
                                     [t.text for t in space.binary]))
    assert {(c["u1_0"], c["u2_0"], c["b_0"]) for c in listed} == expected


def test_sampling_is_seeded_and_respects_tree_limits():
    from actsearch.expression import depth

    tree = load_space("gp_tree")
    a = [str(tree.sample(np.random.default_rng(5))) for _ in range(3)]
    b = [str(tree.sample(np.random.default_rng(5))) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(0)
    for _ in range(200):
        e = tree.sample(rng)
        assert e.complexity <= tree.max_size and depth(e.tree) <= tree.max_depth
        assert "x" in str(e)


@pytest.mark.parametrize("raw,match", [
    ({"kind": "core_unit", "unary": ["x"], "binary": ["x1 + x2"], "units": 7}, "units"),
    ({"kind": "core_unit", "unary": ["nosuch(x)"], "binary": ["x1 + x2"]}, r"unary\[0\]"),
    ({"kind": "core_unit", "binary": ["x1 + x2"]}, "missing key 'unary'"),
    ({"kind": "core_unit", "unary": "x", "binary": ["x1 + x2"]}, "'unary' should be a list"),
    ({"kind": "tree", "primitives": ["add", "frobnicate"]}, r"primitives\[1\] 'frobnicate'"),
    ({"kind": "tree", "primitives": ["add"], "max_depth": "deep"}, "max_depth"),
    ({"kind": "lattice"}, "kind"),
    ({"kind": "tree", "primitives": ["add"], "colour": "red"}, "unknown key 'colour'"),
    ({"kind": "tree", "primitives": ["add"], "params": {"beta": [3, 1]}}, "params.beta"),
    (["a", "list"], "mapping"),
])
def test_broken_spaces_name_the_key(raw, match):
    with pytest.raises(SpaceError, match=match) as info:
        space_from_dict(raw, "bad.yaml")
    assert "bad.yaml" in str(info.value) and "\n" not in str(info.value)


def test_broken_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: core_unit\nunary: [x, tanh(x)\n")
    with pytest.raises(SpaceError, match="not valid YAML"):
        load_space(str(bad))
    with pytest.raises(SpaceError, match="not found"):
        load_space("no_such_space")
    evil = tmp_path / "evil.yaml"
    evil.write_text("kind: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(SpaceError):
        load_space(str(evil))  # safe_load refuses Python tags


def test_a_bare_name_in_a_space_file_is_that_function_of_x():
    space = space_from_dict({"kind": "core_unit", "unary": ["x", "relu", "tanh"], "binary": ["x1 * x2"]}, "s.yaml")
    f = space.build({"u1_0": "x", "u2_0": "relu", "b_0": "x1 * x2"})
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(f(x), x * np.maximum(x, 0))


# --- per-layer spaces -----------------------------------------------------------------------

def test_per_layer_space_is_the_product_of_its_groups():
    from actsearch.expression import LayeredExpression

    space = load_space("per_layer")
    one = load_space("small")
    assert space.per_layer and space.groups == ((0,), (1,)) and space.n_layers == 2
    assert space.size() == one.size() ** 2
    listed = list(space.enumerate())
    assert len(listed) == space.size()
    parts = [(space.build_part(a).fingerprint, space.build_part(b).fingerprint)
             for a, b in itertools.product(list(one.enumerate()), repeat=2)]
    assert [tuple(p.fingerprint for p in space.build(c).parts) for c in listed] == parts
    f = space.build({"u1_0_g0": "x", "u2_0_g0": "tanh(x)", "b_0_g0": "x1 * x2",
                     "u1_0_g1": "sin(x)", "u2_0_g1": "x", "b_0_g1": "max(x1, x2)"})
    assert isinstance(f, LayeredExpression) and str(f) == "x * tanh(x) | max(sin(x), x)"
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(f.parts[1](x), np.maximum(np.sin(x), x))


def test_per_layer_parameters_are_suffixed_by_group():
    space = space_from_dict({"kind": "core_unit", "unary": ["beta*x", "tanh(x)"], "binary": ["x1 + x2"],
                             "per_layer": True, "layers": 2}, "p.yaml")
    f = space.build({"u1_0_g0": "beta*x", "u2_0_g0": "tanh(x)", "b_0_g0": "x1 + x2",
                     "u1_0_g1": "beta*x", "u2_0_g1": "beta*x", "b_0_g1": "x1 + x2"})
    assert f.params == {"beta_u1_g0": 1.0, "beta_u1_g1": 1.0, "beta_u2_g1": 1.0}
    assert str(f) == "beta_u1_g0 * x + tanh(x) | beta_u1_g1 * x + beta_u2_g1 * x"
    assert parse(str(f), params=f.params) == f


def test_per_layer_sampling_is_seeded_and_independent_per_group():
    space = load_space("per_layer")
    a = [str(space.sample(np.random.default_rng(4))) for _ in range(3)]
    assert a == [str(space.sample(np.random.default_rng(4))) for _ in range(3)]
    drawn = [space.sample(np.random.default_rng(s)) for s in range(60)]
    assert all(len(e.parts) == 2 for e in drawn)
    assert sum(e.parts[0].fingerprint != e.parts[1].fingerprint for e in drawn) > 40
    tree = space_from_dict({"kind": "tree", "primitives": ["add", "tanh"], "groups": [[0, 2], [1]]}, "t.yaml")
    e = tree.sample(np.random.default_rng(0))
    assert e.groups == ((0, 2), (1,)) and len(e.layer_expressions(3)) == 3


def test_groups_tie_layers():
    space = space_from_dict({**load_space("small").raw, "groups": [[0, 1], [2, 3, 4, 5]]}, "g.yaml")
    assert space.per_layer and space.n_layers == 6 and space.size() == 75 ** 2
    f = space.sample(np.random.default_rng(0))
    assert f.groups == ((0, 1), (2, 3, 4, 5)) and parse(str(f), params=f.params) == f
    assert [str(e) for e in f.layer_expressions(6)] == [str(f.parts[0])] * 2 + [str(f.parts[1])] * 4
    space.check_layers(6)
    with pytest.raises(SpaceError, match="per layer over 6 hidden layers but the protocol has 2"):
        space.check_layers(2)


@pytest.mark.parametrize("extra,match", [
    ({"groups": [[0, 1], [1, 2]]}, "key 'groups': layer 1 is in two groups"),
    ({"groups": [[0, 1], [3]]}, "key 'groups': no group has layer 2"),
    ({"groups": [[0], []]}, "key 'groups': group 1 should be a non-empty list"),
    ({"groups": "all"}, "key 'groups': expected a non-empty list"),
    ({"per_layer": True}, "per_layer: true needs layers: N"),
    ({"per_layer": "yes", "layers": 2}, "'per_layer' should be true or false"),
    ({"per_layer": True, "layers": 0}, "'layers' should be the number of hidden layers"),
    ({"layers": 2}, "'layers' needs per_layer: true"),
    ({"per_layer": True, "layers": 3, "groups": [[0], [1]]}, "covers 2 layers but layers is 3"),
])
def test_broken_per_layer_spaces_name_the_key(extra, match):
    raw = {"kind": "core_unit", "unary": ["x", "tanh(x)"], "binary": ["x1 + x2"], **extra}
    with pytest.raises(SpaceError, match=match) as info:
        space_from_dict(raw, "bad.yaml")
    assert "bad.yaml" in str(info.value) and "\n" not in str(info.value)


def test_a_template_with_a_bar_is_a_space_error():
    with pytest.raises(SpaceError, match=r"unary\[1\]"):
        space_from_dict({"kind": "core_unit", "unary": ["x", "relu(x) | tanh(x)"], "binary": ["x1 + x2"]}, "b.yaml")
