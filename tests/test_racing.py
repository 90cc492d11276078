"""Racing: the rung arithmetic, the tables it writes, and resuming it."""

from __future__ import annotations

import importlib.util
import math
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from actsearch import load_results, search
from actsearch.racing import RacingConfig, bracket_promoted, promotable, rung_schedule, top_count
from actsearch.errors import ConfigError

FAST = dict(dataset="moons", hidden=(8,), epochs=6, seeds=2, final_k=0, final_seeds=1, baselines=(),
            progress=False)
TIMING = ["timestamp", "train_seconds"]


# --- the arithmetic ----------------------------------------------------------------------------------
def test_rungs_of_the_default_protocol_by_hand():
    # R = 2 x 30 = 60 seed-epochs; eta = 3, 3 rungs: 60/9 = 6.7 -> one seed x 7 epochs, 60/3 = 20 -> 1 x 20
    assert [(r.index, r.seeds, r.epochs) for r in rung_schedule(2, 30, 3, 3)] == [(0, 1, 7), (1, 1, 20), (2, 2, 30)]
    # 4 rungs of eta 2 over 3 x 40 = 120: 15, 30, 60 (1.5 seeds -> 2), 120
    assert [r.fidelity for r in rung_schedule(3, 40, 2, 4)] == ["1x15", "1x30", "2x40", "3x40"]
    assert [r.fidelity for r in rung_schedule(2, 30, 3, 1)] == ["2x30"]
    # a protocol too small to split keeps only the rungs that grow
    assert [r.fidelity for r in rung_schedule(1, 2, 3, 3)] == ["1x1", "1x2"]


def test_asha_promotions_by_hand():
    """Scores arriving at one rung with eta = 3: the top max(1, n // 3) of the n so far go on."""
    arrivals = [0.5, 0.7, 0.6, 0.4, 0.8, 0.65, 0.9]
    seen, promoted = [], []
    for value in arrivals:
        seen.append(value)
        promoted.append(promotable(value, seen, 3))
    # 0.5 alone: top 1; 0.7 beats it; 0.6 < 0.7; 0.4; 0.8 the best of 5; 0.65 not in the top 2 (0.8, 0.7);
    # 0.9 the best of 7 (top 2)
    assert promoted == [True, True, False, False, True, False, True]
    assert [top_count(n, 3) for n in range(1, 10)] == [1, 1, 1, 1, 1, 2, 2, 2, 3]
    assert not promotable(math.nan, [math.nan, 0.1], 3)


def test_successive_halving_by_hand():
    # nine scores, eta 3: the best three, ties to the earlier; a NaN (diverged) never goes on
    values = [0.2, 0.9, 0.4, math.nan, 0.9, 0.1, 0.7, 0.3, 0.5]
    assert bracket_promoted(values, 3) == [1, 4]  # 8 finite scores: 8 // 3 = 2
    assert bracket_promoted([0.1, 0.3, 0.2], 3) == [1]
    assert bracket_promoted([math.nan], 3) == []


@pytest.mark.parametrize("settings,fragment", [(dict(mode="fast"), "mode='fast'"), (dict(eta=1), "eta=1"),
                                                (dict(rungs=0), "rungs=0")])
def test_bad_racing_settings_are_one_line_errors(settings, fragment):
    with pytest.raises(ConfigError, match=fragment):
        RacingConfig(**settings)


# --- the tables --------------------------------------------------------------------------------------
def _fixture_module():
    path = os.path.join(os.path.dirname(__file__), "..", "bench", "make_racing_off_fixture.py")
    spec = importlib.util.spec_from_file_location("make_racing_off_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["random", "random-2-workers", "exhaustive", "evolution", "optuna", "surrogate",
                                  "mixture"])
def test_racing_off_writes_the_tables_of_before_racing(name, tmp_path):
    """tests/data/racing-off holds tables written at b5aceef, before racing existed."""
    fixture = _fixture_module()
    want = pd.read_csv(os.path.join(fixture.FOLDER, f"{name}.csv"), keep_default_na=False, dtype=str)
    got = fixture.table(name, racing="off")
    got.to_csv(tmp_path / "got.csv", index=False)
    got = pd.read_csv(tmp_path / "got.csv", keep_default_na=False, dtype=str)
    pd.testing.assert_frame_equal(got[list(want.columns)], want)
    assert set(got["rung"]) == {""} and set(got["fidelity"]) == {""}


