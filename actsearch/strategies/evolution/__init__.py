"""Evolution: genetic programming with DEAP, split into ask and tell.

* :mod:`.encoding`: the space as a DEAP primitive set, and the conversions
  between DEAP trees and expressions;
* :mod:`.mutations`: crossover and the mutation registry
  (``{name: (applies, operator)}``, as in DEAP's toolbox);
* :mod:`.search`: the (mu + lambda) loop, :class:`EvolutionSearch`, and its
  options, :class:`EvolutionOptions`.
"""

from .encoding import Encoding, Individual
from .mutations import Variation
from .search import DEFAULT_POPULATION, EvolutionOptions, EvolutionSearch

__all__ = ["EvolutionSearch", "EvolutionOptions", "DEFAULT_POPULATION", "Encoding", "Individual", "Variation"]
