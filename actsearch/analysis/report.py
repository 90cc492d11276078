"""A one-file HTML report of one or more search runs.

:func:`write_report` writes a single self-contained HTML file: the figures are
embedded as ``data:image/png;base64`` URIs, the style sheet is inline, and
nothing is fetched from the network (no script at all).  Every piece of text
that comes from a results table or a configuration file goes through
:func:`html.escape`, so an expression such as ``<script>`` shows as text.

Sections: summary per run, leaderboard (the final stage, ranked by validation
score), the statistical comparison with the best baseline (paired tests of
per-seed test scores in the final stage, Holm-corrected), figures, failures by status and reason, and the
run's configuration (``config.yaml`` beside the CSV).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from ..errors import ActsearchError
from ..results import params_text
from .files import write_into_folder
from .formatting import missing, number, plus_minus
from ..results import SCORED_STATUSES
from .statistics import ALPHA

__all__ = ["ReportError", "comparison", "failures_by_run", "render_report", "write_report"]

#: The reference of the statistical comparison (a baseline of the final stage).
REFERENCE = "relu(x)"


class ReportError(ActsearchError):
    """A report that cannot be built or written."""


# --- inputs -------------------------------------------------------------------------------

class _Source:
    """One input: a table, where it came from, and its config.yaml text (or None)."""

    def __init__(self, table, label: str, config: str | None, config_path: str | None):
        self.table, self.label, self.config, self.config_path = table, label, config, config_path


def _sources(tables_or_paths) -> list[_Source]:
    from ..results import load_results

    if isinstance(tables_or_paths, (str, os.PathLike)) or hasattr(tables_or_paths, "columns"):
        tables_or_paths = [tables_or_paths]
    items = list(tables_or_paths)
    if not items:
        raise ReportError("write_report needs at least one results table or path")
    out = []
    for i, item in enumerate(items, 1):
        if hasattr(item, "columns"):
            out.append(_Source(item, f"table {i}", None, None))
            continue
        path = os.fspath(item)
        table = load_results(path)
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        config_path = os.path.join(folder, "config.yaml")
        config = None
        if os.path.isfile(config_path):
            try:
                with open(config_path, encoding="utf-8", errors="replace") as fh:
                    config = fh.read()
            except OSError as exc:
                config = f"(cannot read {config_path}: {exc.strerror or exc})"
        out.append(_Source(table, path, config, config_path if config is not None else None))
    return out


def _combined(sources: list[_Source]):
    import pandas as pd

    tables = [s.table for s in sources]
    return tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)


# --- formatting ---------------------------------------------------------------------------

#: What stands in the report's cells for a missing value.
DASH = "\u2013"


def _e(value) -> str:
    """Escaped text of a cell; a missing value is ''."""
    return "" if missing(value) else html.escape(str(value), quote=True)


def _num(value, digits: int = 4, signed: bool = False) -> str:
    return number(value, digits, signed=signed, blank=DASH)


def _pm(mean, std, digits: int = 4) -> str:
    return plus_minus(mean, std, digits, blank=DASH)


def _p(value) -> str:
    if missing(value):
        return DASH
    value = float(value)
    return "&lt; 0.001" if value < 0.001 else f"{value:.3f}"


def _table(headers: list[str], rows: Iterable[list[str]], classes: list[str] | None = None) -> str:
    """An HTML table; headers are plain text (escaped here), cells are HTML already escaped."""
    classes = [f' class="{c}"' if c else "" for c in (classes or [""] * len(headers))]
    head = "".join(f"<th{c}>{html.escape(h)}</th>" for h, c in zip(headers, classes))
    body = "".join("<tr>" + "".join(f"<td{c}>{cell}</td>" for cell, c in zip(row, classes)) + "</tr>\n"
                   for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def _runs(table) -> list[tuple[str, Any]]:
    """(run_id, rows) in order of first appearance."""
    key = table["run_id"].astype("string").fillna("(no run id)")
    return [(str(run), table[key == run]) for run in dict.fromkeys(key.tolist())]


# --- analyses -----------------------------------------------------------------------------

def _leaderboard(rows, top: int):
    """One run's leaderboard (:func:`actsearch.analysis.tables.leaderboard`, as ``actsearch analyze``)."""
    from .tables import leaderboard

    return leaderboard(rows, top=top, reference=REFERENCE)


