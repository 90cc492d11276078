"""Datasets: splits, standardisation, CSV loading and input errors.

Every check compares against an independent source of truth: scikit-learn's
own loaders for the raw data, closed-form split sizes, NumPy statistics, and
CSV files written here with pandas.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets as skd
from sklearn.neighbors import NearestNeighbors

from actsearch.datasets import DATASETS, Dataset, infer_task, load_dataset, make_dataset
from actsearch.errors import ActsearchError, DatasetError

#: The bundled scikit-learn sets: raw loader, number of rows, task.
BUNDLED = {
    "breast_cancer": (skd.load_breast_cancer, 569, "binary"),
    "digits": (skd.load_digits, 1797, "multiclass"),
    "iris": (skd.load_iris, 150, "multiclass"),
    "wine": (skd.load_wine, 178, "multiclass"),
    "diabetes": (skd.load_diabetes, 442, "regression"),
}
CLASSIFICATION = ["breast_cancer", "digits", "iris", "wine", "moons", "circles", "spirals", "spirals3", "xor"]


def _split_sizes(n: int, test_size: float = 0.2, val_size: float = 0.2) -> tuple[int, int, int]:
    """train/val/test sizes as scikit-learn's train_test_split rounds them (test part rounded up)."""
    n_test = math.ceil(test_size * n)
    rest = n - n_test
    n_val = math.ceil(val_size * rest)
    return rest - n_val, n_val, n_test


def _all_splits(d: Dataset):
    X = np.vstack([d.X_train, d.X_val, d.X_test])
    y = np.concatenate([d.y_train, d.y_val, d.y_test])
    return X, y


def _zscore(X: np.ndarray) -> np.ndarray:
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _match_rows(split_rows: np.ndarray, raw_rows: np.ndarray) -> np.ndarray:
    """Index of the raw row each split row came from (exact up to float error)."""
    nn = NearestNeighbors(n_neighbors=1).fit(raw_rows)
    dist, idx = nn.kneighbors(split_rows)
    assert dist.max() < 1e-6, f"a split row matches no raw row (distance {dist.max():.3g})"
    return idx[:, 0]


# --- every dataset loads -----------------------------------------------------------

@pytest.mark.parametrize("name", list(DATASETS))
def test_every_builtin_loads_with_consistent_shapes(name):
    d = load_dataset(name, seed=0)
    assert isinstance(d, Dataset)
    assert d.name == name
    for X, y in ((d.X_train, d.y_train), (d.X_val, d.y_val), (d.X_test, d.y_test)):
        assert X.ndim == 2 and y.ndim == 1 and X.shape[0] == y.shape[0] > 0
        assert X.shape[1] == d.n_features
        assert np.all(np.isfinite(X))
    assert len(d.feature_names) == d.n_features
    n = len(d.y_train) + len(d.y_val) + len(d.y_test)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == _split_sizes(n)


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled_sizes_match_sklearn(name):
    loader, n_rows, task = BUNDLED[name]
    raw = loader()
    assert raw.data.shape[0] == n_rows  # the numbers in the brief are sklearn's
    d = load_dataset(name, seed=0)
    assert d.task == task
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == n_rows
    assert d.n_features == raw.data.shape[1]
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == _split_sizes(n_rows)
    if task != "regression":
        assert d.n_classes == len(np.unique(raw.target))
        assert d.n_outputs == (d.n_classes if task == "multiclass" else 1)
    else:
        assert d.n_outputs == 1


def test_breast_cancer_split_sizes_closed_form():
    # 569 rows: test ceil(113.8) = 114, validation ceil(0.2 * 455) = 91, train 364.
    d = load_dataset("breast_cancer")
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (364, 91, 114)
    assert d.describe() == "breast_cancer: binary, 30 features, 364/91/114 train/val/test rows"


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "iris", "diabetes"])
def test_splits_are_a_partition_of_the_raw_rows(name):
    """Every raw row lands in exactly one split (no loss, no duplication)."""
    loader = BUNDLED[name][0]
    raw = loader()
    d = load_dataset(name, seed=3)
    X, _ = _all_splits(d)
    # One affine map per column was applied to every row, so z-scoring over all
    # rows undoes it whatever the training statistics were.
    idx = _match_rows(_zscore(X), _zscore(raw.data.astype(float)))
    if name != "iris":  # iris has duplicate rows; the others have none
        assert len(np.unique(idx)) == len(idx) == raw.data.shape[0]
    else:
        assert len(idx) == raw.data.shape[0]


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_labels_follow_their_rows(name):
    raw = BUNDLED[name][0]()
    d = load_dataset(name, seed=1)
    X, y = _all_splits(d)
    idx = _match_rows(_zscore(X), _zscore(raw.data))
    np.testing.assert_array_equal(y, raw.target[idx])


