"""Search efficiency on a planted problem: evaluations needed to reach the teacher's score.

Data come from a teacher network whose hidden activation is a known expression
of the space (``planted:EXPR``).  Each strategy runs over --seeds seeds with a
budget of --budget evaluations (every proposal counts, as in ``actsearch
search``); we count the evaluations until a candidate's validation R^2 is
within --tol of the teacher's own.  Scores are cached by fingerprint in
results/bench-cache-*.csv, so each distinct function is trained once across
all strategies and seeds, and a second run finishes in seconds.

    python bench/search_efficiency.py
    python bench/search_efficiency.py --teacher "x * tanh(x)" --seeds 10 --budget 150
    python bench/search_efficiency.py --strategies random,evolution,optuna,surrogate,mixture

With --dataset NAME the objective is a real dataset instead: validation score
of one training run (seed 0) under the search's default protocol
(actsearch.driver.DEFAULT_PROTOCOL), cached in
results/bench-cache-SPACE-dataset-NAME.csv.  There is no planted answer, so the
target is a quantile (--quantile, default 0.998, the value at or below it) of
the scores of a fixed reference sample of --reference (500) distinct random
candidates of the space (generator seed 1000000, disjoint from the strategies'
seeds 0, 1, ...; failures count as the lowest scores).  On spirals that is
0.975 validation accuracy, reached by 0.6% of the reference sample (scores
come in steps of 1/160, so nearby quantiles tie: 0.99 gives 0.96875, reached
by 1.8%, which random search finds in a median of 22 evaluations and no
strategy then does much better).  Swish scores 0.9875.

    python bench/search_efficiency.py --dataset spirals --seeds 10 --budget 200 \
        --strategies random,evolution,optuna,surrogate

The mixture strategy's first evaluation is its one training of the softmax
mixture (counted as one evaluation, as in the table); the script also prints
what that training costs in single-candidate trainings.

With --racing, the strategies run through the real search driver
(``actsearch.search``, one worker, the same planted problem and protocol) with
racing off and with ASHA, and the cost counted is **trainings**, not
candidates: the seed-epochs trained (a raced candidate's lower rungs included;
rejections and repeats cost nothing) over the protocol's epochs.  Racing
changes no full-protocol score (the top rung goes on from the lower ones), so
both reach the target on the same candidates' scores; the question is how much
training it takes.

    python bench/search_efficiency.py --racing --seeds 5 --budget 100

Options per strategy: evolution runs with population 10; the surrogate runs
without its baselines (``baselines=()``), so that every strategy starts from
the space alone (the baselines are a head start outside the space, and swish
alone reaches the spirals target).  Override with --option, e.g.
``--option surrogate.kappa=1.0 --option "surrogate.baselines=[relu(x)]"``
(values are read as YAML).
"""

from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np
import yaml

from actsearch.datasets import load_dataset
from actsearch.driver import DEFAULT_PROTOCOL
from actsearch.networks import TrainConfig, Trainer
from actsearch.screening import screen
from actsearch.spaces import load_space, space_from_dict
from actsearch.strategies import Outcome, get_strategy

PROTOCOL = TrainConfig(hidden=(16,), epochs=100, lr=0.01)
#: Per-strategy options unless --option says otherwise (see the module docstring).
OPTIONS = {"evolution": {"population": 10}, "surrogate": {"baselines": ()}}
REFERENCE_SEED = 1_000_000


class CachedObjective:
    """Validation score of one training run (seed 0), cached on disk by fingerprint.

    ``planted:TEACHER`` data with :data:`PROTOCOL` (R^2), or any dataset name with ``protocol``.
    """

    def __init__(self, teacher: str, path: str, dataset: str | None = None, protocol: TrainConfig = PROTOCOL):
        self.data = load_dataset(dataset or f"planted:{teacher}")
        self.protocol = protocol
        self.path = path
        self.scores: dict[str, float] = {}
        if os.path.exists(path):
            with open(path, newline="") as fh:
                for row in csv.DictReader(fh):
                    self.scores[row["fingerprint"]] = float(row["val_score"])
        self.trained = 0

    def __call__(self, expr) -> float:
        fp = expr.fingerprint
        if fp not in self.scores:
            if screen(expr) is not None:
                score = float("nan")
            else:
                try:
                    r = Trainer(expr, self.data, self.protocol).fit(0)
                    score = r.val_score if r.status == "ok" else float("nan")
                except ArithmeticError:  # diverged
                    score = float("nan")
                self.trained += 1
            self.scores[fp] = score
            new = not os.path.exists(self.path)
            with open(self.path, "a", newline="") as fh:
                w = csv.writer(fh)
                if new:
                    w.writerow(["fingerprint", "expression", "val_score"])
                w.writerow([fp, str(expr), repr(score)])
        return self.scores[fp]