def _scores(cell) -> list:
    if missing(cell) or not str(cell).strip():
        return []
    try:
        values = json.loads(str(cell))
    except ValueError:
        return []
    return values if isinstance(values, list) else []


def comparison(table):
    """The final stage of each run against its best baseline (:func:`actsearch.analysis.statistics.final_comparison`).

    One row per final-stage row, ranked by validation score: ``run_id,
    expression, strategy, best_baseline, n`` (seeds paired with the best
    baseline), ``diff`` (mean paired test-score difference), ``ci_low,
    ci_high`` (its 95% interval), ``p`` (two-sided paired t-test), ``p_holm``
    (Holm-adjusted over the run's finalists) and ``verdict``.

    >>> from actsearch import load_results
    >>> comparison(load_results("tests/data/two-runs.csv"))[["expression", "verdict"]]
           expression              verdict
    0  x * sigmoid(x)  better than relu(x)
    1         relu(x)        best baseline
    2         tanh(x)             baseline
    """
    import pandas as pd

    from .statistics import complete_pairs, final_comparison

    out = []
    for run, rows in _runs(table):
        final = rows[rows["stage"] == "final"]
        if final.empty:
            continue
        compared = final_comparison(final)
        best = compared[compared["verdict"] == "best baseline"]
        best_scores = _scores(best["test_scores"].iloc[0]) if len(best) else []
        compared = compared.sort_values("val_score", ascending=False, na_position="last", kind="mergesort")
        for _, row in compared.iterrows():
            ci = row["vs_best_ci"] if isinstance(row["vs_best_ci"], list) else [math.nan, math.nan]
            paired = row["verdict"] != "best baseline" and len(best)
            out.append({"run_id": run, "expression": row["expression"], "strategy": row["strategy"],
                        "best_baseline": row["best_baseline"],
                        "n": len(complete_pairs(_scores(row["test_scores"]), best_scores)[0]) if paired else 0,
                        "diff": row["vs_best"], "ci_low": ci[0], "ci_high": ci[1], "p": row["p_vs_best"],
                        "p_holm": row["p_vs_best_holm"], "verdict": row["verdict"]})
    columns = ["run_id", "expression", "strategy", "best_baseline", "n", "diff", "ci_low", "ci_high", "p",
               "p_holm", "verdict"]
    return pd.DataFrame(out, columns=columns)


def failures_by_run(table):
    """Rows that did not train to a score, by run, status and reason, with a count and an example.

    Reasons are grouped as in ``actsearch analyze``
    (:func:`actsearch.analysis.failure_counts.reason_group`); ``example`` is the first
    expression of the group and ``example_reason`` its reason in full.  (``actsearch
    analyze`` counts with :func:`actsearch.analysis.failure_counts.failures`
    instead: every row, ok ones too, over all runs together.)
    """
    import pandas as pd

    from .failure_counts import reason_group

    bad = table[~table["status"].isin(list(SCORED_STATUSES))]
    out = []
    for run, rows in _runs(bad):
        kinds = rows.assign(_kind=rows["reason"].astype(object).map(lambda r: reason_group(r) or "(no reason)"))
        for (status, kind), group in kinds.groupby(["status", "_kind"], sort=True):
            first = group.iloc[0]
            out.append({"run_id": run, "status": status, "reason": kind, "count": len(group),
                        "example": first["expression"], "example_reason": first["reason"]})
    out.sort(key=lambda r: (r["run_id"], -r["count"], r["status"], r["reason"]))
    return pd.DataFrame(out, columns=["run_id", "status", "reason", "count", "example", "example_reason"])


# --- sections -----------------------------------------------------------------------------

