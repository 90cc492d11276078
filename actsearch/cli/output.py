"""What the commands print: an evaluation's seeds, a leaderboard, a Pareto front."""

from __future__ import annotations

from ..results import params_text


def _fmt(value, digits: int = 4) -> str:
    return "nan" if value is None or value != value else f"{value:.{digits}f}"


def learned_text(learned: dict) -> str:
    """Learned parameter values, one mean per layer, as a short line.

    >>> learned_text({"beta": [1.2345, 0.5]})
    'beta = 1.234, 0.5'
    """
    return "; ".join(f"{name} = " + ", ".join(f"{v:.4g}" for v in (values if isinstance(values, list) else [values]))
                     for name, values in learned.items())


def print_evaluation_table(df, summary: dict, out) -> None:
    """``evaluate``'s table: one line per seed, then the means and the gradient flow at init."""
    print(f"{summary['expression']} on {summary['dataset']} ({summary.get('task', '')})", file=out)
    print(f"{'seed':>4}  {'status':8}  {'val':>7}  {'test':>7}  {'epochs':>6}  {'seconds':>7}  reason", file=out)
    for row in summary["seeds"]:
        print(f"{row['seed']:>4}  {row['status']:8}  {_fmt(row['val_score']):>7}  {_fmt(row['test_score']):>7}  "
              f"{row['epochs'] or 0:>6}  {_fmt(row['train_seconds'], 3):>7}  {row['reason'] or ''}", file=out)
        if row.get("learned"):
            print(f"{'':>4}  learned (mean per layer): {learned_text(row['learned'])}", file=out)
    print(f"test score: {_fmt(summary['test_score_mean'])} ± {_fmt(summary['test_score_std'])}   "
          f"val score: {_fmt(summary['val_score_mean'])} ± {_fmt(summary['val_score_std'])}   "
          f"({summary['n_ok']}/{summary['n_seeds']} seeds ok)", file=out)
    flow = df["grad_flow"].iloc[0] if "grad_flow" in df.columns else None
    if isinstance(flow, list) and flow:
        print("gradient flow at init, mean |f'(z)| per layer: " + ", ".join(f"{v:.3g}" for v in flow), file=out)


def _label(row, width: int = 46) -> tuple[str, str]:
    """A leaderboard row's label, and its parameters on a line of their own when they do not fit beside it."""
    label = str(row["expression"])
    params = params_text(row.get("params"), row.get("learned"))
    also = row.get("also")
    also = f" = {also}" if isinstance(also, str) and also else ""
    if params and len(label) + len(params) + len(also) + 4 <= width:
        return f"{label}  [{params}]{also}", ""
    learned = " (learned: start -> mean per layer)" if params and row.get("learned") else ""
    return label + also, f"params: {params}{learned}" if params else ""


def print_leaderboard(board, out, title: str = "final stage") -> None:
    """The final-stage rows of a leaderboard with their verdicts, as ``search`` and ``compare`` print them."""
    board = board[board["stage"] == "final"] if board is not None and len(board) else board
    if board is None or board.empty:
        print("no final-stage rows", file=out)
        return
    best = next((b for b in board["best_baseline"] if isinstance(b, str)), None)
    print(f"\nleaderboard ({title}: one protocol and the same fresh seeds for all; each row against the best "
          f"baseline, {best}, by paired test scores, p Holm-corrected across the candidates)", file=out)
    print(f"{'#':>2}  {'expression':46s} {'source':10s} {'val':>15s} {'test':>15s} {'vs best [95% CI]':>26s} "
          f"{'p_holm':>7s}  {'verdict':24s} {'vs relu':>8s}", file=out)
    for i, (_, row) in enumerate(board.iterrows()):
        val = f"{_fmt(row['val_score'])} ± {_fmt(row['val_score_std'])}"
        test = f"{_fmt(row['test_score'])} ± {_fmt(row['test_score_std'])}"
        ci = row["vs_best_ci"] if isinstance(row["vs_best_ci"], list) else None
        vs = "" if row["vs_best"] != row["vs_best"] else f"{row['vs_best']:+.4f}" + \
            (f" [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else "")
        p = "" if row["p_vs_best_holm"] != row["p_vs_best_holm"] else f"{row['p_vs_best_holm']:.3f}"
        relu = "" if row["diff_vs_relu"] != row["diff_vs_relu"] else f"{row['diff_vs_relu']:+.4f}"
        label, params = _label(row)
        print(f"{i + 1:>2}  {label[:46]:46s} {str(row['source'])[:10]:10s} {val:>15s} {test:>15s} {vs:>26s} "
              f"{p:>7s}  {str(row['verdict']):24s} {relu:>8s}", file=out)
        if params:
            print(f"{'':>4}{params}", file=out)


def print_pareto_front(front: list[dict], objectives: list[str], out) -> None:
    """A multi-objective search's Pareto front (search stage), best validation score first."""
    second = objectives[1]
    print(f"\nPareto front ({' and '.join(objectives)}; no entry is beaten on both)", file=out)
    print(f"{'val_score':>9s}  {second:>10s}  expression", file=out)
    for entry in front:
        print(f"{entry['val_score']:9.4f}  {entry[second]:>10.4g}  {entry['expression']}", file=out)

