"""Figures of a search: activations, progress, score distribution, score against complexity.

Every function draws on its own :class:`matplotlib.figure.Figure` with the Agg
canvas (no pyplot, no global state, no display needed), writes ``path`` and
returns it.  ``path`` may also be a binary file object (the report writes into
memory).  The format follows the file's extension when Agg supports it
(``.png``, ``.svg``, ``.pdf``), PNG otherwise.  matplotlib is imported inside
the functions, so ``import actsearch`` stays cheap.

>>> import os, tempfile
>>> path = plot_function("x * sigmoid(x)", os.path.join(tempfile.mkdtemp(), "swish.png"))
>>> open(path, "rb").read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import ActsearchError
from ..results import params_text
from .files import write_into_folder
from .formatting import missing

__all__ = ["REFERENCES", "PlotError", "plot_activations", "plot_complexity", "plot_function", "plot_progress",
           "plot_scores", "plot_table", "top_expressions"]

#: Drawn beside the discovered activations, dashed, for scale.
REFERENCES = ("relu(x)", "swish(x)")

#: Figure size in inches (width, height) and resolution: 800 x 450 pixels per panel row.
SIZE = (8.0, 4.5)
WIDE = (11.0, 4.5)
DPI = 100

#: Legend labels longer than this are cut with an ellipsis.
LABEL_CHARS = 42


class PlotError(ActsearchError):
    """A figure that cannot be drawn or written."""


# --- drawing helpers ----------------------------------------------------------------------

def _figure(size=SIZE, ncols: int = 1):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install matplotlib") from None
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _save(fig, path):
    """Write ``fig`` to ``path`` (a file name or a binary file object); errors are PlotError."""
    if hasattr(path, "write"):
        fig.savefig(path, format="png", dpi=DPI)
        return path
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    fmt = ext if ext in fig.canvas.get_supported_filetypes() else "png"
    return write_into_folder(path, lambda name: fig.savefig(name, format=fmt, dpi=DPI), PlotError)


def _label(text: str) -> str:
    """A legend label: short, and safe from mathtext (``$``) and legend hiding (leading ``_``)."""
    text = str(text)
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1] + "\u2026"
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _integer_axis(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _annotate(ax, title: str, xlabel: str, ylabel: str, *, counts: str, grid: str = "both") -> None:
    """Title and axis labels of a table's figure; ticks on whole numbers on the ``counts`` axis ("x" or "y")."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _integer_axis(ax.xaxis if counts == "x" else ax.yaxis)
    ax.grid(alpha=0.3, axis=grid)