def _section_summary(table) -> str:
    from ..results import STATUSES

    rows = []
    for run, group in _runs(table):
        search = group[group["stage"] == "search"]
        ok = search[(search["status"] == "ok") & search["val_score"].notna()]
        best = ok.sort_values(["val_score", "eval_id"], ascending=[False, True], kind="mergesort").head(1)
        counts = search["status"].value_counts()
        status_text = ", ".join(f"{s} {int(counts[s])}" for s in STATUSES if s in counts) or DASH
        strategies = ", ".join(_e(s) for s in dict.fromkeys(search["strategy"].dropna().tolist())) or DASH
        datasets = ", ".join(_e(s) for s in dict.fromkeys(group["dataset"].dropna().tolist())) or DASH
        rows.append([
            f"<code>{_e(run)}</code>", strategies, datasets, str(len(search)), status_text,
            f"<code>{_e(best['expression'].iloc[0])}</code>" if len(best) else DASH,
            _num(best["val_score"].iloc[0]) if len(best) else DASH,
            str(int((group["stage"] == "final").sum())),
        ])
    return ("<h2 id=\"summary\">Summary</h2>\n"
            + _table(["run", "strategy", "dataset", "search rows", "statuses", "best in search",
                      "val score", "final rows"], rows, ["", "", "", "num", "", "", "num", "num"]))


def _section_leaderboard(table, top: int) -> str:
    parts = ["<h2 id=\"leaderboard\">Leaderboard</h2>\n"]
    runs = _runs(table)
    any_search_figures = False
    for run, rows in runs:
        board = _leaderboard(rows, top)
        if len(runs) > 1:
            parts.append(f"<h3>run <code>{_e(run)}</code></h3>\n")
        if board.empty:
            parts.append("<p class=\"note\">No scored evaluation in this run.</p>\n")
            continue
        if not (rows["stage"] == "final").any():
            parts.append("<p class=\"note\">No final stage in this run: search-stage figures (fewer seeds), "
                         "no comparison with the baselines.</p>\n")
        body = []
        for _, r in board.iterrows():
            baseline = r["source"] == "baseline"
            any_search_figures |= r["stage"] == "search"
            code = '<code class="baseline">' if baseline else "<code>"
            params = params_text(r["params"], r.get("learned"))
            body.append([str(int(r["rank"])), f"{code}{_e(r['expression'])}</code>", _e(params), _e(r["source"]),
                         _e(r["stage"]), _e(r["status"]), _pm(r["val_score"], r["val_score_std"]),
                         _pm(r["test_score"], r["test_score_std"]), _num(r["vs_best"], signed=True),
                         _p(r["p_vs_best_holm"]), DASH if missing(r["verdict"]) else _e(r["verdict"]),
                         _num(r["diff_vs_relu"], signed=True), _e(r["complexity"]), _e(r["seeds"])])
        parts.append(_table(["#", "expression", "params", "source", "stage", "status", "val score", "test score",
                             "vs best baseline", "p (Holm)", "verdict", "vs relu", "complexity", "seeds"], body,
                            ["num", "", "", "", "", "", "num", "num", "num", "num", "", "num", "num", "num"]))
    parts.append(f"<p class=\"note\">As <code>actsearch analyze</code> lists them: the top {top} candidates "
                 "(chosen by their best search-stage validation score, one per function) and every baseline. "
                 "Final-stage figures come first (the same protocol and seeds for every activation), ranked by "
                 "validation score"
                 + ("; then candidates with search-stage figures only (fewer seeds)" if any_search_figures else "")
                 + ". Validation scores choose; test scores are never used for selection. <em>vs best baseline</em> "
                   "is the mean paired difference in test score from the baseline with the best validation "
                   "score, <em>p (Holm)</em> its paired t-test, Holm-corrected over the finalists, and "
                   "<em>vs relu</em> the same difference from relu (final stage only).</p>\n")
    return "".join(parts)


