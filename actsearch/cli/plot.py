"""``actsearch plot``: figures of search results, or of one activation.

``actsearch plot CSV [CSV ...] --out DIR [--top K]`` writes four PNG figures of
the results into DIR (activations.png, progress.png, scores.png,
complexity.png) and prints their paths; ``actsearch plot --expr EXPR --out
f.png`` draws one function and its derivative.

Bad input (a missing CSV, an expression that does not parse, an output that
cannot be written) raises an :class:`~actsearch.errors.ActsearchError`, which
the CLI prints as one line before exiting with code 2.  matplotlib is imported
only when the command runs.
"""

from __future__ import annotations

from ..errors import ActsearchError
from .arguments import param_value, positive_int


class CommandError(ActsearchError):
    """Arguments of ``plot`` that do not fit together."""


def add_parser(sub) -> None:
    """Register ``plot`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
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
    pl.set_defaults(run=run)


def run(args) -> int:
    """Draw the figures and print each file's path; the exit code."""
    from ..analysis.plots import plot_function, plot_table

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
