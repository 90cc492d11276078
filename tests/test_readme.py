"""README's commands are true: each parses, the named spaces, datasets and scripts exist, and the key ones run.

The quick start and the worked example run in full, in a scratch folder, as a
reader would type them; every other ``actsearch`` command in a ``bash`` block
is parsed by the real command-line parser (they name files and servers that
only exist on the reader's machine).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from actsearch.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def commands(block: str) -> list[list[str]]:
    """The block's commands as argv lists: continuation lines joined, ``&&`` and ``;`` split, comments dropped."""
    text = block.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        tokens = shlex.split(line, comments=True)
        current: list[str] = []
        for token in tokens + ["&&"]:
            if token in ("&&", ";"):
                if current:
                    out.append(current)
                current = []
            else:
                current.append(token)
    return out


def actsearch_commands() -> list[list[str]]:
    return [argv[1:] for block in bash_blocks() for argv in commands(block) if argv[0] == "actsearch"]


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_has_the_two_set_up_commands():
    """One installs and searches, one installs and tests; the extras they name exist in pyproject.toml."""
    quick = commands(bash_blocks()[0])
    assert ["pip", "install", "-e", "."] in quick and ["actsearch", "search"] in quick
    tests = commands(re.findall(r"```bash\n(.*?)```", section("Run the tests"), flags=re.S)[0])
    assert ["python", "-m", "pytest", "-q"] in tests
    install = next(argv for argv in tests if argv[:2] == ["pip", "install"])
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for spec in install[2:]:
        if spec.startswith(".["):
            assert set(spec[2:-1].split(",")) <= set(extras), spec
        elif spec.startswith("torch"):
            assert spec == "torch==2.13.0"  # the CPU wheel the guide pins


@pytest.mark.parametrize("argv", actsearch_commands(), ids=lambda argv: " ".join(argv)[:60])
def test_every_readme_command_parses(argv):
    """The real parser accepts it, and the spaces and built-in datasets it names exist."""
    from actsearch.datasets import DATASETS
    from actsearch.spaces import load_space

    args = build_parser().parse_args(argv)
    space = getattr(args, "space", None)
    if space and space != "default":  # "default" is the embedded space
        load_space(space)
    dataset = getattr(args, "dataset", None)
    if dataset and not dataset.endswith(".csv"):
        assert dataset in DATASETS or dataset.startswith("planted:"), dataset


def test_every_bench_script_the_readme_names_exists():
    scripts = set(re.findall(r"python (bench/\w+\.py)", README))
    assert scripts
    for script in scripts:
        assert (ROOT / script).is_file(), script


def run_block(block: str, tmp_path, capsys) -> list[str]:
    """Run a block's actsearch commands in order in ``tmp_path``; their outputs."""
    outputs = []
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        for argv in commands(block):
            if argv[0] != "actsearch":
                continue
            code = main(argv[1:])
            printed, err = capsys.readouterr()
            assert code == 0, (argv, err)
            outputs.append(printed)
    finally:
        os.chdir(old)
    return outputs


@pytest.mark.slow
def test_the_quick_start_runs_and_prints_verdicts(tmp_path, capsys):
    """`actsearch search` as typed: the default search, its final stage and the leaderboard with verdicts."""
    (printed,) = run_block("actsearch search --no-progress\n", tmp_path, capsys)
    assert "leaderboard" in printed and "verdict" in printed and "best baseline" in printed
    assert (tmp_path / "results" / "random-s0" / "evaluations.csv").is_file()
    pasted = re.findall(r"```\n(search rows: .*?)```", section("Quick start"), flags=re.S)[0]
    # the pasted output's structure: the same lines in the same order (figures depend on the machine's BLAS)
    assert [line.split(":")[0] for line in printed.splitlines() if ":" in line][:2] == \
        [line.split(":")[0] for line in pasted.splitlines() if ":" in line][:2]


@pytest.mark.slow
def test_the_worked_example_runs(tmp_path, capsys):
    """The worked example's search, analyze, plot, report and export, in order, on its own output."""
    blocks = re.findall(r"```bash\n(.*?)```", section("A worked example: search, analyze, plot, report, export"),
                        flags=re.S)
    script = "".join(blocks).replace("actsearch search ", "actsearch search --no-progress ", 1)
    outputs = run_block(script, tmp_path, capsys)
    assert len(outputs) == len([a for a in commands(script) if a[0] == "actsearch"])
    assert (tmp_path / "results" / "demo" / "report.html").is_file()
    assert "class Activation(nn.Module)" in outputs[-1]
