"""The search driver end to end: every strategy, the table, resume, determinism, planted problems."""

import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from actsearch import parse
from actsearch.cli import main
from actsearch.results import COLUMNS, STATUSES, load_results
from actsearch.driver import DEFAULT_PROTOCOL, WARM_REASON, SearchConfig, load_warm_start, search
from actsearch.evaluation import evaluate
from actsearch.strategies import STRATEGIES

FAST = dict(dataset="moons", hidden=(8,), epochs=3, seeds=1, final_k=2, final_seeds=2,
            baselines=("relu(x)", "tanh(x)"), progress=False)
TIMING = ["train_seconds", "timestamp", "run_id"]


def last_rows(table):
    """The search rows that decide a candidate: all but a raced candidate's ``promoted`` rungs."""
    return table[(table["stage"] == "search") & (table["status"] != "promoted")]


def check_table(table, budget):
    assert list(table.columns) == COLUMNS
    assert table["eval_id"].tolist() == list(range(len(table)))
    search_rows = table[table["stage"] == "search"]
    assert len(last_rows(table)) == budget  # one per candidate
    assert set(table["status"]) <= set(STATUSES)
    for _, row in table.iterrows():
        assert parse(row["expression"], params=json.loads(row["params"])).fingerprint == row["fingerprint"]
        raced = not pd.isna(row["rung"])
        if row["status"] in ("ok", "cached", "mixture"):  # a mixture is trained and scored too
            assert math.isfinite(row["val_score"]) and math.isfinite(row["test_score"])
        elif row["status"] in ("promoted", "pruned") and raced:  # a partial score, and no test score
            assert math.isfinite(row["val_score"]) and math.isnan(row["test_score"]) and row["reason"]
        else:
            assert math.isnan(row["val_score"]) and row["reason"]
        if row["status"] == "cached":
            first = table[(table["fingerprint"] == row["fingerprint"])
                          & ~table["status"].isin(["cached", "promoted"]) & (table["stage"] == row["stage"])]
            assert len(first) >= 1 and first["eval_id"].iloc[0] < row["eval_id"]
            assert first["val_score"].iloc[0] == row["val_score"]
        if row["status"] == "rejected":
            assert row["seeds"] == 0
    trained = search_rows[search_rows["status"].isin(["ok", "diverged", "pruned", "promoted"])
                          & ~search_rows["reason"].fillna("").str.startswith("same function")]
    assert not trained.duplicated(["fingerprint", "rung"]).any()  # nothing is trained twice
    final = table[table["stage"] == "final"]
    assert {"relu(x)", "tanh(x)"} <= set(final["expression"])
    assert (final["seeds"][final["status"] == "ok"] == 2).all()


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_end_to_end_from_python(strategy, tmp_path):
    space = "small"
    result = search(space=space, strategy=strategy, budget=8, seed=1, out=str(tmp_path), **FAST)
    check_table(result.table, 8)
    on_disk = load_results(str(tmp_path))
    pd.testing.assert_frame_equal(on_disk.drop(columns=TIMING), result.table.drop(columns=TIMING),
                                  check_dtype=False)
    assert os.path.exists(tmp_path / "config.yaml")
    assert result.best is not None
    assert result.leaderboard["expression"].tolist()[0] == result.leaderboard.sort_values(
        "val_score", ascending=False)["expression"].tolist()[0]


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_from_the_cli(strategy, tmp_path, capsys):
    out = str(tmp_path / "run")
    code = main(["search", "--space", "search_spaces/small.yaml", "--strategy", strategy, "--budget", "6",
                 "--dataset", "moons", "--hidden", "8", "--epochs", "2", "--seeds", "1", "--final-k", "1",
                 "--final-seeds", "2", "--out", out, "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "leaderboard" in printed and "relu(x)" in printed
    table = load_results(out)
    assert len(last_rows(table)) == 6


def _independent_distinct_functions():
    import yaml

    spec = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "search_spaces", "small.yaml")))
    prints = set()
    for u1, u2, b in itertools.product(spec["unary"], spec["unary"], spec["binary"]):
        text = b.replace("x1", "(U1)").replace("x2", "(U2)").replace("U1", u1.replace("x", "X")) \
            .replace("U2", u2.replace("x", "X")).replace("X", "x")
        prints.add(parse(text).fingerprint)
    return prints