# --- stratification -------------------------------------------------------------

@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("seed", [0, 7])
def test_classification_splits_are_stratified(name, seed):
    d = load_dataset(name, seed=seed)
    _, y = _all_splits(d)
    k = d.n_classes
    full = np.bincount(y, minlength=k) / len(y)
    for part in (d.y_train, d.y_val, d.y_test):
        assert set(np.unique(part)) == set(range(k)), "every class appears in every split"
        prop = np.bincount(part, minlength=k) / len(part)
        np.testing.assert_allclose(prop, full, atol=0.05)


def test_labels_are_integers_from_zero():
    d = load_dataset("wine")
    for part in (d.y_train, d.y_val, d.y_test):
        assert np.issubdtype(part.dtype, np.integer)
        assert part.min() >= 0 and part.max() < d.n_classes


# --- standardisation ------------------------------------------------------------

@pytest.mark.parametrize("name", list(DATASETS))
def test_features_standardised_on_training_split(name):
    d = load_dataset(name, seed=0)
    sd = d.X_train.std(axis=0)
    varying = sd > 1e-12
    assert varying.any()
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(sd[varying], 1.0, rtol=1e-9)
    # Constant training columns are left at zero, not divided by zero.
    assert np.all(d.X_train[:, ~varying] == 0.0)


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine", "diabetes", "moons"])
def test_test_split_is_not_restandardised(name):
    d = load_dataset(name, seed=0)
    # Standardising each split on its own statistics would make these exactly 0 and 1.
    assert np.abs(d.X_test.mean(axis=0)).max() > 1e-3
    assert np.abs(d.X_val.mean(axis=0)).max() > 1e-3


@pytest.mark.parametrize("name", ["breast_cancer", "diabetes"])
def test_val_and_test_use_training_statistics(name):
    """Recover the raw rows, then standardise them by hand with the training rows' mean and std."""
    raw = BUNDLED[name][0]().data.astype(float)
    d = load_dataset(name, seed=2)
    raw_z = _zscore(raw)
    parts = {}
    for part in ("train", "val", "test"):
        X = getattr(d, f"X_{part}")
        parts[part] = X
    X_all = np.vstack(list(parts.values()))
    idx = _match_rows(_zscore(X_all), raw_z)
    sizes = np.cumsum([0] + [len(v) for v in parts.values()])
    raw_parts = {p: raw[idx[sizes[i]:sizes[i + 1]]] for i, p in enumerate(parts)}
    mean = raw_parts["train"].mean(axis=0)
    std = raw_parts["train"].std(axis=0)  # population std, as StandardScaler
    for p in ("train", "val", "test"):
        np.testing.assert_allclose(parts[p], (raw_parts[p] - mean) / std, atol=1e-9)


# --- seeds ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["iris", "diabetes", "moons", "spirals"])
def test_same_seed_same_arrays(name):
    a, b = load_dataset(name, seed=4), load_dataset(name, seed=4)
    for attr in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert (a.y_mean, a.y_scale) == (b.y_mean, b.y_scale)


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "diabetes", "moons"])
def test_different_seed_different_split(name):
    a, b = load_dataset(name, seed=0), load_dataset(name, seed=1)
    assert a.X_train.shape == b.X_train.shape
    assert not np.array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.y_train, b.y_train) or not np.array_equal(a.X_train, b.X_train)


def test_different_seed_moves_rows_between_splits():
    raw = skd.load_breast_cancer().data
    rows = {}
    for seed in (0, 1):
        d = load_dataset("breast_cancer", seed=seed)
        X, _ = _all_splits(d)
        idx = _match_rows(_zscore(X), _zscore(raw))
        n_test = len(d.y_test)
        rows[seed] = set(idx[-n_test:].tolist())
    assert rows[0] != rows[1]


