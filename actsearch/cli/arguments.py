"""Argument types and the options several commands share.

An argparse type turns one command-line word into a value or raises
:class:`argparse.ArgumentTypeError`, which :class:`OneLineErrorParser` prints
as one line; the ``add_*_options`` functions add the options of every command
that trains, and :func:`training_config` and :func:`load_data` read them back.
"""

from __future__ import annotations

import argparse
import math
import sys


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (``actsearch: error: ...``, exit 2) without the usage block.

    Subcommands' parsers are of the same class (``add_subparsers`` takes the parent's), so every
    command's argument errors read like the errors the commands raise; ``--help`` shows the usage.
    """

    def error(self, message: str):
        command = self.prog.removeprefix("actsearch").strip()
        self.exit(2, f"actsearch: error: {command + ': ' if command else ''}{message} (see --help)\n")


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes such as 128,64, got {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def expression_list(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated activations; a comma inside parentheses belongs to the expression.

    >>> expression_list("relu, max(x, sin(x))")
    ('relu', 'max(x, sin(x))')
    """
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    if any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected names or expressions separated by commas, got {text!r}")
    return tuple(parts)


def _whole(text: str, least: int, too_small: str) -> int:
    """``text`` as an int of at least ``least``; ``too_small`` says in words what was expected."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected {too_small}, got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1.

    >>> positive_int("3")
    3
    """
    return _whole(text, 1, "at least 1")


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0.

    >>> non_negative_int("0")
    0
    """
    return _whole(text, 0, "at least 0")


def row_count(text: str) -> int:
    """argparse type: how many rows to show, 0 or more (``analyze --top``).

    >>> row_count("0")
    0
    """
    return _whole(text, 0, "0 or more")


def finite_score(text: str) -> float:
    """argparse type: a finite score such as 0.9 (``analyze --target``).

    >>> finite_score("0.9")
    0.9
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a score such as 0.9, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite score, got {text!r}")
    return value


def strategy_option(text: str) -> tuple[str, object]:
    """argparse type: KEY=VALUE for a strategy option; the value is read as YAML (safe_load).

    >>> strategy_option("kappa=0.5")
    ('kappa', 0.5)
    """
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE such as kappa=0.5, got {text!r}")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"option {key.strip()}: cannot read the value {value!r}") from None


def param_value(text: str) -> tuple[str, float]:
    """argparse type: NAME=VALUE for a named parameter.

    >>> param_value("beta=1.5")
    ('beta', 1.5)
    """
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE such as beta=1.5, got {text!r}") from None


