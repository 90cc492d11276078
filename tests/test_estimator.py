"""ActivationSearchClassifier and ActivationSearchRegressor as scikit-learn estimators."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import load_diabetes, load_iris, make_moons
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from actsearch import ActivationSearch, ActivationSearchClassifier, ActivationSearchRegressor

FAST = dict(space="small", budget=3, hidden=(8,), epochs=5)


@pytest.mark.parametrize("kind", [ActivationSearchClassifier, ActivationSearchRegressor])
def test_scikit_learn_estimator_checks(kind):
    """All of scikit-learn's checks but one, which is documented here.

    check_fit2d_1feature fits 10 rows of 3 classes; the stratified train/validation/test
    split needs at least 5 rows per class, and says so in a clear error that does not
    mention the one feature the check looks for.  (The regressor has no classes and
    passes it.)  check_methods_subset_invariance, for the regressor only: the network is
    float32, and BLAS blocks a matrix product differently for 20 rows than for one, so a
    row's prediction can move by about 1e-7 relative, at the check's tolerance; a class
    label does not move.  The settings learn enough for check_*_train's score floors.
    """
    expected = {"check_fit2d_1feature": "stratified split needs 5 per class"} \
        if kind is ActivationSearchClassifier else \
        {"check_methods_subset_invariance": "float32 predictions move by ~1e-7 with the batch size"}
    results = check_estimator(kind(space="small", budget=2, hidden=(16,), epochs=30, lr=0.01),
                              expected_failed_checks=expected, on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 30


def test_scikit_learn_sees_a_classifier_and_a_regressor():
    assert is_classifier(ActivationSearchClassifier()) and not is_regressor(ActivationSearchClassifier())
    assert is_regressor(ActivationSearchRegressor()) and not is_classifier(ActivationSearchRegressor())
    with pytest.raises(ValueError, match="classification"):
        ActivationSearchClassifier(**FAST, task="regression").fit(*make_moons(100, random_state=0))


def test_cross_val_score_on_iris_stratifies_and_scores():
    """iris is sorted by class: unstratified folds would test on a class never trained on (score 0)."""
    X, y = load_iris(return_X_y=True)
    scores = cross_val_score(ActivationSearchClassifier(space="small", budget=10), X, y, cv=3)
    assert scores.mean() >= 0.8, scores


def test_the_old_name_warns():
    X, y = make_moons(100, noise=0.1, random_state=0)
    with pytest.warns(FutureWarning, match="ActivationSearchClassifier"):
        ActivationSearch(**FAST).fit(X, y)


def test_clone_and_params():
    model = ActivationSearchClassifier(**FAST, strategy="optuna")
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    copy.set_params(budget=7)
    assert copy.budget == 7 and model.budget == 3


def test_fit_predict_and_cross_val_score():
    X, y = make_moons(300, noise=0.1, random_state=0)
    labels = np.where(y == 1, "yes", "no")
    model = ActivationSearchClassifier(**FAST).fit(X, labels)
    assert set(model.predict(X)) <= {"yes", "no"}
    proba = model.predict_proba(X[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.score(X, labels) == np.mean(model.predict(X) == labels)
    scores = cross_val_score(ActivationSearchClassifier(**FAST), X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.7)
    assert "best:" in repr(model) and str(model.best_) in repr(model)


def test_regression_and_pipeline():
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), ActivationSearchRegressor(**FAST)).fit(X, y)
    r2 = pipe.score(X, y)
    assert 0.2 < r2 < 1.0
    with pytest.raises(AttributeError):
        pipe[-1].predict_proba(X)


def test_pickle_round_trip():
    X, y = make_moons(200, noise=0.1, random_state=1)
    model = ActivationSearchClassifier(**FAST).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