# --- regression target -------------------------------------------------------------

def test_diabetes_target_standardised_and_invertible():
    raw = skd.load_diabetes()
    d = load_dataset("diabetes", seed=0)
    assert d.task == "regression" and d.n_outputs == 1
    assert abs(d.y_train.mean()) < 1e-9
    assert d.y_train.std() == pytest.approx(1.0, rel=1e-9)
    assert 100.0 < d.y_mean < 200.0 and 50.0 < d.y_scale < 100.0  # raw targets are 25..346, mean ~152
    X, y = _all_splits(d)
    y_raw = y * d.y_scale + d.y_mean
    np.testing.assert_allclose(np.sort(y_raw), np.sort(raw.target.astype(float)), atol=1e-8)
    # Row by row: the undone target belongs to the row it is stored with.
    idx = _match_rows(_zscore(X), _zscore(raw.data))
    np.testing.assert_allclose(y_raw, raw.target[idx], atol=1e-8)
    # y_mean and y_scale are the training rows' statistics, not the whole set's.
    train_raw = raw.target[idx[:len(d.y_train)]]
    assert d.y_mean == pytest.approx(train_raw.mean(), rel=1e-12)
    assert d.y_scale == pytest.approx(train_raw.std(), rel=1e-12)
    assert d.y_mean != pytest.approx(raw.target.mean(), rel=1e-9)


# --- CSV files -------------------------------------------------------------------

def _frame(n=80, seed=0, target="label", kind="binary"):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(-3, 3, size=n)})
    if kind == "binary":
        f[target] = np.arange(n) % 2
    elif kind == "multiclass":
        f[target] = np.arange(n) % 3
    elif kind == "float":
        f[target] = 2.0 * f["a"] - f["b"] + rng.normal(scale=0.1, size=n)
    return f


