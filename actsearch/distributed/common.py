"""Names shared by the distributed modules: the study's and trials' attributes, the liveness defaults, and
the error."""

from __future__ import annotations

import os

from ..errors import ActsearchError


#: Study user attributes.
CONFIG_ATTR = "actsearch_config"
SPACE_ATTR = "actsearch_space"
LIVENESS_ATTR = "actsearch_liveness"
VERSION_ATTR = "actsearch_version"
#: Trial user attributes.
ROW_ATTR = "actsearch_row"
CANDIDATE_ATTR = "actsearch_candidate"
WORKER_ATTR = "actsearch_worker"
SURPLUS_ATTR = "actsearch_surplus"
INTERRUPTED_ATTR = "actsearch_interrupted"
#: Trial system attribute: the last heartbeat (time.time()) on a journal storage.
HEARTBEAT_ATTR = "actsearch_heartbeat"
#: Set by RetryHeartbeatStaleTrialCallback on a retry: the number of the first trial of the series.
RETRY_OF = "failed_trial"

HEARTBEAT_INTERVAL = 10
GRACE_PERIOD = 60
MAX_RETRY = 3
#: pysqlite's busy timeout (seconds) for sqlite:// storages.
SQLITE_TIMEOUT = 120.0
#: A FAIL trial with retries left whose retry has not appeared after this long is failed for good.
RETRY_WAIT = 30.0


class DistributedError(ActsearchError):
    """A storage or study that a distributed search cannot use."""


def default_storage(out: str) -> str:
    """The storage of a run on one machine: ``sqlite:///OUT/optuna.db`` (absolute).

    >>> default_storage("/tmp/run")
    'sqlite:////tmp/run/optuna.db'
    """
    return "sqlite:///" + os.path.join(os.path.abspath(out), "optuna.db")


def shown_url(url) -> str:
    """A storage URL for messages, without its password."""
    if not isinstance(url, str):
        return type(url).__name__
    if url.startswith("journal://"):
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse is shown as given
        return url

