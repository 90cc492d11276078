"""The surrogate search: ask the baselines, then an initial design, then the model's picks.

Search (options, all optional: :class:`SurrogateOptions`):

1. ``baselines`` (default relu, swish, gelu, elu, leaky_relu, tanh, softplus)
   are asked first, whether or not the space contains them; ``()`` disables
   them.  Then any ``warm_start`` expressions.  In a per-layer space each is
   the same function in every group, and a candidate's features are its
   groups' features concatenated.
2. Each later ask draws a pool of ``pool`` (500) candidates from the space
   (the whole space when it has at most ``pool`` assignments), deduplicated by
   fingerprint against each other and against everything asked; with
   ``prescreen`` (True) candidates that :func:`~actsearch.screening.screen`
   would reject are dropped too, since the driver would spend an evaluation
   on them and learn nothing.
3. While fewer than ``n_initial`` (4) outcomes with a finite score have been
   told, the picks are an initial design (``init``).  ``"medoids"`` (the
   default) is greedy k-medoids in the standardised feature space of the pool:
   each pick most reduces the pool's summed distance to its nearest pick or
   evaluated candidate, so the first is the pool's most typical function and
   the next ones typical of other regions.  Against random picks (``"random"``,
   the head of the pool), with kappa 0.5, medians over seeds 0-19 went
   24 -> 21.5, 10.5 -> 8, 12.5 -> 7.5 and 18 -> 16.5 evaluations on the
   tuning-only teachers ``atan(x) * cos(x)``, ``max(x, 0) * cos(x)``,
   ``sinh(x) * exp(-x^2)`` and ``cos(x) * x``, and on the benchmark 18.5 -> 9
   on ``exp(-x^2) * sin(x)`` (17 -> 10.5 on seeds 20-39), while
   ``cos(x) * x^2`` (40 -> 43; 47 -> 42.5 on seeds 20-39) and spirals
   (31 -> 26.5; 24 -> 35.5 on seeds 20-39, 29.5 -> 29 over the 40) did not
   change beyond the noise.  Farthest-point (maximin) picks were worse on
   every tuning teacher (e.g. 24 -> 38 on ``atan(x) * cos(x)``): they pick
   the pool's oddities.  Two design batches (``n_initial`` 8) were worse too
   (e.g. 16.5 -> 22 on ``cos(x) * x``).  Afterwards a regressor
   is fitted on (features, score) of every told outcome.  Rejected, diverged
   and pruned outcomes, and ones without a finite score, are given a low
   score (the lowest finite score seen minus ``margin`` (0.5) times the
   spread of the finite scores) so the model learns to avoid their region.
   Scores are rank-transformed (to normal scores) before fitting, so one
   disastrous R^2 of -25 does not flatten everything else.
4. ``model="knn"`` (default): :class:`~sklearn.neighbors.KNeighborsRegressor`
   with ``k`` (5) neighbours and inverse-distance weights, on standardised
   features (each block of features weighing the same); the acquisition is
   *predicted score + kappa x min(1, 2 d / d0)*, where d is the distance from
   a candidate to its nearest evaluated (or already picked) candidate and d0
   the median nearest-neighbour distance among the evaluated ones.  Scores
   are in standard units, so ``kappa`` (0.5) is a bonus of at most half a
   standard deviation for novelty, reached at half the usual spacing: a
   tie-breaker towards unexplored functions among similar predictions.  The
   bound matters: an unbounded distance bonus let far-out oddities win and
   doubled the evaluations needed on a planted problem (median 24 -> 39-56
   over 10-20 seeds on ``atan(x) * cos(x)``, a teacher used for tuning only;
   kappa = 0 gave 24 as well with random initial picks).  With the medoids
   design, 0.5 was a little better than 0.25 on all four tuning teachers and
   the three benchmark settings but one (medians 22.5 -> 21.5, 9 -> 8,
   8.5 -> 7.5, 16.5 -> 16.5; benchmark 44.5 -> 43, 10 -> 9, 29.5 -> 26.5);
   1.0 was mixed (25, 6.5, 6.5, 16.5) and k = 3 neighbours mixed as well
   (28.5, 10.5, 9.5, 13).
   ``model="gp"``: :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
   (Matern 5/2 + white noise on the same features, hyperparameters fitted
   each time) with UCB, *mean + kappa x std*; it predicts held-out spirals
   scores a little better (median Spearman 0.77 against 0.70) but fits take
   0.1-0.5 s and it searched no better (median 38-40 on the same problem).
5. ``batch`` (default 4, the strategy's ``batch_size``) candidates are picked
   from one fit: the best by acquisition, then the best again with the picks
   counted as evaluated (for kNN they shrink the distance term; for the GP
   they are added at their predicted mean, the "kriging believer"), so a batch
   does not crowd one spot.  The driver asks a whole batch before telling.

All randomness comes from the strategy's generator and the model is
deterministic, so the same seed and the same told outcomes give the same asks.
:meth:`SurrogateSearch.summary` reports the number evaluated and the model's
leave-one-out Spearman correlation on the told outcomes with a finite score.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...expression import Expression, parse
from ...results import SCORED_STATUSES
from ..base import TOP_RUNG, Candidate, Outcome, Strategy, in_space, option
from .acquisition import acquire, design
from .features import features, fingerprint, screened_out
from .model import MODELS, SurrogateModel

#: The first evaluations of a search (they need not be in the space).
BASELINES = ("relu(x)", "swish(x)", "gelu(x)", "elu(x)", "leaky_relu(x)", "tanh(x)", "softplus(x)")
INITS = ("medoids", "random")


@dataclass(frozen=True)
class SurrogateOptions:
    """The options of :class:`SurrogateSearch` (see the module docstring for what each does).

    ``baselines`` as text separates expressions with ``;`` (their arguments
    hold commas); none, or an empty list, asks no baselines.

    >>> SurrogateOptions().pool
    500
    """

    batch: int = option(4, low=1)
    pool: int = option(500, low=1)
    kappa: float = 0.5
    n_initial: int = 4
    prescreen: bool = True
    flow: bool = True
    model: str = option("knn", choices=MODELS)
    k: int = 5
    margin: float = 0.5
    baselines: tuple[str, ...] | None = option(BASELINES, separator=";")
    init: str = option("medoids", choices=INITS)


class SurrogateSearch(Strategy):
    """Pick candidates by a surrogate model of the score (see the module docstring)."""

    name = "surrogate"
    batch_size = 4

    options_type = SurrogateOptions

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        o = self.settings
        self.batch_size = o.batch
        self.pool = o.pool
        self.kappa = o.kappa
        self.n_initial = o.n_initial
        self.prescreen = o.prescreen
        self.flow = o.flow
        self.init = o.init
        self.model = SurrogateModel(o.model, k=o.k, margin=o.margin, flow=self.flow)
        # in a per-layer space a baseline is itself in every group (the features need one part per group)
        self.queue: list[tuple[Expression, str]] = [(in_space(space, parse(b)), "baseline") for b in o.baselines or ()]
        self.asked: set[str] = set()
        self.pending: list[Candidate] = []
        self.told: dict[str, tuple[np.ndarray, float, str]] = {}  # fingerprint -> features, score, expression
        self.reached: dict[str, int] = {}  # fingerprint -> how far racing let it go (Outcome.reached)
        self.n_asked = 0
        self.n_fits = 0
        self._enumerated: list[Expression] | None = None

    # --- proposals --------------------------------------------------------------
    def warm_start(self, expressions):
        self.queue.extend((in_space(self.space, e), "warm_start") for e in expressions)

    def _candidate(self, expr: Expression, source: str, **info) -> Candidate:
        fp = fingerprint(expr)
        if fp is not None:
            self.asked.add(fp)
        self.n_asked += 1
        return Candidate(expr, trial=self.n_asked - 1, info={"source": source, **info})

    def _draws(self) -> list[Expression]:
        space = self.space
        if space.kind == "core_unit" and space.size() <= self.pool:
            if self._enumerated is None:
                self._enumerated = [space.build(c, c["n_units"]) for c in space.enumerate()]
            order = self.rng.permutation(len(self._enumerated))
            return [self._enumerated[i] for i in order]
        return [space.sample(self.rng) for _ in range(self.pool)]

    def _pool(self) -> list[tuple[Expression, str]]:
        out, seen = [], set()
        for expr in self._draws():
            fp = fingerprint(expr)
            if fp is None or fp in self.asked or fp in seen:
                continue
            seen.add(fp)
            if self.prescreen and screened_out(expr):
                continue
            out.append((expr, fp))
        return out

    def ask(self) -> Candidate | None:
        while self.queue:
            expr, source = self.queue.pop(0)
            if fingerprint(expr) not in self.asked:
                return self._candidate(expr, source)
        if not self.pending:
            self.pending = self._next_batch()
        return self.pending.pop(0) if self.pending else None

    def _next_batch(self) -> list[Candidate]:
        pool = self._pool()
        if not pool:
            return []
        finite = sum(math.isfinite(s) for _, s, _ in self.told.values())
        n = min(self.batch_size, len(pool))
        if finite < max(self.n_initial, 2):
            if self.init == "random":
                return [self._candidate(e, "random") for e, _ in pool[:n]]
            return [self._candidate(pool[i][0], "design") for i in self._design(pool, n)]
        X = np.array([f for f, _, _ in self.told.values()])
        self.model.fit(X, self._targets())
        self.n_fits += 1
        P = np.array([features(e, self.flow) for e, _ in pool])
        picks = acquire(self.model, P, n, self.kappa)
        return [self._candidate(pool[i][0], "model", predicted=float(score)) for i, score in picks]

    def _design(self, pool: list[tuple[Expression, str]], n: int) -> list[int]:
        """The initial design's picks from the pool (:func:`~.acquisition.design`)."""
        P = np.array([features(e, self.flow) for e, _ in pool])
        T = np.array([f for f, _, _ in self.told.values()]).reshape(-1, P.shape[1])
        return design(P, T, n)

    # --- outcomes -----------------------------------------------------------------
    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        fp = fingerprint(candidate.expression)
        if fp is None:
            return
        score = outcome.val_score
        raced_out = outcome.reached != TOP_RUNG
        good = (outcome.status in SCORED_STATUSES or raced_out) and score is not None and math.isfinite(score)
        self.told[fp] = (features(candidate.expression, self.flow), float(score) if good else math.nan,
                         str(candidate.expression))
        self.reached[fp] = outcome.reached

    def _targets(self) -> np.ndarray:
        """The told scores to fit, ranked as racing ranked them: a candidate stopped at a lower rung below
        every one that went further (then by score), so a partial score never passes for a full one.
        Without racing these are the scores themselves."""
        y = np.array([s for _, s, _ in self.told.values()])
        levels = np.array([self.reached[fp] for fp in self.told])
        ok = np.isfinite(y)
        if len(set(levels[ok].tolist())) <= 1:
            return y
        span = float(np.max(y[ok]) - np.min(y[ok])) + 1.0
        rank = {level: i for i, level in enumerate(sorted(set(levels[ok].tolist())))}
        return np.where(ok, y + span * np.array([rank.get(v, 0) for v in levels.tolist()]), np.nan)

    # --- report -------------------------------------------------------------------
    def summary(self) -> dict:
        scores = [(s, e) for _, s, e in self.told.values() if math.isfinite(s)]
        out: dict[str, Any] = {"n_evaluated": len(self.told), "n_finite": len(scores),
                               "n_failed": len(self.told) - len(scores), "n_fits": self.n_fits,
                               "model": self.model.model, "loo_spearman": None}
        if scores:
            best = max(scores, key=lambda t: t[0])
            out["best"] = {"expression": best[1], "val_score": best[0]}
        if len(scores) >= 5:
            from scipy.stats import spearmanr

            X = np.array([f for f, _, _ in self.told.values()])
            y = self._targets()
            model = SurrogateModel(self.model.model, self.model.k, self.model.margin, self.flow).fit(X, y)
            pred = model.loo_predictions()
            ok = np.isfinite(y)
            with contextlib.suppress(Exception), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rho = float(spearmanr(pred[ok], y[ok]).statistic)
                out["loo_spearman"] = rho if math.isfinite(rho) else None
        return out
