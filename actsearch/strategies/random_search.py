"""Random search: independent uniform samples from the space (the baseline to beat)."""

from __future__ import annotations

from .base import Candidate, Strategy, in_space


class RandomSearch(Strategy):
    """Sample the space uniformly; proposals do not depend on outcomes.

    A sample whose fingerprint was already proposed is drawn again (up to 50
    times), so the budget is not spent on repeats.
    """

    name = "random"
    batch_size = 8  # proposals do not depend on outcomes: any batch will do

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        self.seen: set[str] = set()
        self.asked = 0
        self.queue = []

    def warm_start(self, expressions):
        self.queue.extend(in_space(self.space, e) for e in expressions)

    def ask(self):
        if self.queue:
            expr = self.queue.pop(0)
        else:
            for _ in range(50):
                expr = self.space.sample(self.rng)
                if expr.fingerprint not in self.seen:
                    break
        self.seen.add(expr.fingerprint)
        self.asked += 1
        return Candidate(expr, trial=self.asked - 1)
