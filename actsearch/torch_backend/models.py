"""Target models for the PyTorch scorer: the built-in ``resmlp`` and ``cnn``, and a user's own model file.

A model is built by ``build(activation, n_in, n_out)`` where ``activation`` is
a zero-argument factory of the candidate's module (one call per place it is
used).  A user's file ``PATH.py:FUNCTION`` is imported as the user's code:

* ``FUNCTION(activation) -> nn.Module`` receives the factory (the default form);
* with ``replace``, ``FUNCTION() -> nn.Module`` returns a model whose ``nn.ReLU``,
  ``nn.GELU``, ``nn.SiLU``, ``nn.Tanh`` and ``nn.ELU`` modules are replaced by
  the candidate.

>>> model_spec("resmlp").name, model_spec("cnn").name
('resmlp', 'cnn')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from ..errors import ConfigError

#: The activation modules that ``replace`` swaps for the candidate.
REPLACEABLE = ("ReLU", "GELU", "SiLU", "Tanh", "ELU")


@dataclass(frozen=True)
class ModelSpec:
    """A target model: its name and ``build(activation, n_in, n_out) -> nn.Module``; ``notes`` says what a
    replacing build replaced.  It pickles as its ``source`` (what :func:`model_spec` was given), so a worker
    process imports the user's file itself."""

    name: str
    build: Callable
    notes: list = field(default_factory=list, compare=False)
    source: str = ""
    replace: bool = False

    def __reduce__(self):
        return model_spec, (self.source, self.replace)


def resmlp(activation, n_in: int, n_out: int, width: int = 64, blocks: int = 2, dropout: float = 0.0,
           norm: str | None = "layer"):
    """A residual MLP: a linear stem, ``blocks`` pre-norm blocks x + W2 act(W1 norm(x)), a final norm, a linear
    head.  ``norm`` is ``layer`` (LayerNorm, the built-in model), ``batch`` (BatchNorm1d) or None (no norm
    layers): the NumPy trainer's ``TrainConfig(arch="resmlp", norm=...)`` with ``hidden=(width,) * blocks``
    is this network (its initialisation is actsearch's rule, not PyTorch's default)."""
    from torch import nn

    def make_norm():
        return {"layer": nn.LayerNorm, "batch": nn.BatchNorm1d}[norm](width) if norm else nn.Identity()

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.inner, self.act = make_norm(), nn.Linear(width, width), activation()
            self.outer, self.drop = nn.Linear(width, width), nn.Dropout(dropout)

        def forward(self, x):
            return x + self.drop(self.outer(self.act(self.inner(self.norm(x)))))

    return nn.Sequential(nn.Linear(n_in, width), *[Block() for _ in range(blocks)], make_norm(),
                         nn.Linear(width, n_out))


def cnn(activation, n_in: int, n_out: int, channels: int = 16):
    """A small CNN with BatchNorm on 8x8 images (the digits dataset's 64 features)."""
    from torch import nn

    if n_in != 64:
        raise ConfigError(f"model cnn: expects 8x8 images (64 features, as digits), got {n_in} features")
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), activation(), nn.MaxPool2d(2),
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.BatchNorm2d(2 * channels), activation(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * channels * 4, n_out))


BUILT_IN = {"resmlp": resmlp, "cnn": cnn}


def _user_function(path: str, function: str):
    """``function`` of the user's file ``path``, imported as a module (never ``eval``ed)."""
    import importlib.util

    if not os.path.isfile(path):
        raise ConfigError(f"model file {path!r} does not exist")
    spec = importlib.util.spec_from_file_location(f"actsearch_user_model_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # the user's own code, run as the import of their module
    except Exception as exc:  # noqa: BLE001 - whatever their file raises, as one line
        raise ConfigError(f"model file {path}: importing it failed: {type(exc).__name__}: {exc}") from None
    fn = getattr(module, function, None)
    if not callable(fn):
        raise ConfigError(f"model file {path}: no function {function!r}")
    return fn


def _module_or_error(model, what: str):
    from torch import nn

    if not isinstance(model, nn.Module):
        raise ConfigError(f"{what} returned {type(model).__name__}, not a torch.nn.Module")
    return model


def replace_activations(model, activation) -> list[str]:
    """Swap every ``nn.ReLU``, ``nn.GELU``, ``nn.SiLU``, ``nn.Tanh`` and ``nn.ELU`` inside ``model`` (nested
    blocks included) for a fresh ``activation()``; the dotted names replaced."""
    from torch import nn

    kinds = tuple(getattr(nn, name) for name in REPLACEABLE)
    replaced = []
    for parent_name, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, kinds):
                setattr(parent, name, activation())
                replaced.append(f"{parent_name}.{name}".lstrip(".") + f" ({type(child).__name__})")
    return replaced


def model_spec(text: str, replace: bool = False) -> ModelSpec:
    """The target model ``text``: ``resmlp``, ``cnn``, or ``PATH.py:FUNCTION`` of the user's file."""
    if text in BUILT_IN:
        if replace:
            raise ConfigError(f"--replace needs a model file PATH.py:FUNCTION, not the built-in {text!r}")
        return ModelSpec(text, BUILT_IN[text], source=text)
    path, sep, function = text.rpartition(":")
    if not sep or not path.endswith(".py") or not function.isidentifier():
        raise ConfigError(f"model {text!r}: expected resmlp, cnn or PATH.py:FUNCTION")
    fn = _user_function(path, function)
    where = f"{os.path.basename(path)}:{function}"
    notes: list[str] = []

    if replace:
        def build(activation, n_in, n_out):
            model = _module_or_error(fn(), f"{where}()")
            replaced = replace_activations(model, activation)
            if not replaced:
                raise ConfigError(f"{where}: no nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh or nn.ELU module to replace "
                                  "(functional calls such as F.relu cannot be replaced): write FUNCTION(activation) "
                                  "and use activation() in the model, without --replace")
            notes[:] = replaced
            return model
    else:
        def build(activation, n_in, n_out):
            return _module_or_error(fn(activation), f"{where}(activation)")
    return ModelSpec(where, build, notes, source=text, replace=replace)
