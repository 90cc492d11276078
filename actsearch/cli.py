"""The ``actsearch`` command line.

Bad input (an expression, a dataset, a setting) prints one line,
``actsearch: error: ...``, to stderr and exits with code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from . import __version__
from .errors import ActsearchError
from .evaluation import _plain
from .results import params_text
from .strategies.base import STRATEGIES
from .strategies.evolution import DEFAULT_POPULATION as EVOLUTION_POPULATION
from .strategies.optuna_search import PRUNERS, SAMPLERS


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (``actsearch: error: ...``, exit 2) without the usage block.

    Subcommands' parsers are of the same class (``add_subparsers`` takes the parent's), so every
    command's argument errors read like the errors the commands raise; ``--help`` shows the usage.
    """

    def error(self, message: str):
        command = self.prog.removeprefix("actsearch").strip()
        self.exit(2, f"actsearch: error: {command + ': ' if command else ''}{message} (see --help)\n")


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes such as 128,64, got {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _names(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated activations; a comma inside parentheses belongs to the expression."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    if any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected names or expressions separated by commas, got {text!r}")
    return tuple(parts)


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected at least {least}, got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1.

    >>> positive_int("3")
    3
    """
    return _whole(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0.

    >>> non_negative_int("0")
    0
    """
    return _whole(text, 0)


def strategy_option(text: str) -> tuple[str, object]:
    """argparse type: KEY=VALUE for a strategy option; the value is read as YAML (safe_load)."""
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE such as kappa=0.5, got {text!r}")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"option {key.strip()}: cannot read the value {value!r}") from None


def param_value(text: str) -> tuple[str, float]:
    """argparse type: NAME=VALUE for a named parameter."""
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE such as beta=1.5, got {text!r}") from None


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The dataset options shared by every command that trains."""
    parser.add_argument("--dataset", default="digits", metavar="NAME|PATH.csv",
                        help="built-in dataset name or a CSV file (default: %(default)s)")
    parser.add_argument("--target", help="label column of a CSV dataset (default: the last column)")
    parser.add_argument("--task", choices=("classification", "regression"),
                        help="task of a CSV dataset (default: inferred from the target)")
    parser.add_argument("--split-seed", type=int, default=0,
                        help="seed of the train/val/test split (default: %(default)s)")


def add_training_options(parser: argparse.ArgumentParser, defaults=None, *, seeds: int = 5,
                         seeds_help: str = "training runs, seeds 0..N-1") -> None:
    """The training options shared by every command that trains; ``defaults`` is a TrainConfig."""
    from .networks import TrainConfig

    d = defaults or TrainConfig()
    hidden = ",".join(map(str, d.hidden))
    parser.add_argument("--hidden", type=_hidden, default=d.hidden, metavar="128,64",
                        help=f"hidden layer sizes (default: {hidden})")
    parser.add_argument("--epochs", type=positive_int, default=d.epochs, help=f"training epochs (default: {d.epochs})")
    parser.add_argument("--batch-size", type=positive_int, default=d.batch_size,
                        help=f"minibatch size (default: {d.batch_size})")
    parser.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default: {d.lr:g})")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default=d.optimizer,
                        help="optimiser (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=d.dropout,
                        help=f"dropout rate after each hidden layer (default: {d.dropout:g})")
    parser.add_argument("--l2", type=float, default=d.l2, help=f"weight decay on weights (default: {d.l2:g})")
    parser.add_argument("--seeds", type=positive_int, default=seeds, help=f"{seeds_help} (default: {seeds})")
    parser.add_argument("--no-early-stopping", dest="early_stopping", action="store_false",
                        help="train all epochs instead of stopping when validation loss stalls")
    parser.add_argument("--patience", type=positive_int, default=d.patience,
                        help=f"epochs without improvement before early stopping (default: {d.patience})")
    parser.add_argument("--init", choices=("auto", "he", "xavier"), default=d.init,
                        help="weight initialisation: auto, a variance-preserving gain computed for each activation "
                             "(AutoInit); he; or xavier (default: %(default)s)")
    parser.add_argument("--init-scale", type=float, default=d.init_scale,
                        help=f"target std of the pre-activations under --init auto (default: {d.init_scale:g})")
    if d.resample:
        parser.add_argument("--no-resample", dest="resample", action="store_false",
                            help="one fixed train/validation partition for every seed, instead of each seed "
                                 "drawing its own (the test rows never change)")
    else:
        parser.add_argument("--resample", action="store_true",
                            help="each seed draws its own train/validation partition (the test rows never change)")
    parser.add_argument("--learnable", default="", metavar="NAMES",
                        help="activation parameters trained with the weights, e.g. beta or alpha,beta "
                             "(beta also matches the per-slot beta_u1 of search spaces)")
    parser.add_argument("--granularity", choices=("network", "layer", "neuron"), default=d.granularity,
                        help="one learnable value per network, per layer or per neuron (default: %(default)s)")


def training_config(args):
    from .networks import TrainConfig

    return TrainConfig(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                       optimizer=args.optimizer, dropout=args.dropout, l2=args.l2,
                       early_stopping=args.early_stopping, patience=args.patience, init=args.init,
                       init_scale=args.init_scale, resample=args.resample,
                       learnable=tuple(n.strip() for n in args.learnable.split(",") if n.strip()),
                       granularity=args.granularity)


def _fmt(value, digits: int = 4) -> str:
    return "nan" if value is None or value != value else f"{value:.{digits}f}"


def learned_text(learned: dict) -> str:
    """Learned parameter values, one mean per layer, as a short line.

    >>> learned_text({"beta": [1.2345, 0.5]})
    'beta = 1.234, 0.5'
    """
    return "; ".join(f"{name} = " + ", ".join(f"{v:.4g}" for v in (values if isinstance(values, list) else [values]))
                     for name, values in learned.items())


def _print_table(df, summary: dict, out) -> None:
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


def load_data(args):
    """The dataset the options name, with a note on stderr for each guess made in loading it (a CSV's label, task)."""
    from .datasets import load_dataset

    data = load_dataset(args.dataset, target=args.target, task=args.task, seed=args.split_seed)
    for note in data.notes:
        print(f"actsearch: note: {note}", file=sys.stderr)
    return data


def cmd_evaluate(args) -> int:
    from .evaluation import evaluate

    df = evaluate(args.expr, dataset=load_data(args), seeds=args.seeds, params=dict(args.param or []),
                  config=training_config(args))
    summary = _plain(df.attrs["summary"])
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2)
        print()
    elif args.format == "csv":  # list and dict cells as JSON, as in the results table
        cells = {c: df[c].map(lambda v: json.dumps(_plain(v)) if isinstance(v, (list, dict)) else v)
                 for c in ("grad_flow", "learned") if c in df.columns}
        df.assign(**cells).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        _print_table(df, summary, sys.stdout)
    return 0


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


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_.") or "data"


def default_out(args) -> str:
    """``results/`` plus what sets this search apart from the default one: space, dataset, strategy, seed.

    >>> default_out(argparse.Namespace(space=None, dataset="spirals3", strategy="random", seed=0))
    'results/random-s0'
    >>> default_out(argparse.Namespace(space="search_spaces/gp_tree.yaml", dataset="planted:sin(x)",
    ...                                strategy="evolution", seed=1))
    'results/gp_tree-planted_sin_x-evolution-s1'
    """
    from .driver import SearchConfig

    parts = []
    if args.space and args.space != "default":
        parts.append(_slug(os.path.splitext(os.path.basename(args.space))[0]))
    if args.dataset != SearchConfig().dataset:
        parts.append(_slug(os.path.splitext(os.path.basename(args.dataset))[0]
                           if args.dataset.endswith(".csv") else args.dataset))
    parts += [args.strategy, f"s{args.seed}"]
    return os.path.join("results", "-".join(parts))


def default_folder(args, config) -> tuple[str, str]:
    """The folder a search without ``--out`` writes to, and a note when it is not the first choice.

    It is :func:`default_out`, or ``-2``, ``-3``, ... after it: the first that holds
    no run yet or a run with these settings (which the search then resumes), so
    that different searches never collide and the same command always finds its run.
    """
    from .driver import settings_mismatch

    base = default_out(args)
    out, n = base, 1
    first = mismatch = settings_mismatch(base, config)
    while mismatch is not None:
        n += 1
        out = f"{base}-{n}"
        mismatch = settings_mismatch(out, config)
    note = "" if first is None else f"{base} holds another search ({first.key}={first.new!r} here), so this one is {out}"
    return out, note


def cmd_search(args) -> int:
    from .driver import SearchConfig, is_warm_copy, run_search

    options = {}
    if args.strategy == "optuna":
        if args.sampler:
            options["sampler"] = args.sampler
        if args.pruner:
            options["pruner"] = args.pruner
        if args.objectives:
            options["objectives"] = tuple(args.objectives.split(","))
    if args.strategy == "evolution" and args.population:
        options["population"] = args.population
    options.update(dict(args.option or ()))
    config = SearchConfig(space=args.space, strategy=args.strategy, dataset=args.dataset, target=args.target,
                          task=args.task, split_seed=args.split_seed, budget=args.budget, seed=args.seed,
                          seeds=args.seeds, final_k=args.final_k, final_seeds=args.final_seeds,
                          baselines=tuple(args.baselines), warm_start=args.warm_start, strategy_options=options, train=training_config(args))
    out, note = (args.out, "") if args.out else default_folder(args, config)
    workers = args.workers
    if options.get("pruner") and workers > 1 and not args.dask and not (args.storage or args.study):
        # a pruner reads each trial's per-epoch scores as they come, so the trial trains where the study is
        print(f"actsearch search: pruning trains in one process, not {workers} workers "
              "(for parallel pruning: actsearch worker processes on an Optuna storage)", file=sys.stderr)
        workers = 1
    banner = f"actsearch search: {args.strategy} on {args.dataset}, budget {args.budget}, writing {out}/evaluations.csv"

    def announce(news: str) -> None:
        print(banner, file=sys.stderr)
        if note:
            print(f"actsearch search: {note}", file=sys.stderr)
        for line in filter(None, news.split("\n")):
            print(f"actsearch search: {line}", file=sys.stderr)
    if args.storage or args.study:
        from .distributed import run_distributed_search

        if args.strategy != "optuna":
            raise ActsearchError("--storage and --study run a distributed Optuna search: add --strategy optuna")
        announce("")
        result = run_distributed_search(config, args.storage, args.study, out, workers=workers,
                                        progress=not args.no_progress)
    else:
        result = run_search(config, out, data=load_data(args), progress=not args.no_progress, workers=workers,
                            dask=args.dask, announce=announce)
    table = result.table
    counts = table[table["stage"] == "search"]["status"].value_counts().to_dict()
    copied = sum(map(is_warm_copy, table[table["stage"] == "search"].to_dict(orient="records")))
    print(f"search rows: {sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
          + (f", {copied} of them copied from the warm start" if copied else ""))
    if result.best is not None:
        print(f"best in search (validation score): {result.best}")
    front = result.summary.get("strategy", {}).get("pareto_front")
    if front:
        print_pareto_front(front, result.summary["strategy"]["objectives"], sys.stdout)
    print_leaderboard(result.leaderboard, sys.stdout)
    if result.interrupted:
        print(f"actsearch: interrupted; finished evaluations are in {out}/evaluations.csv; "
              "run the same command to resume", file=sys.stderr)
        return 130
    return 0


def cmd_compare(args) -> int:
    from .finals import compare

    board = compare(args.exprs, load_data(args), seeds=args.seeds, seed_start=args.seed_start,
                    baselines=args.baselines, train=training_config(args), split_seed=args.split_seed,
                    workers=args.workers)
    if args.format == "json":
        from .analysis.commands import records

        json.dump(records(board), sys.stdout, indent=2, allow_nan=False)
        print()
    elif args.format == "csv":
        board.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print(f"actsearch compare on {args.dataset}: {args.seeds} seeds from {args.seed_start}", file=sys.stdout)
        print_leaderboard(board, sys.stdout, title="compare")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="actsearch", description="Discover neural-network activation functions.")
    parser.add_argument("--version", action="version", version=f"actsearch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    ev = sub.add_parser("evaluate", help="train networks with one activation and report the scores",
                        description="Train a network with activation EXPR once per seed and report the scores.")
    ev.add_argument("expr", metavar="EXPR", help="the activation, e.g. 'x * sigmoid(x)' or 'max(x, sin(x))'")
    add_data_options(ev)
    from dataclasses import replace

    from .networks import TrainConfig

    add_training_options(ev, replace(TrainConfig(), resample=True))
    ev.add_argument("--param", action="append", type=param_value, metavar="NAME=VALUE",
                    help="value of a named parameter, e.g. --param beta=1.5 (repeatable)")
    ev.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    ev.set_defaults(run=cmd_evaluate)

    from .driver import DEFAULT_PROTOCOL, SearchConfig

    dflt = SearchConfig()
    se = sub.add_parser("search", help="search a space of activations",
                        description="Search a space of activations. Every evaluation is appended to "
                                    "OUT/evaluations.csv as it finishes; running the same command again resumes.")
    se.add_argument("--space", default="default",
                    help="search-space YAML file, or the name of one in search_spaces/ (default: an embedded "
                         "small space)")
    se.add_argument("--strategy", default=dflt.strategy,
                    choices=tuple(STRATEGIES),
                    help=f"search strategy (default: {dflt.strategy})")
    se.add_argument("--budget", type=positive_int, default=dflt.budget,
                    help=f"search evaluations, every status counted but rows copied from a warm start "
                         f"(default: {dflt.budget})")
    se.add_argument("--seed", type=int, default=0, help="seed of the strategy (default: %(default)s)")
    se.add_argument("--out", help="output folder (default: results/ and what sets this search apart, "
                                  "SPACE-DATASET-STRATEGY-sSEED without the defaults: results/random-s0 for the "
                                  "default search; -2, -3, ... where that holds another search)")
    add_data_options(se)
    se.set_defaults(dataset=dflt.dataset)
    add_training_options(se, DEFAULT_PROTOCOL, seeds=dflt.seeds, seeds_help="training seeds per candidate")
    se.add_argument("--final-k", type=int, default=dflt.final_k,
                    help=f"candidates re-evaluated in the final stage (default: {dflt.final_k})")
    se.add_argument("--final-seeds", type=positive_int, default=dflt.final_seeds,
                    help=f"seeds in the final stage (default: {dflt.final_seeds})")
    se.add_argument("--baselines", type=_names, default=dflt.baselines, metavar="relu,gelu,...",
                    help="baselines of the final stage, names or expressions, comma-separated (default: "
                         + ",".join(b.removesuffix("(x)") for b in dflt.baselines) + ")")
    se.add_argument("--warm-start", metavar="OTHER.csv", help="start from the best candidates of an earlier run "
                                                               "(their rows copied where it trained under this "
                                                               "protocol, else trained again)")
    se.add_argument("--sampler", choices=SAMPLERS,
                    help="Optuna sampler (default: tpe, or nsga2 with --objectives)")
    se.add_argument("--pruner", choices=PRUNERS,
                    help="Optuna pruner fed by per-epoch validation scores (default: none); pruned searches "
                         "train in one process")
    se.add_argument("--objectives", help="multi-objective Optuna with NSGA-II: val_score,complexity or "
                                         "val_score,cost")
    se.add_argument("--population", type=positive_int,
                    help=f"evolution: population size (default: {EVOLUTION_POPULATION})")
    se.add_argument("--option", type=strategy_option, action="append", metavar="KEY=VALUE",
                    help="a strategy option, repeatable (e.g. surrogate model=gp, mixture arch_lr=0.01); "
                         "see each strategy's docstring")
    se.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                    help="worker processes that train candidates in parallel (default: all cores, "
                         f"{os.cpu_count() or 1} here); the table does not depend on it")
    se.add_argument("--dask", metavar="ADDRESS|local",
                    help="train on a Dask cluster: a scheduler address such as tcp://host:8786, or 'local' "
                         "for a LocalCluster")
    se.add_argument("--storage", metavar="URL",
                    help="Optuna storage for a distributed search (sqlite:///..., postgresql://..., "
                         "journal://FILE; default with --study: sqlite:///OUT/optuna.db); other machines join "
                         "with 'actsearch worker --storage URL --study NAME'")
    se.add_argument("--study", metavar="NAME", help="name of the distributed Optuna study")
    se.add_argument("--no-progress", action="store_true", help="no progress bar")
    se.set_defaults(run=cmd_search)
    co = sub.add_parser("compare", help="compare activations with the baselines under the final-stage protocol",
                        description="Train each EXPR and the baselines on the same fresh seeds (from 1000, each "
                                    "with its own train/validation partition) under the search's protocol, and "
                                    "compare each EXPR with the best baseline (highest validation mean) on paired "
                                    "test scores: t-test, Wilcoxon, 95% interval, Holm-corrected p and a verdict.")
    co.add_argument("exprs", nargs="+", metavar="EXPR", help="activations, e.g. 'x * tanh(softplus(x))' or mish")
    add_data_options(co)
    co.set_defaults(dataset=dflt.dataset)
    add_training_options(co, DEFAULT_PROTOCOL, seeds=10, seeds_help="fresh seeds per function, at least 2")
    co.add_argument("--baselines", type=_names, default=dflt.baselines, metavar="relu,gelu,...",
                    help="baselines, names or expressions, comma-separated (default: "
                         + ",".join(b.removesuffix("(x)") for b in dflt.baselines) + ")")
    co.add_argument("--seed-start", type=non_negative_int, default=dflt.final_seed_start, metavar="N",
                    help="first seed (default: %(default)s, the final stage's; another, say 2000, confirms a "
                         "search's finalists on seeds its final stage never saw)")
    co.add_argument("--workers", type=positive_int, default=1, help="worker processes (default: %(default)s)")
    co.add_argument("--format", choices=("table", "json", "csv"), default="table",
                    help="table (default); json: a list of row objects; csv: every column")
    co.set_defaults(run=cmd_compare)
    for module in COMMAND_MODULES:
        _add_module_commands(sub, module)
    return parser


