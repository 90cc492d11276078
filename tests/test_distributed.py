"""Distributed Optuna search: ``actsearch worker`` processes on one storage.

Two workers reach the budget together (SQLite, a journal file, PostgreSQL);
a SIGKILLed worker's trial is failed by the heartbeat and retried by the
other; a trial past the budget is given back, not evaluated; the table rebuilt
from the storage is the table on disk.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from dataclasses import replace

import pandas as pd
import pytest
from optuna.trial import TrialState

from actsearch.cli import main
from actsearch.distributed import (
    CANDIDATE_ATTR,
    RETRY_OF,
    ROW_ATTR,
    SURPLUS_ATTR,
    WORKER_ATTR,
    Worker,
    create_distributed_study,
    default_storage,
    open_storage,
    rebuild_table,
    run_distributed_search,
    run_worker,
)
from actsearch.driver import SearchConfig
from actsearch.networks import TrainConfig
from actsearch.results import COLUMNS, STATUSES, load_results

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def config(budget: int, **train) -> SearchConfig:
    protocol = {"hidden": (8,), "epochs": 3, **train}
    return SearchConfig(space="small", strategy="optuna", dataset="moons", budget=budget, seed=0, seeds=1,
                        final_k=0, strategy_options={"n_startup_trials": 4},
                        train=TrainConfig(early_stopping=False, **protocol))


def worker(url: str, study: str, out, worker_id: str, cwd) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "actsearch.cli", "worker", "--storage", url, "--study", study, "--out", str(out),
           "--worker-id", worker_id, "--poll", "0.2"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=str(cwd))


def finish(proc: subprocess.Popen, timeout: float = 120) -> str:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return err


def trials_of(url: str, study: str):
    import optuna

    return optuna.load_study(study_name=study, storage=open_storage(url)).get_trials(deepcopy=False)


def check_search(url: str, study: str, budget: int, out) -> tuple[list, pd.DataFrame]:
    """Exactly ``budget`` finished trials with rows, nothing left running, one row per slot, on disk too."""
    trials = trials_of(url, study)
    numbers = [t.number for t in trials]
    assert len(set(numbers)) == len(numbers) and sorted(numbers) == list(range(len(trials)))
    surplus = [t for t in trials if t.user_attrs.get(SURPLUS_ATTR)]
    assert all(t.state == TrialState.FAIL and ROW_ATTR not in t.user_attrs for t in surplus)
    finished = [t for t in trials if t.state in FINISHED]
    assert len(finished) == budget
    assert all(ROW_ATTR in t.user_attrs for t in finished)
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    table = rebuild_table(url, study)
    assert list(table.columns) == COLUMNS
    assert table["eval_id"].tolist() == list(range(budget))  # unique, one per slot
    assert sorted(table["trial"]) == sorted(t.number for t in finished)
    assert set(table["status"]) <= set(STATUSES) and (table["stage"] == "search").all()
    assert table["run_id"].nunique() == 1
    on_disk = load_results(str(out))
    assert len(on_disk) == budget and on_disk["eval_id"].is_unique
    pd.testing.assert_frame_equal(on_disk, table)
    return trials, table


def two_workers(url: str, tmp_path, budget: int = 12, name: str = "two") -> None:
    create_distributed_study(config(budget, epochs=150), url, name, heartbeat_interval=1, grace_period=4)
    procs = [worker(url, name, tmp_path / f"out{i}", f"w{i}", tmp_path) for i in (0, 1)]
    logs = [finish(p) for p in procs]
    trials, table = check_search(url, name, budget, tmp_path / "out0")
    pd.testing.assert_frame_equal(load_results(str(tmp_path / "out1")), table)  # each worker's OUT: every row
    by = {t.user_attrs.get(WORKER_ATTR) for t in trials if t.state in FINISHED}
    assert by == {"w0", "w1"}, logs  # both evaluated
    assert "database is locked" not in "".join(logs)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_worker_processes_reach_the_budget_together(kind, tmp_path):
    url = default_storage(str(tmp_path)) if kind == "sqlite" else f"journal://{tmp_path}/optuna.log"
    two_workers(url, tmp_path)


def _will_train(described: dict, earlier: set[str]) -> bool:
    import json

    from actsearch import parse
    from actsearch.screening import screen

    expr = parse(described["expression"], params=json.loads(described["params"] or "{}"))
    return screen(expr) is None and described["fingerprint"] not in earlier


def _victim_running(url: str, study: str, seen: set[int]):
    """A trial the victim started after it finished one (so it is killed in the middle of training)."""
    trials = trials_of(url, study)
    mine = [t for t in trials if t.user_attrs.get(WORKER_ATTR) == "victim"]
    if not any(t.state == TrialState.COMPLETE for t in mine):
        seen.update(t.number for t in mine)
        return None
    # the candidate is recorded once sampling is done and training starts; one that screening
    # rejects, or a repeat of an earlier function, finishes at once, so the kill must not aim at it
    earlier = {t.user_attrs[CANDIDATE_ATTR]["fingerprint"] for t in trials
               if CANDIDATE_ATTR in t.user_attrs and t.state != TrialState.RUNNING}
    fresh = [t for t in mine if t.state == TrialState.RUNNING and t.number not in seen
             and CANDIDATE_ATTR in t.user_attrs and _will_train(t.user_attrs[CANDIDATE_ATTR], earlier)]
    seen.update(t.number for t in mine if CANDIDATE_ATTR in t.user_attrs or t.state != TrialState.RUNNING)
    return fresh[0] if fresh else None


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_sigkilled_worker_s_trial_is_failed_and_retried_by_the_other(kind, tmp_path):
    url = default_storage(str(tmp_path)) if kind == "sqlite" else f"journal://{tmp_path}/optuna.log"
    budget = 8
    # about 0.5 s per evaluation: the kill lands in the middle of training
    create_distributed_study(config(budget, hidden=(32, 32), epochs=500), url, "kill", heartbeat_interval=1,
                             grace_period=3)
    victim = worker(url, "kill", tmp_path / "victim", "victim", tmp_path)
    survivor = worker(url, "kill", tmp_path / "survivor", "survivor", tmp_path)
    seen: set[int] = set()
    running = None
    deadline = time.time() + 90
    while running is None and time.time() < deadline and victim.poll() is None:
        running = _victim_running(url, "kill", seen)
        time.sleep(0.02)
    assert running is not None, "the victim never started a second trial"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = next(t for t in trials_of(url, "kill") if t.number == running.number)
    assert killed.state == TrialState.RUNNING  # killed in the middle of it, not after
    finish(survivor)

    trials, table = check_search(url, "kill", budget, tmp_path / "survivor")
    after = next(t for t in trials if t.number == killed.number)
    assert after.state == TrialState.FAIL and ROW_ATTR not in after.user_attrs
    retries = [t for t in trials if t.system_attrs.get(RETRY_OF) == killed.number]
    assert len(retries) == 1 and retries[0].state in FINISHED  # RetryHeartbeatStaleTrialCallback's copy
    assert retries[0].params == after.params  # the same candidate
    assert retries[0].user_attrs[WORKER_ATTR] == "survivor"
    slot = table[table["trial"] == retries[0].number]
    assert len(slot) == 1 and killed.number not in set(table["trial"])
    assert table["expression"][table["trial"] == retries[0].number].iloc[0] == after.user_attrs["expression"]
    # the victim's own table is the rows written before the kill: complete lines, a subset
    before = load_results(str(tmp_path / "victim"))
    assert len(before) < budget and set(before["eval_id"]) <= set(table["eval_id"])


def test_a_trial_past_the_budget_is_given_back_not_evaluated(tmp_path):
    url = default_storage(str(tmp_path))
    create_distributed_study(config(3), url, "late", heartbeat_interval=1, grace_period=3)
    report = run_worker(url, "late", poll=0.05)
    assert sorted(report.evaluated) == [0, 1, 2] and report.surplus == 0
    # a worker that asked just as the last slot was taken gets trial 3: surplus
    late = Worker(url, "late", None, "late", 0.05)
    late._one()
    late.executor.close()
    assert late.report.surplus == 1 and late.report.evaluated == []
    trials = trials_of(url, "late")
    assert len(trials) == 4 and trials[3].state == TrialState.FAIL and trials[3].user_attrs[SURPLUS_ATTR]
    assert ROW_ATTR not in trials[3].user_attrs
    table = rebuild_table(url, "late")
    assert table["eval_id"].tolist() == [0, 1, 2] and 3 not in set(table["trial"])
    # a worker joining a finished search evaluates nothing
    assert run_worker(url, "late", poll=0.05).evaluated == []


def test_sigterm_gives_the_trial_back_and_another_worker_finishes(tmp_path):
    url = default_storage(str(tmp_path))
    budget = 4
    create_distributed_study(config(budget, hidden=(32, 32), epochs=500), url, "term", heartbeat_interval=1,
                             grace_period=30)  # long: the retry must come from the worker itself
    first = worker(url, "term", tmp_path / "a", "first", tmp_path)
    running = None
    deadline = time.time() + 90
    while running is None and time.time() < deadline and first.poll() is None:
        trials = trials_of(url, "term")
        fresh = [t for t in trials if t.state == TrialState.RUNNING and t.user_attrs.get(WORKER_ATTR) == "first"
                 and CANDIDATE_ATTR in t.user_attrs]
        running = fresh[0] if fresh else None
        time.sleep(0.02)
    assert running is not None
    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    stopped = next(t for t in trials_of(url, "term") if t.number == running.number)
    assert stopped.state == TrialState.FAIL and stopped.user_attrs["actsearch_interrupted"] == "first"
    start = time.time()
    report = run_worker(url, "term", out=str(tmp_path / "b"), worker_id="second", poll=0.05)
    assert time.time() - start < 25  # the retry was queued at once, not after the 30 s grace period
    trials, table = check_search(url, "term", budget, tmp_path / "b")
    retry = next(t for t in trials if t.system_attrs.get(RETRY_OF) == running.number)
    assert retry.state in FINISHED and retry.number in set(table["trial"])
    assert sorted(report.evaluated + [int(e) for e in load_results(str(tmp_path / "a"))["eval_id"]]) \
        == list(range(budget))


def test_a_whole_search_with_a_local_worker_process_and_the_final_stage(tmp_path):
    cfg = replace(config(8, epochs=100), final_k=2, final_seeds=2, baselines=("relu(x)",))
    out = str(tmp_path / "run")
    result = run_distributed_search(cfg, out=out, workers=2)
    table = result.table
    assert table["eval_id"].is_unique
    assert table[table["stage"] == "search"]["eval_id"].tolist() == list(range(8))
    final = table[table["stage"] == "final"]
    assert "relu(x)" in set(final["expression"]) and 2 <= len(final) <= 3 and not result.leaderboard.empty
    pd.testing.assert_frame_equal(load_results(out), table, check_dtype=False)
    trials = trials_of(default_storage(out), "run")
    assert len([t for t in trials if t.state in FINISHED]) == 8
    # the same call again: every trial and final row is there already
    again = run_distributed_search(cfg, out=out, workers=1)
    pd.testing.assert_frame_equal(again.table, table, check_dtype=False)


def test_a_resumed_final_stage_with_learnable_beta_reuses_its_rows(tmp_path):
    """The final stage keys rows as the driver does (with learnable parameters, at moved values too): a finalist
    that is the same function as a baseline shares its row, also when the run resumes (it used to key by
    fingerprint there, and trained the finalist again)."""
    import csv

    # beta does not change the function, so whatever value Optuna samples, the finalist is the baseline's twin
    unit = "max(x, 0) + 0 * beta * x"
    twin = f"{unit} + x"
    space = tmp_path / "twin.yaml"
    space.write_text(f"name: twin\nkind: core_unit\nunits: 1\nunary: [x, '{unit}']\nbinary: [x1 + x2]\n")
    cfg = replace(config(4, learnable=("beta",)), space=str(space), final_k=4, final_seeds=2, baselines=(twin,))
    out = tmp_path / "run"
    table = run_distributed_search(cfg, out=str(out)).table
    final = table[table["stage"] == "final"]
    twins = final[final["status"] == "cached"]
    assert len(twins) >= 1 and all(twin in r for r in twins["reason"]), final[["expression", "status", "reason"]]
    # a run killed before a twin's row was written
    path = out / "evaluations.csv"
    with open(path, newline="") as fh:
        lines = list(csv.reader(fh))
    gone = str(twins["eval_id"].iloc[0])
    column = lines[0].index("eval_id"), lines[0].index("stage")
    kept = [line for line in lines if not (line[column[0]] == gone and line[column[1]] == "final")]
    assert len(kept) == len(lines) - 1
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(kept)
    again = run_distributed_search(cfg, out=str(out)).table
    final_again = again[again["stage"] == "final"]
    assert sorted(final_again["status"]) == sorted(final["status"]), final_again[["expression", "status"]]
    assert (final_again["status"] == "cached").sum() == len(twins)  # copied from the baseline, not trained


def test_the_study_carries_the_configuration(tmp_path):
    url = f"journal://{tmp_path}/j.log"
    cfg = config(5, epochs=4)
    study = create_distributed_study(cfg, url, "cfg")
    stored = study.user_attrs["actsearch_config"]
    assert stored["train"]["hidden"] == [8] and stored["train"]["epochs"] == 4 and stored["budget"] == 5
    assert study.user_attrs["actsearch_space"]["unary"][0] == "x"  # the space itself, not only its path
    # the same settings reuse the study (the budget may change); others are refused
    assert create_distributed_study(config(7, epochs=4), url, "cfg").user_attrs["actsearch_config"]["budget"] == 7
    from actsearch.driver import SearchError

    with pytest.raises(SearchError, match="epochs"):
        create_distributed_study(config(5, epochs=9), url, "cfg")


def test_worker_errors_are_one_line(tmp_path, capsys):
    assert main(["worker", "--storage", "nonsense", "--study", "x"]) == 2
    assert main(["worker", "--storage", f"sqlite:///{tmp_path}/missing.db", "--study", "x"]) == 2
    create_distributed_study(config(2), default_storage(str(tmp_path)), "real")
    assert main(["worker", "--out", str(tmp_path), "--study", "other"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("actsearch: error: ") for line in err)
    assert not os.path.exists(tmp_path / "missing.db")


# --- PostgreSQL -------------------------------------------------------------------------------
def _pg_bindir() -> str | None:
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    return os.path.dirname(versions[-1]) if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server on 127.0.0.1, run as a non-root user (initdb refuses root)."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl); on Debian: apt-get install -y postgresql")
    pytest.importorskip("psycopg2", reason="PostgreSQL storage needs psycopg2: pip install psycopg2-binary")
    root = tempfile.mkdtemp(prefix="actsearch-pg-")  # not under pytest's tmp, which only root may enter
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        runuser = shutil.which("runuser") or shutil.which("su")
        if user is None or runuser is None or not runuser.endswith("runuser"):
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("running as root and no runuser/postgres user to start PostgreSQL as")
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        prefix = [runuser, "-u", user, "--"]
    data, port = os.path.join(root, "data"), _free_port()

    def run(*cmd):
        return subprocess.run(prefix + [os.path.join(bindir, cmd[0]), *cmd[1:]], check=True, capture_output=True,
                              text=True, timeout=120, cwd=root)

    try:
        run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        run("pg_ctl", "-D", data, "-l", os.path.join(root, "server.log"), "-w", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "actsearch")
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        subprocess.run(prefix + [os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {detail.strip().splitlines()[-1] if detail else exc}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/actsearch"
    finally:
        subprocess.run(prefix + [os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"],
                       check=False, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_two_workers_on_a_postgresql_server(postgres_url, tmp_path):
    two_workers(postgres_url, tmp_path, name="pg")