def train_mixture(cand, objective, seed):
    """The mixture strategy's one training (not cached: its logits start from the seed)."""
    from dataclasses import replace

    start = time.perf_counter()
    r = Trainer(cand.expression, objective.data, replace(objective.protocol, **cand.train)).fit(seed)
    MIXTURE_SECONDS.append(time.perf_counter() - start)
    return Outcome(r.status, val_score=r.val_score, learned=r.learned, cost=r.seconds)


#: Wall time of each mixture training, and of single candidate trainings, this run.
MIXTURE_SECONDS: list[float] = []


def evaluations_to_target(name, space, objective, target, seed, budget, options):
    strategy = get_strategy(name)(space, np.random.default_rng(seed), budget, **options)
    for n in range(1, budget + 1):
        cand = strategy.ask()
        if cand is None:
            return None
        if cand.supernet:  # one evaluation in the table; its cost is reported apart
            strategy.tell(cand, train_mixture(cand, objective, seed))
            continue
        score = objective(cand.expression)
        ok = score == score
        strategy.tell(cand, Outcome("ok" if ok else "rejected", val_score=score,
                                    complexity=cand.expression.complexity))
        if ok and score >= target:
            return n
    return None


def trainings_to_target(name, space, teacher, target, seed, budget, options, racing) -> tuple[float | None, float]:
    """``(trainings until a full-protocol score >= target or None, trainings of the whole run)`` of one real
    search; a training is one seed for the protocol's epochs."""
    from actsearch import search

    result = search(space=space, strategy=name, dataset=f"planted:{teacher}", budget=budget, seed=seed,
                    seeds=1, final_k=0, baselines=(), progress=False, racing=racing, train=PROTOCOL,
                    strategy_options=options, workers=1)
    rows = result.table[result.table["stage"] == "search"].sort_values("eval_id")
    done: dict[str, float] = {}  # fingerprint -> seed-epochs trained so far (a raced candidate's lower rungs)
    cost, reached = 0.0, None
    for row in rows.to_dict(orient="records"):
        copied = row["status"] in ("cached", "rejected") or str(row["reason"] or "").startswith("same function")
        if not copied and row["seeds"]:
            so_far = float(row["epochs"]) * int(row["seeds"])
            cost += so_far - done.get(row["fingerprint"], 0.0)
            done[row["fingerprint"]] = so_far
        if reached is None and row["status"] == "ok" and row["val_score"] >= target:
            reached = cost / PROTOCOL.epochs
    return reached, cost / PROTOCOL.epochs


