"""``actsearch transfer RUN --model M``: train a search's finalists and baselines again in a PyTorch model."""

from __future__ import annotations

import sys

from .arguments import add_model_options, expression_list, positive_int
from .output import print_leaderboard


def add_parser(sub) -> None:
    """Register ``transfer`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    tr = sub.add_parser(
        "transfer", help="check that a search's finalists help in a PyTorch model: verdicts and rank agreement",
        description="Train the finalists of the finished search RUN (or --expressions) and its baselines in a "
                    "PyTorch model, on the same fresh seeds for all (from the run's final-stage seeds), under the "
                    "run's training settings; write RUN/transfer-MODEL.csv; print each function against the best "
                    "baseline in the model (paired t-test, Holm-corrected) and Spearman's rank correlation between "
                    "the run's final-stage test scores and the model's.")
    tr.add_argument("run_folder", metavar="RUN",
                    help="a search's output folder (it holds config.yaml and evaluations.csv)")
    add_model_options(tr, default="resmlp")
    tr.add_argument("--expressions", type=expression_list, metavar="EXPR,EXPR,...",
                    help="transfer these instead of the run's finalists")
    tr.add_argument("--seeds", type=positive_int, default=10, help="seeds per function, at least 2 (default: 10)")
    tr.add_argument("--epochs", type=positive_int, help="training epochs (default: the run's)")
    tr.add_argument("--lr", type=float, help="learning rate (default: the run's)")
    tr.add_argument("--batch-size", type=positive_int, help="batch size (default: the run's)")
    tr.add_argument("--optimizer", choices=("adam", "sgd"), help="optimiser (default: the run's)")
    tr.add_argument("--weight-decay", type=float, help="weight decay (default: the run's l2)")
    tr.add_argument("--workers", type=positive_int, default=1, help="worker processes (default: %(default)s)")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.set_defaults(run=run)


def run(args) -> int:
    """Transfer, print the leaderboard and the agreement; the exit code."""
    from ..transfer import transfer

    options = {name: value for name, value in (("epochs", args.epochs), ("lr", args.lr),
                                               ("batch_size", args.batch_size), ("optimizer", args.optimizer),
                                               ("l2", args.weight_decay)) if value is not None}
    result = transfer(args.run_folder, args.model, expressions=args.expressions, seeds=args.seeds,
                      replace_modules=args.replace, device=args.device, workers=args.workers,
                      progress=not args.no_progress, **options)
    print(f"actsearch transfer: {args.run_folder} to {args.model}, {args.seeds} seeds each, written to {result.path}")
    print_leaderboard(result.leaderboard, sys.stdout, title=f"transfer to {args.model}")
    a = result.agreement
    text = "not enough functions scored in both" if a["n"] < 3 else f"Spearman rho = {a['rho']:+.3f} (p = {a['p']:.3g})"
    print(f"\nproxy against target (mean test scores of {a['n']} functions): {text}")
    return 0
