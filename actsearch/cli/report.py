"""``actsearch report CSV [CSV ...] --out report.html``: one self-contained HTML report of search results."""

from __future__ import annotations

from .arguments import positive_int


def add_parser(sub) -> None:
    """Register ``report`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
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
    rp.set_defaults(run=run)


def run(args) -> int:
    """Write the report and print its path; the exit code."""
    from ..analysis.report import write_report

    print(write_report(list(args.csv), args.out, top=args.top, title=args.title))
    return 0
