"""How tightly a piece of generated code (Python or LaTeX) binds, and what each placeholder
of a template needs.

The renderer wraps an argument in parentheses only where its precedence is looser than
the slot it goes into needs, so exported code reads as a person would write it.

>>> precedence("a + b * c") == SUM
True
>>> [(tok, need) for tok, need, _ in slots("$0 * ($1 + 1)")] == [("$0", PRODUCT), ("$1", SUM)]
True
"""

from __future__ import annotations

import re

__all__ = ["ATOM", "COMPARE", "CONDITION", "POWER", "PRODUCT", "SUM", "UNARY", "precedence", "slots", "tokens"]

# What a piece of code binds as, from loosest to tightest.
CONDITION, COMPARE, SUM, PRODUCT, UNARY, POWER, ATOM = range(7)

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<ph>\$\d+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<open>\\left[(|]|[(\[{])
  | (?P<close>\\right[)|]|[)\]}])
  | (?P<op>\*\*|==|!=|>=|<=|\\cdot|\\times|\\,|[-+*/^<>=,])
  | (?P<word>\\[A-Za-z]+|\\.|[A-Za-z_][\w.]*|"[^"]*"|'[^']*')
""", re.VERBOSE)

_PRODUCT_OPS = {"*", "/", "\\cdot", "\\times", "\\,"}
_COMPARE_OPS = {"<", ">", "<=", ">=", "==", "!="}


def tokens(text: str) -> list[tuple[str, str]]:
    """``text`` as (kind, token) pairs: ws, ph (a placeholder ``$0``), num, open, close, op or word.

    >>> tokens("$0 ** 2")
    [('ph', '$0'), ('ws', ' '), ('op', '**'), ('ws', ' '), ('num', '2')]
    """
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # anything else is a single opaque character
            out.append(("word", text[pos]))
            pos += 1
            continue
        out.append((m.lastgroup, m.group()))
        pos = m.end()
    return out


def precedence(text: str) -> int:
    """How loosely ``text`` binds: the loosest operator outside brackets.

    >>> precedence("np.tanh(x + 1)") == ATOM and precedence("-x") == UNARY
    True
    """
    prec = ATOM
    depth = 0
    last = None  # None, "operand" or "op", at depth 0
    space = False
    for kind, tok in tokens(text):
        if kind == "ws":
            space = True
            continue
        if depth > 0:
            depth += kind == "open"
            depth -= kind == "close"
            if depth == 0:
                last = "operand"
            space = False
            continue
        if tok in ("if", "else"):
            prec = CONDITION
            last = "op"
        elif kind in ("open", "word", "num", "ph"):
            if last == "operand" and space:
                prec = min(prec, PRODUCT)  # juxtaposition (LaTeX): \beta x
            if tok == "\\frac":
                prec = min(prec, UNARY)
            if kind == "open":
                depth = 1
            last = "operand"
        elif kind == "close":
            last = "operand"
        elif kind == "op":
            prec = min(prec, _operator_precedence(tok, last))
            last = "op"
        space = False
    return prec


def _operator_precedence(tok: str, last: str | None) -> int:
    """What operator ``tok`` binds as; ``last`` says whether an operand precedes it."""
    if tok in ("**", "^"):
        return POWER
    if tok in _PRODUCT_OPS:
        return PRODUCT
    if tok in ("+", "-"):
        return SUM if last == "operand" else UNARY
    if tok in _COMPARE_OPS:
        return COMPARE
    return ATOM  # a comma: it separates arguments inside brackets only


def slots(template: str) -> list[tuple[str, int, bool]]:
    """Each placeholder of a template with the precedence its context needs, and
    whether an operand that starts with a minus sign must be wrapped there.

    >>> slots("-$0")
    [('$0', 5, True)]
    """
    all_toks = tokens(template)
    significant = [(k, t, i) for i, (k, t) in enumerate(all_toks) if k != "ws"]
    out = []
    for j, (kind, tok, i) in enumerate(significant):
        if kind != "ph":
            continue
        prev = significant[j - 1] if j > 0 else None
        prev2 = significant[j - 2] if j > 1 else None
        nxt = significant[j + 1] if j + 1 < len(significant) else None
        space_before = i > 0 and all_toks[i - 1][0] == "ws"
        space_after = i + 1 < len(all_toks) and all_toks[i + 1][0] == "ws"
        left, minus = _left_need(prev, prev2, space_before)
        right = _right_need(nxt, space_after)
        out.append((tok, max(left, right), minus))
    return out


def _left_need(prev, prev2, space_before: bool) -> tuple[int, bool]:
    """The precedence the token before a placeholder needs of it, and whether a leading minus is wrapped."""
    if prev is None:
        return 0, False
    pk, pt, _ = prev
    if pk == "op" and pt in ("+", "-"):
        binary = prev2 is not None and prev2[0] in ("word", "num", "ph", "close")
        return (PRODUCT, True) if binary else (POWER, True)
    if pk == "op" and pt in _PRODUCT_OPS:
        return UNARY, True
    if pk == "op" and pt in ("**", "^"):
        return UNARY, False
    if pk == "op" and pt in _COMPARE_OPS:
        return SUM, False
    if pt in ("if", "else"):
        return COMPARE, False
    if pk in ("word", "num", "ph", "close") and space_before:
        return POWER, True  # right operand of a juxtaposition
    return 0, False


def _right_need(nxt, space_after: bool) -> int:
    """The precedence the token after a placeholder needs of it."""
    if nxt is None:
        return 0
    nk, nt, _ = nxt
    if nk == "op" and nt in ("+", "-"):
        return SUM
    if nk == "op" and nt in _PRODUCT_OPS:
        return PRODUCT
    if nk == "op" and nt in ("**", "^"):
        return ATOM
    if nk == "op" and nt in _COMPARE_OPS:
        return SUM
    if nt in ("if", "else"):
        return COMPARE
    if nk in ("word", "num", "ph", "open") and space_after:
        return PRODUCT  # left operand of a juxtaposition
    if nk == "word" and nt.startswith("."):
        return ATOM
    return 0
