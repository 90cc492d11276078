"""A core-unit space as Optuna parameters: sampling a trial, and matching warm-start candidates to parameters.

A trial samples, in order, the number of units (only when the space allows
more than one), one categorical per slot (``u1_0``, ``u2_0``, ``b_0``,
``in1_1``, ...) and one float per parameter that the built expression has
(``beta_u1``, ``beta_b_0``, ...).  In a per-layer space every name carries its
group's suffix (``u1_0_g1``, ``n_units_g1``, ``beta_u1_g1``): one categorical
per slot per group.
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any

from ...expression import Expression, LayeredExpression
from ...expression.layered import unsuffixed
from ...spaces import Space

#: The range of a parameter whose base name the space does not list.
DEFAULT_RANGE = (0.1, 3.0)
#: Above this many slot assignments, warm start indexes only the one-unit candidates.
MAX_INDEX = 100_000

SUFFIX = re.compile(r"^(?P<base>.+?)_(?:u1|u2|b)(?:_\d+)?(?:_g\d+)?$")


def sampled_range(space: Space, param: str, default: float) -> tuple[float, float] | None:
    """The sampling range of a renamed parameter, or None to keep its value.

    ``beta_u1`` takes the range of ``beta`` in the space; a parameter the
    space does not list gets :data:`DEFAULT_RANGE`, unless its default lies
    outside it (``eps``, a guard against log(0), stays as it is).

    >>> from actsearch.spaces import load_space
    >>> sampled_range(load_space("small"), "eps_u1", 1e-6) is None
    True
    """
    m = SUFFIX.match(param)
    base = m.group("base") if m else param
    if base in space.params:
        return space.params[base]
    lo, hi = DEFAULT_RANGE
    return (lo, hi) if lo <= default <= hi else None


def sampled_params(expr) -> dict[str, float]:
    """The parameters of ``expr`` that a trial may sample, with their values: all but the coefficients of
    learnable families, which start where their papers start them and are trained, never drawn.

    >>> from actsearch.expression import parse
    >>> sampled_params(parse("apl(beta * x)"))
    {'beta': 1.0}
    """
    parts = expr.parts if isinstance(expr, LayeredExpression) else (expr,)
    family = {name for part in parts for name in part.learnable_family}
    return {name: value for name, value in expr.params.items() if name not in family}


def sample(trial, space: Space) -> tuple[dict, Expression]:
    """Sample a candidate in an Optuna trial: its slot choices and its expression."""
    if space.per_layer:
        return sample_layers(trial, space)
    units = space.units
    n_units = int(trial.suggest_categorical("n_units", list(units))) if len(units) > 1 else units[0]
    choices: dict[str, Any] = {"n_units": n_units}
    for slot, options in space.slots(n_units):
        choices[slot] = trial.suggest_categorical(slot, options)
    expr = space.build(choices, n_units)
    values = dict(expr.params)
    for param, default in sampled_params(expr).items():
        bounds = sampled_range(space, param, default)
        if bounds is not None:
            values[param] = trial.suggest_float(param, *bounds)
    if values != expr.params:
        expr = Expression(expr.tree, values)
    return choices, expr


def sample_layers(trial, space: Space):
    """:func:`sample` in a per-layer space: each group's slots in turn, then every parameter.

    >>> import optuna
    >>> from actsearch.spaces import load_space
    >>> trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    >>> choices, expr = sample_layers(trial, load_space("per_layer"))
    >>> [name for name in choices if name.endswith("_g1")], str(expr).count(" | ")
    (['n_units_g1', 'u1_0_g1', 'u2_0_g1', 'b_0_g1'], 1)
    """
    units = space.units
    choices: dict[str, Any] = {"n_units": None}
    for k in range(len(space.groups)):
        n_units = int(trial.suggest_categorical(f"n_units_g{k}", list(units))) if len(units) > 1 else units[0]
        choices[f"n_units_g{k}"] = n_units
        for slot, options in space.slots(n_units):
            choices[f"{slot}_g{k}"] = trial.suggest_categorical(f"{slot}_g{k}", options)
    expr = space.build(choices)
    values = dict(expr.params)
    for param, default in sampled_params(expr).items():
        bounds = sampled_range(space, param, default)
        if bounds is not None:
            values[param] = trial.suggest_float(param, *bounds)
    return choices, expr.with_params(values)


def params_for(space: Space, choices: dict, values: dict | None = None) -> dict | None:
    """Optuna parameters for slot choices (and parameter values), or None if invalid.

    Parameter values outside the space's range are clipped into it.
    """
    units = space.units
    n_units = choices.get("n_units")
    if n_units is None:
        n_units = 1 + max((int(k.rsplit("_", 1)[1]) for k in choices
                           if k[:2] in ("u1", "u2", "b_") and k.rsplit("_", 1)[-1].isdigit()), default=0)
    if n_units not in units:
        return None
    params: dict[str, Any] = {"n_units": int(n_units)} if len(units) > 1 else {}
    full = {}
    for slot, options in space.slots(n_units):
        value = choices.get(slot)
        if value is None and slot.startswith("in"):  # build's defaults: previous unit and x
            k = int(slot.rsplit("_", 1)[1])
            value = f"unit{k - 1}" if slot.startswith("in1") else "x"
        if value not in options:
            return None
        full[slot] = params[slot] = value
    try:
        expr = space.build_part(full, n_units)
    except Exception:  # noqa: BLE001 - a broken choices dict is simply not a match
        return None
    values = {**(values or {}), **{k: v for k, v in choices.items() if k in expr.params}}
    for param, default in sampled_params(expr).items():
        bounds = sampled_range(space, param, default)
        if bounds is not None:
            lo, hi = bounds
            params[param] = min(max(float(values.get(param, default)), lo), hi)
    return params


class WarmStartIndex:
    """Matches warm-start items to Optuna parameters of a space (see :meth:`OptunaSearch.warm_start`).

    The index of every assignment (only the one-unit ones in a big space) is
    built on the first plain expression.
    """

    def __init__(self, space: Space):
        self.space = space
        self._index: list[tuple[dict, Expression]] | None = None
        self._by_tree: dict = {}
        self._by_fp: dict[str, int] = {}

    def _build(self) -> None:
        space = self.space
        self._index = []
        one_unit = math.prod(len(c) for _, c in space.slots(1))
        size = space.size() ** (1 / len(space.groups)) if space.per_layer else space.size()  # one part's
        if size <= MAX_INDEX:
            assignments = space.enumerate_part()
        elif 1 in space.units and one_unit <= MAX_INDEX:
            assignments = one_unit_assignments(space.enumerate_part())
        else:
            assignments = iter(())
        for choices in assignments:
            expr = space.build_part(choices, choices["n_units"])
            i = len(self._index)
            self._index.append((choices, expr))
            self._by_tree.setdefault(expr.tree, i)
            with contextlib.suppress(Exception):
                self._by_fp.setdefault(expr.fingerprint, i)

    def match(self, item) -> dict | None:
        """Optuna parameters for a dict of slot choices, an Expression with ``choices``, or a plain Expression
        (per layer: a per-layer candidate of the space's groups, or a plain expression for every group)."""
        if self.space.per_layer:
            return self._match_layers(item)
        return self._match(item)

    def _match_layers(self, item) -> dict | None:
        """Each group's part matched as a plain expression, its names suffixed ``_g<k>``."""
        if isinstance(item, dict):
            parts = self.space.split_choices(item)
        elif isinstance(item, LayeredExpression):
            if item.groups != self.space.groups:
                return None
            parts = [unsuffixed(p, f"_g{k}") for k, p in enumerate(item.parts)]
        else:
            parts = [item] * len(self.space.groups)
        out: dict = {}
        for k, part in enumerate(parts):
            found = self._match(part)
            if found is None:
                return None
            out.update({f"{name}_g{k}": value for name, value in found.items()})
        return out

    def _match(self, item) -> dict | None:
        if isinstance(item, dict):
            return params_for(self.space, item)
        choices = getattr(item, "choices", None)
        if isinstance(choices, dict):
            return params_for(self.space, choices, getattr(item, "params", None))
        if not isinstance(item, Expression):
            return None
        if self._index is None:
            self._build()
        i = self._by_tree.get(item.tree)
        if i is not None:
            return params_for(self.space, self._index[i][0], item.params)
        try:
            fp = item.fingerprint
        except Exception:  # noqa: BLE001
            return None
        i = self._by_fp.get(fp)
        if i is not None:
            return params_for(self.space, self._index[i][0])
        return self._match_by_position(item, fp)

    def _match_by_position(self, item: Expression, fp: str) -> dict | None:
        """The same function up to parameter names: try the values by position."""
        if not item.params:
            return None
        values = list(item.params.values())
        for choices, expr in self._index:
            if len(expr.params) == len(values):
                renamed = dict(zip(expr.params, values))
                with contextlib.suppress(Exception):
                    if Expression(expr.tree, renamed).fingerprint == fp:
                        return params_for(self.space, choices, renamed)
        return None


def one_unit_assignments(assignments):
    """The one-unit assignments, which :meth:`Space.enumerate` yields first."""
    for choices in assignments:
        if choices["n_units"] != 1:
            return
        yield choices
