"""The regressor of the surrogate search: kNN or a Gaussian process on standardised features."""

from __future__ import annotations

import warnings

import numpy as np

from ...errors import ConfigError
from .features import block_weights

MODELS = ("knn", "gp")


def normal_scores(y: np.ndarray) -> np.ndarray:
    """Ranks mapped to standard-normal quantiles (ties share their mean rank)."""
    from scipy.stats import norm, rankdata

    n = len(y)
    return norm.ppf((rankdata(y) - 0.5) / n)


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
        return normal_scores(y)

    def fit(self, X, y) -> SurrogateModel:
        X = np.asarray(X, dtype=np.float64)
        self.center = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale = np.where(scale > 1e-9, scale, 1.0)
        self.weight = block_weights(X.shape[1])
        self.X = self.transform(X)
        self.y = self.labels(y)
        if self.model == "knn":
            from sklearn.neighbors import KNeighborsRegressor

            self.reg = KNeighborsRegressor(n_neighbors=min(self.k, len(self.y)), weights="distance")
            self.reg.fit(self.X, self.y)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # hyperparameters at a bound: harmless here
                self.reg = self.gp_regressor(optimize=True).fit(self.X, self.y)
        return self

    def gp_regressor(self, optimize: bool, kernel=None):
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
                reg = self.gp_regressor(optimize=False, kernel=self.reg.kernel_).fit(self.X[keep], self.y[keep])
                out[i] = reg.predict(self.X[i:i + 1])[0]
        return out