def _section_comparison(table) -> str:
    comp = comparison(table)
    head = "<h2 id=\"comparison\">Statistical comparison with the best baseline</h2>\n"
    if comp.empty:
        return head + "<p class=\"note\">No final stage: nothing to compare.</p>\n"
    several = comp["run_id"].nunique() > 1
    body = []
    for _, r in comp.iterrows():
        ci = DASH if missing(r["ci_low"]) else f"[{_num(r['ci_low'], signed=True)}, " \
                                                      f"{_num(r['ci_high'], signed=True)}]"
        verdict = _e(r["verdict"])
        css = "better" if str(r["verdict"]).startswith("better") else \
            "worse" if str(r["verdict"]).startswith("worse") else "plain"
        n = DASH if r["verdict"] == "best baseline" else str(int(r["n"]))
        row = [f"<code>{_e(r['expression'])}</code>", _e(r["strategy"]), n,
               _num(r["diff"], signed=True), ci, _p(r["p"]), _p(r["p_holm"]),
               f'<span class="{css}">{verdict}</span>']
        body.append(([f"<code>{_e(r['run_id'])}</code>"] if several else []) + row)
    headers = (["run"] if several else []) + ["expression", "source", "paired seeds", "vs best (test)",
                                              "95% CI", "p", "p (Holm)", f"verdict (alpha {ALPHA:g})"]
    classes = ([""] if several else []) + ["", "", "num", "num", "num", "num", "num", ""]
    return (head + _table(headers, body, classes)
            + "<p class=\"note\">The best baseline is the baseline with the highest final-stage validation "
              "score. Every other activation is paired with it over the final stage's fresh seeds (the same "
              "seeds, splits and protocol); the finalists' p-values are Holm-corrected as one family, and a "
              "verdict needs the corrected p below alpha. With few seeds, \u201cno evidence\u201d is not "
              "evidence of no difference.</p>\n")


