"""Figures of search results (actsearch.analysis.plots) and the ``actsearch plot`` command.

Each figure is written, read back as a PNG (signature, size in pixels, pixels
that are not all the same), on real result tables from small searches.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the figures need matplotlib")

import actsearch
from actsearch.analysis import plots
from actsearch.results import COLUMNS, ResultsWriter, load_results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table(run_dir):
    return load_results(str(run_dir))


@pytest.fixture(scope="module")
def two_runs(run_dir, run_dir2):
    return load_results(str(run_dir), str(run_dir2))


def png_size(path_or_bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
    else:
        with open(path_or_bytes, "rb") as fh:
            data = fh.read()
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def read_pixels(path) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:  # matplotlib reads PNG itself
        import matplotlib.image

        return np.asarray(matplotlib.image.imread(path))
    with Image.open(path) as im:
        im.load()
        return np.asarray(im.convert("RGB"))


def assert_real_png(path, width=(600, 1400), height=(300, 700)):
    assert os.path.isfile(path) and os.path.getsize(path) > 2000
    w, h = png_size(path)
    assert width[0] <= w <= width[1] and height[0] <= h <= height[1], (w, h)
    pixels = read_pixels(path)
    assert pixels.shape[:2] == (h, w)
    flat = pixels.reshape(-1, pixels.shape[-1])[:, :3]
    if flat.dtype != np.uint8:  # matplotlib.image.imread gives floats in [0, 1]
        flat = np.round(flat * 255).astype(np.uint8)
    assert np.ptp(flat, axis=0).max() > 0, "the image is uniform"
    colours = (flat[:, 0].astype(np.int32) << 16) | (flat[:, 1].astype(np.int32) << 8) | flat[:, 2]
    assert len(np.unique(colours)) > 20, "too few colours for a figure with curves, text and axes"


def hand_table(folder, rows):
    """A results table written row by row, then read back typed, as a real run would be."""
    path = os.path.join(folder, "evaluations.csv")
    with ResultsWriter(path) as w:
        for i, row in enumerate(rows):
            w.append({"run_id": "hand-s0", "eval_id": i, "stage": "search", "strategy": "random", "seeds": 1,
                      "complexity": 3, "dataset": "moons", **row})
    return load_results(path)


# --- the figures ----------------------------------------------------------------------------

@pytest.mark.parametrize("func", [plots.plot_progress, plots.plot_scores, plots.plot_complexity])
def test_table_figures_are_real_pngs(table, tmp_path, func):
    path = str(tmp_path / f"{func.__name__}.png")
    assert func(table, path) == path
    assert_real_png(path)
    assert png_size(path) == (800, 450)


def test_activations_figure_of_the_top_k(table, tmp_path):
    top = plots.top_expressions(table, 3)
    assert 1 <= len(top) <= 3
    path = plots.plot_activations(top, str(tmp_path / "act.png"))
    assert_real_png(path)
    assert png_size(path) == (1100, 450)  # two panels side by side
    # a table stands for its top k
    assert_real_png(plots.plot_activations(table, str(tmp_path / "act2.png"), k=2))


def test_top_expressions_follow_the_leaderboard(table):
    from actsearch.analysis.tables import leaderboard

    board = leaderboard(table, top=3)
    candidates = board[board.source != "baseline"]["expression"].tolist()
    top = plots.top_expressions(table, 3)
    assert [str(e) for e in top] == candidates[: len(top)]
    assert str(top[0]) == candidates[0]
    assert len({e.fingerprint for e in top}) == len(top)
    baselines = {"relu(x)", "swish(x)", "gelu(x)", "elu(x)", "tanh(x)", "leaky_relu(x)"}
    assert not {str(e) for e in top} & baselines
    with_baselines = plots.top_expressions(table, 20, include_baselines=True)
    assert {str(e) for e in with_baselines} & baselines


def test_top_expressions_skip_what_does_not_parse(tmp_path):
    table = hand_table(str(tmp_path), [
        {"expression": "<script>alert(1)</script>", "fingerprint": "a", "status": "ok", "val_score": 0.9},
        {"expression": "tanh(x)", "fingerprint": "b", "status": "ok", "val_score": 0.8},
        {"expression": "x * sigmoid(beta * x)", "fingerprint": "c", "status": "ok", "val_score": 0.7,
         "params": '{"beta": 2.5}'},
    ])
    top = plots.top_expressions(table, 5)
    assert [str(e) for e in top] == ["tanh(x)", "x * sigmoid(beta * x)"]
    assert top[1].params == {"beta": 2.5}
    assert_real_png(plots.plot_complexity(table, str(tmp_path / "c.png")))


def test_activations_survive_exploding_and_singular_functions(tmp_path):
    exprs = ["exp(x) * x^2", "1 / x", "log(x)", "x * sigmoid(beta * x)", "step(x)"]
    path = plots.plot_activations(exprs, str(tmp_path / "wild.png"))
    assert_real_png(path)


def test_plot_function_with_a_parameter(tmp_path):
    f = actsearch.parse("x * sigmoid(beta * x)", params={"beta": 2.0})
    path = plots.plot_function(f, str(tmp_path / "f.png"))
    assert_real_png(path)
    assert png_size(path) == (1100, 450)


def test_several_runs_in_one_figure(two_runs, tmp_path):
    assert two_runs["run_id"].nunique() == 2
    for func in (plots.plot_progress, plots.plot_scores, plots.plot_complexity):
        assert_real_png(func(two_runs, str(tmp_path / f"{func.__name__}.png")))
    assert_real_png(plots.plot_progress(two_runs, str(tmp_path / "by-strategy.png"), by="strategy"))
    with pytest.raises(plots.PlotError):
        plots.plot_progress(two_runs, str(tmp_path / "x.png"), by="colour")


def test_a_table_without_scores_still_gives_figures(tmp_path):
    table = hand_table(str(tmp_path), [
        {"expression": "x + x", "status": "rejected", "reason": "linear: f(x) = a + b*x"},
        {"expression": "exp(exp(x))", "status": "diverged", "reason": "non-finite loss"},
    ])
    paths = plots.plot_table(table, str(tmp_path / "figs"))
    assert [os.path.basename(p) for p in paths] == ["activations.png", "progress.png", "scores.png",
                                                     "complexity.png"]
    for p in paths:
        assert_real_png(p)


def test_writes_into_memory_and_other_formats(table, tmp_path):
    import io

    buf = io.BytesIO()
    plots.plot_scores(table, buf)
    assert png_size(buf.getvalue()) == (800, 450)
    svg = plots.plot_scores(table, str(tmp_path / "scores.svg"))
    with open(svg, encoding="utf-8") as fh:
        assert fh.read(200).lstrip().startswith("<?xml")


def test_unwritable_output_is_a_plot_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(plots.PlotError, match="cannot"):
        plots.plot_function("tanh(x)", str(blocker / "f.png"))
    with pytest.raises(plots.PlotError, match="cannot"):
        plots.plot_table(pd.DataFrame(columns=COLUMNS), str(blocker / "sub"))


# --- the command ----------------------------------------------------------------------------

def test_plot_command_writes_four_pngs(cli, run_dir, tmp_path):
    out = tmp_path / "figures"
    code, stdout, err = cli("plot", str(run_dir / "evaluations.csv"), "--out", str(out), "--top", "2")
    assert code == 0, err
    paths = stdout.split()
    assert [os.path.basename(p) for p in paths] == ["activations.png", "progress.png", "scores.png",
                                                     "complexity.png"]
    for p in paths:
        assert os.path.dirname(p) == str(out)
        assert_real_png(p)


def test_plot_command_several_csvs(cli, run_dir, run_dir2, tmp_path):
    code, stdout, err = cli("plot", str(run_dir), str(run_dir2), "--out", str(tmp_path))
    assert code == 0, err
    assert len(stdout.split()) == 4


def test_plot_command_one_expression(cli, tmp_path):
    path = str(tmp_path / "f.png")
    code, stdout, err = cli("plot", "--expr", "x*sigmoid(beta*x)", "--param", "beta=1.5",
                    "--out", path)
    assert code == 0, err
    assert stdout.strip() == path
    assert_real_png(path)
    code, stdout, err = cli("plot", "--expr=-x*tanh(x)", "--out", str(tmp_path / "neg.png"))
    assert code == 0, err


@pytest.mark.parametrize("case", ["missing csv", "bad expression", "unknown function", "unwritable out",
                                  "unwritable expr out", "nothing to draw", "both", "not a results file"])
def test_plot_command_errors(cli, one_line_error, run_dir, tmp_path, case):
    blocker = tmp_path / "a-file"
    blocker.write_text("x\n1\n")
    argv = {
        "missing csv": ["plot", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")],
        "bad expression": ["plot", "--expr", "x*(", "--out", str(tmp_path / "f.png")],
        "unknown function": ["plot", "--expr", "foo(x)", "--out", str(tmp_path / "f.png")],
        "unwritable out": ["plot", str(run_dir), "--out", str(blocker / "sub")],
        "unwritable expr out": ["plot", "--expr", "tanh(x)", "--out", str(blocker / "f.png")],
        "nothing to draw": ["plot", "--out", str(tmp_path / "o")],
        "both": ["plot", str(run_dir), "--expr", "x", "--out", str(tmp_path / "o")],
        "not a results file": ["plot", str(blocker), "--out", str(tmp_path / "o")],
    }[case]
    one_line_error(*cli(*argv))


def test_console_script_error_and_cheap_imports(tmp_path):
    """The installed command: one line and exit 2; and nothing imports matplotlib or pyplot early."""
    proc = subprocess.run([sys.executable, "-m", "actsearch.cli", "plot", "--expr", "sin(", "--out",
                           str(tmp_path / "f.png")], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    code = (
        "import sys, actsearch\n"
        "import actsearch.analysis.plots, actsearch.analysis.report, actsearch.cli.plot, actsearch.cli.report\n"
        "from actsearch.cli import build_parser\n"
        "build_parser()\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported too early'\n"
        f"actsearch.analysis.plots.plot_function('tanh(x)', {str(tmp_path / 'g.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot used'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def capture(monkeypatch) -> list:
    """The figures the plot functions would save."""
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig) or path)
    return figures


def test_legend_entries_of_one_expression_with_two_parameter_values_differ(monkeypatch, tmp_path):
    figures = capture(monkeypatch)
    two = [actsearch.parse("x * sigmoid(beta * x)", params={"beta": b}) for b in (1.0, 1.702)]
    plots.plot_activations(two, str(tmp_path / "a.png"), references=())
    labels = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    assert len(set(labels)) == 2 and any("beta=1.702" in label for label in labels), labels


def test_the_pareto_line_ends_at_the_fronts_last_point(table, monkeypatch, tmp_path):
    from actsearch.analysis.pareto import pareto_front

    figures = capture(monkeypatch)
    plots.plot_complexity(table, str(tmp_path / "c.png"))
    line = next(l for l in figures[0].axes[0].get_lines() if l.get_label() == "Pareto front")
    assert line.get_xdata().max() == pareto_front(table)["complexity"].max()
