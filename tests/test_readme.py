"""README and the docs are true: every command runs, the pasted outputs are a fresh run's, the set-up commands exist.

Every ``actsearch`` command in a ``bash`` block of README and of the site's pages
runs, in the documents' order, in one scratch folder, with budgets, epochs and
seeds cut where a flag allows (:func:`cut`).  Only commands that name a
placeholder host (a reader's own Dask scheduler or database server) are not
run, and :func:`test_only_commands_naming_a_placeholder_host_are_not_run`
lists them.  The pasted outputs come from ``bench/readme_outputs.py``.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest

import actsearch

from actsearch.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_outputs", ROOT / "bench" / "readme_outputs.py")
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)

README = (ROOT / "README.md").read_text()
DOCUMENTS = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in docs.documents()}


def bash_blocks(text: str = README) -> list[str]:
    return docs.BASH.findall(text)


def every_command() -> list[tuple[str, list[str]]]:
    """(document, argv after ``actsearch``) for every actsearch command, in the documents' order."""
    return [(name, argv) for name, text in DOCUMENTS.items() for block in bash_blocks(text)
            for argv in map(docs.actsearch_argv, docs.commands(block)) if argv is not None]


RUNNABLE = [(name, argv) for name, argv in every_command() if not docs.names_a_placeholder_host(argv)]
NOT_RUN = [(name, argv) for name, argv in every_command() if docs.names_a_placeholder_host(argv)]


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def cut(argv: list[str]) -> list[str]:
    """A command with its budget, epochs and seeds cut so that it runs in seconds; otherwise as typed.

    >>> cut(["search", "--budget", "200", "--epochs", "50"])
    ['search', '--budget', '4', '--epochs', '2', '--final-seeds', '2', '--no-progress']
    >>> cut(["compare", "mish", "--seeds", "10"])
    ['compare', 'mish', '--seeds', '2', '--epochs', '2']
    """
    caps = {"--budget": 4, "--epochs": 2, "--final-seeds": 2,
            "--seeds": 2 if argv[0] in ("compare", "transfer") else 1}
    added = {"search": ["--budget", "--epochs", "--final-seeds", "--no-progress"], "evaluate": ["--epochs", "--seeds"],
             "compare": ["--seeds", "--epochs"], "transfer": ["--seeds", "--epochs", "--no-progress"]}.get(argv[0], [])
    out = list(argv)
    for i, token in enumerate(out[:-1]):
        if token in caps and token in added and out[i + 1].isdigit():
            out[i + 1] = str(min(int(out[i + 1]), caps[token]))
    for flag in added:
        if flag not in out:
            out += [flag] if flag == "--no-progress" else [flag, str(caps[flag])]
    return out


def test_readme_has_the_two_set_up_commands():
    """One installs and searches, one installs and tests; the extras they name exist in pyproject.toml."""
    quick = docs.commands(bash_blocks()[0])
    assert ["pip", "install", "-e", "."] in quick and ["actsearch", "search"] in quick
    tests = docs.commands(bash_blocks(section("Run the tests"))[0])
    assert ["python", "-m", "pytest", "-q"] in tests
    install = next(argv for argv in tests if argv[:2] == ["pip", "install"])
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for spec in install[2:]:
        if spec.startswith(".["):
            assert set(spec[2:-1].split(",")) <= set(extras), spec
        elif spec.startswith("torch"):
            assert spec == "torch==2.13.0"  # the CPU wheel the guide pins


@pytest.mark.parametrize("doc,argv", every_command(), ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else v)
def test_every_command_parses(doc, argv):
    """The real parser accepts it, and the spaces and built-in datasets it names exist."""
    from actsearch.datasets import DATASETS
    from actsearch.spaces import load_space

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help exits 0 after printing
        assert exc.code == 0 and "--help" in argv, (doc, argv)
        return
    space = getattr(args, "space", None)
    if space and space != "default":  # "default" is the embedded space
        load_space(space)
    dataset = getattr(args, "dataset", None)
    if dataset and not dataset.endswith(".csv"):
        assert dataset in DATASETS or dataset.startswith("planted:"), dataset