def _search_rows(result):
    return result.table[result.table["stage"] == "search"].reset_index(drop=True)


def test_a_raced_candidate_that_reaches_the_top_scores_as_the_full_protocol(tmp_path):
    """Rungs pause and resume one training: the top rung's row is the row racing off writes."""
    raced = _search_rows(search(space="small", strategy="random", budget=12, seed=0, out=str(tmp_path / "a"),
                                racing="asha", **FAST))
    full = _search_rows(search(space="small", strategy="random", budget=12, seed=0, out=str(tmp_path / "b"),
                               racing="off", **FAST))
    top = raced[(raced["status"] == "ok")]
    assert len(top) >= 2 and set(top["fidelity"]) == {"2x6"}
    columns = ["val_score", "val_score_std", "test_score", "test_scores", "val_history", "epochs"]
    by_fingerprint = full[full["status"] == "ok"].drop_duplicates("fingerprint").set_index("fingerprint")
    for _, row in top.iterrows():
        reference = by_fingerprint.loc[row["fingerprint"]]
        for c in columns:
            assert row[c] == reference[c], (row["expression"], c)


def _check_race(rows: pd.DataFrame, budget: int, final_fidelity: str) -> None:
    """Every candidate decided once, each promotion followed by the next rung, nothing trained twice."""
    rows = rows.sort_values("eval_id")
    promoted = rows[rows["status"] == "promoted"]
    assert len(rows) - len(promoted) == budget  # one last row per candidate
    trained = rows[~rows["status"].isin(["cached", "rejected"]) & ~rows["reason"].fillna("").str.startswith("same")]
    assert not trained.duplicated(["fingerprint", "rung"]).any()
    for _, p in promoted.iterrows():
        later = rows[(rows["fingerprint"] == p["fingerprint"]) & (rows["eval_id"] > p["eval_id"])]
        assert (later["rung"] == p["rung"] + 1).any()
    assert set(rows.loc[rows["status"] == "ok", "fidelity"]) <= {final_fidelity}
    # a partial score never counts as a full one
    assert rows.loc[rows["status"].isin(["pruned", "promoted"]), "rung"].lt(2).all()


@pytest.mark.parametrize("mode", ["asha", "sh"])
def test_racing_with_two_workers_keeps_every_row(mode, tmp_path):
    result = search(space="ramachandran2017", strategy="random", budget=20, seed=1, out=str(tmp_path), workers=2,
                    racing=mode, **FAST)
    rows = _search_rows(result)
    _check_race(rows, 20, "2x6")
    assert rows["eval_id"].is_unique
    pd.testing.assert_frame_equal(load_results(str(tmp_path)).drop(columns=TIMING),
                                  result.table.drop(columns=TIMING))


def test_sh_with_two_workers_writes_the_table_of_one(tmp_path):
    one = search(space="ramachandran2017", strategy="random", budget=12, seed=3, out=str(tmp_path / "1"),
                 racing="sh", **FAST)
    two = search(space="ramachandran2017", strategy="random", budget=12, seed=3, out=str(tmp_path / "2"),
                 racing="sh", workers=2, **FAST)
    drop = TIMING + ["run_id"]
    pd.testing.assert_frame_equal(one.table.drop(columns=drop), two.table.drop(columns=drop))


@pytest.mark.parametrize("strategy,options", [("random", {}), ("evolution", {"population": 5}),
                                              ("optuna", {"n_startup_trials": 3}), ("surrogate", {})])
def test_asha_with_one_worker_gives_the_same_table_for_the_same_seed(strategy, options, tmp_path):
    space = "gp_tree" if strategy == "evolution" else "ramachandran2017"
    tables = [search(space=space, strategy=strategy, budget=10, seed=4, out=str(tmp_path / str(i)),
                     strategy_options=options, racing="asha", **FAST).table for i in range(2)]
    drop = TIMING + ["run_id"]
    pd.testing.assert_frame_equal(tables[0].drop(columns=drop), tables[1].drop(columns=drop))
    _check_race(_search_rows(search(space=space, strategy=strategy, budget=10, seed=4, out=str(tmp_path / "0"),
                                    strategy_options=options, racing="asha", **FAST)), 10, "2x6")


def test_steady_state_evolution_with_two_workers_writes_every_budgeted_row(tmp_path):
    result = search(space="gp_tree", strategy="evolution", budget=24, seed=0, out=str(tmp_path), workers=2,
                    strategy_options={"population": 6}, racing="asha", **FAST)
    rows = _search_rows(result)
    _check_race(rows, 24, "2x6")
    assert result.summary["strategy"]["generations"] >= 2
    assert rows["generation"].max() >= 2  # children bred one at a time, past the first generation


