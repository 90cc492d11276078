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
