"""Datasets: scikit-learn's bundled sets, synthetic problems, and the user's CSV files.

Every dataset is split into train, validation and test parts fixed by a seed
(stratified for classification), and standardised with statistics of the
training part alone.  Nothing is downloaded: the bundled sets ship inside
scikit-learn and the synthetic ones are generated.

>>> data = load_dataset("iris", seed=0)
>>> data.task, data.n_outputs, len(data.y_train) + len(data.y_val) + len(data.y_test)
('multiclass', 3, 150)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .errors import DatasetError

TASKS = ("classification", "regression")


@dataclass
class Dataset:
    """A dataset split into train, validation and test parts, standardised.

    ``task`` is ``binary``, ``multiclass`` or ``regression``; class labels are
    integers from 0.  For regression ``y`` is standardised too (R^2 does not
    change); ``y_mean`` and ``y_scale`` undo it.
    """

    name: str
    task: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = 0
    feature_names: list[str] = field(default_factory=list)
    target_name: str = "target"
    classes: list = field(default_factory=list)
    y_mean: float = 0.0
    y_scale: float = 1.0
    x_mean: np.ndarray | None = None
    x_scale: np.ndarray | None = None
    source: tuple | None = field(default=None, repr=False)
    rows: dict = field(default_factory=dict, repr=False)
    split_seed: int = 0
    val_size: float = 0.2
    #: what loading guessed for the user (the label column, the task, encodings), one line each
    notes: tuple[str, ...] = ()

    def with_rows(self, train, val, test, scale_rows) -> "Dataset":
        """A copy on other rows of the same source, standardised with the statistics of ``scale_rows``."""
        from dataclasses import replace

        from sklearn.preprocessing import StandardScaler

        X, y = self.source
        scaler = StandardScaler().fit(X[scale_rows])
        mean, scale = scaler.mean_, scaler.scale_
        y_mean, y_scale = 0.0, 1.0
        if self.task == "regression":
            y_mean, y_scale = float(y[scale_rows].mean()), float(y[scale_rows].std() or 1.0)
        parts = {}
        for part, index in (("train", train), ("val", val), ("test", test)):
            parts[f"X_{part}"] = scaler.transform(X[index]) if len(index) else np.zeros((0, X.shape[1]))
            parts[f"y_{part}"] = (y[index] - y_mean) / y_scale if self.task == "regression" else y[index]
        return replace(self, **parts, x_mean=mean, x_scale=scale, y_mean=y_mean, y_scale=y_scale,
                       rows={"train": np.asarray(train), "val": np.asarray(val), "test": np.asarray(test)})

    def resplit(self, seed: int) -> "Dataset":
        """The same test rows, and a fresh train/validation partition of the other rows drawn by ``seed``.

        The partition is stratified for classification, and drawn from
        ``(split_seed, seed)``, so each training seed validates on its own rows
        and a search cannot fit one small validation set.  Every part is
        standardised with the statistics of all non-test rows, which do not
        depend on the partition.

        >>> d = load_dataset("iris")
        >>> a, b = d.resplit(0), d.resplit(1)
        >>> bool((a.rows["test"] == b.rows["test"]).all()), bool((a.rows["val"] == b.rows["val"]).all())
        (True, False)
        """
        if self.source is None:
            raise DatasetError(f"{self.name}: built without its source rows, so it cannot be re-partitioned")
        rest = np.sort(np.concatenate([self.rows["train"], self.rows["val"]]))
        state = int(np.random.SeedSequence([int(self.split_seed), int(seed)]).generate_state(1)[0])
        train, val = _partition(rest, self.source[1], self.task, self.val_size, state)
        return self.with_rows(train, val, self.rows["test"], scale_rows=rest)

    def transform(self, X) -> np.ndarray:
        """Standardise new rows with the training split's statistics."""
        X = np.asarray(X, dtype=np.float64)
        return (X - self.x_mean) / self.x_scale

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.task == "multiclass" else 1

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def describe(self) -> str:
        return (f"{self.name}: {self.task}, {self.n_features} features, "
                f"{len(self.y_train)}/{len(self.y_val)}/{len(self.y_test)} train/val/test rows")