def _no_data(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


def _robust_limits(arrays: Iterable[np.ndarray], cap: float) -> tuple[float, float] | None:
    """y limits that show every curve, cut at +-cap so one exploding curve cannot flatten the rest."""
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return None
    values = np.concatenate(finite)
    lo, hi = max(float(values.min()), -cap), min(float(values.max()), cap)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.06 * (hi - lo)
    return lo - pad, hi + pad


def _text(value) -> str:
    """A table cell as text; missing values are ''."""
    return "" if missing(value) else str(value)


# --- selecting rows -----------------------------------------------------------------------

def _ok_search_rows(table):
    """Search-stage rows with a validation score (status ok)."""
    rows = table[(table["stage"] == "search") & (table["status"] == "ok") & table["val_score"].notna()]
    return rows


def _as_expression(value, params=None):
    from ..expression import Expression, LayeredExpression, parse

    if isinstance(value, (Expression, LayeredExpression)):
        return value
    return parse(str(value), params=params)


def top_expressions(table, k: int = 5, *, include_baselines: bool = False) -> list:
    """The best ``k`` distinct activations of a results table, best first, as Expressions.

    The candidates of :func:`actsearch.analysis.tables.leaderboard` with
    ``top=k``, in its order (the same as ``actsearch analyze`` and the
    report), and its baselines too if ``include_baselines``; one per function;
    an expression that does not parse is skipped.
    """
    from ..errors import ExpressionError
    from ..results import row_params
    from .tables import leaderboard

    board = leaderboard(table, top=max(int(k), 0))
    if not include_baselines:
        board = board[board["source"] != "baseline"]
    board = board[board["val_score"].notna()]
    out, seen = [], set()
    for entry in board.itertuples():
        if len(out) >= k:
            break
        key = _text(entry.fingerprint) or _text(entry.expression)
        if key in seen:
            continue
        row = table[(table["run_id"].astype(object) == entry.run_id).to_numpy(dtype=bool)
                    & (table["eval_id"] == entry.eval_id).to_numpy(dtype=bool)]
        try:
            params = row_params(row.iloc[0]) if len(row) and _text(row.iloc[0]["params"]) else {}
            expr = _as_expression(entry.expression, params=params)
        except (ExpressionError, ValueError):
            continue
        seen.add(key)
        out.append(expr)
    return out


# --- the figures --------------------------------------------------------------------------

def _one_per_part(exprs) -> list:
    """``(label, expression)`` to draw: a per-layer candidate's parts each with its layers, else itself."""
    out = []
    for expr in exprs:
        if hasattr(expr, "parts"):
            out += [(f"{part} @ layer{'s' * (len(g) > 1)} {', '.join(map(str, g))}", part)
                    for part, g in zip(expr.parts, expr.groups)]
        else:
            out.append((str(expr), expr))
    return out


def _curves(exprs, x):
    out = []
    with np.errstate(all="ignore"):
        for label, expr in _one_per_part(exprs):
            y = np.asarray(expr(x), dtype=float) * np.ones_like(x)
            dy = np.asarray(expr.derivative(x), dtype=float) * np.ones_like(x)
            # the values too: two betas of one expression must not read as one in the legend
            values = params_text(expr.params)
            out.append((f"{label} [{values}]" if values else label, y, dy))
    return out


def _draw_pair(axes, x, curves, refs) -> None:
    ax_f, ax_d = axes
    for i, (name, y, dy) in enumerate(curves):
        ax_f.plot(x, y, color=f"C{i % 10}", lw=2, label=_label(name))
        ax_d.plot(x, dy, color=f"C{i % 10}", lw=2, label=_label(name))
    for (name, y, dy), style in zip(refs, ("--", ":", "-.", (0, (5, 1, 1, 1)))):
        ax_f.plot(x, y, color="0.35", lw=1.3, ls=style, label=_label(f"{name} (reference)"))
        ax_d.plot(x, dy, color="0.35", lw=1.3, ls=style, label=_label(f"{name} (reference)"))
    everything = curves + refs
    for ax, idx, cap, title, ylabel in ((ax_f, 1, 10.0, "activation", "f(x)"),
                                        (ax_d, 2, 5.0, "derivative", "df/dx")):
        limits = _robust_limits([c[idx] for c in everything], cap)
        if limits:
            ax.set_ylim(*limits)
        ax.set_xlim(float(x[0]), float(x[-1]))
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.axvline(0, color="0.8", lw=0.8, zorder=0)
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)


def _x(x_range, n: int = 801):
    return np.linspace(x_range[0], x_range[1], n)


def plot_activations(expressions, path, *, k: int = 5, references: Sequence[str] = REFERENCES,
                     x_range: tuple[float, float] = (-5.0, 5.0)):
    """The activations and their derivatives over ``x_range`` (two panels), beside the references.

    ``expressions`` is a list of strings or Expressions, or a results table
    (its :func:`top_expressions`, ``k`` of them).
    """
    if hasattr(expressions, "columns"):
        expressions = top_expressions(expressions, k)
    exprs = [_as_expression(e) for e in expressions]
    x = _x(x_range)
    curves = _curves(exprs, x)
    refs = _curves([_as_expression(r) for r in references], x)
    fig, axes = _figure(WIDE, 2)
    _draw_pair(axes, x, curves, refs)
    if not exprs:
        _no_data(axes[0], "no activation to draw")
    axes[0].legend(fontsize=8, loc="upper left")
    n = len(exprs)
    fig.suptitle(f"top {n} activation{'s' if n != 1 else ''} and their derivatives" if n else "references")
    return _save(fig, path)


