"""A griffe extension for the API reference: actsearch's docstrings are plain text with doctests, not Markdown.

Two things in them would render wrongly as Markdown, so this rewrites each docstring before it is parsed:

* a doctest (a run of lines from one starting with ``>>>`` to the next blank line) becomes a fenced
  ``pycon`` code block, with ``<BLANKLINE>`` as an empty line; as Markdown, ``>>>`` would be a
  nested quote and ``d["a"]["b"]`` a link;
* a Sphinx role such as ``:class:`Expression``` or ``:func:`~actsearch.evaluation.summarize``` becomes
  the code span ``Expression`` or ``summarize``.

The source files are unchanged (the doctests run under pytest as they are). Loaded from mkdocs.yml,
relative to it, as ``extensions: [griffe_doctest.py]``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`~?([^`]+)`")


def _role(match: re.Match) -> str:
    target = match.group(1)
    if match.group(0).split("`", 1)[1].startswith("~"):
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def markdown(text: str) -> str:
    """The docstring ``text`` with its doctests fenced and its roles as code spans."""
    out: list[str] = []
    fence: str | None = None  # the indentation of the open doctest fence
    in_code = False  # inside a fence the docstring itself opened
    for line in text.split("\n"):
        stripped = line.lstrip()
        if fence is not None:
            if not stripped:
                out.append(f"{fence}```")
                out.append("")
                fence = None
            else:
                out.append("" if stripped == "<BLANKLINE>" else line)
            continue
        if stripped.startswith("```"):
            in_code = not in_code
        elif not in_code and stripped.startswith(">>>"):
            fence = line[: len(line) - len(stripped)]
            if out and out[-1].strip():
                out.append("")
            out.append(f"{fence}```pycon")
            out.append(line)
            continue
        out.append(line if in_code else ROLE.sub(_role, line))
    if fence is not None:
        out.append(f"{fence}```")
    return "\n".join(out)


def rewrite(obj: griffe.Object) -> None:
    """Rewrite the docstrings of ``obj`` and its members with :func:`markdown` (again is a no-op)."""
    if obj.docstring is not None:
        obj.docstring.value = markdown(obj.docstring.value)
    for member in obj.members.values():
        if not member.is_alias:
            rewrite(member)


class DoctestsAsCode(griffe.Extension):
    """Rewrite every docstring of a package once it is loaded (``on_object`` skips the package's own)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        rewrite(pkg)
