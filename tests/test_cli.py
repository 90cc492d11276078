"""The ``actsearch`` command line: output formats, and one-line errors with exit code 2.

Most tests call :func:`actsearch.cli.main` in-process; two run the installed
console script in a subprocess to check the real exit code and streams.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons

from actsearch.cli import main
from actsearch.export import TARGETS, export
from actsearch.results import load_results

TINY = ["--hidden", "16", "--epochs", "5", "--seeds", "2"]


def _strict_json(text: str):
    """json.loads that rejects NaN and Infinity, which are not JSON (RFC 8259)."""
    def reject(token):
        raise ValueError(f"{token} is not valid JSON")
    return json.loads(text, parse_constant=reject)


# --- output formats ------------------------------------------------------------------

@pytest.fixture(scope="module")
def swish_json():
    import contextlib

    buf_out, buf_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
        code = main(["evaluate", "x*sigmoid(x)", "--dataset", "iris", *TINY, "--format", "json"])
    return code, buf_out.getvalue(), buf_err.getvalue()


def test_json_output(swish_json):
    code, out, err = swish_json
    assert code == 0 and err == ""
    data = json.loads(out)  # one JSON object, nothing else on stdout
    assert isinstance(data, dict)
    assert {"expression", "dataset", "test_score_mean", "test_score_std", "seeds"} <= set(data)
    assert data["expression"] == "x * sigmoid(x)"
    assert data["dataset"] == "iris"
    seeds = data["seeds"]
    assert isinstance(seeds, list) and len(seeds) == 2
    for rec in seeds:
        assert {"seed", "status", "val_score", "test_score"} <= set(rec)
        assert rec["status"] == "ok"
        assert 0.0 <= rec["test_score"] <= 1.0
        # iris has 30 test rows: an accuracy is a multiple of 1/30.
        assert rec["test_score"] * 30 == pytest.approx(round(rec["test_score"] * 30))
    assert [rec["seed"] for rec in seeds] == [0, 1]
    scores = [rec["test_score"] for rec in seeds]
    assert data["test_score_mean"] == pytest.approx(np.mean(scores), abs=1e-12)
    assert data["test_score_std"] == pytest.approx(np.std(scores, ddof=1), abs=1e-12)


def test_json_output_is_strict_json(swish_json):
    _strict_json(swish_json[1])


def test_json_output_of_a_diverged_candidate_is_strict_json(cli):
    code, out, err = cli("evaluate", "exp(x)*exp(x)", "--dataset", "breast_cancer", "--lr", "10", "--hidden", "32",
                             "--epochs", "3", "--seeds", "2", "--format", "json")
    assert code == 0
    data = _strict_json(out)
    assert data["test_score_mean"] is None
    assert all(rec["status"] == "diverged" for rec in data["seeds"])


def test_json_diverged_candidate_reports_status(cli):
    code, out, err = cli("evaluate", "exp(x)*exp(x)", "--dataset", "breast_cancer", "--lr", "10", "--hidden", "32",
                             "--epochs", "3", "--seeds", "2", "--format", "json")
    assert code == 0 and "Traceback" not in err
    data = json.loads(out)  # lenient: accepts NaN
    assert [rec["status"] for rec in data["seeds"]] == ["diverged", "diverged"]
    assert all(rec["test_score"] is None for rec in data["seeds"])
    assert data["test_score_mean"] is None or math.isnan(data["test_score_mean"])


def test_csv_output(cli):
    code, out, err = cli("evaluate", "x*sigmoid(x)", "--dataset", "iris", *TINY, "--format", "csv")
    assert code == 0 and err == ""
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 2
    assert list(df["seed"]) == [0, 1]
    assert {"expression", "dataset", "seed", "status", "val_score", "test_score"} <= set(df.columns)
    assert set(df["status"]) == {"ok"}
    assert set(df["dataset"]) == {"iris"}


def test_csv_and_json_agree(cli, swish_json):
    code, out, _ = cli("evaluate", "x*sigmoid(x)", "--dataset", "iris", *TINY, "--format", "csv")
    df = pd.read_csv(io.StringIO(out))
    seeds = json.loads(swish_json[1])["seeds"]
    np.testing.assert_allclose(df["test_score"], [r["test_score"] for r in seeds], rtol=1e-12)
    np.testing.assert_allclose(df["val_score"], [r["val_score"] for r in seeds], rtol=1e-12)


def test_table_output(cli, swish_json):
    code, out, err = cli("evaluate", "x*sigmoid(x)", "--dataset", "iris", *TINY, "--format", "table")
    assert code == 0 and err == ""
    data = json.loads(swish_json[1])
    assert "x * sigmoid(x) on iris" in out
    line = next(l for l in out.splitlines() if l.startswith("test score:"))
    expected = f"test score: {data['test_score_mean']:.4f} ± {data['test_score_std']:.4f}"
    assert line.startswith(expected)
    assert "(2/2 seeds ok)" in line


def test_table_is_the_default_format(cli):
    code, out, _ = cli("evaluate", "tanh(x)", "--dataset", "iris", "--hidden", "16", "--epochs", "3", "--seeds", "1")
    assert code == 0
    assert "test score:" in out and " ± " in out


def test_user_csv_with_target(cli, tmp_path):
    X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    frame = pd.DataFrame({"cls": y, "u": X[:, 0], "v": X[:, 1]})  # target not last
    path = tmp_path / "moons.csv"
    frame.to_csv(path, index=False)
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", str(path), "--target", "cls", "--hidden", "16",
                             "--epochs", "20", "--seeds", "2", "--lr", "0.01", "--format", "json")
    # the one guess left, the task, is said (and json on stdout stays clean)
    assert code == 0 and err.splitlines() == [
        f"actsearch: note: {path}: the task is taken to be binary classification from the values of 'cls'; "
        "--task sets it"]
    data = json.loads(out)
    assert data["dataset"] == str(path)
    assert data["task"] == "binary"
    assert [r["status"] for r in data["seeds"]] == ["ok", "ok"]
    # 200 rows: 40 test rows, so accuracy is a multiple of 1/40; moons is learnable.
    for r in data["seeds"]:
        assert r["test_score"] * 40 == pytest.approx(round(r["test_score"] * 40))
    assert data["test_score_mean"] > 0.75
    assert data["test_score_mean"] == pytest.approx(np.mean([r["test_score"] for r in data["seeds"]]))


# --- hostile and broken expressions ----------------------------------------------------

BROKEN = [
    "x.__class__",
    "().__class__",
    "unknownfn(x)",
    "y + 1",
    "(x",
    "x)",
    "",
    "   ",
    "(" * 10000 + "x" + ")" * 10000,
    "sin(" * 10000 + "x" + ")" * 10000,
    "(" * 150 + "x" + ")" * 150,        # under the length limit: the depth limit must catch it
    "sin(" * 300 + "x" + ")" * 300,
    "x" + "^2" * 3000,
    "lambda: 0",
    "x; import os",
    "exec('1')",
    "x if x else 1",
    "x\n+1\nimport os",
]


@pytest.mark.parametrize("expr", BROKEN, ids=range(len(BROKEN)))
def test_broken_expression_one_line_error(cli, one_line_error, expr):
    code, out, err = cli("evaluate", expr, "--dataset", "iris", "--hidden", "4", "--epochs", "1", "--seeds", "1")
    one_line_error(code, out, err)


def test_hostile_expression_executes_nothing(cli, one_line_error, tmp_path):
    marker = tmp_path / "hacked"
    expr = f"__import__('os').system('touch {marker}')"
    code, out, err = cli("evaluate", expr, "--dataset", "iris", "--hidden", "4", "--epochs", "1", "--seeds", "1")
    one_line_error(code, out, err)
    assert not marker.exists()


def test_the_brief_hostile_string(cli, one_line_error):
    code, out, err = cli("evaluate", "__import__('os').system('echo hacked')", "--dataset", "iris",
                             "--hidden", "4", "--epochs", "1", "--seeds", "1")
    one_line_error(code, out, err)
    assert "hacked" not in out


def test_error_names_the_problem(cli):
    _, _, err = cli("evaluate", "unknownfn(x)", "--dataset", "iris", "--seeds", "1")
    assert "unknownfn" in err
    _, _, err = cli("evaluate", "y + 1", "--dataset", "iris", "--seeds", "1")
    assert "'y'" in err


# --- bad datasets -------------------------------------------------------------------

def test_unknown_dataset(cli, one_line_error):
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", "no_such_set", *TINY)
    one_line_error(code, out, err)
    assert "no_such_set" in err


def test_missing_csv(cli, one_line_error, tmp_path):
    path = tmp_path / "absent.csv"
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", str(path), *TINY)
    one_line_error(code, out, err)
    assert "absent.csv" in err


def test_csv_missing_target_column(cli, one_line_error, tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30) % 2}).to_csv(path, index=False)
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", str(path), "--target", "label", *TINY)
    one_line_error(code, out, err)
    assert "'label'" in err


def test_csv_with_missing_values(cli, one_line_error, tmp_path):
    path = tmp_path / "d.csv"
    frame = pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30) % 2})
    frame.loc[4, "a"] = np.nan
    frame.to_csv(path, index=False)
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", str(path), *TINY)
    one_line_error(code, out, err)
    assert "'a'" in err


def test_binary_file_as_csv(cli, one_line_error, tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 8)
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", str(path), *TINY)
    one_line_error(code, out, err)


def test_target_with_builtin_dataset(cli, one_line_error):
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", "iris", "--target", "species", *TINY)
    one_line_error(code, out, err)


@pytest.mark.parametrize("option", [["--dropout", "1.5"], ["--lr", "0"], ["--lr", "nan"], ["--param", "x=1"]])
def test_bad_settings_one_line_error(cli, one_line_error, option):
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", "iris", *TINY, *option)
    one_line_error(code, out, err)


def test_negative_split_seed_one_line_error(cli, one_line_error):
    try:
        code, out, err = cli("evaluate", "tanh(x)", "--dataset", "iris", *TINY, "--split-seed", "-1")
    except Exception as exc:  # noqa: BLE001 - the bug: an exception escapes main()
        pytest.fail(f"main() raised {type(exc).__name__}: {exc}")
    one_line_error(code, out, err)


# --- argparse errors ------------------------------------------------------------------

@pytest.mark.parametrize("option", [["--hidden", "a,b"], ["--hidden", "16,0"], ["--seeds", "0"], ["--seeds", "x"],
                                    ["--epochs", "0"], ["--format", "xml"], ["--param", "beta"]])
def test_argparse_errors(cli, option):
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", "iris", *option)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert "error:" in err
    assert option[0] in err


def test_no_command_prints_help(capsys):
    code = main([])
    out, _ = capsys.readouterr()
    assert code == 2 and "evaluate" in out


# --- the installed console script, in a subprocess --------------------------------------

def _command() -> list[str]:
    script = Path(sys.executable).with_name("actsearch")
    if script.exists():
        return [str(script)]
    found = shutil.which("actsearch")
    return [found] if found else [sys.executable, "-m", "actsearch.cli"]


def _run_process(args, cwd):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*_command(), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_console_script_hostile_expression(tmp_path):
    marker = tmp_path / "pwned"
    proc = _run_process(["evaluate", f"__import__('os').system('touch {marker}')", "--dataset", "iris",
                         "--hidden", "4", "--epochs", "1", "--seeds", "1"], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("actsearch: error: ")
    assert not marker.exists()


def test_console_script_success(tmp_path):
    proc = _run_process(["evaluate", "x*sigmoid(x)", "--dataset", "iris", *TINY, "--format", "json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [r["seed"] for r in data["seeds"]] == [0, 1]
    assert data["test_score_mean"] == pytest.approx(np.mean([r["test_score"] for r in data["seeds"]]))


def test_json_output_records_the_init_rule_and_its_gain(swish_json):
    """init_gain at the top level: 1/sqrt(E[swish(z)^2]), z ~ N(0, 1), from scipy's quadrature."""
    from scipy import integrate, stats

    data = json.loads(swish_json[1])
    second, _ = integrate.quad(lambda z: (z * stats.logistic.cdf(z)) ** 2 * stats.norm.pdf(z), -np.inf, np.inf)
    assert data["init"] == "auto"
    assert data["init_gain"] == pytest.approx(1 / math.sqrt(second), rel=1e-6)


