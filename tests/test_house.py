"""The house rules, measured on the package's source: room sizes and private reach-ins (the CLI on top is
checked in test_cli.py)."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "actsearch"
MODULES = sorted(PACKAGE.rglob("*.py"))
LIMITS = {"module": 500, "function": 60, "class": 300}


def _tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def test_the_package_is_found():
    assert len(MODULES) > 40 and any(p.name == "driver.py" for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_rooms_are_small(path):
    """No module over 500 lines, no function over 60, no class over 300 (from its first line to its last)."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    too_big = [f"module: {lines} lines"] if lines > LIMITS["module"] else []
    for node in ast.walk(_tree(path)):
        kind = "class" if isinstance(node, ast.ClassDef) else \
            "function" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        if kind is not None and node.end_lineno - node.lineno + 1 > LIMITS[kind]:
            too_big.append(f"{kind} {node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines")
    assert not too_big


def _private_imports():
    """``(module, line, name, source line)`` of every underscore name imported from another module of the
    package."""
    found = []
    for path in MODULES:
        source = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level == 0 and (node.module or "").split(".")[0] != "actsearch":
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    text = " ".join(source[node.lineno - 1:node.end_lineno])
                    found.append((_name(path), node.lineno, alias.name, text))
    return found


def test_at_most_four_private_imports_each_saying_why():
    found = _private_imports()
    assert len(found) <= 4, found
    assert all("#" in text for *_, text in found), [f for f in found if "#" not in f[3]]


#: The layers, bottom to top (README, "How it is built"): a module imports only from its own layer and those below.
LAYERS = [
    ("expressions", ["errors", "primitives", "expression"]),
    ("training", ["datasets", "initialisation", "mlp", "heads", "optimizers", "backprop", "training_state", "networks",
                  "screening", "normalization", "architectures"]),
    ("tables", ["results", "analysis", "export"]),
    ("scoring", ["scoring", "executors", "evaluation", "torch_backend"]),
    ("search", ["spaces", "strategies", "config", "racing", "planner", "warmstart", "final_stage", "search_loop",
                "driver", "finals", "transfer", "distributed", "estimator"]),
    ("command line", ["cli", "__main__"]),
]
LAYER_OF = {room: i for i, (_, rooms) in enumerate(LAYERS) for room in rooms}


def _room(dotted: str) -> str | None:
    """The top-level room of ``actsearch.X.Y`` (``X``), or None for the package itself."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "actsearch" else None


def _imported(path, name: str):
    """The actsearch modules ``path`` imports, with line numbers (lazy imports inside functions included)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom):
            base = (node.module or "").split(".") if node.level == 0 else \
                package[:len(package) - node.level + 1] + ((node.module or "").split(".") if node.module else [])
            base = ".".join(p for p in base if p)
            if node.module is None and node.level:  # from . import x, from .. import __version__
                yield from ((node.lineno, f"{base}.{a.name}") for a in node.names)
            else:
                yield node.lineno, base
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)


def test_every_room_has_a_layer():
    rooms = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in MODULES} - {"__init__"}
    assert rooms <= set(LAYER_OF), sorted(rooms - set(LAYER_OF))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_a_room_imports_only_its_layer_and_those_below(path):
    name = _name(path)
    room = _room(name)
    if room is None or room == "__init__":
        return
    upward = []
    for line, target in _imported(path, name):
        other = _room(target)
        if other in LAYER_OF and LAYER_OF[other] > LAYER_OF[room]:
            upward.append(f"line {line}: {target} ({LAYERS[LAYER_OF[other]][0]})")
    assert not upward, f"{name} ({LAYERS[LAYER_OF[room]][0]}) imports upward: {upward}"
