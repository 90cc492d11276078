"""Analysis of results tables: the tables of actsearch.analysis and ``actsearch analyze`` in every format.

The tables come from real small searches (made once for the module); each
check compares against the table sorted or counted independently.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from actsearch.analysis.failure_counts import failures, reason_group
from actsearch.analysis.pareto import pareto_front
from actsearch.analysis.run_progress import progress, progress_summary
from actsearch.analysis.tables import compare, leaderboard
from actsearch.cli import main
from actsearch.cli.analyze import FORMATS
from actsearch.results import COLUMNS, ResultsWriter, load_results
from actsearch.driver import search

FAST = {"dataset": "moons", "hidden": (8,), "epochs": 3, "seeds": 2, "final_k": 3, "final_seeds": 3,
        "progress": False}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three real runs (random, evolution, Optuna with a pruner) written to disk: their folders."""
    root = tmp_path_factory.mktemp("runs")
    folders = {"random": root / "rand", "evolution": root / "evo", "optuna": root / "opt"}
    search(space="small", strategy="random", budget=12, seed=0, out=str(folders["random"]), **FAST)
    search(space="small", strategy="evolution", budget=12, seed=0, out=str(folders["evolution"]), **FAST)
    search(space="small", strategy="optuna", budget=14, seed=0, out=str(folders["optuna"]),
           strategy_options={"pruner": "median"}, baselines=("relu(x)", "tanh(x)"),
           **{**FAST, "epochs": 6})
    return {k: str(v) for k, v in folders.items()}


@pytest.fixture(scope="module")
def table(runs):
    return load_results(*runs.values())


@pytest.fixture(scope="module")
def one(runs):
    return load_results(runs["random"])


def scored(table):
    """Rows with a validation score (status ok or cached), by independent filtering."""
    return table[table["status"].isin(["ok", "cached"]) & table["val_score"].notna()]


# --- the tables ---------------------------------------------------------------------

def test_the_fixture_has_every_kind_of_row(table):
    assert list(table.columns) == COLUMNS
    assert set(table["run_id"]) == {"rand-s0", "evo-s0", "opt-s0"}
    assert {"ok", "pruned", "rejected"} <= set(table["status"])
    assert {"search", "final"} == set(table["stage"])


def test_leaderboard_picks_the_top_candidates_and_prefers_final_figures(table):
    board = leaderboard(table, top=5)
    cands = board[board["source"] != "baseline"]
    assert len(cands) == 5
    # Chosen by the best search-stage score of each (run, function): nobody left out scores higher.
    search_best = scored(table[(table["stage"] == "search")]).groupby(["run_id", "fingerprint"])["val_score"].max()
    chosen = set(zip(cands["run_id"], cands["fingerprint"]))
    left_out = [v for k, v in search_best.items() if k not in chosen]
    assert min(cands["search_val_score"]) >= max(left_out)
    for _, row in cands.iterrows():
        assert row["search_val_score"] == search_best[(row["run_id"], row["fingerprint"])]
        own_final = table[(table["run_id"] == row["run_id"]) & (table["fingerprint"] == row["fingerprint"])
                          & (table["stage"] == "final") & (table["strategy"] != "baseline")]
        if len(own_final):  # final-stage figures are preferred
            assert row["stage"] == "final"
            assert row["val_score"] == own_final["val_score"].iloc[0]
            assert row["seeds"] == own_final["seeds"].iloc[0] == 3
        else:
            assert row["stage"] == "search" and row["val_score"] == row["search_val_score"]
        everything = table[(table["run_id"] == row["run_id"]) & (table["fingerprint"] == row["fingerprint"])]
        assert row["evaluations"] == len(everything)
    # Every baseline is listed (identical figures in several runs once).
    baselines = table[(table["stage"] == "final") & (table["strategy"] == "baseline")]
    assert set(board[board["source"] == "baseline"]["expression"]) == set(baselines["expression"])
    # Final stage first, each block by validation score.
    stages = board["stage"].tolist()
    assert stages == sorted(stages, key=lambda s: s != "final")
    for stage in ("final", "search"):
        vals = board[board["stage"] == stage]["val_score"].dropna().tolist()
        assert vals == sorted(vals, reverse=True)
    assert board["rank"].tolist() == list(range(1, len(board) + 1))