def test_exhaustive_visits_each_distinct_function_once(tmp_path):
    distinct = _independent_distinct_functions()
    result = search(space="small", strategy="exhaustive", budget=500, seed=0, out=None,
                    **{**FAST, "final_k": 0, "baselines": ()})
    rows = last_rows(result.table)
    assert len(rows) == len(distinct)
    assert set(rows["fingerprint"]) == distinct
    assert rows["fingerprint"].is_unique and (rows["status"] != "cached").all()


def test_the_same_seed_gives_the_same_table():
    a = search(space="small", strategy="random", budget=6, seed=3, **FAST).table
    b = search(space="small", strategy="random", budget=6, seed=3, **FAST).table
    c = search(space="small", strategy="random", budget=6, seed=4, **FAST).table
    pd.testing.assert_frame_equal(a.drop(columns=TIMING), b.drop(columns=TIMING))
    assert a["expression"].tolist() != c["expression"].tolist()


def test_search_on_user_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (np.sin(2 * X[:, 0]) + X[:, 1] ** 2 > 0.5).astype(int)
    result = search(space="small", strategy="random", budget=4, seed=0, X=X, y=y,
                    **{k: v for k, v in FAST.items() if k != "dataset"})
    assert set(result.table["dataset"]) == {"arrays"}
    assert (result.table["status"] == "ok").any()


def test_warm_start_seeds_the_next_search(tmp_path):
    first = search(space="small", strategy="random", budget=8, seed=0, out=str(tmp_path / "a"), **FAST)
    csv = str(tmp_path / "a" / "evaluations.csv")
    rows = first.table[(first.table.stage == "search") & (first.table.status == "ok")]
    ranked = rows.sort_values(["val_score", "eval_id"], ascending=[False, True]).drop_duplicates("fingerprint")
    best = ranked["fingerprint"].tolist()[:2]
    second = search(space="small", strategy="random", budget=4, seed=9, warm_start=csv,
                    strategy_options={}, **FAST)
    asked = second.table[second.table.stage == "search"]["fingerprint"].tolist()
    assert asked[:2] == best


def test_a_warm_start_under_the_same_protocol_copies_its_rows_and_spends_no_budget(tmp_path):
    first = search(space="small", strategy="random", budget=8, seed=0, out=str(tmp_path / "a"), **FAST)
    source = first.table[(first.table.stage == "search") & (first.table.status == "ok")]
    source = source.sort_values(["val_score", "eval_id"], ascending=[False, True]).drop_duplicates("fingerprint")
    second = search(space="small", strategy="random", budget=4, seed=9, warm_start=str(tmp_path / "a"),
                    out=str(tmp_path / "b"), **{**FAST, "final_k": 0})
    rows = last_rows(second.table)
    copied = rows[rows["reason"].str.startswith(WARM_REASON, na=False)]
    assert len(copied) == min(5, len(source)) and (copied["status"] == "ok").all()
    assert copied["fingerprint"].tolist() == source["fingerprint"].tolist()[:len(copied)]
    assert copied["val_score"].tolist() == source["val_score"].tolist()[:len(copied)]
    assert len(rows) - len(copied) == 4  # the budget buys 4 new evaluations
    # the copy is what training would give: the same expression, protocol and seeds, evaluated afresh
    top = source.iloc[0]
    again = evaluate(top["expression"], params=json.loads(top["params"]), dataset="moons", seeds=1,
                     config=replace(DEFAULT_PROTOCOL, hidden=(8,), epochs=3))
    assert again["val_score"].iloc[0] == pytest.approx(copied["val_score"].iloc[0], abs=1e-12)
    # resuming replays the copies without counting them either
    again_run = search(space="small", strategy="random", budget=4, seed=9, warm_start=str(tmp_path / "a"),
                       out=str(tmp_path / "b"), **{**FAST, "final_k": 0})
    assert len(again_run.table) == len(second.table)


