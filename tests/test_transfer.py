"""actsearch transfer: a finished search's finalists and baselines trained again in a torch model."""

import json
import os
import re

import numpy as np
import pytest

pytest.importorskip("torch", reason="PyTorch is optional: pip install actsearch[torch]")

from actsearch.analysis.tables import leaderboard  # noqa: E402
from actsearch.driver import search  # noqa: E402
from actsearch.results import load_results  # noqa: E402


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run") / "run")
    search(space="small", strategy="random", dataset="moons", budget=8, seed=1, out=out, hidden=(8,), epochs=4,
           seeds=1, final_k=3, final_seeds=3, baselines=("relu(x)", "tanh(x)", "elu(x)"), progress=False)
    return out


def _hand_p(a, b) -> float:
    """The paired t-test's two-sided p (1 for identical pairs, 0 for a constant non-zero difference)."""
    from scipy.stats import ttest_rel

    d = np.asarray(a) - np.asarray(b)
    if np.std(d, ddof=1) <= 1e-12 * max(1.0, abs(d.mean())):
        return 1.0 if abs(d.mean()) <= 1e-12 else 0.0
    return float(ttest_rel(a, b).pvalue)


def _hand_holm(ps: dict) -> dict:
    items = sorted(ps.items(), key=lambda kv: kv[1])
    out, running = {}, 0.0
    for rank, (key, p) in enumerate(items):
        running = max(running, min(1.0, (len(items) - rank) * p))
        out[key] = running
    return out


def test_transfer_writes_the_table_and_its_verdicts_and_spearman_match_a_hand_computation(finished, cli):
    code, out, err = cli("transfer", finished, "--model", "resmlp", "--seeds", "4", "--epochs", "5",
                         "--no-progress")
    assert code == 0, err
    path = os.path.join(finished, "transfer-resmlp.csv")
    table = load_results(path)
    assert set(table["model"]) == {"resmlp"} and set(table["stage"]) == {"final"}
    assert all(len(json.loads(s)) == 4 for s in table["test_scores"])  # paired: the same 4 seeds for all
    # the best baseline by validation mean, then every finalist against it on paired test scores, Holm-corrected
    base = table[table["strategy"] == "baseline"]
    best = base.loc[base["val_score"].idxmax()]
    best_scores = json.loads(best["test_scores"])
    finalists = table[table["strategy"] != "baseline"]
    hand = _hand_holm({r["expression"]: _hand_p(json.loads(r["test_scores"]), best_scores)
                       for _, r in finalists.iterrows()})
    board = leaderboard(table, top=10)
    shown = board[board["source"] != "baseline"].set_index("expression")["p_vs_best_holm"].to_dict()
    assert shown
    for expr, p in shown.items():
        assert p == pytest.approx(hand[expr], abs=1e-12)
        line = next(l for l in out.splitlines() if f" {expr} " in l)
        assert f"{hand[expr]:.3f}" in line
    assert f"best baseline, {best['expression']}," in out
    # Spearman between the proxy's final-stage and the target's mean test scores, over the shared functions
    proxy = load_results(finished)
    proxy = proxy[proxy["stage"] == "final"].groupby("fingerprint")["test_score"].mean()
    target = table.groupby("fingerprint")["test_score"].mean()
    common = sorted(set(proxy.index) & set(target.index))
    ranks = [proxy[common].rank().to_numpy(), target[common].rank().to_numpy()]
    rho = float(np.corrcoef(*ranks)[0, 1])
    shown_rho = float(re.search(r"Spearman rho = ([+-][0-9.]+)", out).group(1))
    assert len(common) >= 3 and shown_rho == pytest.approx(rho, abs=5e-4)
    assert f"mean test scores of {len(common)} functions" in out


def test_transfer_of_given_expressions(finished, cli):
    code, out, err = cli("transfer", finished, "--model", "resmlp", "--expressions", "x * tanh(x),softsign",
                         "--seeds", "2", "--epochs", "2", "--no-progress")
    assert code == 0, err
    table = load_results(os.path.join(finished, "transfer-resmlp.csv"))
    assert {"x * tanh(x)", "softsign(x)"} <= set(table["expression"])


@pytest.mark.parametrize("argv, fragment", [
    (["--model", "cnn"], "8x8 images"),
    (["--model", "nowhere.py:build"], "does not exist"),
    (["--seeds", "1"], "at least 2 seeds"),
    (["--expressions", "x*("], "--expressions"),
])
def test_bad_transfers_are_one_line_errors_and_write_nothing(finished, cli, one_line_error, argv, fragment):
    before = sorted(os.listdir(finished))
    one_line_error(*cli("transfer", finished, *argv, "--no-progress"), fragment)
    assert sorted(os.listdir(finished)) == before


def test_a_folder_without_a_run_is_a_one_line_error(tmp_path, cli, one_line_error):
    one_line_error(*cli("transfer", str(tmp_path), "--model", "resmlp"), "config.yaml")


def test_analyze_and_report_show_the_transfer_table_when_there_is_one(tmp_path, cli):
    out = str(tmp_path / "run")
    search(space="small", strategy="random", dataset="moons", budget=4, seed=2, out=out, hidden=(8,), epochs=3,
           seeds=1, final_k=2, final_seeds=2, baselines=("relu(x)", "tanh(x)"), progress=False)
    code, before, err = cli("analyze", out)
    assert code == 0 and "Does it transfer?" not in before
    code, _, err = cli("report", out, "--out", str(tmp_path / "before.html"))
    assert code == 0 and "Does it transfer?" not in (tmp_path / "before.html").read_text()
    from actsearch.transfer import transfer

    result = transfer(out, "resmlp", seeds=2, epochs=2)
    code, text, err = cli("analyze", out)
    assert code == 0 and "Does it transfer? resmlp" in text and "transfer-resmlp.csv" in text
    best = result.leaderboard[result.leaderboard["verdict"] == "best baseline"]["expression"].iloc[0]
    assert any(best in line and "best baseline" in line for line in text.split("Does it transfer?")[1].splitlines())
    code, js, err = cli("analyze", out, "--format", "json")
    section = json.loads(js)["transfer"]
    assert [s["model"] for s in section] == ["resmlp"] and section[0]["agreement"]["n"] == result.agreement["n"]
    code, _, err = cli("report", out, "--out", str(tmp_path / "after.html"))
    page = (tmp_path / "after.html").read_text()
    assert code == 0 and '<h2 id="transfer">Does it transfer?</h2>' in page and 'href="#transfer"' in page
