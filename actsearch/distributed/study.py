"""The study of a distributed search: created with the whole search configuration in its user attributes,
and read back by every worker."""

from __future__ import annotations

import json

from .. import __version__
from ..errors import ConfigError
from .common import (CONFIG_ATTR, GRACE_PERIOD, HEARTBEAT_INTERVAL, LIVENESS_ATTR, MAX_RETRY, SPACE_ATTR,
                     VERSION_ATTR, DistributedError, shown_url)
from .storage import open_storage, quiet_optuna


def json_plain(value):
    """JSON's view of a value (tuples become lists), so stored and given configs compare equal."""
    return json.loads(json.dumps(value))


def stored_config(config) -> dict:
    out = config.to_dict()
    out["strategy_options"] = {k: v for k, v in config.strategy_options.items() if k not in ("storage", "study_name")}
    try:
        return json_plain(out)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"a distributed search stores its settings as JSON: {exc}") from None


def load_study(storage, study_name: str):
    import optuna

    try:
        with quiet_optuna():
            return optuna.study.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None


def create_distributed_study(config, storage, study_name: str, *, heartbeat_interval: int = HEARTBEAT_INTERVAL,
                             grace_period: int = GRACE_PERIOD, max_retry: int | None = MAX_RETRY):
    """Create (or reuse) the study of a distributed search; returns the ``optuna.Study``.

    ``config`` is a :class:`~actsearch.driver.SearchConfig` with strategy
    ``optuna``; ``storage`` a URL (see the module docstring).  The config, the
    space and the heartbeat settings go into the study's user attributes.  A
    study of that name created by actsearch with the same settings is reused
    (more workers can join it); its budget may grow or shrink.  Warm-start
    candidates are enqueued once, when the study is created.
    """
    import numpy as np

    from ..config import SearchError
    from ..strategies.optuna_search import OptunaSearch
    from ..warmstart import load_warm_start

    config.validate()
    if config.strategy != "optuna":
        raise ConfigError(f"a distributed search runs the optuna strategy, not {config.strategy!r}")
    if int(heartbeat_interval) < 1 or int(grace_period) <= int(heartbeat_interval):
        raise ConfigError(f"heartbeat_interval={heartbeat_interval}, grace_period={grace_period}: expected "
                          "whole seconds with 1 <= heartbeat_interval < grace_period")
    space = config.search_space()
    space.check_layers(len(config.train.hidden), config.model)
    config.check_fits(config.baselines)
    stored = stored_config(config)
    st = open_storage(storage)
    existing = load_study(st, study_name)
    if existing is not None:
        old = existing.user_attrs.get(CONFIG_ATTR)
        if old is None:
            raise SearchError(f"study {study_name!r} in {shown_url(storage)} was not created by actsearch; "
                              "use another study name")
        for key, value in stored.items():
            if key != "budget" and old.get(key) != value:
                raise SearchError(f"study {study_name!r} in {shown_url(storage)} holds a search with {key}="
                                  f"{old.get(key)!r}, not {value!r}; use another study name or the same settings")
        if old.get("budget") != stored["budget"]:
            existing.set_user_attr(CONFIG_ATTR, stored)
        return existing
    options = dict(stored["strategy_options"])
    options.update(storage=st, study_name=study_name, dedupe=False)
    strategy = OptunaSearch(space, np.random.default_rng(config.seed), config.budget, **options)
    study = strategy.study
    if config.warm_start:
        strategy.warm_start(load_warm_start(config.warm_start, config.warm_k).expressions)
    study.set_user_attr(SPACE_ATTR, json_plain(space.raw))
    study.set_user_attr(LIVENESS_ATTR, {"heartbeat_interval": int(heartbeat_interval),
                                        "grace_period": int(grace_period), "max_retry": max_retry})
    study.set_user_attr(VERSION_ATTR, __version__)
    study.set_user_attr(CONFIG_ATTR, stored)  # last: a worker that sees the config sees the rest
    return study


def study_settings(study, storage) -> tuple:
    """(config, space, liveness) of a study created by :func:`create_distributed_study`."""
    from ..config import SearchConfig
    from ..spaces import space_from_dict

    attrs = study.user_attrs
    if CONFIG_ATTR not in attrs:
        raise DistributedError(f"study {study.study_name!r} in {shown_url(storage)} has no actsearch configuration "
                               "(create it with actsearch.distributed.create_distributed_study)")
    config = SearchConfig.from_dict(attrs[CONFIG_ATTR])
    space = space_from_dict(attrs[SPACE_ATTR], config.space if config.space != "default" else "<default space>")
    liveness = {"heartbeat_interval": HEARTBEAT_INTERVAL, "grace_period": GRACE_PERIOD, "max_retry": MAX_RETRY,
                **(attrs.get(LIVENESS_ATTR) or {})}
    return config, space, liveness


def study_run_id(study_name: str, config) -> str:
    return f"{study_name}-s{config.seed}"