def test_a_warm_start_under_another_protocol_trains_its_candidates(tmp_path):
    search(space="small", strategy="random", budget=6, seed=0, out=str(tmp_path / "a"), **FAST)
    other = {**FAST, "epochs": 2, "final_k": 0}
    second = search(space="small", strategy="random", budget=4, seed=9, warm_start=str(tmp_path / "a"), **other)
    rows = last_rows(second.table)
    assert len(rows) == 4 and not rows["reason"].str.startswith(WARM_REASON, na=False).any()
    note = load_warm_start(str(tmp_path / "a"), 5, SearchConfig(dataset="moons", seeds=1, train=replace(
        DEFAULT_PROTOCOL, hidden=(8,), epochs=2))).note
    assert "trained again here (its train.epochs differs)" in note


def test_resume_after_a_completed_run_recomputes_nothing(tmp_path):
    out = str(tmp_path)
    search(space="small", strategy="random", budget=5, seed=0, out=out, **FAST)
    before = open(os.path.join(out, "evaluations.csv")).read()
    search(space="small", strategy="random", budget=5, seed=0, out=out, **FAST)
    assert open(os.path.join(out, "evaluations.csv")).read() == before
    longer = search(space="small", strategy="random", budget=7, seed=0, out=out, **FAST)
    assert open(os.path.join(out, "evaluations.csv")).read().startswith(before)
    assert len(last_rows(longer.table)) == 7


def test_a_multi_objective_search_resumes_on_its_own_out(tmp_path):
    """config.yaml holds lists where the settings hold tuples; resuming must still see the same settings."""
    options = {"objectives": ("val_score", "complexity")}
    first = search(space="small", strategy="optuna", budget=3, seed=0, out=str(tmp_path), strategy_options=options,
                   **FAST)
    longer = search(space="small", strategy="optuna", budget=5, seed=0, out=str(tmp_path),
                    strategy_options=options, **FAST)
    assert len(last_rows(longer.table)) == 5
    assert longer.table["eval_id"].is_unique
    fresh = search(space="small", strategy="optuna", budget=5, seed=0, out=str(tmp_path / "fresh"),
                   strategy_options=options, **FAST)
    assert list(first.table["expression"][:3]) == list(fresh.table["expression"][:3])


def test_resume_with_other_settings_is_refused(tmp_path):
    from actsearch.driver import SearchError

    search(space="small", strategy="random", budget=3, seed=0, out=str(tmp_path), **FAST)
    with pytest.raises(SearchError, match="seed"):
        search(space="small", strategy="random", budget=3, seed=1, out=str(tmp_path), **FAST)


SLOW_CLI = [sys.executable, "-m", "actsearch.cli", "search", "--space", "small", "--strategy", "random",
            "--budget", "14", "--seed", "2", "--dataset", "spirals", "--hidden", "32,32", "--epochs", "15",
            "--seeds", "1", "--final-k", "0", "--final-seeds", "1", "--no-progress", "--workers", "2",
            "--racing", "off"]  # racing's kill and resume: tests/test_racing.py


