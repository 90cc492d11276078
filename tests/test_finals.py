"""actsearch.compare and `actsearch compare`: the final-stage protocol on given functions."""

import json

import pytest

import actsearch

PLANTED = dict(dataset="planted:sin(x)", hidden=(16,), epochs=40, lr=0.01, early_stopping=False)


@pytest.mark.slow
def test_the_planted_teachers_activation_beats_the_best_baseline():
    board = actsearch.compare(["sin(x)"], seeds=5, baselines=("relu", "gelu", "tanh", "swish"), **PLANTED)
    row = board.set_index("expression").loc["sin(x)"]
    best = row["best_baseline"]
    assert best in {"relu(x)", "gelu(x)", "tanh(x)", "swish(x)"}
    assert row["verdict"] == f"better than {best}" and row["p_vs_best_holm"] < 0.05 and row["vs_best"] > 0
    # the best baseline is chosen on validation: no other baseline has a higher validation mean
    baselines = board[board["source"] == "baseline"]
    assert baselines.loc[baselines["val_score"].idxmax(), "expression"] == best


def test_relu_under_another_name_gets_no_evidence():
    board = actsearch.compare(["sin(x)", "max(x, 0)"], seeds=3, baselines=("relu",), **PLANTED)
    assert len(board) == 2  # max(x, 0) is relu: shown once, on relu's row
    relu = board.set_index("expression").loc["relu(x)"]
    assert relu["also"] == "max(x, 0) (candidate)" and relu["verdict"] == "no evidence" and relu["vs_best"] == 0
    assert board.set_index("expression").loc["sin(x)", "verdict"] == "better than relu(x)"
    seeds = actsearch.compare(["tanh(x)"], seeds=2, baselines=("relu",), dataset="moons", hidden=(4,), epochs=1)
    assert (seeds["seeds"] == 2).all()


def test_compare_json_is_a_list_of_rows(cli):
    code, out, err = cli("compare", "x*tanh(x)", "--dataset", "moons", "--hidden", "4", "--epochs", "2",
                             "--seeds", "2", "--baselines", "relu,tanh", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["expression"] for r in rows if r["source"] == "candidate"] == ["x * tanh(x)"]
    for column in ("expression", "val_score", "test_score", "best_baseline", "vs_best", "vs_best_ci", "p_vs_best",
                   "p_vs_best_holm", "verdict", "diff_vs_relu"):
        assert column in rows[0]
    code, out, _ = cli("compare", "x*tanh(x)", "--dataset", "moons", "--hidden", "4", "--epochs", "2",
                           "--seeds", "2", "--baselines", "relu,tanh")
    assert code == 0 and "verdict" in out and "best baseline" in out and "x * tanh(x)" in out


@pytest.mark.parametrize("argv, fragments", [
    (["x *"], ["expression 'x *'"]),
    (["tanh(x)", "--baselines", "relu,notanactivation"], ["baseline 'notanactivation'"]),
    (["tanh(x)", "--seeds", "1"], ["at least 2 seeds"]),
])
def test_bad_compare_input_is_one_line_and_exit_2(cli, one_line_error, argv, fragments):
    code, out, err = cli("compare", *argv, "--dataset", "moons", "--hidden", "4", "--epochs", "1")
    one_line_error(code, out, err, *fragments)


def test_seed_start_moves_the_seeds_as_evaluate_sees_them():
    """compare(seed_start=2000) trains on seeds 2000 and 2001: the per-seed test scores are evaluate's on them."""
    from dataclasses import replace

    from actsearch.driver import DEFAULT_PROTOCOL

    options = dict(dataset="moons", hidden=(4,), epochs=2)
    from actsearch.finals import compare_table

    def per_seed(**kw):
        table = compare_table(["tanh(x)"], seeds=2, baselines=("relu",), **options, **kw)
        return json.loads(table.set_index("expression").loc["tanh(x)", "test_scores"])

    scores = per_seed(seed_start=2000)
    protocol = replace(DEFAULT_PROTOCOL, hidden=(4,), epochs=2)  # compare's: the search's defaults
    direct = actsearch.evaluate("tanh(x)", dataset="moons", seeds=[2000, 2001], config=protocol)
    assert scores == pytest.approx(direct["test_score"].tolist(), abs=1e-12)
    assert per_seed() != scores  # the default start, 1000
    with pytest.raises(actsearch.ConfigError, match="seed_start=-1"):
        actsearch.compare(["tanh(x)"], seeds=2, seed_start=-1, **options)
