"""Racing: successive halving of candidates over rungs of growing fidelity.

Most candidates are visibly bad after a few epochs of one seed.  Racing
(successive halving, Jamieson & Talwalkar 2016; its asynchronous form ASHA,
Li et al. 2020) trains every candidate at the lowest rung and promotes only
the best ``1/eta`` of a rung to the next, up to the full protocol.

**Rungs.** The full protocol is ``R = seeds x epochs`` seed-epochs.  Rung
``k`` of ``K + 1`` gets ``R * eta**(k - K)`` of them, as in Hyperband: below
one seed's epochs that is one seed trained for that many epochs, above it
that many whole seeds.  The default protocol (2 seeds x 30 epochs) with
``eta=3`` and 3 rungs races at 1x7, 1x20 and 2x30.  A candidate's rungs are
one training: the lower rungs pause it (:class:`~actsearch.networks.Checkpoint`)
and the next goes on from there, so the top rung's scores are exactly those
of the full protocol trained in one go.

**Promotion.** ``asha``: a candidate is promoted as soon as its rung score
arrives if it is in the top ``max(1, n // eta)`` of the ``n`` scores of that
rung so far (its own included), the rule of Optuna's
``SuccessiveHalvingPruner``; no worker waits for a rung to fill.  ``sh``:
the candidates of a bracket are decided together once all have a score at
the rung, and the top ``max(1, n // eta)`` go on.

>>> [r.fidelity for r in rung_schedule(seeds=2, epochs=30)]
['1x7', '1x20', '2x30']
>>> promotable(0.7, [0.5, 0.7, 0.6], eta=3), promotable(0.6, [0.5, 0.7, 0.6], eta=3)
(True, False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .errors import ConfigError

#: ``--racing``: no racing, synchronous successive halving, or asynchronous (the default).
RACING_MODES = ("off", "sh", "asha")


@dataclass(frozen=True)
class RacingConfig:
    """How a search races its candidates: ``mode`` (see :data:`RACING_MODES`), the reduction factor
    ``eta`` and the number of ``rungs``, the last of which is the full protocol.

    >>> RacingConfig(eta=1)
    Traceback (most recent call last):
    ...
    actsearch.errors.ConfigError: racing setting eta=1: expected a whole number >= 2
    """

    mode: str = "asha"
    eta: int = 3
    rungs: int = 3

    def __post_init__(self):
        if self.mode not in RACING_MODES:
            raise ConfigError(f"racing setting mode={self.mode!r}: expected one of {', '.join(RACING_MODES)}")
        for name, low in (("eta", 2), ("rungs", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"racing setting {name}={value!r}: expected a whole number >= {low}")

    @property
    def on(self) -> bool:
        """Whether candidates race at all."""
        return self.mode != "off"


@dataclass(frozen=True)
class Rung:
    """One rung: its index, and the training seeds and epochs (per seed) a candidate has had there."""

    index: int
    seeds: int
    epochs: int

    @property
    def fidelity(self) -> str:
        """``SEEDSxEPOCHS``, as the table's ``fidelity`` column writes it."""
        return f"{self.seeds}x{self.epochs}"


def rung_schedule(seeds: int, epochs: int, eta: int = 3, rungs: int = 3) -> tuple[Rung, ...]:
    """The rungs of a protocol of ``seeds`` x ``epochs``; the last is the protocol itself.

    Rungs that would repeat the one below (a protocol too small to split) are left out.

    >>> [r.fidelity for r in rung_schedule(seeds=10, epochs=30)]
    ['1x30', '3x30', '10x30']
    >>> [r.fidelity for r in rung_schedule(seeds=1, epochs=3)]
    ['1x1', '1x3']
    """
    total = seeds * epochs
    picked: list[tuple[int, int]] = []
    for k in range(rungs):
        resource = total / eta ** (rungs - 1 - k)
        if resource < epochs:
            rung = (1, max(1, round(resource)))
        else:
            rung = (min(seeds, max(1, round(resource / epochs))), epochs)
        if not picked or rung[0] * rung[1] > picked[-1][0] * picked[-1][1]:
            picked.append(rung)
    return tuple(Rung(i, s, e) for i, (s, e) in enumerate(picked))


def top_count(n: int, eta: int) -> int:
    """How many of ``n`` scores at a rung are promoted: ``max(1, n // eta)``.

    >>> [top_count(n, 3) for n in (1, 2, 3, 5, 6, 9)]
    [1, 1, 1, 1, 2, 3]
    """
    return max(1, n // eta)


def promotable(value: float, competing: Sequence[float], eta: int) -> bool:
    """ASHA's rule: is ``value`` among the top :func:`top_count` of ``competing`` (which includes it)?

    A score that is not finite is never promoted.
    """
    if not math.isfinite(value):
        return False
    ranked = sorted((v for v in competing if math.isfinite(v)), reverse=True)
    return value >= ranked[top_count(len(ranked), eta) - 1]


def bracket_promoted(values: Sequence[float], eta: int) -> list[int]:
    """Successive halving's rule: the indices of the top :func:`top_count` finite ``values`` of a bracket
    at one rung, ties to the earlier candidate, in index order.

    >>> bracket_promoted([0.5, 0.9, float("nan"), 0.7, 0.9, 0.1, 0.2], eta=3)
    [1, 4]
    """
    finite = [i for i, v in enumerate(values) if math.isfinite(v)]
    if not finite:
        return []
    ranked = sorted(finite, key=lambda i: (-values[i], i))
    return sorted(ranked[:top_count(len(finite), eta)])
