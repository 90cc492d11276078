"""Optuna: a study over the slots of a core-unit space, driven by ask and tell.

* :mod:`.study`: quiet logging, the objectives, and the sampler and pruner factory;
* :mod:`.slots`: the space as Optuna parameters (sampling, warm-start matching);
* :mod:`.search`: the strategy, :class:`OptunaSearch`, and its options,
  :class:`OptunaOptions` (the search is described there).
"""

from .search import FAILED_COST, FAILED_SCORE, OptunaOptions, OptunaSearch
from .study import OBJECTIVES, PRUNERS, SAMPLERS, quiet

__all__ = ["OptunaSearch", "OptunaOptions", "FAILED_SCORE", "FAILED_COST", "OBJECTIVES", "SAMPLERS", "PRUNERS",
           "quiet"]
