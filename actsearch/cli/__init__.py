"""The ``actsearch`` command line.

Bad input (an expression, a dataset, a setting) prints one line,
``actsearch: error: ...``, to stderr and exits with code 2; never a traceback.

Each command is a module of this package with ``add_parser(sub)``, which
registers the command's parser with ``run`` (the command) as its default;
:func:`build_parser` asks each of :data:`COMMANDS` in turn, in the order
``actsearch --help`` lists them.
"""

from __future__ import annotations

import sys

from .. import __version__
from ..errors import ActsearchError
from . import analyze, compare, evaluate, export, plot, report, search, transfer, worker
from .arguments import OneLineErrorParser

#: The command modules, in the order of ``actsearch --help``.
COMMANDS = (evaluate, search, compare, transfer, analyze, plot, report, export, worker)


def build_parser() -> OneLineErrorParser:
    """The parser of ``actsearch`` and all its commands.

    >>> build_parser().parse_args(["export", "relu"]).to
    'numpy'
    """
    parser = OneLineErrorParser(prog="actsearch", description="Discover neural-network activation functions.")
    parser.add_argument("--version", action="version", version=f"actsearch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run ``actsearch`` with ``argv`` (default: the process's arguments); the exit code.

    2 for bad input (one ``actsearch: error:`` line on stderr) or no command, 130 if interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except ActsearchError as exc:
        print(f"actsearch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("actsearch: interrupted", file=sys.stderr)
        return 130
