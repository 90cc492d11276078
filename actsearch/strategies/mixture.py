"""Differentiable search (after DARTS, Liu et al. 2019) over a core-unit space.

One network is trained with every slot of the core unit replaced by a
softmax-weighted mixture of the slot's choices::

    u1(x) = sum_i softmax(a_u1)_i * T_i(x)        (likewise u2)
    f(x)  = sum_j softmax(a_b)_j  * B_j(u1(x), u2(x))

The mixture is an ordinary :class:`~actsearch.expression.Expression`: the
logits ``a`` are learnable activation parameters (``TrainConfig.learnable``),
trained by backpropagation on their own learning rate, and their gradients
come from the same compiled expression as every activation's.  The compiler
computes identical subtrees once, so ``u1`` and the softmax denominators are
evaluated once per layer however many binary choices use them.  Weights and
logits are trained on the same batches (one-level DARTS; the bilevel version
alternates with validation batches).

That training is one row of the table, status ``mixture``: its reason says how
many candidates it covered and ``learned`` holds the final logits.  Then the
slot assignments are asked in order of their joint mixture weight (the
strongest first), each trained under the ordinary protocol and recorded like
any candidate, until the budget ends.

The mixture covers candidates of one core unit.  A two-unit mixture would
nest the whole first mixture inside every choice of the second unit: as a
tree (which printing, fingerprints and the table need) that is tens of
megabytes for the Ramachandran space.

The logits start at ``1e-3 * N(0, 1)`` from the strategy's generator, as in
DARTS, so the seed matters.

In a per-layer space the supernet has one mixture per group of layers (a
:class:`~actsearch.expression.LayeredExpression` whose group ``k`` has the
logits ``logit_<slot>_<i>_g<k>``), so each group learns its own weights, and
the assignments are asked in order of the joint weight over every group's
slots (``u1_0_g0``, ..., ``b_0_g1``).

Options (:class:`MixtureOptions`): ``arch_lr`` (the logits' learning rate,
0.03), ``epochs`` (of the mixture training; default the protocol's).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..expression import Expression
from ..expression.tree import Call, Node, Param, Var, param_names
from .base import Candidate, Outcome, Strategy, option

#: Prefix of the logit parameters; ``TrainConfig.learnable`` matches ``logit_*``.
LOGIT = "logit"


def _mixture(terms: list[Node], logits: list[str]) -> Node:
    """``sum_i softmax(logits)_i * terms_i`` as a tree (one term needs no weight)."""
    if len(terms) == 1:
        return terms[0]
    den: Node | None = None
    for name in logits:
        e = Call("exp", (Param(name),))
        den = e if den is None else Call("add", (den, e))
    out: Node | None = None
    for name, term in zip(logits, terms):
        weighted = Call("mul", (Call("div", (Call("exp", (Param(name),)), den)), term))
        out = weighted if out is None else Call("add", (out, weighted))
    return out


def mixture_expression(space) -> tuple[Expression, dict[str, list[str]]]:
    """The mixture of every one-unit candidate ``b(u1(x), u2(x))``, and each slot's logit names.

    All logits start at 0 (uniform weights).

    >>> from actsearch.spaces import load_space
    >>> expr, logits = mixture_expression(load_space("small"))
    >>> sorted(logits), len(logits["u1_0"])
    (['b_0', 'u1_0', 'u2_0'], 5)
    """
    if space.kind != "core_unit":
        raise ConfigError(f"the mixture strategy needs a core_unit space; {space.name!r} is a {space.kind} space")
    values: dict[str, float] = {}
    logits: dict[str, list[str]] = {}

    def slot(name: str, templates, inputs: dict[str, Node]) -> Node:
        terms = []
        for i, t in enumerate(templates):
            tree, p = t.apply(inputs, f"{name}_{i}")
            terms.append(tree)
            values.update(p)
        logits[name] = [f"{LOGIT}_{name}_{i}" for i in range(len(templates))]
        values.update(dict.fromkeys(logits[name], 0.0))
        return _mixture(terms, logits[name])

    u1 = slot("u1_0", space.unary, {"x": Var("x")})
    u2 = slot("u2_0", space.unary, {"x": Var("x")})
    tree = slot("b_0", space.binary, {"x1": u1, "x2": u2})
    return Expression(tree, {n: values[n] for n in param_names(tree)}), logits


def layered_mixture(space):
    """:func:`mixture_expression` once per group of a per-layer space, names suffixed ``_g<k>``, and each
    suffixed slot's logit names.

    >>> from actsearch.spaces import load_space
    >>> expr, logits = layered_mixture(load_space("per_layer"))
    >>> len(expr.parts), logits["b_0_g1"]
    (2, ['logit_b_0_0_g1', 'logit_b_0_1_g1', 'logit_b_0_2_g1'])
    """
    mixture, logits = mixture_expression(space)
    per_group = {f"{slot}_g{k}": [f"{name}_g{k}" for name in names]
                 for k in range(len(space.groups)) for slot, names in logits.items()}
    return space.layered([mixture] * len(space.groups)), per_group


def softmax(values) -> np.ndarray:
    """Mixture weights from logits.

    >>> softmax([0.0, np.log(3.0)]).tolist()
    [0.25, 0.75]
    """
    v = np.asarray(values, dtype=np.float64)
    e = np.exp(v - v.max())
    return e / e.sum()


def best_assignments(weights: list[np.ndarray]):
    """Index tuples in order of decreasing product of weights (k-best over independent slots).

    >>> list(best_assignments([np.array([0.2, 0.8]), np.array([0.6, 0.4])]))[:3]
    [(1, 0), (1, 1), (0, 0)]
    """
    order = [np.argsort(-w, kind="stable") for w in weights]
    logw = [np.log(np.maximum(w[o], 1e-300)) for w, o in zip(weights, order)]

    def score(ranks):
        return -sum(lw[r] for lw, r in zip(logw, ranks))

    start = (0,) * len(weights)
    heap, seen = [(score(start), start)], {start}
    while heap:
        _, ranks = heapq.heappop(heap)
        yield tuple(int(o[r]) for o, r in zip(order, ranks))
        for s in range(len(ranks)):
            if ranks[s] + 1 < len(order[s]):
                nxt = ranks[:s] + (ranks[s] + 1,) + ranks[s + 1:]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (score(nxt), nxt))


@dataclass(frozen=True)
class MixtureOptions:
    """The options of :class:`MixtureSearch`: the logits' learning rate and the mixture's epochs.

    >>> MixtureOptions().arch_lr
    0.03
    """

    arch_lr: float = 0.03
    epochs: int | None = option(None, low=1)  # default: the protocol's


class MixtureSearch(Strategy):
    """Train one softmax mixture of the whole space, then ask its strongest assignments."""

    name = "mixture"
    options_type = MixtureOptions
    batch_size = 8  # after the mixture, proposals do not depend on outcomes

    def __init__(self, space, rng, budget, **options):
        super().__init__(space, rng, budget, **options)
        if space.kind != "core_unit":
            raise ConfigError(f"the mixture strategy needs a core_unit space; {space.name!r} is a {space.kind} space")
        if 1 not in space.units:
            raise ConfigError(f"the mixture strategy mixes one-unit candidates; {space.name!r} allows "
                              f"units {list(space.units)}")
        self.units = 1
        self.arch_lr = self.settings.arch_lr
        if not (self.arch_lr > 0 and math.isfinite(self.arch_lr)):
            raise ConfigError(f"mixture option 'arch_lr': expected a positive number, got {self.arch_lr}")
        self.epochs = self.settings.epochs
        mixture, self.logits = layered_mixture(space) if space.per_layer else mixture_expression(space)
        # As DARTS: logits start at 1e-3 * N(0, 1), nearly uniform weights with the ties broken by the seed.
        start = {name: round(1e-3 * float(rng.standard_normal()), 9) for names in self.logits.values()
                 for name in names}
        if space.per_layer:
            self.expression = mixture.with_params(start)
            self.slots = [(f"{slot}_g{k}", choices) for k in range(len(space.groups))
                          for slot, choices in space.slots(self.units)]
        else:
            self.expression = Expression(mixture.tree, {**mixture.params, **start})
            self.slots = space.slots(self.units)
        self.covered = math.prod(len(choices) for _, choices in self.slots)
        self.state = "mixture"  # then "waiting" (for its outcome), then "ranked"
        self.weights: dict[str, np.ndarray] = {}
        self.mixture_status = ""
        self.mixture_seconds = 0.0
        self._ranked = None
        self.seen: set[str] = set()
        self.asked = 0

    def ask(self) -> Candidate | None:
        if self.state == "mixture":
            self.state = "waiting"
            train: dict[str, Any] = {"learnable": (LOGIT,), "granularity": "network", "param_lr": self.arch_lr}
            if self.epochs is not None:
                train["epochs"] = self.epochs
            shape = " x ".join(f"{name} {len(choices)}" for name, choices in self.slots)
            note = f"one training of a softmax mixture over {self.covered} candidates ({shape})"
            return Candidate(self.expression, train=train, supernet=note)
        if self.state == "waiting":
            return None  # the ranking needs the mixture's outcome
        for idx in self._ranked:
            choices = {name: options[i] for (name, options), i in zip(self.slots, idx)}
            expr = self.space.build(choices, self.units)
            if expr.fingerprint in self.seen:  # e.g. u1 and u2 swapped under a symmetric b
                continue
            self.seen.add(expr.fingerprint)
            self.asked += 1
            weight = math.prod(float(self.weights[name][i]) for (name, _), i in zip(self.slots, idx))
            return Candidate(expr, trial=self.asked - 1, info={"mixture_weight": weight})
        return None

    def tell(self, candidate: Candidate, outcome: Outcome) -> None:
        if not candidate.supernet:
            return
        self.mixture_status, self.mixture_seconds = outcome.status, outcome.cost
        for name, _ in self.slots:
            learned = [outcome.learned.get(p) for p in self.logits[name]]
            # A mixture that diverged learned nothing: every assignment weighs the same.
            values = [float(np.mean(v)) if v else 0.0 for v in learned]
            self.weights[name] = softmax(values)
        self._ranked = best_assignments([self.weights[name] for name, _ in self.slots])
        self.state = "ranked"

    def summary(self) -> dict:
        if not self.weights:
            return {}
        labelled = {name: {choice: round(float(w), 4) for choice, w in zip(choices, self.weights[name])}
                    for name, choices in self.slots}
        strongest = {name: choices[int(np.argmax(self.weights[name]))] for name, choices in self.slots}
        return {"mixture_status": self.mixture_status, "mixture_seconds": self.mixture_seconds,
                "candidates_covered": self.covered, "weights": labelled,
                "strongest": str(self.space.build(strongest, self.units))}