def _run_to_end(out):
    done = subprocess.run(SLOW_CLI + ["--out", out], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc; the test skips elsewhere)."""
    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc to find the pool's workers")
    out = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigkill_in_the_middle_then_resume(tmp_path):
    out = str(tmp_path / "killed")
    path = os.path.join(out, "evaluations.csv")
    proc = subprocess.Popen(SLOW_CLI + ["--out", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().count("\n") >= 6:  # header + 5 rows
            break
        time.sleep(0.02)
    workers = children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert workers, "the search runs in a pool of worker processes"
    deadline = time.time() + 20
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "pool workers outlived their SIGKILLed parent"
    before = open(path).read()
    before = before[:before.rfind("\n") + 1]  # the complete rows
    n_before = before.count("\n") - 1
    assert 5 <= n_before < 14
    _run_to_end(out)
    after = open(path).read()
    assert after.startswith(before)  # every row written before the kill is unchanged
    table = load_results(out)
    search_rows = table[table["stage"] == "search"]
    assert len(search_rows) == 14
    assert search_rows["eval_id"].is_unique
    # the resumed run is the run that was never killed, timing aside
    fresh = str(tmp_path / "fresh")
    _run_to_end(fresh)
    reference = load_results(fresh)
    pd.testing.assert_frame_equal(table.drop(columns=TIMING), reference.drop(columns=TIMING))


def test_ctrl_c_stops_cleanly_and_resumes(tmp_path):
    out = str(tmp_path / "int")
    path = os.path.join(out, "evaluations.csv")
    # A shell's background job (`.ci/run &`) inherits SIGINT ignored, and Python keeps an ignored
    # SIGINT; restore the default, so that the child sees Ctrl-C as a terminal's foreground job does.
    proc = subprocess.Popen(SLOW_CLI + ["--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().count("\n") >= 4:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "resume" in err
    rows = load_results(out)
    assert len(rows) >= 3
    _run_to_end(out)
    assert (load_results(out)["stage"] == "search").sum() == 14


PLANTED = dict(dataset="planted:sin(x) * x", hidden=(16,), epochs=100, lr=0.01, seeds=1, final_k=0,
               baselines=("relu(x)",), final_seeds=2, progress=False)


@pytest.mark.parametrize("strategy,options", [("evolution", {"population": 6}), ("optuna", {})])
def test_search_finds_the_planted_activation_family(strategy, options):
    """Teacher network with activation sin(x)*x: the search should beat relu by a clear margin."""
    result = search(space="small", strategy=strategy, budget=18, seed=0, strategy_options=options, **PLANTED)
    table = result.table
    relu = table[(table.stage == "final") & (table.expression == "relu(x)")]["val_score"].iloc[0]
    rows = table[(table.stage == "search") & table.status.isin(["ok", "cached"])]
    assert rows["val_score"].max() >= relu + 0.02, (rows["val_score"].max(), relu)
    first = rows.head(6)["val_score"].max()
    assert rows["val_score"].max() >= first


def test_resume_with_a_pruner_replays_the_same_trials(tmp_path):
    """Pruned rows keep their per-epoch history, so Optuna sees the same study on resume."""
    options = {"pruner": "median", "n_startup_trials": 2}
    kw = {**FAST, "epochs": 6, "final_k": 0, "baselines": ()}
    first = search(space="small", strategy="optuna", budget=8, seed=0, out=str(tmp_path), strategy_options=options,
                   **kw)
    assert first.table["val_history"].notna().any()
    longer = search(space="small", strategy="optuna", budget=12, seed=0, out=str(tmp_path),
                    strategy_options=options, **kw)
    fresh = search(space="small", strategy="optuna", budget=12, seed=0, strategy_options=options, **kw)
    pd.testing.assert_frame_equal(longer.table.drop(columns=TIMING), fresh.table.drop(columns=TIMING))


def test_a_smaller_budget_on_resume_keeps_every_row_and_unique_ids(tmp_path):
    search(space="small", strategy="random", budget=6, seed=0, out=str(tmp_path), **FAST)
    again = search(space="small", strategy="random", budget=3, seed=0, out=str(tmp_path), **FAST)
    table = load_results(str(tmp_path))
    assert table["eval_id"].is_unique and len(last_rows(table)) == 6
    assert len(again.table) == len(table)


def test_the_package_search_function_survives_importing_the_driver():
    import importlib

    import actsearch

    importlib.import_module("actsearch.driver")
    assert callable(actsearch.search) and actsearch.search.__module__ == "actsearch.driver"


@pytest.mark.parametrize("learnable", [(), ("beta",)])
def test_a_learnable_parameter_makes_another_candidate(learnable, tmp_path):
    """x * sigmoid(beta*x) at beta = 1 is swish(x); with beta learnable it is another candidate."""
    space = tmp_path / "space.yaml"
    space.write_text('kind: core_unit\nunary: ["x", "sigmoid(beta*x)"]\nbinary: ["x1 * x2"]\n')
    result = search(space=str(space), strategy="exhaustive", budget=4, seed=0, learnable=learnable, racing="off",
                    **{**FAST, "baselines": ("swish(x)",), "final_k": 4})  # every candidate a finalist
    final = result.table[result.table["stage"] == "final"]
    mine = final[final["expression"] == "x * sigmoid(beta_u2 * x)"]
    assert len(mine) == 1
    if learnable:
        assert mine["status"].iloc[0] == "ok" and "beta" in mine["learned"].iloc[0]
    else:
        assert mine["status"].iloc[0] == "cached" and "swish(x)" in mine["reason"].iloc[0]


def test_a_written_row_has_the_same_cache_key_as_its_candidate():
    """Distributed workers rebuild the cache from rows: the keys must agree with the candidates'."""
    from actsearch.datasets import load_dataset
    from actsearch.driver import Run, SearchConfig
    from actsearch.networks import TrainConfig
    from actsearch.spaces import load_space

    expr = parse("x * sigmoid(beta_u2 * x)", params={"beta_u2": 1.0})
    for learnable in [(), ("beta",)]:
        run = Run(SearchConfig(train=TrainConfig(hidden=(4,), learnable=learnable)), load_dataset("moons"),
                   load_space("small"), None, False)
        row = run.describe(expr)
        assert run.row_key(row) == run.key(expr)
        assert (run.key(expr) == parse("x * sigmoid(x)").fingerprint) == (not learnable)


