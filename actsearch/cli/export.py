"""``actsearch export EXPR --to TARGET``: print an activation as code or a LaTeX formula."""

from __future__ import annotations

from .arguments import param_values


def add_parser(sub) -> None:
    """Register ``export`` on ``sub`` (the subparsers of :func:`actsearch.cli.build_parser`)."""
    from ..export import TARGETS

    ex = sub.add_parser("export", help="print an activation as NumPy, PyTorch, SymPy, JAX code or LaTeX",
                        description="Print activation EXPR as code (numpy, torch, sympy, jax) or a LaTeX formula, "
                                    "with actsearch's protections (x/y is 1 where |y| <= 1e-3, log takes |x|, "
                                    "exp clips at 80, ...).")
    ex.add_argument("expr", metavar="EXPR", help="the activation, e.g. 'x * sigmoid(beta * x)'")
    ex.add_argument("--to", choices=TARGETS, default="numpy", help="target (default: numpy)")
    ex.add_argument("--param", action="append", type=param_values, metavar="NAME=VALUE",
                    help="value of a named parameter, e.g. --param beta=1.5 (repeatable); NAME=V1,V2,... gives "
                         "one value per neuron (a learnable family's learned coefficients)")
    ex.set_defaults(run=run)


def run(args) -> int:
    """Print the export of ``args.expr``; the exit code."""
    from ..export import export

    print(export(args.expr, args.to, params=dict(args.param or [])).rstrip("\n"))
    return 0
