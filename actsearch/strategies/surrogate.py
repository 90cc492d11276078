"""Surrogate search: a regressor on training-free features picks what to train next.

After AQuaSurF (Bingham & Miikkulainen 2023, "Efficient activation function
optimization through surrogate modeling"): an activation's behaviour can be
described without training it, and functions that look alike train alike, so
a cheap model fitted on the outcomes told so far ranks many unevaluated
candidates and only the most promising are trained.

Features (:func:`features`, no training):

* the outputs on the 64 standard-normal fingerprint probes
  (``PROBES[:64]``, sorted by input), squashed with ``asinh`` and clipped,
  so a function that explodes or returns NaN still gives finite numbers;
* statistics of the slope f' on those probes: mean, std, min, max, mean |f'|
  (each ``asinh``-squashed) and the fraction of near-zero slopes (|f'| < 0.01);
* the fraction of non-finite values and slopes;
* the gradient flow of an untrained deep network (``flow=True``, the
  default): a fixed batch of 128 standard-normal inputs through six layers of
  32 with the activation and the trainer's initialisation rule
  of old (He for rectifier-like functions,
  :func:`~actsearch.initialisation.is_rectifier_like`, else Xavier), giving log10 of the last layer's
  activation spread, log10 of the ratio of backpropagated gradient norms
  (first over last layer), the last layer's mean over its spread and its
  share of dead (zero-slope) units.  About 1 ms per candidate.

Features are cached by expression for the whole process, so the pools of a
long search or of many benchmark seeds cost little.

Search (options are keyword arguments, all optional):

1. ``baselines`` (default relu, swish, gelu, elu, leaky_relu, tanh, softplus)
   are asked first, whether or not the space contains them; ``()`` disables
   them.  Then any ``warm_start`` expressions.
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
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..expression import PROBES, Expression, parse
from ..screening import screen
from .base import Candidate, Outcome, Strategy

#: The first evaluations of a search (they need not be in the space).
BASELINES = ("relu(x)", "swish(x)", "gelu(x)", "elu(x)", "leaky_relu(x)", "tanh(x)", "softplus(x)")
MODELS = ("knn", "gp")
INITS = ("medoids", "random")
GOOD = ("ok", "cached")

#: The 64 standard-normal probes, sorted by input.
X_PROBES = np.sort(PROBES[:64])
#: Where the feature blocks start and end (see :func:`features`).
VALUES = slice(0, 64)
SLOPES = slice(64, 71)
FLOW = slice(71, 75)
CLIP = 20.0
NEAR_ZERO_SLOPE = 1e-2

_FLOW_WIDTH, _FLOW_DEPTH, _FLOW_N = 32, 6, 128
_flow_rng = np.random.default_rng(20230417)
_FLOW_INPUT = _flow_rng.standard_normal((_FLOW_N, _FLOW_WIDTH))
_FLOW_WEIGHTS = [_flow_rng.standard_normal((_FLOW_WIDTH, _FLOW_WIDTH)) for _ in range(_FLOW_DEPTH)]
_FLOW_GRAD = _flow_rng.standard_normal((_FLOW_N, _FLOW_WIDTH))
del _flow_rng

_CACHE: dict[tuple, Any] = {}
_CACHE_MAX = 200_000


def _squash(values) -> np.ndarray:
    """asinh, with NaN to 0 and +-inf (and huge values) clipped to +-CLIP."""
    v = np.asarray(values, dtype=np.float64)
    v = np.nan_to_num(v, nan=0.0, posinf=1e300, neginf=-1e300)
    return np.clip(np.arcsinh(v), -CLIP, CLIP)


def _log10(value: float) -> float:
    if not math.isfinite(value):
        return 10.0 if value > 0 else -10.0  # NaN counts as exploded
    return float(np.clip(np.log10(max(value, 1e-300)), -10.0, 10.0))


def _flow(expr: Expression) -> np.ndarray:
    """Gradient flow through an untrained 6 x 32 network (4 numbers, always finite)."""
    from ..initialisation import is_rectifier_like

    gain = math.sqrt((2.0 if is_rectifier_like(expr) else 1.0) / _FLOW_WIDTH)
    H, slopes, weights = _FLOW_INPUT, [], []
    for W in _FLOW_WEIGHTS:
        W = W * gain
        H, d = expr.value_and_derivative(H @ W)
        H = np.nan_to_num(np.asarray(H, dtype=np.float64), nan=0.0, posinf=1e150, neginf=-1e150)
        d = np.nan_to_num(np.broadcast_to(np.asarray(d, dtype=np.float64), H.shape), nan=0.0,
                          posinf=1e150, neginf=-1e150)
        slopes.append(d)
        weights.append(W)
    G = _FLOW_GRAD
    last = float(np.linalg.norm(G))
    for W, d in zip(reversed(weights), reversed(slopes)):
        G = np.nan_to_num((G * d) @ W.T, nan=0.0, posinf=1e150, neginf=-1e150)
    spread = float(np.std(H))
    mean = float(np.mean(H))
    return np.array([
        _log10(spread),
        _log10(float(np.linalg.norm(G)) / last),
        float(_squash(mean / spread)) if spread > 0 else 0.0,
        float(np.mean(np.abs(slopes[-1]) < 1e-12)),
    ])


def features(expr: Expression, flow: bool = True) -> np.ndarray:
    """Training-free features of an activation: a vector of 75 finite floats (71 without ``flow``).

    ``[0:64]``
        ``asinh(f(x))`` on the 64 standard-normal fingerprint probes sorted by
        input (NaN counts as 0, values clipped to +-20).
    ``[64:71]``
        slope statistics on the same probes: ``asinh`` of the mean, std, min,
        max and mean absolute value of f', the fraction of near-zero slopes
        (|f'| < 0.01) and the fraction of non-finite values or slopes.
    ``[71:75]`` (``flow=True``)
        gradient flow of an untrained 6 x 32 network on fixed inputs: log10
        activation spread at the last layer, log10 of the first- over
        last-layer gradient norm, the last layer's mean over its spread, and
        its share of dead units.

    Never raises on NaN, inf or overflow; equal functions get equal features.

    >>> f = features(parse("x * sigmoid(x)"))
    >>> f.shape, bool(np.all(np.isfinite(features(parse("exp(exp(x))")))))
    ((75,), True)
    """
    key = (expr.tree, tuple(sorted(expr.params.items())), bool(flow))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values, slopes = expr.value_and_derivative(X_PROBES)
            values = np.broadcast_to(np.asarray(values, dtype=np.float64), X_PROBES.shape)
            slopes = np.broadcast_to(np.asarray(slopes, dtype=np.float64), X_PROBES.shape)
        except Exception:  # noqa: BLE001 - a function that cannot be computed looks like nothing
            values = slopes = np.full(X_PROBES.shape, np.nan)
        bad = float(np.mean(~np.isfinite(values) | ~np.isfinite(slopes)))
        s = np.nan_to_num(slopes, nan=0.0, posinf=1e300, neginf=-1e300)
        stats = [*_squash([np.mean(np.clip(s, -1e150, 1e150)), np.std(np.clip(s, -1e150, 1e150)),
                           np.min(s), np.max(s), np.mean(np.abs(np.clip(s, -1e150, 1e150)))]),
                 float(np.mean(np.abs(s) < NEAR_ZERO_SLOPE)), bad]
        parts = [_squash(values), np.asarray(stats, dtype=np.float64)]
        if flow:
            try:
                parts.append(_flow(expr))
            except Exception:  # noqa: BLE001
                parts.append(np.array([10.0, 10.0, 0.0, 1.0]))
    out = np.nan_to_num(np.concatenate(parts), nan=0.0, posinf=CLIP, neginf=-CLIP)
    out = np.round(out, 8)  # forgive the last bits between equivalent ways of computing a function
    out.setflags(write=False)
    if len(_CACHE) < _CACHE_MAX:
        _CACHE[key] = out
    return out


def _fingerprint(expr: Expression) -> str | None:
    try:
        return expr.fingerprint
    except Exception:  # noqa: BLE001 - cannot be probed: never a repeat
        return None


def _normal_scores(y: np.ndarray) -> np.ndarray:
    """Ranks mapped to standard-normal quantiles (ties share their mean rank)."""
    from scipy.stats import norm, rankdata

    n = len(y)
    return norm.ppf((rankdata(y) - 0.5) / n)


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


class SurrogateModel:
    """The regressor of :class:`SurrogateSearch`, usable on its own (tests, analysis).

    ``fit(X, y)`` takes raw :func:`features` rows and scores (NaN = failed);
    ``predict(X)`` gives predictions in standard units of the normal-scored
    training scores (higher is better) and, for the GP, a std.
    """

    def __init__(self, model: str = "knn", k: int = 5, margin: float = 0.5, flow: bool = True):
        if model not in MODELS:
            raise ConfigError(f"unknown surrogate model {model!r}; choose one of {', '.join(MODELS)}")
        self.model, self.k, self.margin, self.flow = model, int(k), float(margin), bool(flow)

    def labels(self, y) -> np.ndarray:
        """Scores with failures (NaN) set low, then normal-scored."""
        y = np.asarray(y, dtype=np.float64)
        ok = np.isfinite(y)
        y = y.copy()
        if ok.any():
            lo, hi = float(np.min(y[ok])), float(np.max(y[ok]))
            y[~ok] = lo - self.margin * max(hi - lo, 1e-3)
        else:
            y[:] = 0.0
        return _normal_scores(y)

    def fit(self, X, y) -> SurrogateModel:
        X = np.asarray(X, dtype=np.float64)
        self.center = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale = np.where(scale > 1e-9, scale, 1.0)
        self.weight = _block_weights(X.shape[1])
        self.X = self.transform(X)
        self.y = self.labels(y)
        if self.model == "knn":
            from sklearn.neighbors import KNeighborsRegressor

            self.reg = KNeighborsRegressor(n_neighbors=min(self.k, len(self.y)), weights="distance")
            self.reg.fit(self.X, self.y)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # hyperparameters at a bound: harmless here
                self.reg = self._gp(optimize=True).fit(self.X, self.y)
        return self

    def _gp(self, optimize: bool, kernel=None):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        if kernel is None:
            kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(1.0, (1e-2, 1e2), nu=2.5) \
                + WhiteKernel(0.1, (1e-4, 1.0))
        return GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                        optimizer="fmin_l_bfgs_b" if optimize else None)

    def transform(self, X) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.center) / self.scale * self.weight

    def predict(self, X, return_std: bool = False):
        Z = self.transform(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.model == "gp":
                return self.reg.predict(Z, return_std=return_std)
            mean = self.reg.predict(Z)
        return (mean, None) if return_std else mean

    def loo_predictions(self) -> np.ndarray:
        """Leave-one-out predictions on the training rows (hyperparameters kept)."""
        n = len(self.y)
        out = np.empty(n)
        if self.model == "knn":
            from sklearn.neighbors import KNeighborsRegressor

            for i in range(n):
                keep = np.arange(n) != i
                reg = KNeighborsRegressor(n_neighbors=min(self.k, n - 1), weights="distance")
                out[i] = reg.fit(self.X[keep], self.y[keep]).predict(self.X[i:i + 1])[0]
            return out
        for i in range(n):
            keep = np.arange(n) != i
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = self._gp(optimize=False, kernel=self.reg.kernel_).fit(self.X[keep], self.y[keep])
                out[i] = reg.predict(self.X[i:i + 1])[0]
        return out


class SurrogateSearch(Strategy):
    """Pick candidates by a surrogate model of the score (see the module docstring)."""

    name = "surrogate"
    batch_size = 4

    option_names = ("batch", "pool", "kappa", "n_initial", "prescreen", "flow", "model", "k", "margin",
                    "baselines", "init")

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        self.batch_size = int(options.get("batch", type(self).batch_size))
        self.pool = int(options.get("pool", 500))
        self.kappa = float(options.get("kappa", 0.5))
        self.n_initial = int(options.get("n_initial", 4))
        self.prescreen = _truthy(options.get("prescreen", True))
        self.flow = _truthy(options.get("flow", True))
        self.init = str(options.get("init", "medoids"))
        if self.init not in INITS:
            raise ConfigError(f"unknown surrogate init {self.init!r}; choose one of {', '.join(INITS)}")
        if self.batch_size < 1 or self.pool < 1:
            raise ConfigError(f"surrogate options batch={self.batch_size}, pool={self.pool}: expected at least 1")
        self.model = SurrogateModel(options.get("model", "knn"), k=options.get("k", 5),
                                    margin=options.get("margin", 0.5), flow=self.flow)
        baselines = options.get("baselines", BASELINES)
        if isinstance(baselines, str):
            baselines = [b.strip() for b in baselines.split(";") if b.strip()]
        self.queue: list[tuple[Expression, str]] = [(parse(b), "baseline") for b in baselines or ()]
        self.asked: set[str] = set()
        self.pending: list[Candidate] = []
        self.told: dict[str, tuple[np.ndarray, float, str]] = {}  # fingerprint -> features, score, expression
        self.n_asked = 0
        self.n_fits = 0
        self._enumerated: list[Expression] | None = None

    # --- proposals --------------------------------------------------------------
    def warm_start(self, expressions):
        self.queue.extend((e, "warm_start") for e in expressions)

    def _candidate(self, expr: Expression, source: str, **info) -> Candidate:
        fp = _fingerprint(expr)
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
            fp = _fingerprint(expr)
            if fp is None or fp in self.asked or fp in seen:
                continue
            seen.add(fp)
            if self.prescreen and _screened_out(expr):
                continue
            out.append((expr, fp))
        return out

    def ask(self) -> Candidate | None:
        while self.queue:
            expr, source = self.queue.pop(0)
            if _fingerprint(expr) not in self.asked:
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
        y = np.array([s for _, s, _ in self.told.values()])
        self.model.fit(X, y)
        self.n_fits += 1
        P = np.array([features(e, self.flow) for e, _ in pool])
        picks = self._acquire(P, n)
        return [self._candidate(pool[i][0], "model", predicted=float(score)) for i, score in picks]

    def _design(self, pool: list[tuple[Expression, str]], n: int) -> list[int]:
        """Greedy k-medoids (facility location) in feature space: each pick most reduces the
        pool's summed distance to its nearest pick or evaluated candidate (the first is the
        pool's medoid), so the picks are typical functions of different kinds, not outliers."""
        P = np.array([features(e, self.flow) for e, _ in pool])
        T = np.array([f for f, _, _ in self.told.values()]).reshape(-1, P.shape[1])
        both = np.vstack([P, T])
        scale = both.std(axis=0)
        scale = np.where(scale > 1e-9, scale, 1.0)
        weight = _block_weights(P.shape[1])
        Z = (P - both.mean(axis=0)) / scale * weight
        D = _pairwise(Z, Z)
        if len(T):
            cover = _min_dist(Z, (T - both.mean(axis=0)) / scale * weight)
        else:
            cover = np.full(len(Z), float(D.max()))
        picks: list[int] = []
        for _ in range(n):
            gain = np.maximum(cover[:, None] - D, 0.0).sum(axis=0)
            gain[picks] = -np.inf
            i = int(np.argmax(gain))
            picks.append(i)
            cover = np.minimum(cover, D[i])
        return picks

    def _acquire(self, P: np.ndarray, n: int) -> list[tuple[int, float]]:
        model = self.model
        Z = model.transform(P)
        picks: list[tuple[int, float]] = []
        available = np.ones(len(P), dtype=bool)
        if model.model == "knn":
            mean = model.predict(P)
            ref = model.X
            d = _min_dist(Z, ref)
            # d0: typical spacing of the evaluated points (median nearest-neighbour distance)
            if len(ref) > 1:
                dd = _pairwise(ref, ref)
                np.fill_diagonal(dd, np.inf)
                d0 = float(np.median(dd.min(axis=1)))
            else:
                d0 = 1.0
            d0 = d0 if d0 > 1e-12 else 1.0
            for _ in range(n):
                acq = np.where(available, mean + self.kappa * np.minimum(1.0, 2.0 * d / d0), -np.inf)
                i = int(np.argmax(acq))
                picks.append((i, float(mean[i])))
                available[i] = False
                d = np.minimum(d, np.sqrt(np.sum((Z - Z[i]) ** 2, axis=1)))
            return picks
        reg = model.reg
        X_fit, y_fit = model.X, model.y
        for j in range(n):
            mean, std = reg.predict(Z, return_std=True)
            acq = np.where(available, mean + self.kappa * std, -np.inf)
            i = int(np.argmax(acq))
            picks.append((i, float(mean[i])))
            available[i] = False
            if j + 1 < n:  # kriging believer: the pick joins at its predicted mean
                X_fit = np.vstack([X_fit, Z[i:i + 1]])
                y_fit = np.append(y_fit, mean[i])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reg = model._gp(optimize=False, kernel=model.reg.kernel_).fit(X_fit, y_fit)
        return picks

    # --- outcomes -----------------------------------------------------------------
    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        fp = _fingerprint(candidate.expression)
        if fp is None:
            return
        score = outcome.val_score
        good = outcome.status in GOOD and score is not None and math.isfinite(score)
        self.told[fp] = (features(candidate.expression, self.flow), float(score) if good else math.nan,
                         str(candidate.expression))

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
            y = np.array([s for _, s, _ in self.told.values()])
            model = SurrogateModel(self.model.model, self.model.k, self.model.margin, self.flow).fit(X, y)
            pred = model.loo_predictions()
            ok = np.isfinite(y)
            with contextlib.suppress(Exception), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rho = float(spearmanr(pred[ok], y[ok]).statistic)
                out["loo_spearman"] = rho if math.isfinite(rho) else None
        return out


def _screened_out(expr: Expression) -> bool:
    key = ("screen", expr.tree, tuple(sorted(expr.params.items())))
    hit = _CACHE.get(key)
    if hit is None:
        try:
            hit = screen(expr) is not None
        except Exception:  # noqa: BLE001
            hit = True
        if len(_CACHE) < _CACHE_MAX:
            _CACHE[key] = hit
    return hit


def _block_weights(width: int) -> np.ndarray:
    """Column weights so that each block weighs the same in distances, whatever its number of columns."""
    weight = np.ones(width)
    for block in [VALUES, SLOPES] + ([FLOW] if width > FLOW.start else []):
        weight[block] = 1.0 / math.sqrt(len(range(*block.indices(width))))
    return weight


def _pairwise(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    sq = np.sum(A ** 2, axis=1)[:, None] + np.sum(B ** 2, axis=1)[None, :] - 2.0 * A @ B.T
    return np.sqrt(np.maximum(sq, 0.0))


def _min_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return _pairwise(A, B).min(axis=1)
