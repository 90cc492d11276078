"""scikit-learn estimators around the search: the Python front door for arrays.

``ActivationSearchClassifier`` and ``ActivationSearchRegressor`` (after
scikit-learn's ``MLPClassifier``/``MLPRegressor`` and PySR's ``PySRRegressor``)
search for an activation on your data in ``fit``, then train one network with
the best; ``predict`` uses that network.  They clone, take
``get_params``/``set_params``, and work in ``cross_val_score`` (which
stratifies the classifier's folds) and pipelines; ``score`` is accuracy or R^2.
``ActivationSearch`` is the older name, which infers the task; it warns.

>>> import numpy as np
>>> from sklearn.datasets import make_moons
>>> X, y = make_moons(200, noise=0.1, random_state=0)
>>> model = ActivationSearchClassifier(space="small", budget=3, hidden=(8,), epochs=5).fit(X, y)
>>> model.predict(X[:3]).shape, str(model.best_) != ""
((3,), True)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class _ActivationSearchBase(BaseEstimator):
    """Search an activation for ``(X, y)``, then fit a network with the winner.

    Parameters mirror :func:`actsearch.search`: ``space``, ``strategy``,
    ``budget``, ``seed``, ``seeds`` (training seeds per candidate), the
    training protocol (``hidden``, ``epochs``, ``batch_size``, ``lr``), and
    ``task`` (``"classification"``, ``"regression"`` or None to infer; the
    classifier and the regressor accept only their own, or None).
    ``final_k`` > 0 re-evaluates the top candidates (and ``baselines``) with
    ``final_seeds`` seeds before choosing.

    Attributes after ``fit``: ``best_`` (an Expression), ``results_`` (the
    table), ``leaderboard_``, ``classes_`` (classification), ``n_features_in_``.
    """

    def __init__(self, space: str = "default", strategy: str = "random", budget: int = 20, seed: int = 0,
                 seeds: int = 1, hidden: Sequence[int] = (32, 32), epochs: int = 30, batch_size: int = 32,
                 lr: float = 3e-3, task: str | None = None, final_k: int = 0, final_seeds: int = 3,
                 baselines: Sequence[str] = (), strategy_options: dict | None = None, out: str | None = None):
        self.space = space
        self.strategy = strategy
        self.budget = budget
        self.seed = seed
        self.seeds = seeds
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.task = task
        self.final_k = final_k
        self.final_seeds = final_seeds
        self.baselines = baselines
        self.strategy_options = strategy_options
        self.out = out

    #: the task this class is for (None: inferred from y)
    _own_task: str | None = None

    def _train_config(self):
        from .networks import TrainConfig

        return TrainConfig(hidden=tuple(self.hidden), epochs=self.epochs, batch_size=self.batch_size, lr=self.lr)

    def fit(self, X, y):
        """Run the search on ``(X, y)`` and train the final network with the best activation."""
        from .datasets import infer_task, make_dataset
        from .networks import Trainer
        from .driver import search

        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=self._own_task == "regression")
        if self._own_task == "classification":
            from sklearn.utils.multiclass import check_classification_targets

            check_classification_targets(y)  # a continuous y is refused, as scikit-learn's classifiers do
        if self._own_task and self.task not in (None, self._own_task):
            raise ValueError(f"{type(self).__name__} is for {self._own_task}; got task={self.task!r}")
        task = self._own_task or self.task or infer_task(y)
        data = make_dataset(X, y, task=task, name="arrays", seed=0)
        result = search(space=self.space, strategy=self.strategy, dataset=data, budget=self.budget,
                        seed=self.seed, out=self.out, seeds=self.seeds, final_k=self.final_k,
                        final_seeds=self.final_seeds, baselines=tuple(self.baselines),
                        strategy_options=dict(self.strategy_options or {}), train=self._train_config(),
                        progress=False)
        self.results_ = result.table
        self.leaderboard_ = result.leaderboard
        self.best_ = result.best if result.best is not None else _fallback()
        self._data = data
        self._task = data.task
        if data.task != "regression":
            self.classes_ = np.asarray(data.classes)
        self._trainer = Trainer(self.best_, data, self._train_config())
        result = self._trainer.fit(self.seed)
        self._net = result.net
        self._fit_result = replace(result, net=None)  # the report; the network is self._net
        return self

    def _raw(self, X):
        check_is_fitted(self, "best_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._trainer.predict(self._net, self._data.transform(X))

    def predict(self, X):
        """Class labels (classification) or values (regression)."""
        out = self._raw(X)
        if self._task == "regression":
            return out[:, 0] * self._data.y_scale + self._data.y_mean
        if self._task == "binary":
            return self.classes_[(out[:, 0] > 0.5).astype(int)]
        return self.classes_[out.argmax(axis=1)]

    def score(self, X, y):
        """Accuracy for classification, R^2 for regression (scikit-learn's conventions)."""
        from sklearn.metrics import accuracy_score, r2_score

        check_is_fitted(self, "best_")
        pred = self.predict(X)
        return r2_score(y, pred) if self._task == "regression" else accuracy_score(y, pred)

    def __getstate__(self):
        # Compiled activations hold closures, which do not pickle: keep the
        # weights and rebuild the trainer on load.
        state = dict(self.__dict__)
        state.pop("_trainer", None)
        net = state.pop("_net", None)
        if net is not None:
            state["_theta"] = net.theta.copy()
        return state

    def __setstate__(self, state):
        theta = state.pop("_theta", None)
        self.__dict__.update(state)
        if theta is not None:
            from .networks import Trainer

            self._trainer = Trainer(self.best_, self._data, self._train_config())
            self._net = self._trainer.new_net()
            self._net.theta[:] = theta

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        """The parameters and, once fitted, the best candidates (as PySRRegressor shows its equations)."""
        text = super().__repr__(N_CHAR_MAX)
        if not hasattr(self, "best_"):
            return text
        table = self.results_
        ok = table[(table["stage"] == "search") & (table["status"] == "ok")]
        ok = ok.sort_values(["val_score", "eval_id"], ascending=[False, True]).drop_duplicates("fingerprint")
        lines = [text, f"best: {self.best_}", f"{'complexity':>10}  {'val_score':>9}  expression"]
        for _, row in ok.head(5).iterrows():
            lines.append(f"{int(row['complexity']):>10}  {row['val_score']:>9.4f}  {row['expression']}")
        return "\n".join(lines)


class _Probabilities:
    """``predict_proba`` for the estimators that classify."""

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        check_is_fitted(self, "best_")
        if self._task == "regression":
            raise AttributeError("predict_proba is only available for classification")
        out = self._raw(X)
        if self._task == "binary":
            return np.column_stack([1.0 - out[:, 0], out[:, 0]])
        return out


class ActivationSearchClassifier(ClassifierMixin, _Probabilities, _ActivationSearchBase):
    """:class:`_ActivationSearchBase` for classification: labels of any type, ``predict_proba``, accuracy.

    >>> from sklearn.base import is_classifier
    >>> is_classifier(ActivationSearchClassifier())
    True
    """

    _own_task = "classification"


class ActivationSearchRegressor(RegressorMixin, _ActivationSearchBase):
    """:class:`_ActivationSearchBase` for regression: numeric targets, R^2.

    >>> from sklearn.base import is_regressor
    >>> is_regressor(ActivationSearchRegressor())
    True
    """

    _own_task = "regression"


class ActivationSearch(_Probabilities, _ActivationSearchBase):
    """The older name: infers the task from ``y``.  Use the classifier or the regressor.

    scikit-learn sees neither a classifier nor a regressor here, so
    ``cross_val_score`` does not stratify; that is why it warns.
    """

    def fit(self, X, y):
        import warnings

        warnings.warn("ActivationSearch is deprecated: use ActivationSearchClassifier or ActivationSearchRegressor, "
                      "which scikit-learn recognises (stratified folds, the right score)", FutureWarning,
                      stacklevel=2)
        return super().fit(X, y)


def _fallback():
    """The activation used when no candidate trained successfully."""
    from .expression import parse

    return parse("relu(x)")
