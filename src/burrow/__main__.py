"""``python -m burrow``: the same program as the ``burrow`` command."""

from __future__ import annotations

import sys

from burrow.cli import main

if __name__ == "__main__":
    sys.exit(main())
