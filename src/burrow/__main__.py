"""``python -m burrow``: the same program as the ``burrow`` command."""

from __future__ import annotations

import sys

try:
    from burrow.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting up: still one line and 130
    sys.stderr.write("interrupted\n")
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
