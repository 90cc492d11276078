"""Does it transfer?  The tables ``actsearch transfer`` writes beside a run, read back with their verdicts.

A run folder may hold ``transfer-<model>.csv`` files: its finalists and
baselines trained again in a PyTorch model (:mod:`actsearch.transfer`).
:func:`transfer_checks` finds them for ``analyze`` and ``report``, with each
one's leaderboard (verdicts against the best baseline in that model) and
:func:`proxy_agreement`, the rank correlation between proxy and target.
"""

from __future__ import annotations

import glob
import os

from ..results import SCORED_STATUSES


def proxy_agreement(proxy, target) -> dict:
    """Spearman's rank correlation between the functions' mean test scores in the proxy's final stage and in the
    target, over the functions scored in both (by fingerprint): ``rho``, ``p`` and ``n``.

    >>> import pandas as pd
    >>> proxy = pd.DataFrame({"stage": ["final"] * 3, "status": ["ok"] * 3, "fingerprint": ["a", "b", "c"],
    ...                       "test_score": [0.9, 0.8, 0.7]})
    >>> proxy_agreement(proxy, proxy.assign(test_score=[0.5, 0.6, 0.4]))["rho"]
    0.5
    """
    from scipy.stats import spearmanr

    def means(table):
        ok = table[(table["stage"] == "final") & table["status"].isin(list(SCORED_STATUSES))]
        return ok.groupby("fingerprint")["test_score"].mean().dropna()

    a, b = means(proxy), means(target)
    common = sorted(set(a.index) & set(b.index))
    if len(common) < 3:
        return {"rho": float("nan"), "p": float("nan"), "n": len(common)}
    rho, p = spearmanr(a[common].to_numpy(), b[common].to_numpy())
    return {"rho": float(rho), "p": float(p), "n": len(common)}


def transfer_files(paths) -> list[str]:
    """The ``transfer-*.csv`` files in the run folders of ``paths`` (folders or their evaluations.csv)."""
    found = []
    for path in paths:
        path = os.fspath(path)
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        found += sorted(glob.glob(os.path.join(folder, "transfer-*.csv")))
    return list(dict.fromkeys(found))


def transfer_checks(paths, proxy, top: int = 10) -> list[dict]:
    """One ``{"path", "model", "leaderboard", "agreement"}`` per transfer table beside ``paths``; ``proxy`` is
    the runs' own table."""
    from ..results import load_results
    from .tables import leaderboard

    checks = []
    for path in transfer_files(paths):
        table = load_results(path)
        models = [m for m in dict.fromkeys(table["model"].dropna().astype(str)) if m]
        checks.append({"path": path, "model": ", ".join(models) or os.path.basename(path),
                       "leaderboard": leaderboard(table, top=top), "agreement": proxy_agreement(proxy, table)})
    return checks


def agreement_text(agreement: dict) -> str:
    """The agreement in words.

    >>> agreement_text({"rho": 0.5, "p": 0.667, "n": 3})
    "Spearman's rho between the proxy's and the target's mean test scores: +0.500 (p 0.667, 3 functions)"
    """
    if agreement["n"] < 3:
        return f"too few functions scored in both for a rank correlation ({agreement['n']})"
    return (f"Spearman's rho between the proxy's and the target's mean test scores: {agreement['rho']:+.3f} "
            f"(p {agreement['p']:.3g}, {agreement['n']} functions)")