def _write(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def test_csv_with_explicit_target(tmp_path):
    f = _frame()
    f = f[["label", "a", "b"]]  # target first, so the default (last column) would be wrong
    path = _write(tmp_path, f)
    d = load_dataset(path, target="label")
    assert d.task == "binary" and d.n_classes == 2
    assert d.target_name == "label"
    assert d.feature_names == ["a", "b"]
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == len(f)
    # The features are a, b (standardised), not the label.
    X, y = _all_splits(d)
    idx = _match_rows(_zscore(X), _zscore(f[["a", "b"]].to_numpy()))
    np.testing.assert_array_equal(y, f["label"].to_numpy()[idx])


def test_csv_default_target_is_last_column(tmp_path):
    f = _frame(kind="multiclass")
    path = _write(tmp_path, f)
    d = load_dataset(path)
    assert d.target_name == "label"
    assert d.feature_names == ["a", "b"]
    assert d.task == "multiclass" and d.n_classes == 3 and d.n_outputs == 3
    assert d.classes == [0, 1, 2]


def test_csv_text_column_is_one_hot_encoded(tmp_path):
    rng = np.random.default_rng(1)
    n = 90
    colors = np.array(["red", "green", "blue"])[np.arange(n) % 3]
    f = pd.DataFrame({"a": rng.normal(size=n), "color": colors, "label": (np.arange(n) // 3) % 2})
    path = _write(tmp_path, f)
    d = load_dataset(path)
    assert d.n_features == 4
    assert d.feature_names[0] == "a"
    onehot = [name for name in d.feature_names if name.startswith("color")]
    assert len(onehot) == 3 and all(c in " ".join(onehot) for c in ("red", "green", "blue"))
    # Undo the standardisation of the one-hot block: each row has exactly one category.
    X, _ = _all_splits(d)
    block = np.round(X[:, 1:], 9)
    present = np.zeros_like(block)
    for j in range(block.shape[1]):
        values = np.unique(block[:, j])
        assert len(values) == 2  # two standardised levels: absent / present
        present[:, j] = block[:, j] == values.max()
    np.testing.assert_array_equal(present.sum(axis=1), np.ones(n))
    np.testing.assert_array_equal(present.sum(axis=0), [30, 30, 30])


def test_csv_text_target_is_classification(tmp_path):
    f = _frame()
    f["label"] = np.where(f["label"] == 1, "yes", "no")
    d = load_dataset(_write(tmp_path, f))
    assert d.task == "binary"
    assert sorted(map(str, d.classes)) == ["no", "yes"]
    X, y = _all_splits(d)
    idx = _match_rows(_zscore(X), _zscore(f[["a", "b"]].to_numpy()))
    names = np.array(d.classes, dtype=object)[y]
    np.testing.assert_array_equal(names, f["label"].to_numpy()[idx])


def test_csv_task_inference_and_override(tmp_path):
    binary = load_dataset(_write(tmp_path, _frame(kind="binary"), "bin.csv"))
    multi = load_dataset(_write(tmp_path, _frame(kind="multiclass"), "multi.csv"))
    reg = load_dataset(_write(tmp_path, _frame(kind="float"), "reg.csv"))
    assert (binary.task, multi.task, reg.task) == ("binary", "multiclass", "regression")
    forced = load_dataset(str(tmp_path / "multi.csv"), task="regression")
    assert forced.task == "regression" and forced.n_outputs == 1 and forced.classes == []
    # Forced regression standardises the integer labels 0, 1, 2.
    _, y = _all_splits(forced)
    np.testing.assert_allclose(np.unique(np.round(y * forced.y_scale + forced.y_mean, 9)), [0.0, 1.0, 2.0])


def test_csv_regression_target_round_trips(tmp_path):
    f = _frame(kind="float", n=100)
    d = load_dataset(_write(tmp_path, f))
    assert d.task == "regression"
    X, y = _all_splits(d)
    idx = _match_rows(_zscore(X), _zscore(f[["a", "b"]].to_numpy()))
    np.testing.assert_allclose(y * d.y_scale + d.y_mean, f["label"].to_numpy()[idx], atol=1e-9)


def test_csv_seed_changes_split(tmp_path):
    path = _write(tmp_path, _frame(n=100))
    a, b, c = load_dataset(path, seed=0), load_dataset(path, seed=0), load_dataset(path, seed=5)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)


# --- errors: DatasetError with one line naming the problem ------------------------

def _error(callable_, *args, **kwargs) -> str:
    with pytest.raises(DatasetError) as info:
        callable_(*args, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message, f"not one line: {message!r}"
    assert isinstance(info.value, ActsearchError) and isinstance(info.value, ValueError)
    return message


def test_unknown_dataset_name():
    msg = _error(load_dataset, "no_such_dataset")
    assert "no_such_dataset" in msg and "unknown dataset" in msg
    assert "iris" in msg  # lists the choices


def test_missing_file(tmp_path):
    path = str(tmp_path / "absent.csv")
    msg = _error(load_dataset, path)
    assert "absent.csv" in msg and "does not exist" in msg


def test_missing_target_column(tmp_path):
    path = _write(tmp_path, _frame())
    msg = _error(load_dataset, path, target="nosuchcol")
    assert "'nosuchcol'" in msg
    assert "a" in msg and "label" in msg  # lists the columns


def test_column_with_missing_values_is_named(tmp_path):
    f = _frame()
    f["b"] = f["b"].astype(float)
    f.loc[[3, 17], "b"] = np.nan
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "'b'" in msg and "missing" in msg
    assert "2" in msg


def test_missing_values_in_target_are_named(tmp_path):
    f = _frame(kind="float")
    f.loc[5, "label"] = np.nan
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "'label'" in msg and "missing" in msg


def test_single_class_target(tmp_path):
    f = _frame()
    f["label"] = 1
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "single class" in msg


def test_class_too_small_for_stratified_split(tmp_path):
    f = _frame(n=60)
    f["label"] = 0
    f.loc[:2, "label"] = 1  # 3 rows of class 1
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "1" in msg and "at least 5" in msg


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 20,                                    # binary junk
    b"\x89PNG\r\n\x1a\n" + bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)),
    b"",                                                       # empty file
    b"a,b\n" + b"1,2\n" * 12 + b"1,2,3,4\n",                   # ragged rows
    b"\x00" * 4000,                                            # NUL bytes
], ids=["junk", "png", "empty", "ragged", "nul"])
def test_garbage_file(tmp_path, content):
    path = tmp_path / "garbage.csv"
    path.write_bytes(content)
    msg = _error(load_dataset, str(path))
    assert "garbage.csv" in msg