def _png_uri(draw) -> str:
    buf = io.BytesIO()
    draw(buf)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _section_figures(table, top: int) -> str:
    head = "<h2 id=\"figures\">Figures</h2>\n"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return head + "<p class=\"note\">Figures left out: matplotlib is not installed " \
                      "(pip install matplotlib).</p>\n"
    from . import plots

    best = plots.top_expressions(table, top)
    figures = [
        ("activations", (f"The best {len(best)} activation{'' if len(best) == 1 else 's'} found (as in the "
                         "leaderboard) and their derivatives on [-5, 5], with relu and swish in grey for reference."),
         lambda buf: plots.plot_activations(best, buf)),
        ("progress", "Best validation score so far against search evaluations.",
         lambda buf: plots.plot_progress(table, buf)),
        ("scores", "Distribution of the validation scores of the search's ok evaluations.",
         lambda buf: plots.plot_scores(table, buf)),
        ("complexity", ("Validation score against complexity (search stage); the black line is the Pareto "
                        "front (no simpler candidate scores higher)."),
         lambda buf: plots.plot_complexity(table, buf)),
    ]
    parts = [head]
    for name, caption, draw in figures:
        uri = _png_uri(draw)
        parts.append(f'<figure><img src="{uri}" alt="{html.escape(name)}">'
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>\n")
    return "".join(parts)


def _section_failures(table) -> str:
    from ..results import STATUSES

    head = "<h2 id=\"failures\">Failures by status</h2>\n"
    counts = []
    for run, rows in _runs(table):
        vc = rows["status"].value_counts()
        counts.append([f"<code>{_e(run)}</code>"] + [str(int(vc.get(s, 0))) for s in STATUSES] + [str(len(rows))])
    parts = [head, _table(["run", *STATUSES, "rows"], counts, [""] + ["num"] * (len(STATUSES) + 1))]
    fails = failures_by_run(table)
    if fails.empty:
        parts.append("<p class=\"note\">Every evaluation trained to a score.</p>\n")
        return "".join(parts)
    several = fails["run_id"].nunique() > 1
    body = []
    for _, r in fails.iterrows():
        body.append(([f"<code>{_e(r['run_id'])}</code>"] if several else [])
                    + [_e(r["status"]), _e(r["reason"]), str(int(r["count"])),
                       f"<code>{_e(r['example'])}</code>", f'<span class="reason">{_e(r["example_reason"])}</span>'])
    headers = (["run"] if several else []) + ["status", "reason", "count", "example", "its reason in full"]
    classes = ([""] if several else []) + ["", "", "num", "", ""]
    parts.append(_table(headers, body, classes))
    return "".join(parts)


def _section_config(sources: list[_Source]) -> str:
    parts = ["<h2 id=\"configuration\">Configuration</h2>\n"]
    for s in sources:
        parts.append(f"<h3><code>{_e(s.label)}</code></h3>\n")
        if s.config is None:
            parts.append("<p class=\"note\">No config.yaml beside this table.</p>\n")
        else:
            parts.append(f"<p class=\"note\">{_e(s.config_path)}</p>\n<pre>{_e(s.config)}</pre>\n")
    return "".join(parts)


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1150px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } tbody tr:nth-child(even) { background: #fafafa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.95em; }
code.baseline { color: #666; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .note { color: #555; font-size: 0.9em; }
.better { color: #1a7f37; font-weight: 600; } .worse { color: #b42318; font-weight: 600; }
.reason { color: #555; font-size: 0.9em; }
nav a { margin-right: 1em; }
"""


def _section_transfer(sources: list[_Source], table, top: int) -> str:
    """"Does it transfer?": each ``transfer-<model>.csv`` beside the inputs, with its verdicts (empty if none)."""
    from .transfer_check import agreement_text, transfer_checks

    paths = [s.label for s in sources if s.config_path is not None or os.path.exists(s.label)]
    checks = transfer_checks(paths, table, top=top)
    if not checks:
        return ""
    parts = ['<h2 id="transfer">Does it transfer?</h2>\n',
             "<p class=\"note\">The finalists and the baselines trained again in a PyTorch model "
             "(<code>actsearch transfer</code>) on paired seeds, each against the best baseline there "
             "(Holm-corrected).</p>\n"]
    for check in checks:
        rows = [[_e(r["expression"]), _e(r["source"]), _pm(r["val_score"], r["val_score_std"]),
                 _pm(r["test_score"], r["test_score_std"]), _num(r["vs_best"], signed=True),
                 _p(r["p_vs_best_holm"]), _e("" if missing(r["verdict"]) else r["verdict"])]
                for r in check["leaderboard"].to_dict("records")]
        parts.append(f"<h3>{_e(check['model'])}</h3>\n<p>{_e(agreement_text(check['agreement']))} "
                     f"(<code>{_e(check['path'])}</code>)</p>\n")
        parts.append(_table(["expression", "source", "val", "test", "vs best", "p (Holm)", "verdict"], rows))
    return "".join(parts)


def render_report(tables_or_paths, *, top: int = 5, title: str | None = None) -> str:
    """The report's HTML as a string; see :func:`write_report`."""
    from .. import __version__

    sources = _sources(tables_or_paths)
    table = _combined(sources)
    title = title or "actsearch report"
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    source_list = "".join(f"<li><code>{_e(s.label)}</code> ({len(s.table)} rows)</li>" for s in sources)
    transfer = _section_transfer(sources, table, top)
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("summary", "Summary"), ("leaderboard", "Leaderboard"), ("comparison", "Comparison with relu"),
        ("figures", "Figures"), ("failures", "Failures"), *([("transfer", "Does it transfer?")] if transfer else []),
        ("configuration", "Configuration")))
    body = [
        f"<h1>{html.escape(title)}</h1>\n",
        (f"<p class=\"note\">Generated {html.escape(generated)} by actsearch {html.escape(__version__)} "
         f"from:</p>\n<ul>{source_list}</ul>\n<nav>{nav}</nav>\n"),
        _section_summary(table),
        _section_leaderboard(table, top),
        _section_comparison(table),
        _section_figures(table, top),
        _section_failures(table),
        transfer,
        _section_config(sources),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "".join(body) + "</body>\n</html>\n")


def write_report(tables_or_paths, out_html, *, top: int = 5, title: str | None = None) -> str:
    """Write a self-contained HTML report of one or more results tables; the path written.

    ``tables_or_paths`` is a DataFrame (the schema of :mod:`actsearch.results`),
    a path to an ``evaluations.csv`` or its folder, or a list of them.  A path's
    ``config.yaml`` (beside the CSV) is shown in the report.
    """
    text = render_report(tables_or_paths, top=top, title=title)

    def write(name: str) -> None:
        with open(name, "w", encoding="utf-8") as fh:
            fh.write(text)

    return write_into_folder(os.fspath(out_html), write, ReportError)
