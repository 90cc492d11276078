"""Surrogate search: a regressor on training-free features picks what to train next.

After AQuaSurF (Bingham & Miikkulainen 2023, "Efficient activation function
optimization through surrogate modeling"): an activation's behaviour can be
described without training it, and functions that look alike train alike, so
a cheap model fitted on the outcomes told so far ranks many unevaluated
candidates and only the most promising are trained.

* :mod:`.features`: the training-free features (:func:`features`);
* :mod:`.model`: the regressor on them (:class:`SurrogateModel`);
* :mod:`.acquisition`: the initial design and the acquisition that pick a batch;
* :mod:`.search`: the strategy, :class:`SurrogateSearch`, and its options,
  :class:`SurrogateOptions` (the search is described there).
"""

from .features import features
from .model import SurrogateModel
from .search import BASELINES, SurrogateOptions, SurrogateSearch

__all__ = ["SurrogateSearch", "SurrogateOptions", "SurrogateModel", "features", "BASELINES"]