def test_the_best_final_candidate_and_the_t_test_match_an_independent_sort(one, scipy_vs_best):
    board = leaderboard(one, top=10)
    finalists = one[(one["stage"] == "final") & (one["strategy"] != "baseline") & one["status"].isin(["ok", "cached"])]
    best = finalists.sort_values(["val_score", "eval_id"], ascending=[False, True]).iloc[0]
    top_candidate = board[(board["source"] != "baseline") & (board["stage"] == "final")].iloc[0]
    assert top_candidate["expression"] == best["expression"]
    assert top_candidate["val_score"] == best["val_score"]
    expected = scipy_vs_best(one)
    for _, row in board[board["stage"] == "final"].iterrows():
        if row["verdict"] == "best baseline":
            assert math.isnan(row["p_vs_best"]) and row["expression"] == next(iter(expected.values()))["best"]
            continue
        want = expected[int(row["eval_id"])]
        assert row["best_baseline"] == want["best"]
        assert row["vs_best"] == pytest.approx(want["diff"]) and row["p_vs_best"] == pytest.approx(want["p"])
        if row["source"] != "baseline":
            assert row["p_vs_best_holm"] == pytest.approx(want["p_holm"])
    assert math.isnan(board.set_index("expression").loc["relu(x)", "p_vs_relu"])
    assert not math.isnan(board.set_index("expression").loc["tanh(x)", "p_vs_relu"])
    assert len(leaderboard(one, top=0)) == len(one[(one["stage"] == "final") & (one["strategy"] == "baseline")])


def test_pareto_front_is_non_dominated_and_complete(table):
    front = pareto_front(table)
    assert len(front) >= 1 and front["complexity"].is_unique
    pts = list(zip(front["complexity"], front["val_score"]))
    for i, (c1, v1) in enumerate(pts):
        for j, (c2, v2) in enumerate(pts):
            if i != j:
                assert not (c2 <= c1 and v2 >= v1), f"{pts[j]} dominates {pts[i]}"
    candidates = scored(table[table["stage"] == "search"])
    for c, v in zip(candidates["complexity"], candidates["val_score"]):
        assert any(fc <= c and fv >= v for fc, fv in pts), f"({c}, {v}) is not covered by the front"
    best = candidates.sort_values(["val_score", "complexity"], ascending=[False, True]).iloc[0]
    assert front.iloc[-1]["val_score"] == best["val_score"]
    assert front.iloc[-1]["complexity"] == best["complexity"]
    for _, row in front.iterrows():  # the rows are real rows of the table
        match = table[(table["run_id"] == row["run_id"]) & (table["eval_id"] == row["eval_id"])]
        assert match["expression"].iloc[0] == row["expression"]
        assert match["val_score"].iloc[0] == row["val_score"]
    # numbered as progress numbers the same row (1-based), not by the 0-based eval_id
    curve = progress(table)
    for _, row in front.iterrows():
        same = curve[(curve["run_id"] == row["run_id"]) & (curve["eval_id"] == row["eval_id"])]
        assert row["evaluation"] == same["evaluation"].iloc[0]


def test_progress_is_monotone_and_counts_search_rows(table):
    curve = progress(table)
    for run_id, run in table.groupby("run_id"):
        rows = run[run["stage"] == "search"].sort_values("eval_id")
        part = curve[curve["run_id"] == run_id]
        assert part["evaluation"].tolist() == list(range(1, len(rows) + 1))
        assert part["eval_id"].tolist() == rows["eval_id"].tolist()
        best = part["best_so_far"].dropna().to_numpy()
        assert np.all(np.diff(best) >= 0)
        assert best[-1] == scored(rows)["val_score"].max()
        ok = scored(rows)["val_score"]
        assert part["best_so_far"].isna().sum() == (rows["eval_id"] < rows.loc[ok.index, "eval_id"].min()).sum()
        assert np.all(np.diff(part["train_seconds_total"]) >= 0)
    summary = progress_summary(table).set_index("run_id")
    for run_id, run in table.groupby("run_id"):
        rows = run[run["stage"] == "search"]
        s = summary.loc[run_id]
        assert s["evaluations"] == len(rows)
        assert s["evals_per_hour_train"] == pytest.approx(len(rows) / rows["train_seconds"].sum() * 3600)
        first = curve[(curve["run_id"] == run_id) & (curve["val_score"] == s["best_val_score"])]["evaluation"]
        assert s["best_at"] == first.min()


def test_the_demo_table_holds_the_two_runs_it_describes(demo_table):
    assert demo_table.groupby("run_id").size().to_dict() == {"a-s0": 8, "b-s0": 4}
    final = demo_table[demo_table["stage"] == "final"]
    assert final["expression"].tolist() == ["relu(x)", "tanh(x)", "x * sigmoid(x)"]
    assert final["strategy"].tolist() == ["baseline", "baseline", "random"] and set(final["seeds"]) == {3}
    search = demo_table[demo_table["stage"] == "search"]
    assert search.groupby("run_id")["status"].agg(list).to_dict() == {
        "a-s0": ["ok", "rejected", "ok", "cached", "diverged"], "b-s0": ["ok", "rejected", "ok", "ok"]}


