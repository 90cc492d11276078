"""Writing the files of the analysis (figures, the report): the folder is made, and a failure names the file.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "new", "note.txt")
>>> write_into_folder(path, lambda name: open(name, "w").close(), OSError) == path, os.path.exists(path)
(True, True)
"""

from __future__ import annotations

import os
from collections.abc import Callable


def write_into_folder(path: str, write: Callable[[str], object], error: type[Exception]) -> str:
    """Make the folder of ``path``, then call ``write(path)``; ``path``.

    An ``OSError`` of either becomes ``error`` (a one-line message that names
    ``path`` and, when the folder is what failed, the folder), so that the CLI
    can print it as one line.
    """
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot write {path}: cannot create folder {parent}: {exc.strerror or exc}") from None
    try:
        write(path)
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
