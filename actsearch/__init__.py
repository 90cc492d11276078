"""actsearch: automatic discovery of neural-network activation functions.

>>> import actsearch
>>> f = actsearch.parse("x * sigmoid(x)")
>>> round(float(f.derivative(0.0)), 3)
0.5

Heavy modules (scipy, pandas, scikit-learn, optuna, ...) load on first use, so
``import actsearch`` and parsing and evaluating an expression stay cheap: scipy
loads only for erf, erfc and gelu (``tests/test_import.py``).
"""

from __future__ import annotations

from importlib import import_module

from .errors import ActsearchError, ConfigError, DatasetError, ExpressionError
from .expression import Expression, parse

__version__ = "0.1.0"

_LAZY = {
    "evaluate": ("actsearch.evaluation", "evaluate"),
    "summarize": ("actsearch.evaluation", "summarize"),
    "TrainConfig": ("actsearch.networks", "TrainConfig"),
    "train": ("actsearch.networks", "train"),
    "load_dataset": ("actsearch.datasets", "load_dataset"),
    "DATASETS": ("actsearch.datasets", "DATASETS"),
    "search": ("actsearch.driver", "search"),
    "compare": ("actsearch.finals", "compare"),
    "SearchConfig": ("actsearch.driver", "SearchConfig"),
    "SearchResult": ("actsearch.driver", "SearchResult"),
    "load_results": ("actsearch.results", "load_results"),
    "load_space": ("actsearch.spaces", "load_space"),
    "export": ("actsearch.exporters", "export"),
    "ActivationSearch": ("actsearch.estimator", "ActivationSearch"),
    "ActivationSearchClassifier": ("actsearch.estimator", "ActivationSearchClassifier"),
    "ActivationSearchRegressor": ("actsearch.estimator", "ActivationSearchRegressor"),
}

__all__ = [
    "parse", "Expression", "ActsearchError", "ExpressionError", "DatasetError", "ConfigError",
    "__version__", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'actsearch' has no attribute {name!r}")