# --- sources: each returns (X, y, task, feature_names, target_name) ----------------

def _sklearn(loader: str, task: str):
    def load(seed: int):
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader)()
        names = [str(n) for n in getattr(bunch, "feature_names", [])]
        names = names or [f"x{i}" for i in range(bunch.data.shape[1])]
        return bunch.data, bunch.target, task, names, "target"
    return load


def _moons(seed: int, n: int = 1000):
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=0.1, random_state=seed)
    return X, y, "classification", ["x0", "x1"], "target"


def _circles(seed: int, n: int = 1000):
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=n, noise=0.08, factor=0.5, random_state=seed)
    return X, y, "classification", ["x0", "x1"], "target"


def spirals(seed: int, n: int = 1000, turns: float = 2.5, noise: float = 0.05, label_noise: float = 0.0):
    """Two interleaved spirals: a classic problem where depth and activation matter.

    ``label_noise`` is the share of labels flipped at random, drawn after the
    points so the points do not depend on it.

    >>> X, y, task, _, _ = spirals(0, n=10)
    >>> X.shape, task, int(y.sum())
    ((10, 2), 'classification', 5)
    """
    rng = np.random.default_rng(seed)
    half = n // 2
    t = np.sqrt(rng.uniform(0.0, 1.0, half)) * turns * 2 * math.pi
    arm = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (turns * 2 * math.pi)
    X = np.vstack([arm, -arm]) + rng.normal(0.0, noise, (2 * half, 2))
    y = np.repeat([0, 1], half)
    if label_noise > 0:
        flip = rng.random(2 * half) < label_noise
        y = np.where(flip, 1 - y, y)
    return X, y, "classification", ["x0", "x1"], "target"


def spirals3(seed: int):
    """The default search task: :func:`spirals` with 3 turns and 2000 rows.

    Chosen by measurement (``bench/headroom.py``, ``bench/init_rules.py``):
    with six hidden layers of 32 and 30 epochs the known activations spread
    from 0.63 to 0.90 test accuracy, 7.7 times the seed noise, so a gain over
    the best of them can show; 2.5 turns saturate near 0.95.

    >>> X, y, *_ = spirals3(0)
    >>> X.shape
    (2000, 2)
    """
    return spirals(seed, n=2000, turns=3.0)