def test_too_few_rows(tmp_path):
    f = _frame(n=5)
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "10 rows" in msg and "5x3" in msg


def test_single_column_file(tmp_path):
    f = pd.DataFrame({"label": np.arange(40) % 2})
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "2 columns" in msg


def test_target_for_builtin_dataset():
    msg = _error(load_dataset, "iris", target="species")
    assert "--target" in msg and "iris" in msg


def test_bad_task_name():
    msg = _error(load_dataset, "iris", task="clustering")
    assert "clustering" in msg


@pytest.mark.parametrize("bad", ["", None, 3])
def test_dataset_must_be_a_name(bad):
    _error(load_dataset, bad)


def test_infinite_feature_values(tmp_path):
    f = _frame()
    f["a"] = f["a"].astype(float)
    f.loc[4, "a"] = np.inf
    msg = _error(load_dataset, _write(tmp_path, f))
    assert "infinite" in msg


# --- infer_task and make_dataset ---------------------------------------------------

@pytest.mark.parametrize("y, expected", [
    (np.array([0, 1, 1, 0]), "classification"),
    (np.array([1.0, 2.0, 3.0, 1.0]), "classification"),      # whole-number floats are labels
    (np.array(["cat", "dog", "cat"]), "classification"),
    (np.array(["cat", "dog"], dtype=object), "classification"),
    (np.array([True, False, True]), "classification"),
    (np.arange(20), "classification"),                         # 20 distinct values: still labels
    (np.arange(21), "regression"),                             # 21: a quantity
    (np.linspace(0, 1, 50), "regression"),
    (np.array([0.5, 1.5, 0.5]), "regression"),
    (np.array([0.0, 1.0, np.nan]), "regression"),
])
def test_infer_task(y, expected):
    assert infer_task(y) == expected


def test_make_dataset_doctest_numbers():
    d = make_dataset(np.random.default_rng(0).normal(size=(100, 3)), np.arange(100) % 2)
    assert (d.task, len(d.y_train), len(d.y_val), len(d.y_test)) == ("binary", 64, 16, 20)
    assert d.feature_names == ["x0", "x1", "x2"]
    assert d.name == "arrays"


def test_make_dataset_without_validation():
    rng = np.random.default_rng(0)
    d = make_dataset(rng.normal(size=(50, 2)), rng.normal(size=50), val_size=0)
    assert d.task == "regression"
    assert len(d.y_val) == 0 and d.X_val.shape == (0, 2)
    assert (len(d.y_train), len(d.y_test)) == (40, 10)


def test_make_dataset_string_labels():
    rng = np.random.default_rng(0)
    y = np.array(["b", "a", "c"] * 20, dtype=object)
    d = make_dataset(rng.normal(size=(60, 2)), y)
    assert d.task == "multiclass" and d.classes == ["a", "b", "c"]
    _, yy = _all_splits(d)
    np.testing.assert_array_equal(np.bincount(yy), [20, 20, 20])


@pytest.mark.parametrize("X, y, fragment", [
    (np.zeros((10, 2)), np.zeros(9), "rows"),
    (np.zeros(10), np.zeros(10), "2-D"),
    (np.array([[1.0, np.nan]] * 20), np.arange(20) % 2, "NaN"),
    (np.array([["a", "b"]] * 20), np.arange(20) % 2, "numeric"),
])
def test_make_dataset_rejects_bad_arrays(X, y, fragment):
    msg = _error(make_dataset, X, y)
    assert fragment in msg


@pytest.mark.parametrize("kwargs", [{"test_size": 0}, {"test_size": 1.0}, {"val_size": -0.1}, {"val_size": 1}])
def test_make_dataset_rejects_bad_fractions(kwargs):
    rng = np.random.default_rng(0)
    msg = _error(make_dataset, rng.normal(size=(40, 2)), np.arange(40) % 2, **kwargs)
    assert "test_size" in msg


def test_make_dataset_regression_target_nonfinite():
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    y[3] = np.inf
    msg = _error(make_dataset, rng.normal(size=(40, 2)), y, task="regression")
    assert "target" in msg


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_out_of_range_seed_is_a_dataset_error(seed):
    with pytest.raises(ActsearchError):
        load_dataset("iris", seed=seed)


