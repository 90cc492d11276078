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

# Not lazy: the subpackage actsearch.export shares the function's name, and importing the
# subpackage first (``from actsearch.export import TARGETS``) would bind the module as
# actsearch.export; binding the function here, after the subpackage is imported, keeps
# actsearch.export the function.  It costs NumPy and the expression modules, loaded already.
from .export import export

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
    "ActivationSearch": ("actsearch.estimator", "ActivationSearch"),
    "ActivationSearchClassifier": ("actsearch.estimator", "ActivationSearchClassifier"),
    "ActivationSearchRegressor": ("actsearch.estimator", "ActivationSearchRegressor"),
}

__all__ = [
    "parse", "Expression", "ActsearchError", "ExpressionError", "DatasetError", "ConfigError", "export",
    "__version__", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'actsearch' has no attribute {name!r}")