@pytest.mark.parametrize("flag, resample", [((), True), (("--no-resample",), False)])
def test_config_yaml_records_the_protocol(tmp_path, capsys, flag, resample):
    """config.yaml says whether validation was resampled, the init rule and the final stage's fresh seeds."""
    import yaml

    out = tmp_path / "run"
    code = main(["search", "--space", "small", "--budget", "3", "--dataset", "moons", "--hidden", "4", "--epochs",
                 "1", "--seeds", "1", "--final-k", "1", "--final-seeds", "2", "--baselines", "relu",
                 "--out", str(out), "--no-progress", *flag])
    assert code == 0, capsys.readouterr().err
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["train"]["resample"] is resample and config["train"]["init"] == "auto"
    assert config["final_seed_start"] == 1000 and config["baselines"] == ["relu"]
    final = load_results(str(out)).query("stage == 'final'")
    assert {len(json.loads(s)) for s in final["test_scores"]} == {2}


def test_search_takes_a_space_object_as_its_signature_promises():
    """search(space=<Space>) searches that space (it once looked the object's source up as a file name)."""
    from actsearch.spaces import space_from_dict

    raw = {"kind": "core_unit", "units": [1], "unary": ["x", "tanh(x)", "sin(x)"], "binary": ["x1 + x2"]}
    space = space_from_dict(raw)
    result = search(space=space, strategy="exhaustive", budget=20, seed=0, **{**FAST, "final_k": 0})
    rows = last_rows(result.table)
    expected = {space.build(c, c["n_units"]).fingerprint for c in space.enumerate()}
    assert set(rows["fingerprint"]) <= expected and len(rows) == len(set(rows["fingerprint"])) > 0