def param_values(text: str) -> tuple[str, float | tuple[float, ...]]:
    """argparse type: NAME=VALUE, or NAME=V1,V2,... for one value per neuron (a learnable family's).

    >>> param_values("beta=1.5"), param_values("apl_a1=0.1,-0.2")
    (('beta', 1.5), ('apl_a1', (0.1, -0.2)))
    """
    name, sep, value = text.partition("=")
    if "," not in value:
        return param_value(text)
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), tuple(float(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,... such as apl_a1=0.1,-0.2, got {text!r}") from None


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The dataset options shared by every command that trains."""
    parser.add_argument("--dataset", default="digits", metavar="NAME|PATH.csv",
                        help="built-in dataset name or a CSV file (default: %(default)s)")
    parser.add_argument("--target", help="label column of a CSV dataset (default: the last column)")
    parser.add_argument("--task", choices=("classification", "regression"),
                        help="task of a CSV dataset (default: inferred from the target)")
    parser.add_argument("--split-seed", type=int, default=0,
                        help="seed of the train/val/test split (default: %(default)s)")


def load_data(args):
    """The dataset the options name, with a note on stderr for each guess made in loading it (a CSV's label, task)."""
    from ..datasets import load_dataset

    data = load_dataset(args.dataset, target=args.target, task=args.task, seed=args.split_seed)
    for note in data.notes:
        print(f"actsearch: note: {note}", file=sys.stderr)
    return data


def add_training_options(parser: argparse.ArgumentParser, defaults=None, *, seeds: int = 5,
                         seeds_help: str = "training runs, seeds 0..N-1") -> None:
    """The training options shared by every command that trains; ``defaults`` is a TrainConfig."""
    from ..networks import TrainConfig

    d = defaults or TrainConfig()
    hidden = ",".join(map(str, d.hidden))
    parser.add_argument("--hidden", type=_layer_sizes, default=d.hidden, metavar="128,64",
                        help=f"hidden layer sizes (default: {hidden})")
    parser.add_argument("--epochs", type=positive_int, default=d.epochs, help=f"training epochs (default: {d.epochs})")
    parser.add_argument("--batch-size", type=positive_int, default=d.batch_size,
                        help=f"minibatch size (default: {d.batch_size})")
    parser.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default: {d.lr:g})")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default=d.optimizer,
                        help="optimiser (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=d.dropout,
                        help=f"dropout rate after each hidden layer (default: {d.dropout:g})")
    parser.add_argument("--l2", type=float, default=d.l2, help=f"weight decay on weights (default: {d.l2:g})")
    parser.add_argument("--seeds", type=positive_int, default=seeds, help=f"{seeds_help} (default: {seeds})")
    parser.add_argument("--no-early-stopping", dest="early_stopping", action="store_false",
                        help="train all epochs instead of stopping when validation loss stalls")
    parser.add_argument("--patience", type=positive_int, default=d.patience,
                        help=f"epochs without improvement before early stopping (default: {d.patience})")
    _add_init_options(parser, d)
    parser.add_argument("--learnable", default="", metavar="NAMES",
                        help="activation parameters trained with the weights, e.g. beta or alpha,beta "
                             "(beta also matches the per-slot beta_u1 of search spaces)")
    parser.add_argument("--granularity", choices=("network", "layer", "neuron"), default=d.granularity,
                        help="one learnable value per network, per layer or per neuron (default: %(default)s)")
    parser.add_argument("--family-granularity", choices=("network", "layer", "neuron"),
                        default=d.family_granularity,
                        help="the same for the coefficients of learnable families (apl, rational), which are "
                             "always trained (default: %(default)s)")
    parser.add_argument("--arch", choices=("mlp", "resmlp"), default=d.arch,
                        help="the NumPy network: mlp, or resmlp (an input projection, one pre-norm residual block "
                             "h + W2 f(W1 norm(h)) per --hidden size, all sizes equal) (default: %(default)s)")
    parser.add_argument("--norm", choices=("none", "batch", "layer"), default=d.norm or "none",
                        help="normalisation layers: batch or layer norm before each activation (mlp) or at the "
                             "head of each block and before the output layer (resmlp) (default: %(default)s)")


def _add_init_options(parser: argparse.ArgumentParser, d) -> None:
    """``--init``, ``--init-scale`` and the resampling switch, whose sense follows the default ``d.resample``."""
    parser.add_argument("--init", choices=("auto", "he", "xavier"), default=d.init,
                        help="weight initialisation: auto, a variance-preserving gain computed for each activation "
                             "(AutoInit); he; or xavier (default: %(default)s)")
    parser.add_argument("--init-scale", type=float, default=d.init_scale,
                        help=f"target std of the pre-activations under --init auto (default: {d.init_scale:g})")
    if d.resample:
        parser.add_argument("--no-resample", dest="resample", action="store_false",
                            help="one fixed train/validation partition for every seed, instead of each seed "
                                 "drawing its own (the test rows never change)")
    else:
        parser.add_argument("--resample", action="store_true",
                            help="each seed draws its own train/validation partition (the test rows never change)")


def training_config(args):
    """The :class:`~actsearch.networks.TrainConfig` the options of :func:`add_training_options` describe."""
    from ..networks import TrainConfig

    return TrainConfig(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                       optimizer=args.optimizer, dropout=args.dropout, l2=args.l2,
                       early_stopping=args.early_stopping, patience=args.patience, init=args.init,
                       init_scale=args.init_scale, resample=args.resample,
                       learnable=tuple(n.strip() for n in args.learnable.split(",") if n.strip()),
                       granularity=args.granularity, family_granularity=args.family_granularity,
                       arch=args.arch, norm=None if args.norm == "none" else args.norm)


def add_model_options(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """The options that score candidates in a PyTorch model instead of the NumPy MLP (``default``: the model
    without ``--model``; None for the NumPy MLP)."""
    shown = default or "the NumPy MLP of --hidden"
    parser.add_argument("--model", metavar="resmlp|cnn|PATH.py:FUNCTION", default=default,
                        help="score candidates in this PyTorch model (pip install actsearch[torch]): the built-in "
                             "resmlp (residual MLP, LayerNorm) or cnn (BatchNorm, 8x8 digits images), or your "
                             "FUNCTION(activation) -> nn.Module, where activation() makes one candidate module "
                             f"(default: {shown})")
    parser.add_argument("--replace", action="store_true",
                        help="with --model PATH.py:FUNCTION: FUNCTION() returns a model whose nn.ReLU, nn.GELU, "
                             "nn.SiLU, nn.Tanh and nn.ELU modules are replaced by the candidate")
    parser.add_argument("--device", default="cpu", help="torch device of --model, cpu or cuda (default: cpu)")