def test_only_commands_naming_a_placeholder_host_are_not_run():
    """The list of what the run test leaves out, each for its placeholder host (shown with ``pytest -rs``)."""
    assert RUNNABLE and len(RUNNABLE) + len(NOT_RUN) == len(every_command())
    for doc, argv in NOT_RUN:
        assert docs.names_a_placeholder_host(argv), (doc, argv)
    if NOT_RUN:
        pytest.skip("not run, they name a reader's own server: " +
                    "; ".join(f"{doc}: actsearch {' '.join(argv)}" for doc, argv in NOT_RUN))


def test_every_bench_script_the_docs_name_exists():
    scripts = {s for text in DOCUMENTS.values() for s in re.findall(r"python (bench/\w+\.py)", text)}
    assert "bench/readme_outputs.py" in scripts
    for script in scripts:
        assert (ROOT / script).is_file(), script


def test_every_pasted_output_names_the_command_that_prints_it():
    names = {doc: [name for name, _, _ in docs.pasted(text)] for doc, text in DOCUMENTS.items()}
    assert "quickstart" in names["README.md"]
    for doc, found in names.items():
        assert len(found) == len(set(found)), (doc, found)


def readers_files(folder: Path) -> None:
    """What the docs assume a reader has: the clone's ``search_spaces/`` (commands run in the clone) and a CSV
    of their own, with a label column."""
    from sklearn.datasets import load_breast_cancer

    (folder / "search_spaces").symlink_to(ROOT / "search_spaces", target_is_directory=True)

    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"})
    frame.head(200).to_csv(folder / "my_data.csv", index=False)


@pytest.mark.slow
def test_every_command_runs_with_budgets_cut(tmp_path):
    """Each runnable command, in order, exits 0 (an output folder made by one is read by those after it)."""
    readers_files(tmp_path)
    failed, timings = [], []
    for doc, argv in RUNNABLE:
        start = time.perf_counter()
        code, _, err = docs.run(cut(argv), tmp_path)
        timings.append((time.perf_counter() - start, " ".join(argv)))
        if code != 0:
            failed.append(f"{doc}: actsearch {' '.join(argv)} -> exit {code}: {err.strip()[-300:]}")
    assert not failed, "\n".join(failed)
    assert sum(t for t, _ in timings) < 600, sorted(timings)[-5:]


def leaderboard_expressions(printed: str) -> list[str]:
    """The expression column of a printed final-stage leaderboard, in order."""
    rows = printed.split("\nleaderboard (", 1)[1].splitlines()[2:]
    return [m.group(1).strip() for m in (re.match(r"\s*\d+\s{2}(.{46})", r) for r in rows) if m]


def baseline_rows(printed: str) -> list[str]:
    """The baselines' rows of a printed leaderboard, expression to test score, in their order (a baseline
    that a candidate repeats is shown on its row as ``baseline = candidate``, so only the name is kept)."""
    rows = printed.split("\nleaderboard (", 1)[1].splitlines()[2:]
    out = []
    for row in rows:
        match = re.match(r"\s*\d+\s{2}(.{46})\s*(\S+)\s+(.{31})", row)
        if match and match.group(2) == "baseline":
            out.append(f"{match.group(1).split(' = ')[0].strip()} {match.group(3)}")
    return out


@pytest.mark.slow
def test_the_quick_start_prints_the_leaderboard_readme_pastes(tmp_path):
    """`actsearch search` as typed: the baselines' rows, in the same order, as README's pasted run.  Its
    finalists can differ: on two workers ASHA promotes in the order trainings finish (README says so); the
    baselines train on the final stage's fixed seeds whatever the search found."""
    code, printed, err = docs.run(["search", "--no-progress"], tmp_path)
    assert code == 0, err
    assert (tmp_path / "results" / "random-s0" / "evaluations.csv").is_file()
    (_, pasted, argv), = [p for p in docs.pasted(README) if p[0] == "quickstart"]
    assert argv == ["search"]
    assert len(baseline_rows(pasted)) == 7
    assert [r.split()[0] for r in baseline_rows(printed)] == [r.split()[0] for r in baseline_rows(pasted)]
    assert baseline_rows(printed) == baseline_rows(pasted)
    table = actsearch.load_results(str(tmp_path / "results" / "random-s0"))
    finalists = set(table.loc[(table["stage"] == "final") & (table["strategy"] != "baseline"), "fingerprint"])
    ok = table[(table["stage"] == "search") & (table["status"] == "ok")]
    assert finalists and finalists <= set(ok["fingerprint"])  # finalists come from full-protocol rows only
    assert "verdict" in printed and "best baseline" in printed
