"""Search strategies, one per module, behind :class:`base.Strategy` (ask and tell)."""

from .base import STRATEGIES, Candidate, Outcome, Strategy, get_strategy, strategy_settings

__all__ = ["Strategy", "Candidate", "Outcome", "STRATEGIES", "get_strategy", "strategy_settings"]