def _xor(seed: int, n: int = 1000):
    """Points in [-1, 1]^2 labelled by the sign of x0*x1: no linear model beats chance."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y, "classification", ["x0", "x1"], "target"


@dataclass
class Teacher:
    """The network behind a planted problem: ``y = f(X @ W1 + b1) @ w2`` (before noise).

    A per-layer teacher (``"sin(x) | tanh(x)"``: one activation per hidden
    layer) has its later hidden layers in ``deeper``, ``(W, b)`` each, so
    ``y = f2(f1(X @ W1 + b1) @ W + b) @ w2``.
    """

    expr: str
    W1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    deeper: tuple = ()

    def first_layer(self, data: Dataset) -> np.ndarray:
        """The teacher's hidden layer in ``data``'s standardised inputs, bias as the last row.

        This is the layout of :class:`actsearch.networks.MLP` layers, so a
        student can start from (or be frozen at) the teacher's features.

        >>> t = planted_teacher("tanh(x)")
        >>> t.first_layer(load_dataset("planted:tanh(x)")).shape
        (5, 16)
        """
        W = data.x_scale[:, None] * self.W1
        return np.vstack([W, self.b1 + data.x_mean @ self.W1])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """The teacher's output on raw inputs ``X`` (before noise).

        >>> t = planted_teacher("sin(x) | tanh(x)")
        >>> len(t.deeper), t(np.zeros((3, 4))).shape
        (1, (3,))
        """
        from .expression import parse

        activations = [parse(part) for part in self.expr.split("|")]
        with np.errstate(all="ignore"):
            h = activations[0](X @ self.W1 + self.b1)
            for f, (W, b) in zip(activations[1:], self.deeper):
                h = f(h @ W + b)
            return h @ self.w2


#: The standard deviation of a deeper teacher layer's pre-activations, so that each
#: layer's activation works over a range where its shape shows (about [-2, 2]).
DEEP_TEACHER_SCALE = 1.5


def _teacher(rng: np.random.Generator, expr: str, n: int, n_features: int, hidden: int):
    X = rng.standard_normal((n, n_features))
    W1 = rng.standard_normal((n_features, hidden)) / math.sqrt(n_features)
    b1 = rng.normal(0.0, 0.5, hidden)
    w2 = rng.standard_normal(hidden) / math.sqrt(hidden)
    deeper = []
    if "|" in expr:  # drawn after the one-layer teacher's numbers, which stay as they were
        from .expression import parse

        h = parse(expr.split("|")[0])(X @ W1 + b1)
        for part in expr.split("|")[1:]:
            W = rng.standard_normal((hidden, hidden))
            z = h @ W
            # rescale so this layer's pre-activations have the chosen spread on the inputs drawn
            W *= DEEP_TEACHER_SCALE / max(float(np.std(z)), 1e-12)
            b = rng.normal(0.0, 0.5, hidden)
            deeper.append((W, b))
            h = parse(part)(h @ W + b)
    return X, Teacher(expr, W1, b1, w2, tuple(deeper))


def planted_teacher(expr: str, seed: int = 0, n: int = 1200, n_features: int = 4, hidden: int = 16) -> Teacher:
    """The teacher network of :func:`planted` with the same arguments.

    >>> planted_teacher("tanh(x)", seed=0).W1.shape
    (4, 16)
    """
    return _teacher(np.random.default_rng(seed), expr, n, n_features, hidden)[1]


def planted(expr: str, seed: int = 0, n: int = 1200, n_features: int = 4, hidden: int = 16,
            noise: float = 0.02):
    """Regression data from a random teacher network whose hidden activation is ``expr``.

    A student with the teacher's activation can fit it almost perfectly, so a
    search on it has a known answer (the "planted" activation).  The teacher
    itself is :func:`planted_teacher`.  ``expr`` with ``|`` plants a deeper
    teacher with one activation per hidden layer (``"sin(x) | tanh(x)"``:
    two hidden layers of ``hidden`` units), the known answer of a per-layer
    search.

    >>> X, y, task, _, _ = planted("tanh(x)", seed=0)
    >>> X.shape, task
    ((1200, 4), 'regression')
    """
    rng = np.random.default_rng(seed)
    X, t = _teacher(rng, expr, n, n_features, hidden)
    y = t(X)
    if not np.all(np.isfinite(y)) or np.std(y) == 0:
        raise DatasetError(f"planted:{expr}: the teacher's outputs are not usable (non-finite or constant)")
    y = y + rng.normal(0.0, noise * np.std(y), n)
    return X, y, "regression", [f"x{i}" for i in range(n_features)], "y"


#: Built-in datasets by name.
DATASETS: dict[str, Callable] = {
    "breast_cancer": _sklearn("load_breast_cancer", "classification"),
    "digits": _sklearn("load_digits", "classification"),
    "iris": _sklearn("load_iris", "classification"),
    "wine": _sklearn("load_wine", "classification"),
    "diabetes": _sklearn("load_diabetes", "regression"),
    "moons": _moons,
    "circles": _circles,
    "spirals": spirals,
    "spirals3": spirals3,
    "xor": _xor,
}


def _read_csv(path: str, target: str | None):
    import pandas as pd

    if not os.path.isfile(path):
        raise DatasetError(f"dataset file {path!r} does not exist")
    try:
        frame = pd.read_csv(path)
    except Exception as exc:  # pandas raises many types; the message is what matters
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(f"{path}: cannot read as CSV: {first}") from None
    if frame.shape[0] < 10 or frame.shape[1] < 2:
        raise DatasetError(f"{path}: needs at least 10 rows and 2 columns, found {frame.shape[0]}x{frame.shape[1]}")
    notes = []
    if target is None:
        target = str(frame.columns[-1])
        notes.append(f"{path}: no --target given, so the label is the last column {target!r}")
    if target not in frame.columns:
        raise DatasetError(f"{path}: no column {target!r} for --target; columns are {', '.join(map(str, frame.columns))}")
    missing = frame.isna().sum()
    if missing.any():
        col = missing[missing > 0].index[0]
        raise DatasetError(f"{path}: column {col!r} has {int(missing[col])} missing value(s); fill or drop them first")
    y = frame[target]
    features = frame.drop(columns=[target])
    categorical = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if categorical:
        width = features.shape[1]
        features = pd.get_dummies(features, columns=categorical, dtype=float)
        notes.append(f"{path}: text column(s) {', '.join(map(repr, categorical))} one-hot encoded "
                     f"({features.shape[1] - width + len(categorical)} features)")
    return features.to_numpy(dtype=np.float64), y.to_numpy(), notes, [str(c) for c in features.columns], target


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 32:
        raise DatasetError(f"split seed {seed!r} must be a whole number from 0 to 2**32 - 1")


def infer_task(y: np.ndarray) -> str:
    """``classification`` for labels (text, booleans, or at most 20 whole-number values), else ``regression``.

    >>> infer_task(np.array([0, 1, 1, 0])), infer_task(np.linspace(0, 1, 50))
    ('classification', 'regression')
    """
    y = np.asarray(y)
    if y.dtype.kind in "OUSb":
        return "classification"
    values = np.unique(y)
    whole = np.all(np.isfinite(values)) and np.all(values == np.round(values))
    return "classification" if whole and len(values) <= 20 else "regression"


def make_dataset(
    X, y, *, task: str | None = None, name: str = "arrays", seed: int = 0,
    test_size: float = 0.2, val_size: float = 0.2,
    feature_names: list[str] | None = None, target_name: str = "target",
) -> Dataset:
    """Split and standardise arrays into a :class:`Dataset`.

    ``test_size`` is the fraction held out for test; ``val_size`` the fraction
    of the rest held out for validation (0 for none).

    >>> d = make_dataset(np.random.default_rng(0).normal(size=(100, 3)), np.arange(100) % 2)
    >>> d.task, len(d.y_train), len(d.y_val), len(d.y_test)
    ('binary', 64, 16, 20)
    """
    from sklearn.model_selection import train_test_split

    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise DatasetError(f"{name}: X must be 2-D and y 1-D with as many rows; got X {X.shape} and y {y.shape}")
    try:
        X = X.astype(np.float64)
    except (TypeError, ValueError):
        raise DatasetError(f"{name}: features must be numeric") from None
    if X.shape[0] < 10:
        raise DatasetError(f"{name}: n_samples={X.shape[0]}; need at least 10 rows to split into train, "
                           "validation and test parts")
    if not np.all(np.isfinite(X)):
        raise DatasetError(f"{name}: features contain NaN or infinite values")
    _check_seed(seed)
    if not (0 < test_size < 1 and 0 <= val_size < 1):
        raise DatasetError(f"{name}: test_size must be in (0, 1) and val_size in [0, 1)")
    task = task or infer_task(y)
    if task not in TASKS:
        raise DatasetError(f"{name}: task {task!r} is not one of {', '.join(TASKS)}")
    y, task, classes = _encode_target(y, task, name)
    n_classes = len(classes)
    order = np.arange(len(y))
    stratify = y if task != "regression" else None
    # Splitting row numbers with the same random_state splits rows exactly as
    # splitting the arrays would, and keeps which rows went where.
    rest, test = train_test_split(order, test_size=test_size, random_state=seed, stratify=stratify)
    train, val = _partition(rest, y, task, val_size, seed)
    base = Dataset(name=name, task=task, X_train=X[:0], y_train=y[:0], X_val=X[:0], y_val=y[:0],
                   X_test=X[:0], y_test=y[:0], n_classes=n_classes,
                   feature_names=list(feature_names or [f"x{i}" for i in range(X.shape[1])]),
                   target_name=target_name, classes=classes, source=(X, y), split_seed=seed, val_size=val_size)
    return base.with_rows(train, val, test, scale_rows=train)


def _encode_target(y: np.ndarray, task: str, name: str) -> tuple[np.ndarray, str, list]:
    """Labels as integers from 0 (task ``binary`` or ``multiclass``), or a checked numeric regression target."""
    from sklearn.preprocessing import LabelEncoder

    classes: list = []
    if task == "classification":
        encoder = LabelEncoder()
        y = encoder.fit_transform(y.astype(str) if y.dtype.kind == "O" else y)
        classes = encoder.classes_.tolist()
        n_classes = len(classes)
        if n_classes < 2:
            raise DatasetError(f"{name}: the target has a single class; nothing to classify")
        counts = np.bincount(y)
        if counts.min() < 5:
            raise DatasetError(
                f"{name}: class {classes[int(counts.argmin())]!r} has only {counts.min()} row(s); "
                "a stratified split needs at least 5 per class"
            )
        task = "binary" if n_classes == 2 else "multiclass"
    else:
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise DatasetError(f"{name}: a regression target must be numeric") from None
        if not np.all(np.isfinite(y)):
            raise DatasetError(f"{name}: the target contains NaN or infinite values")
    return y, task, classes


def _partition(rest: np.ndarray, y: np.ndarray, task: str, val_size: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers ``rest`` cut into train and validation parts (stratified for classification)."""
    from sklearn.model_selection import train_test_split

    if val_size <= 0:
        return rest, rest[:0]
    return train_test_split(rest, test_size=val_size, random_state=seed,
                            stratify=y[rest] if task != "regression" else None)


