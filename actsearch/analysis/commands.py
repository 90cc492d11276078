"""``actsearch analyze``: summarise one or more results tables.
"""

from __future__ import annotations

import math

from ..results import params_text


# --- JSON ---------------------------------------------------------------------------

def _plain(value):
    """A JSON value: NaN, infinities and missing values become null, NumPy scalars Python ones."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)):
        return value
    try:
        import pandas as pd

        if value is pd.NA or pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def records(frame) -> list[dict]:
    """The rows of ``frame`` as JSON-ready dicts (NaN as None)."""
    return [_plain(dict(zip(frame.columns, row))) for row in frame.itertuples(index=False, name=None)]


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
        progress.append({**record, "best_so_far": _plain(best)})
    return {"runs": runs, "rows": n_rows, "leaderboard": records(sections["leaderboard"]),
            "pareto_front": records(sections["pareto_front"]), "progress": progress,
            "failures": records(sections["failures"]), "compare": records(sections["compare"])}


# --- text and markdown --------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value, digits: int = 4) -> str:
    if _missing(value):
        return ""
    return f"{value:.{digits}f}"


def _pm(mean, std) -> str:
    if _missing(mean):
        return ""
    return _num(mean) if _missing(std) else f"{_num(mean)} ± {_num(std)}"


def _rate(value) -> str:
    return "" if _missing(value) or math.isinf(value) else f"{value:,.0f}"


def _cut(text, width: int) -> str:
    text = "" if _missing(text) else str(text)
    return text if len(text) <= width else text[:width - 3] + "..."


def _grid(frame, spec) -> tuple[list[str], list[bool], list[list[str]]]:
    """Headers, right-alignment flags and cells of ``frame`` under ``spec`` [(header, cell(row), right)]."""
    rows = [[cell(row) for _, cell, _ in spec] for row in frame.to_dict("records")]
    return [h for h, _, _ in spec], [r for _, _, r in spec], rows


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


def render(sections: dict, runs: list[str], n_rows: int, *, markdown: bool = False) -> str:
    """The ``table`` and ``markdown`` outputs of ``actsearch analyze``."""
    several = len(runs) > 1
    run_col = [("run", lambda r: str(r["run_id"]), False)] if several else []
    blocks = []

    def block(title: str, note: str, frame, spec, code=(), empty="(none)"):
        headers, right, rows = _grid(frame, spec)
        lines = [f"## {title}" if markdown else title]
        if note:
            lines.append(f"\n{note}\n" if markdown else note)
        elif markdown:
            lines.append("")
        if not rows:
            lines.append(empty)
        elif markdown:
            lines += _markdown_table(headers, right, rows, {headers.index(c) for c in code})
        else:
            lines += _text_table(headers, right, rows)
        blocks.append("\n".join(lines))

    head = f"{n_rows} row{'' if n_rows == 1 else 's'} from {len(runs)} run{'' if len(runs) == 1 else 's'}" \
        f"{': ' + ', '.join(runs) if runs else ''}"
    blocks.append(f"# actsearch analyze\n\n{head}" if markdown else head)

    board = sections["leaderboard"]
    params_col = [("params", lambda r: params_text(r["params"], r.get("learned")), False)] \
        if len(board) and any(params_text(p) for p in board["params"]) else []
    block("leaderboard",
          "candidates by validation score (final-stage figures where a candidate has them) and the baselines; "
          "vs best: mean paired test-score difference from the baseline with the best final validation score, "
          "p_holm its paired t-test Holm-corrected over the finalists; vs relu: the same difference from relu",
          sections["leaderboard"],
          [("#", lambda r: str(r["rank"]), True), *run_col, ("expression", lambda r: _cut(r["expression"], 40), False),
           *params_col, ("source", lambda r: str(r["source"]), False), ("stage", lambda r: str(r["stage"]), False),
           ("val", lambda r: _pm(r["val_score"], r["val_score_std"]), True),
           ("test", lambda r: _pm(r["test_score"], r["test_score_std"]), True),
           ("vs best", lambda r: "" if _missing(r["vs_best"]) else f"{r['vs_best']:+.4f}", True),
           ("p_holm", lambda r: _num(r["p_vs_best_holm"], 3), True),
           ("verdict", lambda r: "" if _missing(r["verdict"]) else str(r["verdict"]), False),
           ("vs relu", lambda r: "" if _missing(r["diff_vs_relu"]) else f"{r['diff_vs_relu']:+.4f}", True),
           ("complexity", lambda r: str(r["complexity"]), True),
           ("evals", lambda r: str(r["evaluations"]), True), ("seeds", lambda r: str(r["seeds"]), True)],
          code=("expression",), empty="(no scored rows)")

    block("Pareto front",
          "complexity against best validation score (search stage): each row beats every simpler one; "
          "evaluation counts from 1, as in progress and best so far",
          sections["pareto_front"],
          [("complexity", lambda r: str(r["complexity"]), True),
           ("expression", lambda r: _cut(r["expression"], 40), False),
           ("val", lambda r: _num(r["val_score"]), True), ("test", lambda r: _num(r["test_score"]), True),
           *run_col, ("evaluation", lambda r: str(r["evaluation"]), True)],
          code=("expression",), empty="(no scored search rows)")

    block("progress",
          "per run (search stage): evals/h wall from the rows' timestamps (to the second; empty under a second); "
          "evals/h train: evaluations per hour of training alone (train_seconds summed over the rows, so with "
          "several workers it is below evals/h wall)",
          sections["progress_summary"],
          [("run", lambda r: str(r["run_id"]), False), ("strategy", lambda r: str(r["strategy"] or ""), False),
           ("evals", lambda r: str(r["evaluations"]), True), ("best val", lambda r: _num(r["best_val_score"]), True),
           ("at eval", lambda r: "" if r["best_at"] is None else str(r["best_at"]), True),
           ("best expression", lambda r: _cut(r["best_expression"], 40), False),
           ("evals/h wall", lambda r: _rate(r["evals_per_hour_wall"]), True),
           ("evals/h train", lambda r: _rate(r["evals_per_hour_train"]), True)],
          code=("best expression",), empty="(no search rows)")

    curve = sections["progress"]
    steps = curve[curve["val_score"].notna() & (curve["val_score"] == curve["best_so_far"])]
    steps = steps[steps["best_so_far"] > steps.groupby("run_id")["best_so_far"].shift(1).fillna(-math.inf)]
    block("best so far",
          "the evaluations where a run's best validation score improved",
          steps,
          [("run", lambda r: str(r["run_id"]), False), ("evaluation", lambda r: str(r["evaluation"]), True),
           ("best val", lambda r: _num(r["best_so_far"]), True),
           ("expression", lambda r: _cut(r["expression"], 40), False)],
          code=("expression",), empty="(no scored search rows)")

    block("rows by status and reason", "", sections["failures"],
          [("status", lambda r: str(r["status"]), False), ("reason", lambda r: _cut(r["reason"], 40), False),
           ("count", lambda r: str(r["count"]), True), ("share", lambda r: f"{100 * r['share']:.1f}%", True),
           ("example", lambda r: _cut(r["example"], 60), False)],
          empty="(no rows)")

    if several:
        target = sections["compare"]["target"]
        target = target.iloc[0] if len(target) else math.nan
        block("comparison of runs",
              f"evaluations each run needed to reach a validation score of {_num(target)} (search stage)",
              sections["compare"],
              [("run", lambda r: str(r["run_id"]), False), ("strategy", lambda r: str(r["strategy"] or ""), False),
               ("dataset", lambda r: str(r["dataset"] or ""), False), ("evals", lambda r: str(r["evaluations"]), True),
               ("best val", lambda r: _num(r["best_val_score"]), True),
               ("best expression", lambda r: _cut(r["best_expression"], 40), False),
               ("evals to target", lambda r: "never" if r["evals_to_target"] is None else str(r["evals_to_target"]),
                True)],
              code=("best expression",))
    return "\n\n".join(blocks) + "\n"