def test_progress_rates_from_timestamps(demo_table):
    curve = progress(demo_table)
    a = curve[curve["run_id"] == "a-s0"]
    assert a["elapsed_seconds"].tolist() == [0, 60, 120, 180, 240]
    assert math.isnan(a["evals_per_hour_wall"].iloc[0]) and a["evals_per_hour_wall"].iloc[-1] == pytest.approx(60)


def test_failures_counts_match_value_counts(table):
    counts = failures(table)
    assert counts.groupby("status")["count"].sum().to_dict() == table["status"].value_counts().to_dict()
    assert counts["share"].sum() == pytest.approx(1.0)
    search_counts = failures(table, stage="search")
    expected = table[table["stage"] == "search"]["status"].value_counts().to_dict()
    assert search_counts.groupby("status")["count"].sum().to_dict() == expected
    pruned = counts[counts["status"] == "pruned"]
    # "after epoch N" grouped together; racing's own stops (random and evolution race by default) apart
    assert sorted(pruned["reason"]) == ["stopped by racing", "stopped by the pruner"]
    rejected = table[table["status"] == "rejected"]["reason"].map(lambda r: r.split(":")[0]).value_counts()
    got = counts[counts["status"] == "rejected"].set_index("reason")["count"].to_dict()
    assert got == rejected.to_dict()


def test_reason_groups():
    assert reason_group("vanishing gradient: mean |f'(x)| = 0.0001 on [-3, 3]") == "vanishing gradient"
    assert reason_group("non-finite values or slopes at x=0.5") == "non-finite values or slopes"
    assert reason_group("stopped by the pruner after epoch 3") == reason_group("stopped by the pruner after epoch 12")
    assert reason_group("training failed: ValueError: boom") == "training failed"
    assert reason_group("hidden activations exploded (|a| reached 1e+15)") == "hidden activations exploded"
    assert reason_group(None) == reason_group("") == ""


def _hand_table():
    """Three runs with known evaluation counts: scores by evaluation number."""
    scores = {"a": [0.5, None, 0.7, 0.9, 0.8],       # reaches 0.7 at 3, 0.9 at 4
              "b": [0.6, 0.75, 0.75, 0.7],             # best 0.75 at 2
              "c": [None, None, None]}                 # never scored
    rows = []
    for run, vals in scores.items():
        for i, v in enumerate(vals):
            rows.append({"run_id": run, "eval_id": i, "stage": "search", "strategy": "random",
                         "expression": f"e{run}{i}", "fingerprint": f"{run}{i}", "complexity": 3 + i,
                         "seeds": 2, "status": "ok" if v is not None else "rejected",
                         "reason": None if v is not None else "linear: f(x) = a + b*x",
                         "val_score": v if v is not None else math.nan, "dataset": "moons"})
    # a final row between the search rows of run a must not count as an evaluation
    rows.append({"run_id": "a", "eval_id": 99, "stage": "final", "strategy": "baseline", "expression": "relu(x)",
                 "fingerprint": "r", "complexity": 2, "seeds": 2, "status": "ok", "val_score": 0.99})
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def test_compare_counts_evaluations_to_the_target():
    got = compare(_hand_table()).set_index("run_id")
    assert got.loc["a", "target"] == 0.75  # the lowest of the runs' best scores (c has none)
    assert got.loc["a", "evals_to_target"] == 4 and got.loc["b", "evals_to_target"] == 2
    assert got.loc["c", "evals_to_target"] is None
    assert got.loc["a", "best_val_score"] == 0.9 and got.loc["a", "best_expression"] == "ea3"
    assert got["evaluations"].to_dict() == {"a": 5, "b": 4, "c": 3}
    got = compare(_hand_table(), target=0.7).set_index("run_id")
    assert got["evals_to_target"].to_dict() == {"a": 3, "b": 2, "c": None}
    got = compare(_hand_table(), target=0.95).set_index("run_id")
    assert got["evals_to_target"].tolist() == [None, None, None]


