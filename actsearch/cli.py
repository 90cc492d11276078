"""The ``actsearch`` command line.

Bad input (an expression, a dataset, a setting) prints one line,
``actsearch: error: ...``, to stderr and exits with code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import ActsearchError
from .evaluation import _plain


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes such as 128,64, got {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE such as beta=1.5, got {text!r}") from None


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The dataset options shared by every command that trains."""
    parser.add_argument("--dataset", default="digits", metavar="NAME|PATH.csv",
                        help="built-in dataset name or a CSV file (default: digits)")
    parser.add_argument("--target", help="label column of a CSV dataset (default: the last column)")
    parser.add_argument("--task", choices=("classification", "regression"),
                        help="task of a CSV dataset (default: inferred from the target)")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the train/val/test split (default: 0)")


def add_training_options(parser: argparse.ArgumentParser, *, epochs: int = 50, seeds: int = 5) -> None:
    """The training options shared by every command that trains."""
    parser.add_argument("--hidden", type=_hidden, default=(128, 64), metavar="128,64",
                        help="hidden layer sizes (default: 128,64)")
    parser.add_argument("--epochs", type=_positive_int, default=epochs, help=f"training epochs (default: {epochs})")
    parser.add_argument("--batch-size", type=_positive_int, default=32, help="minibatch size (default: 32)")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 0.001)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="optimiser (default: adam)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout rate after each hidden layer (default: 0)")
    parser.add_argument("--l2", type=float, default=0.0, help="weight decay on weights (default: 0)")
    parser.add_argument("--seeds", type=_positive_int, default=seeds,
                        help=f"training runs, seeds 0..N-1 (default: {seeds})")
    parser.add_argument("--no-early-stopping", dest="early_stopping", action="store_false",
                        help="train all epochs instead of stopping when validation loss stalls")
    parser.add_argument("--init", choices=("he", "xavier"),
                        help="weight initialisation (default: He for rectifier-like activations, else Xavier)")


def training_config(args):
    from .networks import TrainConfig

    return TrainConfig(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                       optimizer=args.optimizer, dropout=args.dropout, l2=args.l2,
                       early_stopping=args.early_stopping, init=args.init)


def _fmt(value, digits: int = 4) -> str:
    return "nan" if value is None or value != value else f"{value:.{digits}f}"


def _print_table(df, summary: dict, out) -> None:
    print(f"{summary['expression']} on {summary['dataset']} ({summary.get('task', '')})", file=out)
    print(f"{'seed':>4}  {'status':8}  {'val':>7}  {'test':>7}  {'epochs':>6}  {'seconds':>7}  reason", file=out)
    for row in summary["seeds"]:
        print(f"{row['seed']:>4}  {row['status']:8}  {_fmt(row['val_score']):>7}  {_fmt(row['test_score']):>7}  "
              f"{row['epochs'] or 0:>6}  {_fmt(row['train_seconds'], 3):>7}  {row['reason'] or ''}", file=out)
    print(f"test score: {_fmt(summary['test_score_mean'])} ± {_fmt(summary['test_score_std'])}   "
          f"val score: {_fmt(summary['val_score_mean'])} ± {_fmt(summary['val_score_std'])}   "
          f"({summary['n_ok']}/{summary['n_seeds']} seeds ok)", file=out)
    flow = df["grad_flow"].iloc[0] if "grad_flow" in df.columns else None
    if isinstance(flow, list) and flow:
        print("gradient flow at init, mean |f'(z)| per layer: " + ", ".join(f"{v:.3g}" for v in flow), file=out)


def cmd_evaluate(args) -> int:
    from .evaluation import evaluate

    df = evaluate(args.expr, dataset=args.dataset, target=args.target, task=args.task, split_seed=args.split_seed,
                  seeds=args.seeds, params=dict(args.param or []), config=training_config(args))
    summary = _plain(df.attrs["summary"])
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2)
        print()
    elif args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        _print_table(df, summary, sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="actsearch", description="Discover neural-network activation functions.")
    parser.add_argument("--version", action="version", version=f"actsearch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    ev = sub.add_parser("evaluate", help="train networks with one activation and report the scores",
                        description="Train a network with activation EXPR once per seed and report the scores.")
    ev.add_argument("expr", metavar="EXPR", help="the activation, e.g. 'x * sigmoid(x)' or 'max(x, sin(x))'")
    add_data_options(ev)
    add_training_options(ev)
    ev.add_argument("--param", action="append", type=_param, metavar="NAME=VALUE",
                    help="value of a named parameter, e.g. --param beta=1.5 (repeatable)")
    ev.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    ev.set_defaults(run=cmd_evaluate)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except ActsearchError as exc:
        print(f"actsearch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("actsearch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