def plot_function(expr, path, *, x_range: tuple[float, float] = (-5.0, 5.0)):
    """One function and its derivative, side by side."""
    expr = _as_expression(expr)
    x = _x(x_range)
    fig, axes = _figure(WIDE, 2)
    _draw_pair(axes, x, _curves([expr], x), [])
    params = ", ".join(f"{k} = {v:g}" for k, v in expr.params.items())
    fig.suptitle(_label(str(expr)) + (f"  ({params})" if params else ""))
    return _save(fig, path)


def plot_progress(table, path, *, by: str = "auto"):
    """Best validation score so far against search evaluations, one line per run or strategy.

    The curves are :func:`actsearch.analysis.run_progress.progress` (ok and cached
    rows score; every search row counts as an evaluation).  ``by`` is
    ``run_id``, ``strategy`` (the median over its runs, the band from the worst
    to the best run) or ``auto`` (runs, or strategies past 8 runs).
    """
    from .run_progress import progress

    if by not in ("auto", "run_id", "strategy"):
        raise PlotError(f"plot_progress: by={by!r}, expected run_id, strategy or auto")
    curve = progress(table)
    fig, (ax,) = _figure()
    runs = list(dict.fromkeys(curve["run_id"].tolist()))
    strategy_of = {}
    search = table[table["stage"] == "search"]
    for run in runs:
        names = search[(search["run_id"].astype(object) == run).to_numpy(dtype=bool)]["strategy"].dropna()
        strategy_of[run] = str(names.mode().iloc[0]) if len(names) else "?"
    if by == "auto":
        by = "strategy" if len(runs) > 8 else "run_id"
    drawn = 0
    if by == "run_id":
        for i, run in enumerate(runs):
            rows = curve[curve["run_id"] == run]
            best = rows["best_so_far"].to_numpy(dtype=float)
            if np.isfinite(best).any():
                ax.plot(rows["evaluation"].to_numpy(), best, drawstyle="steps-post", lw=2, color=f"C{i % 10}",
                        label=_label(f"{run} ({strategy_of[run]})"))
                drawn += 1
    else:
        strategies = list(dict.fromkeys(strategy_of[r] for r in runs))
        for i, strategy in enumerate(strategies):
            members = [r for r in runs if strategy_of[r] == strategy]
            curves = [curve[curve["run_id"] == r]["best_so_far"].to_numpy(dtype=float) for r in members]
            length = max(len(c) for c in curves)
            stack = np.full((len(curves), length), np.nan)
            for j, c in enumerate(curves):
                stack[j, : len(c)] = c
            with _all_nan_warnings_ignored():
                mid, lo, hi = np.nanmedian(stack, 0), np.nanmin(stack, 0), np.nanmax(stack, 0)
            n = np.arange(1, length + 1)
            if np.isfinite(mid).any():
                ax.plot(n, mid, drawstyle="steps-post", lw=2, color=f"C{i % 10}",
                        label=_label(f"{strategy} (median of {len(curves)} run{'s' if len(curves) > 1 else ''})"))
                ax.fill_between(n, lo, hi, step="post", color=f"C{i % 10}", alpha=0.15)
                drawn += 1
    if drawn:
        ax.legend(fontsize=8, loc="lower right")
    else:
        _no_data(ax, "no scored search evaluations")
    _annotate(ax, "search progress: best validation score so far", "evaluations (search stage, every status)",
              "best validation score", counts="x")
    return _save(fig, path)