def test_a_copy_of_a_raced_out_candidate_is_pruned_not_cached(tmp_path):
    from actsearch.planner import cached_fields

    raced_out = {"status": "pruned", "rung": 0, "fidelity": "1x2", "eval_id": 3, "expression": "tanh(x)",
                 "val_score": 0.6}
    assert cached_fields(raced_out)["status"] == "pruned"
    assert cached_fields({**raced_out, "status": "ok", "rung": 2})["status"] == "cached"
    assert cached_fields({**raced_out, "rung": None})["status"] == "cached"  # Optuna's pruner, as before


# --- resuming -----------------------------------------------------------------------------------------
RACING_CLI = [sys.executable, "-m", "actsearch.cli", "search", "--space", "ramachandran2017", "--strategy",
              "random", "--budget", "16", "--seed", "5", "--dataset", "spirals", "--hidden", "32,32", "--epochs",
              "15", "--seeds", "2", "--final-k", "0", "--final-seeds", "1", "--no-progress", "--racing", "asha"]


def _kill_after(cmd, path: str, rows: int) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(path) and open(path).read().count("\n") >= rows + 1:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_mid_rung_then_resume_loses_and_repeats_nothing(workers, tmp_path):
    cmd = RACING_CLI + ["--workers", str(workers)]
    out = str(tmp_path / "killed")
    path = os.path.join(out, "evaluations.csv")
    _kill_after(cmd + ["--out", out], path, rows=8)
    before = open(path).read()
    before = before[:before.rfind("\n") + 1]
    n_before = before.count("\n") - 1
    assert 8 <= n_before and "promoted" in before  # killed with a candidate between rungs
    done = subprocess.run(cmd + ["--out", out], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert open(path).read().startswith(before)  # nothing written before the kill changed
    table = load_results(out)
    _check_race(table[table["stage"] == "search"], 16, "2x15")
    if workers == 1:  # one worker: the resumed run is the run that was never killed
        fresh = str(tmp_path / "fresh")
        assert subprocess.run(cmd + ["--out", fresh], capture_output=True, timeout=300).returncode == 0
        drop = TIMING + ["run_id"]
        pd.testing.assert_frame_equal(table.drop(columns=drop), load_results(fresh).drop(columns=drop))


def test_racing_a_torch_model_or_with_a_pruner_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="racing"):
        search(space="small", strategy="optuna", budget=2, out=str(tmp_path / "p"), racing="asha",
               strategy_options={"pruner": "median"}, **FAST)
    assert not os.path.exists(tmp_path / "p" / "evaluations.csv")
    # with a pruner and no --racing, racing is off
    result = search(space="small", strategy="optuna", budget=2, out=str(tmp_path / "q"),
                    strategy_options={"pruner": "median"}, **FAST)
    assert result.table["rung"].isna().all()


def test_the_cli_racing_options(cli, tmp_path, one_line_error):
    out = str(tmp_path / "r")
    code, stdout, err = cli("search", "--space", "small", "--budget", "6", "--dataset", "moons", "--hidden", "8",
                            "--epochs", "6", "--final-k", "0", "--baselines", "relu", "--final-seeds", "1",
                            "--workers", "1", "--no-progress", "--racing", "sh", "--eta", "2", "--rungs", "2",
                            "--out", out)
    assert code == 0, err
    rows = load_results(out)
    assert set(rows.loc[rows["stage"] == "search", "fidelity"].dropna()) == {"1x6", "2x6"}
    code, stdout, err = cli("search", "--racing", "fast", "--out", str(tmp_path / "bad"))
    assert code == 2 and "--racing" in err and not os.path.exists(tmp_path / "bad")
    code, stdout, err = cli("search", "--eta", "1", "--budget", "2", "--out", str(tmp_path / "bad"))
    one_line_error(code, stdout, err, "eta=1")
    assert not os.path.exists(tmp_path / "bad")
    code, stdout, err = cli("search", "--model", "resmlp", "--racing", "asha", "--budget", "2", "--dataset", "moons",
                            "--out", str(tmp_path / "bad"))
    one_line_error(code, stdout, err, "racing")
    assert not os.path.exists(tmp_path / "bad" / "evaluations.csv")
