"""``python -m burrow`` and the ``burrow`` command: the same program.

``_signals`` comes first, before any other module of burrow's: from then on a Ctrl-C that
lands in the import system's callbacks stops burrow instead of being printed and ignored.
No ``from __future__ import`` here, for the same reason (it is an import).
"""

import sys

import burrow._signals  # noqa: F401  # installs the Ctrl-C hook on import


def main() -> int:
    """The console entry point; -> the exit code."""
    try:
        from burrow.cli import main as run

        return run()
    except KeyboardInterrupt:  # Ctrl-C while starting up: still one line and 130
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
