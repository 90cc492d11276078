"""Scoring in PyTorch: a candidate activation trained inside a torch model (optional: ``pip install actsearch[torch]``).

* :mod:`.activation`: the candidate as an ``nn.Module`` (the class ``export(expr, "torch")`` writes);
* :mod:`.models`: the built-in target models (``resmlp``, ``cnn``) and a user's own model file;
* :mod:`.scorer`: :class:`TorchScorer`, the :class:`~actsearch.scoring.Scorer` that trains them.

torch is imported only when one of these is used.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {
    "TorchConfig": ".scorer", "TorchScorer": ".scorer", "ModelSpec": ".models", "model_spec": ".models",
    "activation_factory": ".activation", "require_torch": ".activation",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
