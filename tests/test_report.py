"""The one-file HTML report (actsearch.analysis.report) and ``actsearch report``.

The report is parsed with Python's own html.parser: the main elements must be
balanced, every image must be an embedded PNG, nothing may point outside the
file, and text from the results table (an expression, a reason, the
configuration) must appear as text, never as markup.
"""

from __future__ import annotations

import base64
import html
import json
import os
import struct
import sys
from html.parser import HTMLParser

import pytest

from actsearch.analysis import report
from actsearch.results import ResultsWriter, load_results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
try:
    import matplotlib  # noqa: F401

    FIGURES = 4  # activations, progress, scores, complexity
except ImportError:  # the report leaves the figures out and says so (test_report_without_matplotlib)
    FIGURES = 0
HOSTILE = "<script>alert(1)</script>"
HOSTILE_REASON = '<img src=x onerror="alert(2)"> & </td></tr></table>'
HOSTILE_CONFIG = "note: </pre><script>alert(3)</script>\n"
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr", "col", "area", "base", "embed", "track"}


class Checker(HTMLParser):
    """Collects tags, text, images and links; checks that every non-void element is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.starts: list[str] = []
        self.imgs: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.pre: list[str] = []
        self.doctype = None
        self._skip = 0  # inside <style>

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.starts.append(tag)
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs.get("src") or "")
        for name in ("href", "src", "action", "data", "poster", "background"):
            if name in attrs and tag != "img":
                self.links.append(attrs[name] or "")
        if any(name.startswith("on") for name in attrs):
            self.errors.append(f"event handler attribute on <{tag}>")
        if tag == "style":
            self._skip += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "style":
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if "pre" in self.stack:
            self.pre.append(data)


def check_html(text: str) -> Checker:
    parser = Checker()
    parser.feed(text)
    parser.close()
    assert parser.doctype and parser.doctype.lower() == "doctype html"
    assert parser.errors == [], parser.errors[:5]
    assert parser.stack == [], f"unclosed elements: {parser.stack}"
    for tag in ("html", "head", "body", "title", "table", "h1", "h2"):
        assert tag in parser.starts, f"no <{tag}>"
    assert parser.starts.count("html") == parser.starts.count("body") == 1
    # self-contained: no script, no external style sheet or frame, only in-page links
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert tag not in parser.starts, f"<{tag}> in the report"
    assert all(link.startswith("#") for link in parser.links), parser.links
    assert "http://" not in text and "https://" not in text and "url(" not in text
    for src in parser.imgs:
        assert src.startswith("data:image/png;base64,"), src[:60]
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == PNG_SIGNATURE
        width, height = struct.unpack(">II", data[16:24])
        assert 600 <= width <= 1400 and 300 <= height <= 700
    return parser


def plain_text(parser: Checker) -> str:
    return "".join(parser.text)


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def main_report(run_dir, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("report") / "report.html")
    assert report.write_report(str(run_dir / "evaluations.csv"), path) == path
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def hostile_folder(folder) -> str:
    """A hand-made run whose expressions, reasons and config try to inject markup."""
    os.makedirs(folder, exist_ok=True)

    def row(i, stage, strategy, expr, status, val=None, scores=None, reason=None, fp=None):
        return {"run_id": "evil-s0", "eval_id": i, "stage": stage, "strategy": strategy, "expression": expr,
                "canonical": expr, "fingerprint": fp or f"fp{i}", "complexity": 3, "params": "{}",
                "dataset": "moons", "seeds": len(scores) if scores else 2, "status": status, "reason": reason,
                "val_score": val, "val_score_std": 0.01 if val is not None else None,
                "test_score": (sum(scores) / len(scores)) if scores else None,
                "test_score_std": 0.01 if scores else None,
                "test_scores": json.dumps(scores) if scores else None}

    rows = [
        row(0, "search", "random", HOSTILE, "ok", 0.95, [0.9, 0.92], fp="evil"),
        row(1, "search", "random", "tanh(x)", "ok", 0.80, [0.8, 0.79], fp="tanh"),
        row(2, "search", "random", "x + x", "rejected", reason=HOSTILE_REASON),
        row(3, "search", "random", "exp(exp(x))", "diverged", reason="non-finite loss in epoch 2"),
        row(4, "final", "baseline", "relu(x)", "ok", 0.85, [0.84, 0.86, 0.82], fp="relu"),
        row(5, "final", "random", HOSTILE, "ok", 0.97, [0.95, 0.96, 0.94], fp="evil"),
    ]
    with ResultsWriter(os.path.join(folder, "evaluations.csv")) as w:
        for r in rows:
            w.append(r)
    with open(os.path.join(folder, "config.yaml"), "w", encoding="utf-8") as fh:
        fh.write(HOSTILE_CONFIG)
    return folder


# --- the report -----------------------------------------------------------------------------

def test_report_is_valid_self_contained_html(main_report):
    parser = check_html(main_report)
    assert len(parser.imgs) == FIGURES
    text = plain_text(parser)
    for heading in ("Leaderboard", "Statistical comparison with the best baseline", "Figures", "Failures by status",
                    "Configuration"):
        assert heading in text


def test_report_shows_the_leaderboard_and_its_best(main_report, run_dir):
    from actsearch.analysis.tables import leaderboard

    table = load_results(str(run_dir))
    best = leaderboard(table, top=5)["expression"].iloc[0]
    parser = check_html(main_report)
    assert best in plain_text(parser)
    assert f"<code>{html.escape(best)}</code>" in main_report
    for baseline in ("relu(x)", "swish(x)", "gelu(x)"):
        assert baseline in plain_text(parser)


def test_report_shows_the_config(main_report):
    parser = check_html(main_report)
    assert "pre" in parser.starts
    pre = "".join(parser.pre)
    assert "strategy: random" in pre and "final_seeds: 3" in pre and "dataset: moons" in pre


def test_comparison_is_the_holm_corrected_paired_test_against_the_best_baseline(run_dir, scipy_vs_best):
    """The report's differences and p-values match scipy's paired t-test and a textbook Holm correction."""
    
    table = load_results(str(run_dir))
    comp = report.comparison(table)
    final = table[table["stage"] == "final"]
    expected = scipy_vs_best(table)
    assert len(comp) == len(final)
    done = 0
    for eval_id, want in expected.items():
        row = final[final["eval_id"] == eval_id].iloc[0]
        got = comp[(comp["expression"] == row["expression"]) & (comp["strategy"] == row["strategy"])
                   & (comp["diff"].round(12) == round(want["diff"], 12))].iloc[0]
        assert got["best_baseline"] == want["best"]
        assert got["p"] == pytest.approx(want["p"])
        assert got["n"] == 3
        assert got["ci_low"] <= got["diff"] <= got["ci_high"]
        if not want["baseline"]:
            assert got["p_holm"] == pytest.approx(want["p_holm"])
            assert got["verdict"].startswith(("better", "worse")) == (want["p_holm"] < 0.05 and want["diff"] != 0)
        done += 1
    assert done == len(final) - 1
    assert (comp["verdict"] == "best baseline").sum() == 1


def test_failures_by_status(run_dir, tmp_path):
    table = load_results(hostile_folder(str(tmp_path / "evil")))
    fails = report.failures_by_run(table)
    assert sorted(fails["status"]) == ["diverged", "rejected"]
    assert set(fails["count"]) == {1}
    assert HOSTILE_REASON in fails["example_reason"].tolist()


def test_hostile_text_is_escaped_everywhere(tmp_path):
    folder = hostile_folder(str(tmp_path / "evil"))
    out = report.write_report(folder, str(tmp_path / "evil.html"))
    with open(out, encoding="utf-8") as fh:
        text = fh.read()
    parser = check_html(text)  # no <script>, no event handler, no stray </td></tr></table>
    assert "script" not in parser.starts
    assert len(parser.imgs) == FIGURES  # the reason's <img> is text, not an image
    shown = plain_text(parser)
    assert HOSTILE in shown  # the best expression, as text
    assert HOSTILE_REASON in shown
    assert "</pre><script>alert(3)</script>" in "".join(parser.pre)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in text


def test_hostile_dataframe_built_by_hand(run_dir, tmp_path):
    """A table edited in memory (not read from a file) is escaped the same way."""
    table = load_results(str(run_dir)).copy()
    final = table.index[(table["stage"] == "final") & (table["strategy"] != "baseline")]
    best = table.loc[final, "val_score"].idxmax()
    table["expression"] = table["expression"].astype(object)
    table.loc[best, "expression"] = HOSTILE
    text = report.render_report(table)
    parser = check_html(text)
    assert HOSTILE in plain_text(parser)
    assert "<script>" not in text


def test_several_runs_and_a_run_without_final_stage(run_dir, run_dir2, tmp_path):
    out = report.write_report([str(run_dir), str(run_dir2)], str(tmp_path / "two.html"), top=3)
    with open(out, encoding="utf-8") as fh:
        text = fh.read()
    parser = check_html(text)
    shown = plain_text(parser)
    assert "small-random-s0" in shown and "small-random-2-s1" in shown
    assert "No final stage in this run" in shown
    assert shown.count("budget:") == 2  # both configs
    assert len(parser.imgs) == FIGURES


def test_a_dataframe_without_config(run_dir):
    text = report.render_report(load_results(str(run_dir)), title="A <b>title</b>")
    parser = check_html(text)
    assert "No config.yaml beside this table" in plain_text(parser)
    assert "A <b>title</b>" in plain_text(parser)


def test_report_without_matplotlib(run_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    parser = check_html(report.render_report(str(run_dir)))
    assert parser.imgs == []
    assert "matplotlib is not installed" in plain_text(parser)


def test_unwritable_report_is_a_report_error(run_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(report.ReportError, match="cannot write"):
        report.write_report(str(run_dir), str(blocker / "r.html"))
    with pytest.raises(report.ReportError):
        report.write_report([], str(tmp_path / "r.html"))


# --- the command ----------------------------------------------------------------------------

def test_report_command(cli, run_dir, tmp_path):
    path = str(tmp_path / "sub" / "report.html")
    code, out, err = cli("report", str(run_dir / "evaluations.csv"), "--out", path)
    assert code == 0, err
    assert out.strip() == path
    with open(path, encoding="utf-8") as fh:
        assert len(check_html(fh.read()).imgs) == FIGURES


@pytest.mark.parametrize("case", ["missing csv", "unwritable out", "not a results file"])
def test_report_command_errors(cli, one_line_error, run_dir, tmp_path, case):
    blocker = tmp_path / "a-file"
    blocker.write_text("a,b\n1,2\n")
    argv = {
        "missing csv": ["report", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.html")],
        "unwritable out": ["report", str(run_dir), "--out", str(blocker / "r.html")],
        "not a results file": ["report", str(blocker), "--out", str(tmp_path / "r.html")],
    }[case]
    one_line_error(*cli(*argv))


def test_the_report_leaderboard_shows_parameter_values(tmp_path):
    """A parametric finalist's values are in its row (two betas would otherwise read the same)."""
    from actsearch.finals import compare_table

    table = compare_table(["x*sigmoid(beta*x)"], "moons", seeds=2, baselines=("relu",), hidden=(4,), epochs=1)
    table = table.assign(params=table["params"].where(table["expression"] != "x * sigmoid(beta * x)",
                                                      '{"beta": 1.702}'))
    path = str(tmp_path / "evaluations.csv")
    table.to_csv(path, index=False)
    page = open(report.write_report(path, str(tmp_path / "r.html")), encoding="utf-8").read()
    assert "<th>params</th>" in page and "beta=1.702" in page
