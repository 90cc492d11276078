"""Regenerate the surrogate's test fixtures: real training scores of random activations.

Two tables under tests/data/, one row per distinct function (expression, its
parameter values as JSON, status, val_score):

``surrogate-spirals.csv``
    200 screened-in candidates drawn uniformly from search_spaces/ramachandran2017.yaml
    (one and two core units; generator seed 0), each trained once (seed 0) on
    two interleaved spirals under the search's default protocol
    (``actsearch.driver.DEFAULT_PROTOCOL``: six hidden layers of 32, 30 epochs);
    val_score is validation accuracy.
``surrogate-planted-cos.csv``
    200 screened-in one-unit candidates (generator seed 1) scored as in
    bench/search_efficiency.py on ``planted:cos(x) * x^2`` (validation R^2 of
    one 16-unit hidden layer, seed 0).  Rows already in
    results/bench-cache-ramachandran2017-cos_x____x_2.csv are copied from it;
    the rest are trained with the same protocol (the same numbers).

Screen-rejected draws are skipped (they are never trained); a run that diverges
is kept with status ``diverged`` and an empty val_score.  Training is
deterministic, so the files come out the same on every run.

    python bench/make_surrogate_fixture.py        # about 40 s on one core
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time

import numpy as np

from actsearch.datasets import load_dataset
from actsearch.driver import DEFAULT_PROTOCOL
from actsearch.networks import Trainer
from actsearch.screening import screen
from actsearch.spaces import load_space, space_from_dict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "data")
N_ROWS = 200


def draw(space, seed: int, n: int):
    """``n`` distinct (by fingerprint), screened-in expressions, in draw order."""
    rng = np.random.default_rng(seed)
    seen, out = set(), []
    while len(out) < n:
        expr = space.sample(rng)
        fp = expr.fingerprint
        if fp in seen:
            continue
        seen.add(fp)
        if screen(expr) is None:
            out.append(expr)
    return out


def train(expr, data, config) -> tuple[str, float]:
    try:
        r = Trainer(expr, data, config).fit(0)
    except ArithmeticError:
        return "diverged", math.nan
    if r.status != "ok" or not math.isfinite(r.val_score):
        return "diverged", math.nan
    return "ok", float(r.val_score)


def write(path: str, rows: list[tuple]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["expression", "params", "status", "val_score"])
        for expr, status, score in rows:
            w.writerow([str(expr), json.dumps(expr.params, sort_keys=True), status,
                        "" if not math.isfinite(score) else repr(round(score, 6))])
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(rows)} rows)")


def spirals() -> None:
    space = load_space("ramachandran2017")
    data = load_dataset("spirals")
    rows = [(e, *train(e, data, DEFAULT_PROTOCOL)) for e in draw(space, 0, N_ROWS)]
    write(os.path.join(OUT, "surrogate-spirals.csv"), rows)


def planted_cos() -> None:
    sys.path.insert(0, HERE)
    from search_efficiency import PROTOCOL

    teacher = "cos(x) * x^2"
    base = load_space("ramachandran2017")
    space = space_from_dict({**base.raw, "units": 1}, base.source)
    cache: dict[str, float] = {}
    path = os.path.join(ROOT, "results", "bench-cache-ramachandran2017-cos_x____x_2.csv")
    if os.path.exists(path):
        with open(path, newline="") as fh:
            cache = {r["fingerprint"]: float(r["val_score"]) for r in csv.DictReader(fh)}
    data = load_dataset(f"planted:{teacher}")
    rows, copied = [], 0
    for expr in draw(space, 1, N_ROWS):
        if expr.fingerprint in cache:
            score = cache[expr.fingerprint]
            rows.append((expr, "ok" if math.isfinite(score) else "diverged", score))
            copied += 1
        else:
            rows.append((expr, *train(expr, data, PROTOCOL)))
    print(f"planted {teacher!r}: {copied} of {len(rows)} rows copied from {os.path.relpath(path, ROOT)}")
    write(os.path.join(OUT, "surrogate-planted-cos.csv"), rows)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    start = time.perf_counter()
    spirals()
    planted_cos()
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
