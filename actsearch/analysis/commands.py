"""``actsearch analyze``: summarise one or more results tables.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..results import json_safe, params_text
from .formatting import missing, number, plus_minus


# --- JSON ---------------------------------------------------------------------------

def records(frame) -> list[dict]:
    """The rows of ``frame`` as JSON-ready dicts (NaN as None)."""
    return [json_safe(dict(zip(frame.columns, row))) for row in frame.itertuples(index=False, name=None)]


def to_json(sections: dict, runs: list[str], n_rows: int) -> dict:
    """The ``--format json`` object: ``runs``, ``rows`` and one list of records per section.

    ``progress`` has one object per run (the columns of ``progress_summary``)
    with ``best_so_far``, the best validation score after each evaluation
    (null before the first score).
    """
    curve = sections["progress"]
    progress = []
    for record in records(sections["progress_summary"]):
        best = curve[curve["run_id"] == record["run_id"]]["best_so_far"].tolist()
        progress.append({**record, "best_so_far": json_safe(best)})
    return {"runs": runs, "rows": n_rows, "leaderboard": records(sections["leaderboard"]),
            "pareto_front": records(sections["pareto_front"]), "progress": progress,
            "failures": records(sections["failures"]), "compare": records(sections["compare"]),
            "transfer": [{"model": c["model"], "path": c["path"], "agreement": json_safe(c["agreement"]),
                          "leaderboard": records(c["leaderboard"])} for c in sections.get("transfer", ())]}


# --- text and markdown --------------------------------------------------------------

def _rate(value) -> str:
    return "" if missing(value) or math.isinf(value) else f"{value:,.0f}"


def _cut(text, width: int) -> str:
    text = "" if missing(text) else str(text)
    return text if len(text) <= width else text[:width - 3] + "..."


def _text_table(headers, right, rows) -> list[str]:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    return [line(headers)] + [line(r) for r in rows]


def _markdown_table(headers, right, rows, code: set[int]) -> list[str]:
    def cell(text, i):
        text = text.replace("|", "\\|")
        return f"`{text}`" if i in code and text else text

    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(" ---: " if r else " --- " for r in right) + "|"]
    out += ["| " + " | ".join(cell(c, i) for i, c in enumerate(r)) + " |" for r in rows]
    return out


class _Section(NamedTuple):
    """One printed table: ``columns`` are (header, cell(row) -> text, right-aligned); ``code`` the headers in code."""

    title: str
    note: str
    frame: Any
    columns: list
    code: tuple = ()
    empty: str = "(none)"


def _block(section: _Section, markdown: bool) -> str:
    """``section`` as aligned text or markdown: its title, its note and its table (or ``empty``)."""
    headers, right = [h for h, _, _ in section.columns], [r for _, _, r in section.columns]
    rows = [[cell(row) for _, cell, _ in section.columns] for row in section.frame.to_dict("records")]
    lines = [f"## {section.title}" if markdown else section.title]
    if section.note:
        lines.append(f"\n{section.note}\n" if markdown else section.note)
    elif markdown:
        lines.append("")
    if not rows:
        lines.append(section.empty)
    elif markdown:
        lines += _markdown_table(headers, right, rows, {headers.index(c) for c in section.code})
    else:
        lines += _text_table(headers, right, rows)
    return "\n".join(lines)


def _leaderboard_section(board, run_col: list) -> _Section:
    params_col = [("params", lambda r: params_text(r["params"], r.get("learned")), False)] \
        if len(board) and any(params_text(p) for p in board["params"]) else []
    return _Section(
        "leaderboard",
        "candidates by validation score (final-stage figures where a candidate has them) and the baselines; "
        "vs best: mean paired test-score difference from the baseline with the best final validation score, "
        "p_holm its paired t-test Holm-corrected over the finalists; vs relu: the same difference from relu",
        board,
        [("#", lambda r: str(r["rank"]), True), *run_col, ("expression", lambda r: _cut(r["expression"], 40), False),
         *params_col, ("source", lambda r: str(r["source"]), False), ("stage", lambda r: str(r["stage"]), False),
         ("val", lambda r: plus_minus(r["val_score"], r["val_score_std"]), True),
         ("test", lambda r: plus_minus(r["test_score"], r["test_score_std"]), True),
         ("vs best", lambda r: number(r["vs_best"], signed=True), True),
         ("p_holm", lambda r: number(r["p_vs_best_holm"], 3), True),
         ("verdict", lambda r: "" if missing(r["verdict"]) else str(r["verdict"]), False),
         ("vs relu", lambda r: number(r["diff_vs_relu"], signed=True), True),
         ("complexity", lambda r: str(r["complexity"]), True),
         ("evals", lambda r: str(r["evaluations"]), True), ("seeds", lambda r: str(r["seeds"]), True)],
        code=("expression",), empty="(no scored rows)")


def _pareto_section(front, run_col: list) -> _Section:
    return _Section(
        "Pareto front",
        "complexity against best validation score (search stage): each row beats every simpler one; "
        "evaluation counts from 1, as in progress and best so far",
        front,
        [("complexity", lambda r: str(r["complexity"]), True),
         ("expression", lambda r: _cut(r["expression"], 40), False),
         ("val", lambda r: number(r["val_score"]), True), ("test", lambda r: number(r["test_score"]), True),
         *run_col, ("evaluation", lambda r: str(r["evaluation"]), True)],
        code=("expression",), empty="(no scored search rows)")


def _progress_section(summary) -> _Section:
    return _Section(
        "progress",
        "per run (search stage): evals/h wall from the rows' timestamps (to the second; empty under a second); "
        "evals/h train: evaluations per hour of training alone (train_seconds summed over the rows, so with "
        "several workers it is below evals/h wall)",
        summary,
        [("run", lambda r: str(r["run_id"]), False), ("strategy", lambda r: str(r["strategy"] or ""), False),
         ("evals", lambda r: str(r["evaluations"]), True), ("best val", lambda r: number(r["best_val_score"]), True),
         ("at eval", lambda r: "" if r["best_at"] is None else str(r["best_at"]), True),
         ("best expression", lambda r: _cut(r["best_expression"], 40), False),
         ("evals/h wall", lambda r: _rate(r["evals_per_hour_wall"]), True),
         ("evals/h train", lambda r: _rate(r["evals_per_hour_train"]), True)],
        code=("best expression",), empty="(no search rows)")


def _improvements_section(curve) -> _Section:
    steps = curve[curve["val_score"].notna() & (curve["val_score"] == curve["best_so_far"])]
    steps = steps[steps["best_so_far"] > steps.groupby("run_id")["best_so_far"].shift(1).fillna(-math.inf)]
    return _Section(
        "best so far",
        "the evaluations where a run's best validation score improved",
        steps,
        [("run", lambda r: str(r["run_id"]), False), ("evaluation", lambda r: str(r["evaluation"]), True),
         ("best val", lambda r: number(r["best_so_far"]), True),
         ("expression", lambda r: _cut(r["expression"], 40), False)],
        code=("expression",), empty="(no scored search rows)")


def _failures_section(counts) -> _Section:
    return _Section(
        "rows by status and reason", "", counts,
        [("status", lambda r: str(r["status"]), False), ("reason", lambda r: _cut(r["reason"], 40), False),
         ("count", lambda r: str(r["count"]), True), ("share", lambda r: f"{100 * r['share']:.1f}%", True),
         ("example", lambda r: _cut(r["example"], 60), False)],
        empty="(no rows)")


def _comparison_section(compared) -> _Section:
    target = compared["target"].iloc[0] if len(compared) else math.nan
    return _Section(
        "comparison of runs",
        f"evaluations each run needed to reach a validation score of {number(target)} (search stage)",
        compared,
        [("run", lambda r: str(r["run_id"]), False), ("strategy", lambda r: str(r["strategy"] or ""), False),
         ("dataset", lambda r: str(r["dataset"] or ""), False), ("evals", lambda r: str(r["evaluations"]), True),
         ("best val", lambda r: number(r["best_val_score"]), True),
         ("best expression", lambda r: _cut(r["best_expression"], 40), False),
         ("evals to target", lambda r: "never" if r["evals_to_target"] is None else str(r["evals_to_target"]),
          True)],
        code=("best expression",))


def _transfer_section(check: dict) -> _Section:
    from .transfer_check import agreement_text

    board = check["leaderboard"]
    return _Section(
        f"Does it transfer? {check['model']}",
        f"the finalists and baselines trained again in {check['model']} on paired seeds ({check['path']}); "
        f"vs best and p_holm against the best baseline there; {agreement_text(check['agreement'])}",
        board,
        [("#", lambda r: str(r["rank"]), True), ("expression", lambda r: _cut(r["expression"], 40), False),
         ("source", lambda r: str(r["source"]), False),
         ("val", lambda r: plus_minus(r["val_score"], r["val_score_std"]), True),
         ("test", lambda r: plus_minus(r["test_score"], r["test_score_std"]), True),
         ("vs best", lambda r: number(r["vs_best"], signed=True), True),
         ("p_holm", lambda r: number(r["p_vs_best_holm"], 3), True),
         ("verdict", lambda r: "" if missing(r["verdict"]) else str(r["verdict"]), False)],
        code=("expression",), empty="(no scored rows)")


def render(sections: dict, runs: list[str], n_rows: int, *, markdown: bool = False) -> str:
    """The ``table`` and ``markdown`` outputs of ``actsearch analyze``: a heading, then one table per section.

    ``sections`` is :func:`actsearch.analysis.tables.analyze`'s dict; the
    comparison of runs is shown only for several ``runs``, and with several a
    run column is added to the leaderboard and the Pareto front.
    """
    several = len(runs) > 1
    run_col = [("run", lambda r: str(r["run_id"]), False)] if several else []
    shown = [_leaderboard_section(sections["leaderboard"], run_col),
             _pareto_section(sections["pareto_front"], run_col),
             _progress_section(sections["progress_summary"]),
             _improvements_section(sections["progress"]),
             _failures_section(sections["failures"])]
    if several:
        shown.append(_comparison_section(sections["compare"]))
    shown += [_transfer_section(check) for check in sections.get("transfer", ())]
    head = f"{n_rows} row{'' if n_rows == 1 else 's'} from {len(runs)} run{'' if len(runs) == 1 else 's'}" \
        f"{': ' + ', '.join(runs) if runs else ''}"
    blocks = [f"# actsearch analyze\n\n{head}" if markdown else head]
    return "\n\n".join(blocks + [_block(section, markdown) for section in shown]) + "\n"
