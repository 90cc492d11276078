"""Export templates of the learnable families (``apl``, ``aplS``, ``rational``), whose argument count
sets the formula: ``$0`` is the input, ``$1, $2, ...`` the coefficients in the primitive's order.

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

__all__ = ["apl_numpy", "apl_template", "rational_template", "family_translations"]


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


def rational_template(target: str) -> Callable[[tuple], str]:
    """P($0) / (1 + |Q($0)|) with P's coefficients at $1..$6 and Q's (from x^1) at $7..$10.

    >>> rational_template("sympy")(("x",) * 8)
    '((((($6 * $0 + $5) * $0 + $4) * $0 + $3) * $0 + $2) * $0 + $1) / (1 + sympy.Abs($7 * $0))'
    """
    absolute = {"numpy": "$np.abs", "torch": "torch.abs", "sympy": "sympy.Abs"}[target]
    one = "1" if target == "sympy" else "1.0"

    def template(args) -> str:
        n_q = len(args) - 7
        denominator = f"{_horner(7, n_q)} * $0" if n_q > 1 else "$7 * $0"
        return f"{_horner(1, 6)} / ({one} + {absolute}({denominator}))"
    return template


def _rational_latex(args) -> str:
    n_q = len(args) - 7
    power = ["", " $0", " $0^{2}", " $0^{3}", " $0^{4}", " $0^{5}"]
    numerator = " + ".join(f"${j + 1}{power[j]}" for j in range(6))
    denominator = " + ".join(f"${k + 6}{power[k]}" for k in range(1, n_q + 1))
    return f"\\frac{{{numerator}}}{{1 + \\left|{denominator}\\right|}}"


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
        "rational": {"numpy": rational_template("numpy"), "jax": rational_template("numpy"),
                     "torch": rational_template("torch"), "sympy": rational_template("sympy"),
                     "latex": _rational_latex},
    }