def compare_racing(args, space, objective, target, options) -> None:
    """Trainings to the planted target with racing off and with ASHA, per strategy (see the docstring)."""
    for name in args.strategies.split(","):
        line = []
        for racing in ("off", "asha"):
            runs = [trainings_to_target(name, space, args.teacher, target, s, args.budget, options.get(name, {}),
                                        racing) for s in range(args.seeds)]
            reached = [r for r, _ in runs if r is not None]
            # a run that never reaches the target counts as its whole cost (a lower bound on what it needs)
            filled = [r if r is not None else total for r, total in runs]
            line.append(f"racing {racing}: reached in {len(reached)}/{len(runs)} runs, trainings needed median "
                        f"{np.median(filled):.1f} (per seed {[round(v, 1) for v in filled]})")
        print(f"  {name:10s} " + "; ".join(line))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="sin(x) * x")
    parser.add_argument("--space", default="ramachandran2017")
    parser.add_argument("--units", type=int, default=1, help="restrict the core-unit space to this many units")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--tol", type=float, default=0.01)
    parser.add_argument("--strategies", default="random,evolution,optuna")
    parser.add_argument("--dataset", help="score on this dataset (default protocol) instead of a planted teacher")
    parser.add_argument("--quantile", type=float, default=0.998, help="with --dataset: the target's quantile")
    parser.add_argument("--reference", type=int, default=500, help="with --dataset: random candidates behind it")
    parser.add_argument("--racing", action="store_true",
                        help="count trainings to the target through the search driver, racing off and ASHA")
    parser.add_argument("--option", action="append", default=[], metavar="STRATEGY.KEY=VALUE",
                        help="a strategy option (YAML value), repeatable")
    args = parser.parse_args(argv)
    options = {k: dict(v) for k, v in OPTIONS.items()}
    for item in args.option:
        key, _, value = item.partition("=")
        name, _, opt = key.partition(".")
        if not opt or not _:
            parser.error(f"--option {item!r}: expected STRATEGY.KEY=VALUE")
        options.setdefault(name, {})[opt] = yaml.safe_load(value) if value else ()
    space = load_space(args.space)
    if space.kind == "core_unit" and args.units:
        space = space_from_dict({**space.raw, "units": args.units}, space.source)
    os.makedirs("results", exist_ok=True)
    start = time.perf_counter()
    if args.dataset:
        objective = CachedObjective("", f"results/bench-cache-{args.space}-dataset-{args.dataset}.csv",
                                    dataset=args.dataset, protocol=DEFAULT_PROTOCOL)
        rng, seen, scores = np.random.default_rng(REFERENCE_SEED), set(), []
        while len(seen) < args.reference:
            expr = space.sample(rng)
            if expr.fingerprint not in seen:
                seen.add(expr.fingerprint)
                score = objective(expr)
                scores.append(-np.inf if np.isnan(score) else score)
        target = float(np.quantile(scores, args.quantile, method="lower"))
        print(f"dataset {args.dataset} (default protocol, seed 0): target val_score >= {target:.4f}, the "
              f"{args.quantile:g} quantile of {args.reference} random candidates (reached by "
              f"{np.mean(np.array(scores) >= target):.1%} of them; best {max(scores):.4f}); "
              f"space {args.space} ({args.units} unit), budget {args.budget}, seeds 0-{args.seeds - 1}")
    else:
        slug = "".join(c if c.isalnum() else "_" for c in args.teacher)
        objective = CachedObjective(args.teacher, f"results/bench-cache-{args.space}-{slug}.csv")
        from actsearch import parse

        teacher_score = objective(parse(args.teacher))
        target = teacher_score - args.tol
        print(f"teacher {args.teacher!r}: validation R^2 {teacher_score:.4f}; target >= {target:.4f}; "
              f"space {args.space} ({args.units} unit), budget {args.budget}, seeds 0-{args.seeds - 1}")
        if args.racing:
            compare_racing(args, space, objective, target, options)
            return
    medians = {}
    for name in args.strategies.split(","):
        counts = [evaluations_to_target(name, space, objective, target, s, args.budget, options.get(name, {}))
                  for s in range(args.seeds)]
        reached = [c for c in counts if c is not None]
        # a run that never reaches the target counts as budget + 1 (a lower bound on its cost)
        filled = [c if c is not None else args.budget + 1 for c in counts]
        medians[name] = float(np.median(filled))
        print(f"  {name:10s} reached in {len(reached)}/{len(counts)} runs; evaluations needed: "
              f"median {medians[name]:.0f}, per seed {counts}")
    if "random" in medians:
        for name, med in medians.items():
            if name != "random":
                print(f"  {name} / random median: {med / medians['random']:.2f}")
    if MIXTURE_SECONDS:
        from actsearch import parse

        single = [Trainer(parse(text), objective.data, objective.protocol).fit(0).seconds
                  for text in ("relu(x)", "x * sigmoid(x)", "tanh(x) + sin(x)")]
        print(f"  one mixture training took a median {np.median(MIXTURE_SECONDS):.2f} s, "
              f"{np.median(MIXTURE_SECONDS) / np.median(single):.1f}x one candidate's "
              f"({np.median(single):.3f} s, median of relu, x*sigmoid(x), tanh(x)+sin(x))")
    print(f"({objective.trained} networks trained this run, {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
