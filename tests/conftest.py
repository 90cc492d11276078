"""Fixtures shared by several test modules."""

from pathlib import Path

import pytest

import actsearch

#: Hand-made results tables (the doctests of actsearch.analysis read them too, from the repository's root).
DATA = Path(__file__).parent / "data"


@pytest.fixture
def demo_table():
    """A small hand-made results table of two runs: ``tests/data/two-runs.csv``, read by :func:`actsearch.load_results`.

    Run ``a-s0`` (random) has 5 search rows (ok, rejected, ok, cached and
    diverged) and a final stage (relu and tanh as baselines, and its best
    candidate, x * sigmoid(x), over 3 seeds); run ``b-s0`` (evolution) has 4
    search rows only (ok, rejected, ok, ok), one per minute from 00:00.
    """
    return actsearch.load_results(str(DATA / "two-runs.csv"))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A real small search with a final stage; its folder holds evaluations.csv and config.yaml (about 2 s)."""
    out = tmp_path_factory.mktemp("runs") / "small-random"
    actsearch.search(space="small", strategy="random", dataset="moons", budget=12, seed=0, out=str(out),
                     hidden=(8,), epochs=3, seeds=2, final_k=3, final_seeds=3, progress=False)
    return out


@pytest.fixture(scope="session")
def run_dir2(tmp_path_factory):
    """A second, shorter run with no final stage."""
    out = tmp_path_factory.mktemp("runs") / "small-random-2"
    actsearch.search(space="small", strategy="random", dataset="moons", budget=6, seed=1, out=str(out),
                     hidden=(8,), epochs=3, seeds=1, final_k=0, baselines=(), progress=False)
    return out


@pytest.fixture
def cli(capsys):
    """``cli(*argv)`` runs ``actsearch.cli.main(argv)`` in-process: (exit code, stdout, stderr)."""
    from actsearch.cli import main

    def run(*argv):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err
    return run


def assert_one_line_error(code, out, err, *fragments):
    """Exit 2, nothing on stdout, one ``actsearch: error: ...`` line on stderr (no traceback) naming each fragment."""
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and len(err.strip().splitlines()) == 1, f"expected one line on stderr, got {err!r}"
    assert lines[0].startswith("actsearch: error: "), err
    assert len(lines[0]) > len("actsearch: error: ") + 5, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def one_line_error():
    """The function :func:`assert_one_line_error`: ``one_line_error(code, out, err, *fragments)``."""
    return assert_one_line_error


@pytest.fixture
def scipy_vs_best():
    """The function :func:`reference_vs_best`."""
    return reference_vs_best


def reference_vs_best(table):
    """Independent reference of the final stage's verdicts, straight from scipy: one dict per final row.

    The best baseline is the final baseline row with the highest validation
    score; every other row gets ``diff`` (mean of its per-seed test scores
    minus the best's) and ``p`` (:func:`scipy.stats.ttest_rel`), and the
    non-baseline rows ``p_holm``, Holm's step-down by its textbook definition.
    Keyed by ``eval_id``.
    """
    import json
    import math

    import numpy as np
    from scipy import stats

    final = table[(table["stage"] == "final") & table["status"].isin(["ok", "cached"])]
    base = final[final["strategy"] == "baseline"].sort_values(["val_score", "eval_id"], ascending=[False, True])
    best = base.iloc[0]
    b = np.array(json.loads(best["test_scores"]), dtype=float)
    out = {}
    for _, row in final.iterrows():
        if row["eval_id"] == best["eval_id"]:
            continue
        a = np.array(json.loads(row["test_scores"]), dtype=float)
        d = a - b
        p = stats.ttest_rel(a, b).pvalue if d.std() > 0 else (1.0 if not d.any() else 0.0)
        out[int(row["eval_id"])] = {"best": best["expression"], "diff": float(d.mean()), "p": float(p),
                                    "baseline": row["strategy"] == "baseline"}
    claims = sorted((v["p"], k) for k, v in out.items() if not v["baseline"])
    running = 0.0
    for rank, (p, k) in enumerate(claims):
        running = max(running, min(1.0, (len(claims) - rank) * p))
        out[k]["p_holm"] = running
    for v in out.values():
        v.setdefault("p_holm", math.nan)
    return out


@pytest.fixture
def small_data():
    """``small_data(task, seed=0)``: a 120-row, 4-feature Dataset for ``binary``, ``multiclass`` or ``regression``."""
    import numpy as np

    from actsearch.datasets import make_dataset

    def make(task, seed=0):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(120, 4))
        if task == "regression":
            return make_dataset(X, np.sin(X[:, 0]) + X[:, 1] * X[:, 2], task="regression")
        if task == "binary":
            return make_dataset(X, (X[:, 0] * X[:, 1] > 0).astype(int))
        return make_dataset(X, np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7]))
    return make


def central_differences(loss, *buffers, h: float = 1e-6):
    """Central finite differences of ``loss()`` along every entry of ``buffers`` (moved in place and put
    back), one flat array in the buffers' order: the independent truth of the gradient tests."""
    import numpy as np

    out = []
    for buffer in buffers:
        for idx in np.ndindex(buffer.shape):
            old = buffer[idx]
            buffer[idx] = old + h
            up = loss()
            buffer[idx] = old - h
            down = loss()
            buffer[idx] = old
            out.append((up - down) / (2 * h))
    return np.array(out)


@pytest.fixture
def finite_differences():
    """:func:`central_differences`, for the tests that check a gradient."""
    return central_differences
