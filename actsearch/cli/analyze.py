"""``actsearch analyze CSV ...``: summarise one or more results tables.

The sections come from :func:`actsearch.analysis.tables.analyze`, and their
text, markdown and JSON forms from :mod:`actsearch.analysis.commands`.
"""

from __future__ import annotations

import json
import sys
import warnings

from .arguments import finite_score, row_count

#: The ``--format`` choices: table and markdown are rendered, json is every section, csv the leaderboard.
FORMATS = ("table", "markdown", "json", "csv")


def add_parser(sub) -> None:
    """Register ``analyze`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    an = sub.add_parser(
        "analyze", help="summarise results tables: leaderboard, Pareto front, progress, failures",
        description="Summarise one or more results tables (OUT/evaluations.csv of actsearch search): the "
                    "leaderboard with the baselines and a paired t-test against relu, the Pareto front of "
                    "complexity against validation score, progress per run, failures by status and reason, and, "
                    "for several runs, a comparison of the evaluations each needed to reach a score.")
    an.add_argument("paths", nargs="+", metavar="CSV", help="an evaluations.csv file, or a run folder holding one")
    an.add_argument("--top", type=row_count, default=10,
                    help="candidates in the leaderboard, baselines not counted; 0 for the baselines only (default: 10)")
    an.add_argument("--target", type=finite_score,
                    help="validation score for the comparison of runs (default: the lowest of the runs' best)")
    an.add_argument("--format", choices=FORMATS, default="table",
                    help="table: aligned text (default); markdown: markdown tables; json: one object with the "
                         "sections runs, leaderboard, pareto_front, progress, failures and compare; csv: the "
                         "leaderboard only, every column, as CSV")
    an.set_defaults(run=run)


def run(args) -> int:
    """Load ``args.paths`` and print their analysis in ``args.format``; the exit code."""
    from ..analysis.commands import render, to_json
    from ..analysis.tables import analyze
    from ..analysis.transfer_check import transfer_checks
    from ..results import PartialLineWarning, load_results

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PartialLineWarning)
        table = load_results(*args.paths)
    for warning in caught:
        if issubclass(warning.category, PartialLineWarning):
            print(f"actsearch: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    sections = analyze(table, top=args.top, target=args.target)
    sections["transfer"] = transfer_checks(args.paths, table, top=args.top)  # tables of actsearch transfer
    runs = [str(r) for r in dict.fromkeys(table["run_id"].tolist())]
    if args.format == "csv":
        text = sections["leaderboard"].to_csv(index=False, lineterminator="\n")
    elif args.format == "json":
        text = json.dumps(to_json(sections, runs, len(table)), indent=2, allow_nan=False) + "\n"
    else:
        text = render(sections, runs, len(table), markdown=args.format == "markdown")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `actsearch analyze ... | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