def cmd_export(args) -> int:
    """``actsearch export``: print EXPR as :func:`actsearch.export.export` writes it for ``--to``."""
    from .export import export

    print(export(args.expr, args.to, params=dict(args.param or [])).rstrip("\n"))
    return 0


def add_export_command(sub) -> None:
    """The ``actsearch export`` command."""
    from .export import TARGETS

    ex = sub.add_parser("export", help="print an activation as NumPy, PyTorch, SymPy, JAX code or LaTeX",
                        description="Print activation EXPR as code (numpy, torch, sympy, jax) or a LaTeX formula, "
                                    "with actsearch's protections (x/y is 1 where |y| <= 1e-3, log takes |x|, "
                                    "exp clips at 80, ...).")
    ex.add_argument("expr", metavar="EXPR", help="the activation, e.g. 'x * sigmoid(beta * x)'")
    ex.add_argument("--to", choices=TARGETS, default="numpy", help="target (default: numpy)")
    ex.add_argument("--param", action="append", type=param_value, metavar="NAME=VALUE",
                    help="value of a named parameter, e.g. --param beta=1.5 (repeatable)")
    ex.set_defaults(run=cmd_export)


#: Modules that add their own subcommands: each defines ``add_subparsers(sub)``,
#: which registers parsers whose ``run`` default handles the command; or, in its place in
#: ``actsearch --help``'s list, a function here that registers one (the domain modules do not
#: import the command line).
COMMAND_MODULES = ("actsearch.analysis.commands", "actsearch.analysis.plot_commands", add_export_command,
                   "actsearch.distributed")


def _add_module_commands(sub, module) -> None:
    from importlib import import_module

    if callable(module):
        module(sub)
        return
    try:
        mod = import_module(module)
    except ModuleNotFoundError as exc:
        if not (module == exc.name or module.startswith(f"{exc.name}.")):
            raise
        return  # that part of actsearch is not built yet
    mod.add_subparsers(sub)


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
