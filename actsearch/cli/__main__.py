"""``python -m actsearch.cli`` is the ``actsearch`` command (distributed searches start their workers so)."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
