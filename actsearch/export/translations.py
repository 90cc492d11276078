"""The translation table: for each primitive, a template per export target.

Adding a primitive is one entry in :data:`TRANSLATIONS` (tests/test_export.py checks that
every registered primitive has one).  A template is a string in which ``$0``, ``$1``, ...
stand for the arguments (and, in the NumPy templates that JAX shares, ``$np`` and ``$sp``
for the array and special-function modules, see :data:`NAMESPACES`), or a function of the
argument nodes that returns such a string (:mod:`actsearch.export.templates`).

>>> translation("log", "numpy")
'$np.log($np.maximum($np.abs($0), 1e-06))'
>>> TRANSLATIONS["sigmoid"]["jax"] == TRANSLATIONS["sigmoid"]["numpy"]
True
"""

from __future__ import annotations

from ..primitives import family_of
from .families import family_translations, rational_translations
from .templates import (
    CLIP, DIV_EPS, LOG_EPS, Template, div_array, div_sympy, div_torch, extreme_torch, latex_leaf, mul_latex,
    pow_latex, pow_numpy, pow_sympy, pow_torch, swish_latex,
)

__all__ = ["NAMESPACES", "TRANSLATIONS", "translation"]


def _tr(numpy: Template, torch: Template, sympy: Template, latex: Template,
        jax: Template | None = None) -> dict[str, Template]:
    """One primitive's templates; JAX shares the NumPy template unless given."""
    return {"numpy": numpy, "jax": numpy if jax is None else jax, "torch": torch, "sympy": sympy, "latex": latex}


_SIGMOID_NP = "0.5 * $np.tanh(0.5 * $0) + 0.5"  # the form the primitive uses: no overflow
_SIGMOID_SYMPY = "(sympy.tanh($0 / 2) + 1) / 2"
_SOFTPLUS_SYMPY = "sympy.Max($0, 0) + sympy.log(1 + sympy.exp(-sympy.Abs($0)))"  # log(1 + e^a), stable
_SELU_ALPHA = "1.6732632423543772"
_SELU_SCALE = "1.0507009873554805"

