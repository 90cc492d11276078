"""``actsearch evaluate EXPR``: train networks with one activation and report the scores."""

from __future__ import annotations

import json
import sys

from ..results import json_safe
from .arguments import add_data_options, add_training_options, load_data, param_value, training_config
from .output import print_evaluation_table


def add_parser(sub) -> None:
    """Register ``evaluate`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    from dataclasses import replace

    from ..networks import TrainConfig

    ev = sub.add_parser("evaluate", help="train networks with one activation and report the scores",
                        description="Train a network with activation EXPR once per seed and report the scores.")
    ev.add_argument("expr", metavar="EXPR", help="the activation, e.g. 'x * sigmoid(x)' or 'max(x, sin(x))'; "
                    "'relu(x) | tanh(x)' gives each hidden layer its own (one part per --hidden size)")
    add_data_options(ev)
    add_training_options(ev, replace(TrainConfig(), resample=True))
    ev.add_argument("--param", action="append", type=param_value, metavar="NAME=VALUE",
                    help="value of a named parameter, e.g. --param beta=1.5 (repeatable)")
    ev.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    ev.set_defaults(run=run)


def run(args) -> int:
    """Evaluate ``args.expr`` and print the result as a table, JSON or CSV; the exit code."""
    from ..evaluation import evaluate

    df = evaluate(args.expr, dataset=load_data(args), seeds=args.seeds, params=dict(args.param or []),
                  config=training_config(args))
    summary = json_safe(df.attrs["summary"])
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2)
        print()
    elif args.format == "csv":  # list and dict cells as JSON, as in the results table
        cells = {c: df[c].map(lambda v: json.dumps(json_safe(v)) if isinstance(v, (list, dict)) else v)
                 for c in ("grad_flow", "learned") if c in df.columns}
        df.assign(**cells).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print_evaluation_table(df, summary, sys.stdout)
    return 0
