"""``actsearch search``: search a space of activations (resumably) here, on a Dask cluster or an Optuna storage."""

from __future__ import annotations

import argparse
import os
import re
import sys

from ..errors import ActsearchError
from ..strategies.base import STRATEGIES
from ..strategies.evolution import DEFAULT_POPULATION as EVOLUTION_POPULATION
from ..strategies.optuna_search import PRUNERS, SAMPLERS
from .arguments import (add_data_options, add_model_options, add_training_options, expression_list, load_data,
                        positive_int, strategy_option, training_config)
from .output import print_leaderboard, print_pareto_front


def add_parser(sub) -> None:
    """Register ``search`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    from ..config import DEFAULT_PROTOCOL, SearchConfig

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
    se.add_argument("--baselines", type=expression_list, default=dflt.baselines, metavar="relu,gelu,...",
                    help="baselines of the final stage, names or expressions, comma-separated (default: "
                         + ",".join(b.removesuffix("(x)") for b in dflt.baselines) + ")")
    se.add_argument("--warm-start", metavar="OTHER.csv", help="start from the best candidates of an earlier run "
                                                               "(their rows copied where it trained under this "
                                                               "protocol, else trained again)")
    add_model_options(se)
    _add_strategy_options(se)
    _add_racing_options(se)
    _add_execution_options(se)
    se.set_defaults(run=run)


def _add_racing_options(se: argparse.ArgumentParser) -> None:
    """Racing: successive halving over rungs of growing fidelity (see actsearch.racing)."""
    from ..racing import RACING_MODES, RacingConfig

    dflt = RacingConfig()
    se.add_argument("--racing", choices=RACING_MODES,
                    help="train candidates rung by rung and stop the worst early: asha (asynchronous, the "
                         "default), sh (synchronous brackets) or off (every candidate gets the full protocol; "
                         "the default with --model or --pruner)")
    se.add_argument("--eta", type=positive_int, default=dflt.eta,
                    help=f"racing: the best 1/eta of a rung go on (default: {dflt.eta})")
    se.add_argument("--rungs", type=positive_int, default=dflt.rungs,
                    help=f"racing: rungs, the last being the full protocol (default: {dflt.rungs})")


def _add_strategy_options(se: argparse.ArgumentParser) -> None:
    """The options of particular strategies: Optuna's sampler, pruner and objectives, evolution's population."""
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


def _add_execution_options(se: argparse.ArgumentParser) -> None:
    """Where the candidates train: worker processes, a Dask cluster or an Optuna storage; the progress bar."""
    se.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                    help="worker processes that train candidates in parallel (default: all cores, "
                         f"{os.cpu_count() or 1} here); with --racing off or sh the table does not depend on "
                         "it")
    se.add_argument("--dask", metavar="ADDRESS|local",
                    help="train on a Dask cluster: a scheduler address such as tcp://host:8786, or 'local' "
                         "for a LocalCluster")
    se.add_argument("--storage", metavar="URL",
                    help="Optuna storage for a distributed search (sqlite:///..., postgresql://..., "
                         "journal://FILE; default with --study: sqlite:///OUT/optuna.db); other machines join "
                         "with 'actsearch worker --storage URL --study NAME'")
    se.add_argument("--study", metavar="NAME", help="name of the distributed Optuna study")
    se.add_argument("--no-progress", action="store_true", help="no progress bar")


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
    from ..config import SearchConfig

    parts = []
    if args.space and args.space != "default":
        parts.append(_slug(os.path.splitext(os.path.basename(args.space))[0]))
    if args.dataset != SearchConfig().dataset:
        parts.append(_slug(os.path.splitext(os.path.basename(args.dataset))[0]
                           if args.dataset.endswith(".csv") else args.dataset))
    if getattr(args, "model", None):
        parts.append(_slug(os.path.splitext(os.path.basename(args.model.split(":")[0]))[0]))
    parts += [args.strategy, f"s{args.seed}"]
    return os.path.join("results", "-".join(parts))


def default_folder(args, config) -> tuple[str, str]:
    """The folder a search without ``--out`` writes to, and a note when it is not the first choice.

    It is :func:`default_out`, or ``-2``, ``-3``, ... after it: the first that holds
    no run yet or a run with these settings (which the search then resumes), so
    that different searches never collide and the same command always finds its run.
    """
    from ..config import settings_mismatch

    base = default_out(args)
    out, n = base, 1
    first = mismatch = settings_mismatch(base, config)
    while mismatch is not None:
        n += 1
        out = f"{base}-{n}"
        mismatch = settings_mismatch(out, config)
    note = "" if first is None else \
        f"{base} holds another search ({first.key}={first.new!r} here), so this one is {out}"
    return out, note


def _strategy_options(args) -> dict:
    """The strategy options the command line sets: the dedicated options, then each ``--option``."""
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
    return options


def run(args) -> int:
    """Run (or resume) the search the options describe and print its summary; the exit code (130 if interrupted)."""
    from ..driver import SearchConfig, run_search
    from ..strategies import strategy_settings

    options = _strategy_options(args)
    config = SearchConfig(space=args.space, strategy=args.strategy, dataset=args.dataset, target=args.target,
                          task=args.task, split_seed=args.split_seed, budget=args.budget, seed=args.seed,
                          seeds=args.seeds, final_k=args.final_k, final_seeds=args.final_seeds,
                          baselines=tuple(args.baselines), warm_start=args.warm_start, strategy_options=options,
                          train=training_config(args), model=args.model, replace=args.replace, device=args.device,
                          racing=args.racing if args.racing or not (args.storage or args.study) else "off",
                          eta=args.eta, rungs=args.rungs)
    out, note = (args.out, "") if args.out else default_folder(args, config)
    workers = args.workers
    pruned = getattr(strategy_settings(args.strategy, options), "pruner", None)
    if pruned and workers > 1 and not args.dask and not (args.storage or args.study):
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
        from ..distributed import run_distributed_search

        if args.strategy != "optuna":
            raise ActsearchError("--storage and --study run a distributed Optuna search: add --strategy optuna")
        if config.racing != "off":
            raise ActsearchError(f"--racing {config.racing} does not run on an Optuna storage: use --racing off "
                                 "(or --pruner)")
        announce("")
        result = run_distributed_search(config, args.storage, args.study, out, workers=workers,
                                        progress=not args.no_progress)
    else:
        result = run_search(config, out, data=load_data(args), progress=not args.no_progress, workers=workers,
                            dask=args.dask, announce=announce)
    _print_summary(result)
    if result.interrupted:
        print(f"actsearch: interrupted; finished evaluations are in {out}/evaluations.csv; "
              "run the same command to resume", file=sys.stderr)
        return 130
    return 0


def _print_summary(result) -> None:
    """The search rows by status, the best of the search stage, the Pareto front if any, and the leaderboard."""
    from ..warmstart import is_warm_copy

    table = result.table
    counts = table[table["stage"] == "search"]["status"].value_counts().to_dict()
    copied = sum(map(is_warm_copy, table[table["stage"] == "search"].to_dict(orient="records")))
    promotions = counts.get("promoted", 0)  # racing: a candidate's rungs below its last are rows too
    print(f"search rows: {sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
          + (f" for {sum(counts.values()) - promotions} candidates" if promotions else "")
          + (f", {copied} of them copied from the warm start" if copied else ""))
    if result.best is not None:
        print(f"best in search (validation score): {result.best}")
    front = result.summary.get("strategy", {}).get("pareto_front")
    if front:
        print_pareto_front(front, result.summary["strategy"]["objectives"], sys.stdout)
    print_leaderboard(result.leaderboard, sys.stdout)
