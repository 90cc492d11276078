"""Rerun the commands whose outputs README and the docs paste, and paste what they print now.

    python bench/readme_outputs.py            # rewrite the pasted outputs in place, print what changed
    python bench/readme_outputs.py --check    # only say which pasted outputs differ (exit 1 if any)

A pasted output is a code fence right after a marker line ``<!-- output: NAME -->``.
It is what the last ``actsearch`` command of the ``bash`` block before the marker
prints on stdout, run as typed (no budget cut) in a scratch folder shared by one
document's marked blocks, so that ``analyze results/demo`` reads the search just
before it.  The prose around an output is the writer's: read the diff this prints
and check that the text still says what the numbers say.

The same module lists every command of README and the docs for
``tests/test_readme.py``, which runs them all with budgets and epochs cut.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!-- output: ([\w-]+) -->\n(```\w*\n)(.*?)```", flags=re.S)
BASH = re.compile(r"```bash\n(.*?)```", flags=re.S)

#: Hosts that stand for the reader's own servers: commands naming them cannot run here.
PLACEHOLDER_HOSTS = ("tcp://scheduler:", "@db/")


def documents() -> list[Path]:
    """README, then the site's pages in the order of its navigation."""
    import yaml

    pages = []
    config = ROOT / "docs" / "mkdocs.yml"
    class Loader(yaml.SafeLoader):
        """safe_load, with MkDocs's own tags (``!relative``) read as plain values."""

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    if config.exists():
        with open(config, encoding="utf-8") as fh:
            site = yaml.load(fh, Loader=Loader)  # a SafeLoader: no Python objects are built

        def walk(nav):
            for entry in nav:
                value = next(iter(entry.values())) if isinstance(entry, dict) else entry
                if isinstance(value, list):
                    walk(value)
                elif isinstance(value, str) and value.endswith(".md"):
                    pages.append(ROOT / "docs" / site.get("docs_dir", "docs") / value)
        walk(site.get("nav", []))
    return [ROOT / "README.md", *pages]


def commands(block: str) -> list[list[str]]:
    """A bash block's commands as argv lists: continuation lines joined, ``&&`` and ``;`` split, comments dropped.

    >>> commands("pip install -e . && actsearch search  # a comment\\nactsearch analyze a ; ls")
    [['pip', 'install', '-e', '.'], ['actsearch', 'search'], ['actsearch', 'analyze', 'a'], ['ls']]
    """
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        current: list[str] = []
        for token in shlex.split(line, comments=True) + ["&&"]:
            if token in ("&&", ";"):
                if current:
                    out.append(current)
                current = []
            else:
                current.append(token)
    return out


def actsearch_argv(argv: list[str]) -> list[str] | None:
    """The arguments of an ``actsearch`` (or ``python -m actsearch``) command, else None."""
    if argv[:1] == ["actsearch"]:
        return argv[1:]
    if argv[:3] == ["python", "-m", "actsearch"]:
        return argv[3:]
    return None


def names_a_placeholder_host(argv: list[str]) -> bool:
    return any(host in token for token in argv for host in PLACEHOLDER_HOSTS)


def run(argv: list[str], folder: Path) -> tuple[int, str, str]:
    """``actsearch ARGV`` in-process in ``folder``: (exit code, stdout, stderr)."""
    from actsearch.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's --help and errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def pasted(text: str) -> list[tuple[str, str, list[str]]]:
    """Each marked output of a document: (name, pasted text, argv of the command that prints it)."""
    found = []
    for match in MARKER.finditer(text):
        blocks = BASH.findall(text[:match.start()])
        if not blocks:
            raise SystemExit(f"marker {match.group(1)!r} has no bash block before it")
        argvs = [a for a in (actsearch_argv(c) for c in commands(blocks[-1])) if a is not None]
        if not argvs:
            raise SystemExit(f"marker {match.group(1)!r}: the bash block before it runs no actsearch command")
        found.append((match.group(1), match.group(3), argvs[-1]))
    return found


def regenerate(path: Path, check: bool) -> list[str]:
    """Rerun a document's marked commands; rewrite its outputs unless ``check``; the names that changed."""
    text = path.read_text(encoding="utf-8")
    changed, fresh = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, old, argv in pasted(text):
            start = time.perf_counter()
            code, stdout, stderr = run([*argv, "--no-progress"] if argv[0] == "search" else argv, Path(scratch))
            if code != 0:
                raise SystemExit(f"{path.name}: {name}: actsearch {' '.join(argv)} exited {code}: {stderr.strip()}")
            print(f"{path.name}: {name}: actsearch {' '.join(argv)} ({time.perf_counter() - start:.0f} s)",
                  file=sys.stderr)
            fresh[name] = stdout
            if stdout != old:
                changed.append(name)
                import difflib

                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), stdout.splitlines(True),
                                                           f"{path.name} {name} (pasted)", f"{name} (now)"))
    if changed and not check:
        path.write_text(MARKER.sub(lambda m: f"<!-- output: {m.group(1)} -->\n{m.group(2)}"
                                             f"{fresh.get(m.group(1), m.group(3))}```", text), encoding="utf-8")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="say which outputs differ; change nothing")
    args = parser.parse_args()
    changed = [f"{path.name}:{name}" for path in documents() for name in regenerate(path, args.check)]
    print(f"readme outputs: {len(changed)} changed" + (f" ({', '.join(changed)})" if changed else ""))
    return 1 if changed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