def load_dataset(
    name: str, *, target: str | None = None, task: str | None = None, seed: int = 0,
    test_size: float = 0.2, val_size: float = 0.2,
) -> Dataset:
    """Load a built-in dataset by name, a planted problem, or a CSV file by path.

    ``planted:EXPR`` is regression data from a teacher network with activation
    EXPR (see :func:`planted`).

    For a CSV, ``target`` names the label column (default: the last one) and
    ``task`` is ``classification`` or ``regression`` (inferred when omitted).
    Text feature columns are one-hot encoded.

    >>> load_dataset("breast_cancer").describe()
    'breast_cancer: binary, 30 features, 364/91/114 train/val/test rows'
    """
    if not isinstance(name, str) or not name:
        raise DatasetError("a dataset must be a name or a path to a .csv file")
    if task is not None and task not in TASKS:
        raise DatasetError(f"task {task!r} is not one of {', '.join(TASKS)}")
    _check_seed(seed)
    if name.startswith("planted:"):
        from .errors import ExpressionError

        try:
            X, y, task, features, target_name = planted(name[len("planted:"):], seed=seed)
        except ExpressionError as exc:
            raise DatasetError(f"dataset {name!r}: {exc}") from None
    elif name in DATASETS:
        if target is not None:
            raise DatasetError(f"--target applies to CSV files, not the built-in dataset {name!r}")
        X, y, own_task, features, target_name = DATASETS[name](seed)
        task = task or own_task
    elif name.lower().endswith(".csv") or os.path.sep in name:
        X, y, notes, features, target_name = _read_csv(name, target)
        data = make_dataset(X, y, task=task, name=name, seed=seed, test_size=test_size, val_size=val_size,
                            feature_names=features, target_name=target_name)
        if task is None:
            kind = data.task if data.task == "regression" else f"{data.task} classification"
            notes.append(f"{name}: the task is taken to be {kind} from the values of {target_name!r}; "
                         "--task sets it")
        return replace(data, notes=tuple(notes))
    else:
        raise DatasetError(
            f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}, or give a path to a .csv file"
        )
    return make_dataset(X, y, task=task, name=name, seed=seed, test_size=test_size, val_size=val_size,
                        feature_names=features, target_name=target_name)
