"""``actsearch compare EXPR ...``: compare activations with the baselines under the final-stage protocol."""

from __future__ import annotations

import json
import sys

from .arguments import (add_data_options, add_training_options, expression_list, load_data, non_negative_int,
                        positive_int, training_config)
from .output import print_leaderboard


def add_parser(sub) -> None:
    """Register ``compare`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    from ..config import DEFAULT_PROTOCOL, SearchConfig

    dflt = SearchConfig()
    co = sub.add_parser("compare", help="compare activations with the baselines under the final-stage protocol",
                        description="Train each EXPR and the baselines on the same fresh seeds (from 1000, each "
                                    "with its own train/validation partition) under the search's protocol, and "
                                    "compare each EXPR with the best baseline (highest validation mean) on paired "
                                    "test scores: t-test, Wilcoxon, 95% interval, Holm-corrected p and a verdict.")
    co.add_argument("exprs", nargs="+", metavar="EXPR", help="activations, e.g. 'x * tanh(softplus(x))', mish, apl, or "
                    "'relu(x) | tanh(x)' (one activation per hidden layer)")
    add_data_options(co)
    co.set_defaults(dataset=dflt.dataset)
    add_training_options(co, DEFAULT_PROTOCOL, seeds=10, seeds_help="fresh seeds per function, at least 2")
    co.add_argument("--baselines", type=expression_list, default=dflt.baselines, metavar="relu,gelu,...",
                    help="baselines, names or expressions, comma-separated (default: "
                         + ",".join(b.removesuffix("(x)") for b in dflt.baselines) + ")")
    co.add_argument("--seed-start", type=non_negative_int, default=dflt.final_seed_start, metavar="N",
                    help="first seed (default: %(default)s, the final stage's; another, say 2000, confirms a "
                         "search's finalists on seeds its final stage never saw)")
    co.add_argument("--workers", type=positive_int, default=1, help="worker processes (default: %(default)s)")
    co.add_argument("--format", choices=("table", "json", "csv"), default="table",
                    help="table (default); json: a list of row objects; csv: every column")
    co.set_defaults(run=run)


def run(args) -> int:
    """Compare ``args.exprs`` with the baselines and print the leaderboard as a table, JSON or CSV; the exit code."""
    from ..finals import compare

    board = compare(args.exprs, load_data(args), seeds=args.seeds, seed_start=args.seed_start,
                    baselines=args.baselines, train=training_config(args), split_seed=args.split_seed,
                    workers=args.workers)
    if args.format == "json":
        from ..analysis.commands import records

        json.dump(records(board), sys.stdout, indent=2, allow_nan=False)
        print()
    elif args.format == "csv":
        board.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print(f"actsearch compare on {args.dataset}: {args.seeds} seeds from {args.seed_start}", file=sys.stdout)
        print_leaderboard(board, sys.stdout, title="compare")
    return 0