@contextlib.contextmanager
def _all_nan_warnings_ignored():
    """Ignore RuntimeWarnings inside the block: numpy's 'All-NaN slice' where no run has a score yet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def plot_scores(table, path, *, bins: int = 20):
    """Histogram of the validation scores of the search's ok rows, one per run when several."""
    ok = _ok_search_rows(table)
    fig, (ax,) = _figure()
    if len(ok):
        values = ok["val_score"].to_numpy(dtype=float)
        lo, hi = float(values.min()), float(values.max())
        edges = np.linspace(lo - 0.5, hi + 0.5, bins + 1) if hi - lo < 1e-12 else np.linspace(lo, hi, bins + 1)
        groups = list(ok.groupby(ok["run_id"].fillna("run"), sort=False))
        several = len(groups) > 1
        for i, (run, rows) in enumerate(groups):
            ax.hist(rows["val_score"].to_numpy(dtype=float), bins=edges, color=f"C{i % 10}",
                    alpha=0.55 if several else 0.85, edgecolor="white", linewidth=0.5,
                    label=_label(f"{run} ({len(rows)})"))
        ax.legend(fontsize=8, loc="upper left")
    else:
        _no_data(ax, "no ok search evaluations")
    _annotate(ax, "distribution of validation scores (search stage, status ok)", "validation score", "evaluations",
              counts="y", grid="y")
    return _save(fig, path)


def plot_complexity(table, path, *, annotate: int = 6):
    """Validation score against complexity (node count) of the search's ok rows, with the Pareto front.

    The front is :func:`actsearch.analysis.pareto.pareto_front`: for each
    complexity, the best candidate when it beats every simpler one; its
    ``annotate`` best points are labelled with their expressions.
    """
    from .pareto import pareto_front

    ok = _ok_search_rows(table)
    front = pareto_front(table)
    fig, (ax,) = _figure()
    if len(ok) or len(front):
        for i, (run, rows) in enumerate(ok.groupby(ok["run_id"].astype(object).fillna("run"), sort=False)):
            ax.scatter(rows["complexity"].to_numpy(dtype=float), rows["val_score"].to_numpy(dtype=float),
                       s=22, alpha=0.6, color=f"C{i % 10}", label=_label(str(run)))
        fx = front["complexity"].to_numpy(dtype=float)
        fy = front["val_score"].to_numpy(dtype=float)
        if len(front):
            # the front ends at its last point: nothing past it was found
            ax.plot(fx, fy, drawstyle="steps-post", color="black", lw=1.4, label="Pareto front")
            ax.scatter(fx, fy, s=60, facecolors="none", edgecolors="black", linewidths=1.4, zorder=3)
            for n, j in enumerate(sorted(np.argsort(-fy, kind="stable")[:annotate])):
                # neighbours on the front sit close: alternate above and below so labels do not overlap
                ax.annotate(_label(_text(front["expression"].iloc[j])), (fx[j], fy[j]),
                            xytext=(4, -12 if n % 2 == 0 else 7), textcoords="offset points", fontsize=7,
                            color="0.2")
        ax.legend(fontsize=8, loc="lower right")
    else:
        _no_data(ax, "no ok search evaluations")
    _annotate(ax, "validation score against complexity", "complexity (nodes in the expression)", "validation score",
              counts="x")
    return _save(fig, path)


#: The figures of a results table: file name -> function.
TABLE_PLOTS = {
    "activations.png": None,  # plot_activations, with top k
    "progress.png": plot_progress,
    "scores.png": plot_scores,
    "complexity.png": plot_complexity,
}


def plot_table(table, out_dir, *, top: int = 5) -> list[str]:
    """The four figures of a results table, written into ``out_dir``; their paths."""
    out_dir = os.fspath(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise PlotError(f"cannot create folder {out_dir}: {exc.strerror or exc}") from None
    paths = []
    for name, func in TABLE_PLOTS.items():
        path = os.path.join(out_dir, name)
        if func is None:
            paths.append(plot_activations(top_expressions(table, top), path))
        else:
            paths.append(func(table, path))
    return paths
