"""What every command module of the CLI shares: exit codes, the standard options, usage
errors, and the help text that names an ENV."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

ENV_HELP = "a path, or the name of an env in the named-env home (default: $VIRTUAL_ENV, else .venv)"


def add_common(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
    """-q, -v, --debug, and --json for a command that prints records."""
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="print more")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    if json:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def usage_error(command: str, message: str) -> NoReturn:
    """'usage error: burrow create: …' on stderr, exit code 2."""
    print(f"usage error: burrow {command}: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)
