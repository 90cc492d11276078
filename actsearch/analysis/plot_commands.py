"""The ``actsearch plot`` and ``actsearch report`` subcommands.

``actsearch plot CSV [CSV ...] --out DIR [--top K]`` writes four PNG figures of
the results into DIR (activations.png, progress.png, scores.png,
complexity.png) and prints their paths; ``actsearch plot --expr EXPR --out
f.png`` draws one function and its derivative.  ``actsearch report CSV [CSV
...] --out report.html`` writes one self-contained HTML report.

Bad input (a missing CSV, an expression that does not parse, an output that
cannot be written) raises an :class:`~actsearch.errors.ActsearchError`, which
the CLI prints as one line before exiting with code 2.  matplotlib is imported
only when a command runs.
"""

from __future__ import annotations

from ..cli import param_value, positive_int
from ..errors import ActsearchError

__all__ = ["add_subparsers", "cmd_plot", "cmd_report"]


class CommandError(ActsearchError):
    """Arguments of ``plot`` or ``report`` that do not fit together."""


def cmd_plot(args) -> int:
    from .plots import plot_function, plot_table

    if args.expr is not None and args.csv:
        raise CommandError("plot: give results CSV files or --expr EXPR, not both")
    if args.expr is not None:
        from ..expression import parse

        expr = parse(args.expr, params=dict(args.param or []))
        print(plot_function(expr, args.out))
        return 0
    if not args.csv:
        raise CommandError("plot: give one or more results CSV files (or --expr EXPR to draw one function)")
    if args.param:
        raise CommandError("plot: --param goes with --expr")
    from ..results import load_results

    table = load_results(*args.csv)
    for path in plot_table(table, args.out, top=args.top):
        print(path)
    return 0


def cmd_report(args) -> int:
    from .report import write_report

    print(write_report(list(args.csv), args.out, top=args.top, title=args.title))
    return 0


def add_subparsers(sub) -> None:
    """Register ``plot`` and ``report`` on the CLI's subparsers."""
    pl = sub.add_parser(
        "plot", help="draw figures of search results, or one activation",
        description="Draw the figures of one or more results tables into a folder: the top activations and "
                    "their derivatives, search progress, the distribution of validation scores, and score "
                    "against complexity with the Pareto front. With --expr, draw one function and its "
                    "derivative instead.")
    pl.add_argument("csv", nargs="*", metavar="CSV",
                    help="results file (OUT/evaluations.csv) or its folder; several are drawn together")
    pl.add_argument("--out", required=True, metavar="DIR|FILE.png",
                    help="folder for the figures (created if needed); with --expr, the image file")
    pl.add_argument("--top", type=positive_int, default=5, metavar="K",
                    help="activations drawn in activations.png (default: 5)")
    pl.add_argument("--expr", metavar="EXPR",
                    help="draw this function and its derivative (an expression starting with '-' goes as "
                         "--expr=-x*tanh(x))")
    pl.add_argument("--param", action="append", type=param_value, metavar="NAME=VALUE",
                    help="with --expr: value of a named parameter, e.g. --param beta=1.5 (repeatable)")
    pl.set_defaults(run=cmd_plot)

    rp = sub.add_parser(
        "report", help="write a one-file HTML report of search results",
        description="Write one self-contained HTML file (figures embedded, nothing fetched from the network): "
                    "summary, leaderboard, paired comparison with relu, figures, failures by status, and "
                    "each run's config.yaml.")
    rp.add_argument("csv", nargs="+", metavar="CSV", help="results file (OUT/evaluations.csv) or its folder")
    rp.add_argument("--out", default="report.html", metavar="FILE.html",
                    help="the HTML file to write (default: report.html)")
    rp.add_argument("--top", type=positive_int, default=5, metavar="K",
                    help="activations drawn in the report's figure (default: 5)")
    rp.add_argument("--title", help="title of the report (default: actsearch report)")
    rp.set_defaults(run=cmd_report)
