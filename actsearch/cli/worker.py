"""``actsearch worker``: join a distributed Optuna search and evaluate trials until its budget is spent."""

from __future__ import annotations

import os
import sys


def add_parser(sub) -> None:
    """Register ``worker`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    wk = sub.add_parser(
        "worker", help="join a distributed Optuna search and evaluate trials until its budget is spent",
        description="Join the distributed search STUDY in the Optuna storage URL, from this or another machine, "
                    "and evaluate trials until the study's budget is spent. The study carries the whole "
                    "search configuration. Several workers can run at once; a killed worker's trial is retried "
                    "by another.")
    wk.add_argument("--storage", metavar="URL",
                    help="sqlite:///PATH.db, postgresql://USER:PASSWORD@HOST/DB or journal:///PATH.log "
                         "(default with --out: sqlite:///OUT/optuna.db)")
    wk.add_argument("--study", required=True, metavar="NAME", help="the study's name")
    wk.add_argument("--out", metavar="DIR", help="keep the whole table (every worker's rows) in DIR/evaluations.csv")
    wk.add_argument("--worker-id", help="this worker's name in the trials (default: HOST-PID)")
    wk.add_argument("--poll", type=float, default=1.0,
                    help="seconds between looks at the study while others finish the last trials (default: 1)")
    wk.add_argument("--quiet", action="store_true", help="no line per evaluation on stderr")
    wk.set_defaults(run=run)


def run(args) -> int:
    """Work for the study until its budget is spent (SIGTERM stops it like Ctrl-C); the exit code."""
    import signal

    from ..distributed import DistributedError, default_storage, run_worker

    if args.storage is None and args.out is None:
        raise DistributedError("give --storage URL (or --out DIR for sqlite:///DIR/optuna.db)")
    storage = args.storage or default_storage(args.out)

    def _term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _term)
    try:
        report = run_worker(storage, args.study, out=args.out, worker_id=args.worker_id, poll=args.poll,
                            log=None if args.quiet else sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
    table = report.table
    counts = table["status"].value_counts().to_dict() if table is not None else {}
    print(f"worker {report.worker_id}: evaluated {len(report.evaluated)}, surplus {report.surplus}; study "
          f"{report.study_name}: {len(table)}/{report.budget} search rows "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items())) or 'none'})"
          + (f"; table {os.path.join(report.out, 'evaluations.csv')}" if report.out else ""))
    if report.interrupted:
        print("actsearch: interrupted; the running trial was given back to the study", file=sys.stderr)
        return 130
    return 0
