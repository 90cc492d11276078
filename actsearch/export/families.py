"""Export templates of the learnable families (``apl``, ``aplS``, ``rational``, ``rationalMN``), whose
argument count (and, for the rational, P's degree M) sets the formula: ``$0`` is the input, ``$1, $2, ...``
the coefficients in the primitive's order.

Each writes the primitive's own formula: APL as relu plus its hinges, the rational function by
Horner's rule with the safe denominator 1 + |Q(x)| (as :mod:`actsearch.primitives.families`).

>>> from actsearch.expression.tree import Param, Var
>>> apl_numpy((Var("x"), Param("a1"), Param("b1")))
'$np.maximum($0, 0.0) + $1 * $np.maximum($2 - $0, 0.0)'
>>> rational_template("torch")((Var("x"),) * 11).split(" / ")[1]
'(1.0 + torch.abs(((($10 * $0 + $9) * $0 + $8) * $0 + $7) * $0))'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

__all__ = ["apl_numpy", "apl_template", "rational_template", "rational_latex", "rational_translations",
           "family_translations"]


def apl_template(relu: str, hinge: str, times: str = " * ") -> Callable[[tuple], str]:
    """APL as ``relu`` (over ``$0``) plus, per hinge s, ``a_s`` times ``hinge`` over ``b_s - $0``.

    >>> apl_template("relu(@)", "relu(@)")(("x", "a1", "b1", "a2", "b2"))
    'relu($0) + $1 * relu($2 - $0) + $3 * relu($4 - $0)'
    """
    def template(args) -> str:
        hinges = (len(args) - 1) // 2
        terms = [relu.replace("@", "$0")]
        for s in range(hinges):
            terms.append(f"${2 * s + 1}{times}" + hinge.replace("@", f"${2 * s + 2} - $0"))
        return " + ".join(terms)
    return template


apl_numpy = apl_template("$np.maximum(@, 0.0)", "$np.maximum(@, 0.0)")


def _horner(first: int, count: int, times: str = " * ") -> str:
    """sum_k ${first + k} * $0^k by Horner's rule, over ``count`` coefficients."""
    text = f"${first + count - 1}"
    for k in range(count - 2, -1, -1):
        text = f"({text}{times}$0 + ${first + k})"
    return text


def rational_template(target: str, numerator: int = 5) -> Callable[[tuple], str]:
    """P($0) / (1 + |Q($0)|) with P's ``numerator + 1`` coefficients at $1..$(M+1) and Q's (from x^1)
    after them, as many as the call has left (``rational`` is 5/4: P at $1..$6, Q at $7..$10).

    >>> rational_template("sympy")(("x",) * 8)
    '((((($6 * $0 + $5) * $0 + $4) * $0 + $3) * $0 + $2) * $0 + $1) / (1 + sympy.Abs($7 * $0))'
    >>> rational_template("numpy", 1)(("x",) * 5)
    '($2 * $0 + $1) / (1.0 + $np.abs(($4 * $0 + $3) * $0))'
    """
    absolute = {"numpy": "$np.abs", "torch": "torch.abs", "sympy": "sympy.Abs"}[target]
    one = "1" if target == "sympy" else "1.0"

    def template(args) -> str:
        n_q = len(args) - numerator - 2
        return f"{_horner(1, numerator + 1)} / ({one} + {absolute}({_horner(numerator + 2, n_q)} * $0))"
    return template


def rational_latex(numerator: int = 5) -> Callable[[tuple], str]:
    """The LaTeX of the safe PAU with P of degree ``numerator``.

    >>> print(rational_latex(1)(("x",) * 5))
    \\frac{$1 + $2 $0}{1 + \\left|$3 $0 + $4 $0^{2}\\right|}
    """
    def power(j: int) -> str:
        return "" if j == 0 else " $0" if j == 1 else f" $0^{{{j}}}"

    def template(args) -> str:
        n_q = len(args) - numerator - 2
        numerator_text = " + ".join(f"${j + 1}{power(j)}" for j in range(numerator + 1))
        denominator = " + ".join(f"${numerator + 1 + k}{power(k)}" for k in range(1, n_q + 1))
        return f"\\frac{{{numerator_text}}}{{1 + \\left|{denominator}\\right|}}"
    return template


@lru_cache(maxsize=None)
def rational_translations(numerator: int = 5) -> dict:
    """The table entry of the safe PAU with P of degree ``numerator`` (``rationalMN`` for any N).

    >>> rational_translations(3)["torch"](("x",) * 7)
    '((($4 * $0 + $3) * $0 + $2) * $0 + $1) / (1.0 + torch.abs(($6 * $0 + $5) * $0))'
    """
    numpy = rational_template("numpy", numerator)
    return {"numpy": numpy, "jax": numpy, "torch": rational_template("torch", numerator),
            "sympy": rational_template("sympy", numerator), "latex": rational_latex(numerator)}


def family_translations() -> dict[str, dict]:
    """The table entries of ``apl`` (every ``aplS`` shares it) and ``rational``.

    >>> table = family_translations()
    >>> sorted(table["apl"]), table["apl"]["torch"](("x", "a1", "b1"))
    (['jax', 'latex', 'numpy', 'sympy', 'torch'], 'torch.relu($0) + $1 * torch.relu($2 - $0)')
    """
    apl_latex = apl_template("\\max(@, 0)", "\\max(@, 0)", times=" ")
    return {
        "apl": {"numpy": apl_numpy, "jax": apl_numpy, "torch": apl_template("torch.relu(@)", "torch.relu(@)"),
                "sympy": apl_template("sympy.Max(@, 0)", "sympy.Max(@, 0)"), "latex": apl_latex},
        "rational": dict(rational_translations(5)),
    }