def test_compare_on_real_runs(table):
    got = compare(table)
    bests = {r: scored(g[g["stage"] == "search"])["val_score"].max() for r, g in table.groupby("run_id")}
    assert got.set_index("run_id")["best_val_score"].to_dict() == bests
    assert got["target"].iloc[0] == min(bests.values())
    for _, row in got.iterrows():
        rows = table[(table["run_id"] == row["run_id"]) & (table["stage"] == "search")].sort_values("eval_id")
        hit = np.nonzero((rows["val_score"] >= row["target"]).to_numpy())[0]
        assert row["evals_to_target"] == hit[0] + 1


def test_tables_of_an_empty_table(tmp_path):
    with ResultsWriter(str(tmp_path / "evaluations.csv")):
        pass
    empty = load_results(str(tmp_path))
    assert len(empty) == 0
    for frame in (leaderboard(empty), pareto_front(empty), progress(empty), progress_summary(empty),
                  failures(empty), compare(empty)):
        assert len(frame) == 0


# --- actsearch analyze --------------------------------------------------------------

def test_analyze_table_format(runs, one, cli):
    code, out, err = cli("analyze", runs["random"])
    assert code == 0 and err == ""
    board = leaderboard(one)
    lines = out.splitlines()
    first = lines[lines.index("leaderboard") + 3]  # title, note, header
    assert re.match(r"\s*1\s+" + re.escape(board["expression"].iloc[0]) + r"\s", first)
    for status, n in one["status"].value_counts().items():
        assert re.search(rf"^{status}\s.*\s{n}\s+[\d.]+%", out, re.MULTILINE), status
    assert "comparison of runs" not in out  # one run: nothing to compare
    front = pareto_front(one)
    section = out.split("Pareto front\n")[1].split("\n\n")[0].splitlines()[2:]
    assert [ln.split()[0] for ln in section] == [str(c) for c in front["complexity"]]


def test_analyze_several_runs_compares_them(runs, table, cli):
    code, out, _err = cli("analyze", *runs.values(), "--top", "3")
    assert code == 0
    assert "comparison of runs" in out
    section = out.split("comparison of runs\n")[1].splitlines()[2:]
    got = {ln.split()[0]: ln.split()[-1] for ln in section if ln.strip()}
    expected = compare(table).set_index("run_id")["evals_to_target"].to_dict()
    assert got == {k: str(v) for k, v in expected.items()}


def test_analyze_markdown(runs, one, cli):
    code, out, _err = cli("analyze", runs["random"], "--format", "markdown")
    assert code == 0
    assert "## leaderboard" in out and "## Pareto front" in out
    tables = [block for block in out.split("\n\n") if block.startswith("| ")]
    assert len(tables) >= 5
    for block in tables:
        rows = block.splitlines()
        assert re.fullmatch(r"\|( -{3}:? \|)+", rows[1])
        assert len({r.count(" | ") for r in rows}) == 1  # same number of cells in every row
    board = leaderboard(one)
    assert tables[0].splitlines()[2].startswith(f"| 1 | `{board['expression'].iloc[0]}` |")


def test_analyze_json(runs, table, cli):
    code, out, _err = cli("analyze", *runs.values(), "--format", "json")
    assert code == 0

    def reject(token):
        raise ValueError(f"{token} is not JSON")

    doc = json.loads(out, parse_constant=reject)
    assert set(doc) == {"runs", "rows", "leaderboard", "pareto_front", "progress", "failures", "compare", "transfer"}
    assert doc["transfer"] == []  # no actsearch transfer tables beside these runs
    assert doc["rows"] == len(table) and doc["runs"] == ["rand-s0", "evo-s0", "opt-s0"]
    board = leaderboard(table)
    assert [r["expression"] for r in doc["leaderboard"]] == board["expression"].tolist()
    counts = {}
    for r in doc["failures"]:
        counts[r["status"]] = counts.get(r["status"], 0) + r["count"]
    assert counts == table["status"].value_counts().to_dict()
    assert [(p["complexity"], p["val_score"]) for p in doc["pareto_front"]] == \
        list(zip(pareto_front(table)["complexity"], pareto_front(table)["val_score"]))
    for run in doc["progress"]:
        best = [v for v in run["best_so_far"] if v is not None]
        assert best == sorted(best) and best[-1] == run["best_val_score"]
        assert len(run["best_so_far"]) == run["evaluations"]
    assert {r["run_id"]: r["evals_to_target"] for r in doc["compare"]} == \
        compare(table).set_index("run_id")["evals_to_target"].to_dict()


def test_analyze_csv_is_the_leaderboard(runs, one, cli):
    code, out, _err = cli("analyze", runs["random"], "--format", "csv", "--top", "4")
    assert code == 0
    got = pd.read_csv(io.StringIO(out))
    board = leaderboard(one, top=4)
    assert got["expression"].tolist() == board["expression"].tolist()
    np.testing.assert_allclose(got["val_score"], board["val_score"])
    assert (got["source"] != "baseline").sum() == 4