def test_evaluate_takes_a_bare_activation_name(cli):
    """`actsearch evaluate relu`, as a Keras or PyTorch user types it, is relu(x): the same scores."""
    code, out, err = cli("evaluate", "relu", "--dataset", "iris", "--epochs", "1", "--seeds", "1", "--format", "json")
    assert code == 0, err
    bare = json.loads(out)
    code, out, err = cli("evaluate", "relu(x)", "--dataset", "iris", "--epochs", "1", "--seeds", "1", "--format", "json")
    written = json.loads(out)
    assert bare["expression"] == "relu(x)"
    drop = ("train_seconds",)  # wall time
    assert [{k: v for k, v in s.items() if k not in drop} for s in bare["seeds"]] == \
        [{k: v for k, v in s.items() if k not in drop} for s in written["seeds"]]


def test_python_dash_m_actsearch_is_the_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "actsearch", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: actsearch") and "compare" in done.stdout


def test_no_domain_module_imports_the_cli():
    """The CLI calls the domain modules, never the other way round: no import of actsearch.cli outside it."""
    import ast

    import actsearch

    root = Path(actsearch.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        inside = path.relative_to(root).parts
        if inside[0] == "cli" or inside == ("__main__.py",):
            continue
        package = ["actsearch", *inside[:-1]]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[:len(package) - node.level + 1] if node.level else []
                names = [".".join(base + ([node.module] if node.module else []) + [a.name]) for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found += [f"{path.name}:{node.lineno} {n}" for n in names if n == "actsearch.cli" or
                      n.startswith("actsearch.cli.")]
    assert found == []


def test_a_learnable_name_the_expression_lacks_is_one_line_and_exit_2(cli, one_line_error):
    code, out, err = cli("evaluate", "x*sigmoid(beta*x)", "--learnable", "gamma", "--dataset", "iris",
                         "--epochs", "1", "--seeds", "1")
    one_line_error(code, out, err, "'gamma'", "beta")


SMALL_SEARCH = ("search", "--space", "small", "--dataset", "moons", "--hidden", "4", "--epochs", "2", "--seeds", "1",
                "--final-k", "0", "--baselines", "relu", "--final-seeds", "2", "--no-progress")


def test_a_pruned_search_runs_with_the_default_workers_and_says_so(cli, tmp_path):
    code, out, err = cli(*SMALL_SEARCH, "--strategy", "optuna", "--pruner", "median", "--budget", "4",
                         "--out", str(tmp_path / "pruned"))
    assert code == 0, err
    notes = [line for line in err.splitlines() if "pruning" in line]
    assert len(notes) == 1 and "one process" in notes[0]


@pytest.mark.parametrize("sampler", [(), ("--sampler", "nsga2")])
def test_a_multi_objective_search_prints_its_front_and_resumes(cli, tmp_path, sampler):
    argv = (*SMALL_SEARCH, "--strategy", "optuna", "--objectives", "val_score,complexity", *sampler,
            "--workers", "1", "--out", str(tmp_path / "mo"))
    code, out, err = cli(*argv, "--budget", "4")
    assert code == 0, err
    front = out.split("Pareto front", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    assert front, out
    scores = [(float(line.split()[0]), float(line.split()[1])) for line in front]
    # a front: sorted by score, and each later entry is simpler (else it would be beaten on both)
    assert scores == sorted(scores, reverse=True) and all(b[1] < a[1] for a, b in zip(scores, scores[1:]))
    code, out, err = cli(*argv, "--budget", "6")  # the same command, a larger budget: resumes
    assert code == 0, err
    rows = load_results(str(tmp_path / "mo")).query("stage == 'search'")
    candidates = (rows["status"] != "promoted").sum()
    assert candidates == 6 and f"search rows: {len(rows)} " in out
    assert len(rows) == candidates or f"for {candidates} candidates" in out


def test_the_default_out_is_named_from_what_differs_and_never_collides(cli, tmp_path, monkeypatch):
    """README's searches in order, without --out: another space gets its own folder; other training settings
    that would land in a taken folder go to the next free one, say so, and the same command resumes there."""
    monkeypatch.chdir(tmp_path)
    fast = [a for a in SMALL_SEARCH if a not in ("--dataset", "moons", "--space", "small")]  # the defaults
    code, _, err = cli(*fast, "--budget", "2", "--workers", "1")
    assert code == 0, err
    assert (tmp_path / "results" / "random-s0" / "evaluations.csv").is_file()
    code, _, err = cli(*fast, "--space", "ramachandran2017", "--budget", "2", "--workers", "1")
    assert code == 0, err
    assert (tmp_path / "results" / "ramachandran2017-random-s0" / "evaluations.csv").is_file()
    code, out, err = cli(*fast, "--budget", "2", "--workers", "1", "--lr", "0.01")
    assert code == 0, err
    assert "results/random-s0 holds another search (train.lr=0.01 here), so this one is results/random-s0-2" in err
    taken = load_results("results/random-s0-2").query("stage == 'search'")
    assert (taken["status"] != "promoted").sum() == 2  # the budget's 2 candidates
    code, out, err = cli(*fast, "--budget", "3", "--workers", "1", "--lr", "0.01")  # the same command resumes
    assert code == 0 and f"resuming: {len(taken)} search rows" in err and not (tmp_path / "results" / "random-s0-3").exists()
    code, out, err = cli(*fast, "--budget", "2", "--workers", "1", "--lr", "0.02", "--out", "results/random-s0")
    assert code == 2 and "results/random-s0 holds a run with train.lr=0.003, not 0.02" in err  # a given --out: refused
    assert set(load_results("results/random-s0")["run_id"]) == {"random-s0"}  # the seed once, not random-s0-s0


def test_a_bad_search_setting_prints_the_error_alone_and_leaves_no_output(cli, one_line_error, tmp_path):
    out = tmp_path / "never"
    code, stdout, err = cli(*SMALL_SEARCH, "--budget", "2", "--warm-start", str(tmp_path / "missing.csv"),
                            "--out", str(out))
    one_line_error(code, stdout, err, "missing.csv")  # no "writing ..." banner before it
    assert not out.exists()


def test_a_warm_start_says_what_it_copied(cli, tmp_path):
    code, _, _ = cli(*SMALL_SEARCH, "--budget", "4", "--workers", "1", "--out", str(tmp_path / "a"))
    assert code == 0
    code, stdout, err = cli(*SMALL_SEARCH, "--budget", "2", "--workers", "1", "--seed", "3", "--warm-start",
                            str(tmp_path / "a"), "--out", str(tmp_path / "b"))
    ok = load_results(str(tmp_path / "a")).query("stage == 'search' and status == 'ok'")["fingerprint"].nunique()
    assert code == 0 and f"warm start: {min(ok, 5)} candidates from" in err and "not counted against the budget" in err
    rows = load_results(str(tmp_path / "b")).query("stage == 'search'")
    assert (rows["status"] != "promoted").sum() == 2 + min(ok, 5)
    assert f"search rows: {len(rows)} " in stdout and f"{min(ok, 5)} of them copied from the warm start" in stdout


def test_a_resumed_search_says_what_it_found(cli, tmp_path):
    argv = (*SMALL_SEARCH, "--budget", "3", "--workers", "1", "--out", str(tmp_path / "again"))
    code, _, err = cli(*argv)
    assert code == 0 and "resuming" not in err
    from actsearch import load_results

    table = load_results(str(tmp_path / "again"))
    search = table[table["stage"] == "search"]
    full = search[search["status"] == "ok"]  # a raced-out candidate's partial score is never the best
    best = full.loc[full["val_score"].idxmax()]
    code, _, err = cli(*argv)
    line = next(l for l in err.splitlines() if "resuming" in l)
    assert f"{len(search)} search rows and {(table['stage'] == 'final').sum()} final rows" in line
    assert f"{best['val_score']:.4f} {best['expression']}" in line


def test_evaluate_shows_learned_values_and_writes_them_as_json(cli):
    """The table shows each seed's learned beta; csv holds JSON (as the results table does), equal to json's."""
    import csv

    argv = ("evaluate", "x*sigmoid(beta*x)", "--learnable", "beta", "--granularity", "layer", "--dataset", "iris",
            "--epochs", "5", "--seeds", "2")
    code, out, err = cli(*argv, "--format", "json")
    assert code == 0, err
    learned = [s["learned"] for s in json.loads(out)["seeds"]]
    assert all(len(l["beta"]) == 2 and l["beta"] != [1.0, 1.0] for l in learned)  # one per layer, trained
    code, out, _ = cli(*argv, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [json.loads(r["learned"]) for r in rows] == learned
    code, out, _ = cli(*argv)
    shown = [line for line in out.splitlines() if "learned" in line]
    assert len(shown) == 2 and f"beta = {learned[0]['beta'][0]:.4g}" in shown[0]


def test_guesses_about_a_csv_are_said_on_stderr(cli, tmp_path):
    import pandas as pd

    rng = np.random.default_rng(1)
    pd.DataFrame({"label": rng.integers(0, 2, 100), "a": rng.normal(size=100), "b": rng.normal(size=100)}).to_csv(
        tmp_path / "d.csv", index=False)
    code, _, err = cli("evaluate", "relu", "--dataset", str(tmp_path / "d.csv"), "--epochs", "1", "--seeds", "1")
    assert code == 0 and "note:" in err and "last column 'b'" in err and "--target" in err
    code, _, err = cli("evaluate", "relu", "--dataset", str(tmp_path / "d.csv"), "--target", "label",
                       "--task", "classification", "--epochs", "1", "--seeds", "1")
    assert code == 0 and "note:" not in err


def test_the_final_stage_shows_its_progress(cli, tmp_path):
    argv = [a for a in SMALL_SEARCH if a != "--no-progress"]
    code, _, err = cli(*argv, "--budget", "2", "--workers", "1", "--final-k", "1", "--out", str(tmp_path / "p"))
    assert code == 0, err
    assert "final stage (2 seeds each)" in err and "2/2" in err  # relu and the one finalist


def test_every_help_default_is_the_options_real_default():
    """A "(default: V)" in a help text names the value argparse really uses (or says in words what it is)."""
    import argparse
    import re

    from actsearch.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    checked = 0
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            if not action.help or action.default in (None, argparse.SUPPRESS) or isinstance(action.default, bool):
                continue
            text = action.help % {"default": action.default, "prog": sub.prog}
            match = re.search(r"\(default: ([^)]*)\)", text)
            if not match or not isinstance(action.default, (int, float, str, tuple)):
                continue
            shown = match.group(1).split(",")[0] if not isinstance(action.default, tuple) else match.group(1)
            value = action.default
            forms = {str(value)} | ({f"{value:g}"} if isinstance(value, float) else set()) | \
                ({",".join(map(str, value)), ",".join(str(v).removesuffix("(x)") for v in value)}
                 if isinstance(value, tuple) else set())
            if shown.split(" ")[0] in forms or shown in forms:
                checked += 1
            else:
                assert shown.startswith(("all cores", "the ", "an ", "results/", "inferred")), (name, action.dest, shown)
    assert checked > 20


@pytest.mark.parametrize("argv, fragment", [
    (["compare", "relu", "--seed-start", "-1"], "--seed-start"),
    (["search", "--sampler", "bogus"], "'bogus'"),
    (["evaluate", "relu", "--seeds", "zero"], "--seeds"),
    (["frobnicate"], "'frobnicate'"),
])
def test_argument_errors_are_one_line_without_the_usage_block(cli, one_line_error, argv, fragment):
    code, out, err = cli(*argv)
    one_line_error(code, out, err, fragment)


def test_a_leaderboard_shows_where_learnable_parameters_ended(cli):
    """The label shows the starting value and the learned one (mean over seeds and layers), not the start alone."""
    from dataclasses import replace

    from actsearch.driver import DEFAULT_PROTOCOL
    from actsearch.evaluation import evaluate

    code, stdout, _ = cli("compare", "x*sigmoid(beta*x)", "--learnable", "beta", "--dataset", "moons", "--hidden", "4,4",
                          "--granularity", "layer", "--epochs", "3", "--seeds", "2", "--baselines", "relu")
    df = evaluate("x*sigmoid(beta*x)", dataset="moons", seeds=[1000, 1001],
                  config=replace(DEFAULT_PROTOCOL, hidden=(4, 4), epochs=3, learnable=("beta",), granularity="layer"))
    learned = np.mean([v for per_seed in df["learned"] for v in per_seed["beta"]])
    assert code == 0 and f"[beta=1 -> {learned:.4g}]" in stdout


# --- export -----------------------------------------------------------------------------

def test_cli_export_to_torch_prints_a_module(cli):
    code, out, err = cli("export", "x*sigmoid(beta*x)", "--to", "torch", "--param", "beta=1.5")
    assert code == 0 and err == ""
    assert "class Activation(nn.Module):" in out
    assert "def __init__(self, beta=1.5, dtype=torch.float32):" in out
    assert "self.beta = nn.Parameter(torch.tensor(beta, dtype=dtype))" in out
    compile(out, "<cli>", "exec")


@pytest.mark.parametrize("target", TARGETS)
def test_cli_export_every_target(cli, target):
    code, out, err = cli("export", "max(x, sin(x))", "--to", target)
    assert code == 0 and err == "" and out.strip()
    assert out == export("max(x, sin(x))", target).rstrip("\n") + "\n"  # what the function gives, printed
    if target != "latex":
        compile(out, "<cli>", "exec")


@pytest.mark.parametrize("expr", ["x*(", "foo(x)", "x^y", "", "x*1e999"])
def test_cli_export_bad_expression_is_one_line_and_exit_2(cli, one_line_error, expr):
    one_line_error(*cli("export", expr, "--to", "torch"))


# --- per-layer candidates and spaces ---------------------------------------------------------

TINY_LAYERS = ("--dataset", "moons", "--epochs", "2", "--seeds", "1")


def test_evaluate_a_per_layer_candidate(cli):
    code, out, err = cli("evaluate", "relu(x) | tanh(x) | x*sigmoid(x)", "--hidden", "4,4,4", *TINY_LAYERS,
                         "--format", "json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["expression"] == "relu(x) | tanh(x) | x * sigmoid(x)" and summary["n_ok"] == 1


@pytest.mark.parametrize("hidden, words", [
    ("4,4", "per-layer candidate 'relu(x) | tanh(x) | x * sigmoid(x)' has 3 parts but the protocol has 2 hidden layers"),
    ("4", "has 3 parts but the protocol has 1 hidden layer"),
])
def test_evaluate_a_per_layer_candidate_on_other_layers_is_a_one_line_error(cli, one_line_error, hidden, words):
    code, out, err = cli("evaluate", "relu(x) | tanh(x) | x*sigmoid(x)", "--hidden", hidden, *TINY_LAYERS)
    one_line_error(code, out, err, words)


def test_a_broken_per_layer_text_is_a_one_line_error(cli, one_line_error):
    code, out, err = cli("evaluate", "relu(x) | | tanh(x)", "--hidden", "4,4,4", *TINY_LAYERS)
    one_line_error(code, out, err, "part 1 is empty")


def test_compare_a_per_layer_candidate(cli, one_line_error):
    code, out, err = cli("compare", "relu(x) | max(x, 0)", "tanh(x) | relu(x)", "--baselines", "relu,tanh",
                         "--hidden", "4,4", "--dataset", "moons", "--epochs", "2", "--seeds", "2", "--format", "csv")
    assert code == 0, err
    board = pd.read_csv(io.StringIO(out))
    assert "tanh(x) | relu(x)" in board["expression"].tolist()
    relu = board[board["expression"] == "relu(x)"]
    assert "relu(x) | max(x, 0)" in str(relu["also"].iloc[0])  # the same function as the uniform baseline
    code, out, err = cli("compare", "relu(x) | tanh(x)", "--hidden", "4,4,4", "--dataset", "moons", "--seeds", "2")
    one_line_error(code, out, err, "has 2 parts but the protocol has 3 hidden layers")


def test_a_per_layer_search_on_other_layers_is_a_one_line_error_without_output(cli, one_line_error, tmp_path):
    out = tmp_path / "never"
    code, stdout, err = cli("search", "--space", "per_layer", "--budget", "2", "--hidden", "8,8,8", *TINY_LAYERS,
                            "--out", str(out))
    one_line_error(code, stdout, err, "per layer over 2 hidden layers but the protocol has 3")
    assert not out.exists()


@pytest.mark.parametrize("groups, words", [("[[0, 1], [1, 2]]", "layer 1 is in two groups"),
                                           ("[[0], [2]]", "no group has layer 1")])
def test_a_bad_groups_file_is_a_one_line_error_without_output(cli, one_line_error, tmp_path, groups, words):
    space = tmp_path / "grouped.yaml"
    space.write_text(f"kind: core_unit\nunary: [x, tanh(x)]\nbinary: [x1 * x2]\ngroups: {groups}\n")
    out = tmp_path / "never"
    code, stdout, err = cli("search", "--space", str(space), "--budget", "2", "--hidden", "4,4,4", *TINY_LAYERS,
                            "--out", str(out))
    one_line_error(code, stdout, err, "grouped.yaml", "key 'groups'", words)
    assert not out.exists()


def test_a_per_layer_search_from_the_cli(cli, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = cli("search", "--space", "per_layer", "--strategy", "evolution", "--budget", "4",
                            "--hidden", "4,4", *TINY_LAYERS, "--final-k", "1", "--final-seeds", "2",
                            "--baselines", "relu", "--workers", "1", "--out", str(out), "--no-progress")
    assert code == 0, err
    rows = load_results(str(out))
    assert (rows[rows["stage"] == "search"]["expression"].str.count(r" \| ") == 1).all()
    assert "best in search (validation score): " in stdout and " | " in stdout
    pytest.importorskip("torch")
    code, stdout, err = cli("transfer", str(out), "--model", "resmlp", "--seeds", "2", "--epochs", "1")
    assert code == 2 and "a torch model takes one activation for every layer" in err and "Traceback" not in err


@pytest.mark.parametrize("arch,norm", [("resmlp", "batch"), ("mlp", "layer")])
def test_evaluate_trains_the_architecture_and_norm_asked(cli, arch, norm):
    from actsearch.datasets import load_dataset
    from actsearch.networks import TrainConfig, Trainer

    code, out, err = cli("evaluate", "tanh(x)", "--dataset", "iris", "--hidden", "8,8", "--epochs", "3", "--seeds",
                         "1", "--arch", arch, "--norm", norm, "--format", "json")
    assert code == 0, err
    expected = Trainer("tanh(x)", load_dataset("iris"), TrainConfig(hidden=(8, 8), epochs=3, resample=True,
                                                                     arch=arch, norm=norm)).fit(0)
    assert json.loads(out)["seeds"][0]["test_score"] == expected.test_score


@pytest.mark.parametrize("option, fragment", [(["--arch", "resmlp", "--hidden", "8,4"], "equal sizes"),
                                              (["--norm", "group"], "--norm"), (["--arch", "cnn"], "--arch")])
def test_a_bad_arch_or_norm_is_one_line_and_exit_2(cli, one_line_error, option, fragment):
    code, out, err = cli("evaluate", "tanh(x)", "--dataset", "iris", "--epochs", "1", "--seeds", "1", *option)
    one_line_error(code, out, err, fragment)


def test_a_per_layer_baseline_that_does_not_fit_is_one_line_and_writes_nothing(cli, one_line_error, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = cli("search", "--baselines", "relu,relu | tanh", "--hidden", "4,4,4", "--budget", "2",
                            "--out", str(out), "--no-progress")
    one_line_error(code, stdout, err, "baseline 'relu | tanh'", "2 parts", "3 hidden layers")
    assert not out.exists()
