"""Evolution: genetic programming with DEAP, split into ask and tell.

* :mod:`.encoding`: the space as a DEAP primitive set, and the conversions
  between DEAP trees and expressions;
* :mod:`.mutations`: crossover and the mutation registry
  (``{name: (applies, operator)}``, as in DEAP's toolbox);
* :mod:`.search`: the (mu + lambda) loop, :class:`EvolutionSearch`;
* :mod:`.options`: its options, :class:`EvolutionOptions`.

DEAP loads with the first name taken from the three DEAP modules, not with
this package, so ``--help`` and the CLI can read the options' defaults cheaply.
"""

from importlib import import_module

from .options import DEFAULT_POPULATION, EvolutionOptions

#: The names this package hands out from its DEAP modules, and where each lives.
_LAZY = {"EvolutionSearch": ".search", "Encoding": ".encoding", "Individual": ".encoding",
         "Variation": ".mutations"}

__all__ = ["EvolutionSearch", "EvolutionOptions", "DEFAULT_POPULATION", "Encoding", "Individual", "Variation"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