def test_analyze_help_names_the_formats(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = capsys.readouterr().out
    assert "markdown" in text and "leaderboard only" in text.replace("\n", " ").replace("  ", " ")


def test_analyze_errors_are_one_line(tmp_path, runs, cli, one_line_error):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    one_line_error(*cli("analyze", str(garbage)), "garbage.csv")
    one_line_error(*cli("analyze", str(tmp_path / "missing.csv")), "missing.csv", "does not exist")
    old = tmp_path / "old.csv"
    old.write_text("run_id,eval_id,expression,val_score\nr,0,tanh(x),0.5\n")
    one_line_error(*cli("analyze", str(old)), "old.csv", "missing column")
    one_line_error(*cli("analyze", runs["random"], runs["random"] + "/evaluations.csv"), "twice")
    code, _out, err = cli("analyze", runs["random"], "--format", "yaml")
    assert code == 2 and "invalid choice" in err


def test_analyze_warns_about_a_half_written_last_line(tmp_path, runs, one, cli):
    text = Path(runs["random"], "evaluations.csv").read_text()
    path = tmp_path / "evaluations.csv"
    path.write_text(text + text.splitlines()[5][:30])  # killed mid-write
    code, out, err = cli("analyze", str(path), "--format", "json")
    assert code == 0
    assert err.strip() == f"actsearch: warning: {path}, line {len(one) + 2}: half-written last line " \
                          "(a run killed mid-write?) skipped"
    assert json.loads(out)["rows"] == len(one)


def test_analyze_an_empty_table_in_every_format(tmp_path, cli):
    with ResultsWriter(str(tmp_path / "evaluations.csv")):
        pass
    for fmt in FORMATS:
        code, out, err = cli("analyze", str(tmp_path), "--format", fmt)
        assert code == 0 and err == "", fmt
    code, out, err = cli("analyze", str(tmp_path))
    assert "0 rows from 0 runs" in out and "(no scored rows)" in out


def test_analyze_shows_parameter_values(tmp_path, cli):
    """The same text with other parameter values is another function: the leaderboard says which."""
    from actsearch import search

    space = tmp_path / "space.yaml"
    space.write_text('kind: core_unit\nunary: ["x", "sigmoid(beta*x)", "tanh(x)"]\nbinary: ["x1 * x2"]\n'
                     'params: {beta: [0.5, 3.0]}\n')
    out = tmp_path / "run"
    search(space=str(space), strategy="exhaustive", budget=6, dataset="moons", hidden=(8,), epochs=2, seeds=1,
           final_k=6, final_seeds=2, baselines=("relu(x)",), out=str(out), progress=False, racing="off")
    code, printed, _ = cli("analyze", str(out), "--top", "10")
    assert code == 0
    board = leaderboard(load_results(str(out)), top=10)
    with_beta = board[board["expression"].str.contains("beta_u2").to_numpy(dtype=bool)]
    assert len(with_beta)
    for expression, params in zip(with_beta["expression"], with_beta["params"]):
        assert set(json.loads(params)) == set(re.findall(r"beta_u\d", expression))
        assert json.loads(params)["beta_u2"] == 1.0
    lines = printed.split("leaderboard\n")[1].split("\n\n")[0].splitlines()
    assert "params" in lines[1] and any("beta_u2=1" in ln for ln in lines)


def test_a_table_from_before_the_init_columns_still_gets_verdicts(run_dir, tmp_path, capsys, scipy_vs_best):
    """An evaluations.csv without init and init_gain loads; verdicts are computed, the gain is shown empty."""
    import csv

    old = tmp_path / "old"
    old.mkdir()
    with open(run_dir / "evaluations.csv", newline="") as src, open(old / "evaluations.csv", "w", newline="") as dst:
        reader = csv.DictReader(src)
        kept = [c for c in reader.fieldnames if c not in ("init", "init_gain")]
        writer = csv.DictWriter(dst, kept, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(reader)
    code = main(["analyze", str(old), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    board = json.loads(out)["leaderboard"]
    expected = scipy_vs_best(load_results(str(run_dir)))
    finals = [r for r in board if r["stage"] == "final"]
    assert finals and all(r["init_gain"] is None for r in board)
    assert sum(r["verdict"] == "best baseline" for r in finals) == 1
    for r in finals:
        if r["verdict"] != "best baseline":
            assert r["p_vs_best"] == pytest.approx(expected[r["eval_id"]]["p"])
