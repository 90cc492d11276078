"""Exhaustive search: every distinct function of a small core-unit space, once each."""

from __future__ import annotations

from ..spaces import SpaceError
from .base import Candidate, Strategy


class ExhaustiveSearch(Strategy):
    """Enumerate slot assignments in order, skipping functions already visited.

    Two assignments are the same function when their fingerprints match
    (``x + x`` and ``2*x``), so each distinct function is proposed once.
    """

    name = "exhaustive"
    batch_size = 8

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        if space.kind != "core_unit":
            raise SpaceError(f"{space.source or space.name}: exhaustive search needs a core_unit space")
        self._choices = space.enumerate()
        self.seen: set[str] = set()
        self.asked = 0

    def ask(self):
        for choices in self._choices:
            expr = self.space.build(choices, choices["n_units"])
            if expr.fingerprint in self.seen:
                continue
            self.seen.add(expr.fingerprint)
            self.asked += 1
            return Candidate(expr, trial=self.asked - 1, info={"choices": choices})
        return None