def test_planted_teachers_first_layer_reproduces_its_pre_activations():
    from actsearch.datasets import planted, planted_teacher
    from actsearch.expression import parse

    X, y, *_ = planted("tanh(x)", seed=3, noise=0.0)
    teacher = planted_teacher("tanh(x)", seed=3)
    np.testing.assert_allclose(parse("tanh(x)")(X @ teacher.W1 + teacher.b1) @ teacher.w2, y)
    data = load_dataset("planted:tanh(x)", seed=3)
    raw = data.X_test * data.x_scale + data.x_mean
    ones = np.hstack([data.X_test, np.ones((len(data.X_test), 1))])
    np.testing.assert_allclose(ones @ teacher.first_layer(data), raw @ teacher.W1 + teacher.b1, atol=1e-10)


# --- re-partitioning (resample) -------------------------------------------------------

@pytest.mark.parametrize("name", ["breast_cancer", "diabetes"])
def test_resplit_keeps_the_test_rows_and_redraws_train_and_validation(name):
    """Each seed's partition: same test rows, other validation rows, the same sizes, the raw rows' values."""
    raw = BUNDLED[name][0]()
    d = load_dataset(name, seed=0)
    a, b = d.resplit(0), d.resplit(1)
    for part in (a, b):
        np.testing.assert_array_equal(part.rows["test"], d.rows["test"])
        assert sorted(np.concatenate([part.rows["train"], part.rows["val"]]).tolist()) == \
            sorted(np.concatenate([d.rows["train"], d.rows["val"]]).tolist())
        assert (len(part.y_train), len(part.y_val)) == (len(d.y_train), len(d.y_val))
        # standardised with every non-test row's mean and (population) std, computed here with numpy
        rest = np.concatenate([part.rows["train"], part.rows["val"]])
        mean, std = raw.data[rest].mean(axis=0), raw.data[rest].std(axis=0)
        np.testing.assert_allclose(part.X_val, (raw.data[part.rows["val"]] - mean) / std, atol=1e-10)
        np.testing.assert_allclose(part.X_test, (raw.data[part.rows["test"]] - mean) / std, atol=1e-10)
    assert len(set(a.rows["val"].tolist()) ^ set(b.rows["val"].tolist())) > len(a.rows["val"])
    np.testing.assert_array_equal(d.resplit(1).rows["val"], b.rows["val"])  # a seed gives one partition


def test_resplit_is_stratified():
    d = load_dataset("breast_cancer", seed=0)
    y = np.concatenate([d.y_train, d.y_val, d.y_test])
    share = y.mean()
    for seed in range(3):
        part = d.resplit(seed)
        assert abs(part.y_val.mean() - share) < 0.02 and abs(part.y_train.mean() - share) < 0.02


def test_resplit_needs_the_source_rows():
    from dataclasses import replace

    from actsearch.errors import DatasetError

    d = replace(load_dataset("iris"), source=None)
    with pytest.raises(DatasetError, match="iris: built without its source rows"):
        d.resplit(0)


def test_spirals3_is_spirals_with_three_turns_and_2000_rows():
    from actsearch.datasets import spirals, spirals3

    X, y, *_ = spirals3(4)
    X2, y2, *_ = spirals(4, n=2000, turns=3.0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert load_dataset("spirals3").describe() == "spirals3: binary, 2 features, 1280/320/400 train/val/test rows"


def test_a_csv_loads_with_a_note_for_each_guess(tmp_path):
    """No --target: the last column, said; text features: one-hot, said; no --task: inferred, said."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"label": rng.integers(0, 2, n), "a": rng.normal(size=n),
                          "colour": rng.choice(["r", "g", "b"], n), "b": rng.normal(size=n)})
    path = str(tmp_path / "mine.csv")
    frame.to_csv(path, index=False)
    guessed = load_dataset(path)
    assert guessed.task == "regression" and guessed.target_name == "b"
    notes = " | ".join(guessed.notes)
    assert "last column 'b'" in notes and "'colour' one-hot encoded (3 features)" in notes and "regression" in notes
    assert len(guessed.feature_names) == 2 + 3  # label, a and colour's three columns
    told = load_dataset(path, target="label", task="classification")
    assert told.task == "binary" and [n for n in told.notes if "one-hot" not in n] == []