#: primitive name -> {target: template}.  Every registered primitive needs an entry
#: (tests/test_export.py checks this against actsearch.primitives.PRIMITIVES).
TRANSLATIONS: dict[str, dict[str, Template]] = {
    "add": _tr("$0 + $1", "$0 + $1", "$0 + $1", "$0 + $1"),
    "sub": _tr("$0 - $1", "$0 - $1", "$0 - $1", "$0 - $1"),
    "mul": _tr("$0 * $1", "$0 * $1", "$0 * $1", mul_latex),
    "div": _tr(div_array, div_torch, div_sympy, "\\frac{$0}{$1}"),
    "pow": _tr(pow_numpy, pow_torch, pow_sympy, pow_latex),
    "neg": _tr("-$0", "-$0", "-$0", "-$0"),
    "max": _tr("$np.maximum($0, $1)", extreme_torch("maximum", "min"), "sympy.Max($0, $1)", "\\max($0, $1)"),
    "min": _tr("$np.minimum($0, $1)", extreme_torch("minimum", "max"), "sympy.Min($0, $1)", "\\min($0, $1)"),
    "abs": _tr("$np.abs($0)", "torch.abs($0)", "sympy.Abs($0)", "\\left|$0\\right|"),
    "sqrt": _tr("$np.sqrt($np.abs($0))", "torch.sqrt(torch.abs($0))", "sympy.sqrt(sympy.Abs($0))",
                "\\sqrt{\\left|$0\\right|}"),
    "log": _tr(f"$np.log($np.maximum($np.abs($0), {LOG_EPS}))",
               f"torch.log(torch.clamp(torch.abs($0), min={LOG_EPS}))",
               f"sympy.log(sympy.Max(sympy.Abs($0), {LOG_EPS}))", "\\log\\left|$0\\right|"),
    "exp": _tr(f"$np.exp($np.minimum($0, {CLIP}))", f"torch.exp(torch.clamp($0, max={CLIP}))",
               "sympy.exp(sympy.Min($0, 80))", "e^{$0}"),
    "sin": _tr("$np.sin($0)", "torch.sin($0)", "sympy.sin($0)", "\\sin($0)"),
    "cos": _tr("$np.cos($0)", "torch.cos($0)", "sympy.cos($0)", "\\cos($0)"),
    "sinh": _tr(f"$np.sinh($np.clip($0, -{CLIP}, {CLIP}))", f"torch.sinh(torch.clamp($0, -{CLIP}, {CLIP}))",
                "sympy.sinh(sympy.Max(sympy.Min($0, 80), -80))", "\\sinh($0)"),
    "cosh": _tr(f"$np.cosh($np.clip($0, -{CLIP}, {CLIP}))", f"torch.cosh(torch.clamp($0, -{CLIP}, {CLIP}))",
                "sympy.cosh(sympy.Max(sympy.Min($0, 80), -80))", "\\cosh($0)"),
    "tanh": _tr("$np.tanh($0)", "torch.tanh($0)", "sympy.tanh($0)", "\\tanh($0)"),
    "asinh": _tr("$np.arcsinh($0)", "torch.asinh($0)", "sympy.asinh($0)", "\\operatorname{asinh}($0)"),
    "atan": _tr("$np.arctan($0)", "torch.atan($0)", "sympy.atan($0)", "\\arctan($0)"),
    # sin(a)/a, unnormalised; numpy's, torch's and jax's sinc are sin(pi t)/(pi t).  In SymPy,
    # the series below |a| = 1e-3, as the primitive's derivative (-a/3) does: the derivative of
    # sin(a)/a, cos(a)/a - sin(a)/a^2, loses every digit near 0 in floating point.
    "sinc": _tr("$np.sinc($0 / $np.pi)", "torch.sinc($0 / math.pi)",
                f"sympy.Piecewise((1 - $0 ** 2 / 6 + $0 ** 4 / 120, sympy.Abs($0) < {DIV_EPS}), "
                "(sympy.sin($0) / $0, True))", "\\operatorname{sinc}($0)"),
    "erf": _tr("$sp.erf($0)", "torch.erf($0)", "sympy.erf($0)", "\\operatorname{erf}($0)"),
    "identity": _tr("$0", "$0", "$0", "$0"),
    "step": _tr("$np.heaviside($0, 0.0)", "($0 > 0).to($0.dtype)", "sympy.Piecewise((1, $0 > 0), (0, True))",
                "\\operatorname{step}($0)"),
    "sigmoid": _tr(_SIGMOID_NP, "torch.sigmoid($0)", _SIGMOID_SYMPY, "\\sigma($0)"),
    "relu": _tr("$np.maximum($0, 0.0)", "torch.relu($0)", "sympy.Max($0, 0)", "\\max($0, 0)"),
    "leaky_relu": _tr("$np.where($0 > 0, $0, $1 * $0)", "torch.where($0 > 0, $0, $1 * $0)",
                      "sympy.Piecewise(($0, $0 > 0), ($1 * $0, True))", "\\operatorname{LeakyReLU}_{$1}($0)"),
    "prelu": _tr("$np.where($0 > 0, $0, $1 * $0)", "torch.where($0 > 0, $0, $1 * $0)",
                 "sympy.Piecewise(($0, $0 > 0), ($1 * $0, True))", "\\operatorname{PReLU}_{$1}($0)"),
    "elu": _tr("$np.where($0 > 0, $0, $1 * $np.expm1($np.minimum($0, 0.0)))",
               "torch.where($0 > 0, $0, $1 * torch.expm1(torch.clamp($0, max=0.0)))",
               "sympy.Piecewise(($0, $0 > 0), ($1 * (sympy.exp($0) - 1), True))", "\\operatorname{ELU}_{$1}($0)"),
    "selu": _tr(f"{_SELU_SCALE} * $np.where($0 > 0, $0, {_SELU_ALPHA} * $np.expm1($np.minimum($0, 0.0)))",
                f"{_SELU_SCALE} * torch.where($0 > 0, $0, {_SELU_ALPHA} * torch.expm1(torch.clamp($0, max=0.0)))",
                f"{_SELU_SCALE} * sympy.Piecewise(($0, $0 > 0), ({_SELU_ALPHA} * (sympy.exp($0) - 1), True))",
                "\\operatorname{SELU}($0)"),
    "softplus": _tr("$np.logaddexp(0.0, $0)", "torch.logaddexp($0, torch.zeros_like($0))", _SOFTPLUS_SYMPY,
                    "\\log(1 + e^{$0})"),
    "softsign": _tr("$0 / (1.0 + $np.abs($0))", "$0 / (1.0 + torch.abs($0))", "$0 / (1 + sympy.Abs($0))",
                    latex_leaf("\\frac{$0}{1 + \\left|$0\\right|}", "\\operatorname{softsign}($0)")),
    "swish": _tr(f"$0 * ({_SIGMOID_NP.replace('$0', '($1 * $0)')})", "$0 * torch.sigmoid($1 * $0)",
                 f"$0 * {_SIGMOID_SYMPY.replace('$0', '$1 * $0')}",
                 swish_latex),
    "silu": _tr(f"$0 * ({_SIGMOID_NP})", "F.silu($0)", f"$0 * {_SIGMOID_SYMPY}",
                latex_leaf("$0 \\, \\sigma($0)", "\\operatorname{SiLU}($0)")),
    "gelu": _tr("0.5 * $0 * (1.0 + $sp.erf($0 / 1.4142135623730951))", "F.gelu($0)",
                "$0 * (1 + sympy.erf($0 / sympy.sqrt(2))) / 2",
                latex_leaf("$0 \\, \\Phi($0)", "\\operatorname{GELU}($0)")),
    "mish": _tr("$0 * $np.tanh($np.logaddexp(0.0, $0))", "F.mish($0)",
                f"$0 * sympy.tanh({_SOFTPLUS_SYMPY})",
                latex_leaf("$0 \\tanh(\\log(1 + e^{$0}))", "\\operatorname{mish}($0)")),
    "hard_sigmoid": _tr("$np.clip($0 / 6.0 + 0.5, 0.0, 1.0)", "torch.clamp($0 / 6.0 + 0.5, 0.0, 1.0)",
                        "sympy.Min(sympy.Max($0 / 6 + sympy.Rational(1, 2), 0), 1)",
                        "\\min(\\max(\\frac{$0}{6} + \\frac{1}{2}, 0), 1)"),
    "log_sigmoid": _tr("-$np.logaddexp(0.0, -$0)", "F.logsigmoid($0)",
                       "sympy.Min($0, 0) - sympy.log(1 + sympy.exp(-sympy.Abs($0)))", "\\log\\sigma($0)"),
    "expm1": _tr(f"$np.expm1($np.minimum($0, {CLIP}))", f"torch.expm1(torch.clamp($0, max={CLIP}))",
                 "sympy.exp(sympy.Min($0, 80)) - 1", "e^{$0} - 1"),
    "erfc": _tr("$sp.erfc($0)", "torch.erfc($0)", "sympy.erfc($0)", "\\operatorname{erfc}($0)"),
}

TRANSLATIONS.update(family_translations())

#: What ``$np`` and ``$sp`` stand for in the NumPy templates.
NAMESPACES = {"numpy": {"np": "np", "sp": "scipy.special"}, "jax": {"np": "jnp", "sp": "jax.scipy.special"}}


def translation(op: str, target: str) -> Template:
    """The template of primitive ``op`` for ``target``; a ``KeyError`` names a missing one.

    >>> translation("tanh", "torch")
    'torch.tanh($0)'
    >>> translation("rational21", "numpy")(("x",) * 5)
    '(($3 * $0 + $2) * $0 + $1) / (1.0 + $np.abs($4 * $0))'
    """
    family = family_of(op)
    if family is not None and family.hinges and op not in TRANSLATIONS:
        op = "apl"  # every number of hinges shares APL's templates
    table = TRANSLATIONS.get(op, {})
    if op not in TRANSLATIONS and family is not None and family.degrees:
        table = rational_translations(family.degrees[0])  # rationalMN: P's degree splits the arguments
    try:
        return table[target]
    except KeyError:
        raise KeyError(f"no {target} translation for primitive {op!r}: add one to "
                       "actsearch.export.translations.TRANSLATIONS") from None
