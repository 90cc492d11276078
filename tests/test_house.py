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
