"""The command line: parse, call the library, render its result as text or JSON.

This is the one place that prints, exits, and turns a ``BurrowError`` into
``error: …`` with exit code 1 (2 for usage errors, 130 when interrupted).

Each command lives in its own module beside this one, holding its parser (``register``)
and its handler (``cmd_…``); ``render`` prints records as text or JSON. A new command is a
new module plus one line in ``build_parser``.
"""

from __future__ import annotations

import os
import sys

from burrow import __version__
from burrow._signals import redeliver_ctrl_c
from burrow.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Callable, Optional, Sequence

    Handler = Callable[[argparse.Namespace], int]


def main(argv: Optional[Sequence[str]] = None) -> int:
    sys.unraisablehook = redeliver_ctrl_c
    try:
        return _main(argv)
    except KeyboardInterrupt:  # also while parsing or importing, before a handler runs
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Optional[Sequence[str]]) -> int:
    from burrow.cli.create import fast_create
    from burrow.cli.sync import fast_sync

    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["__complete"]:  # a TAB in the user's shell: see completion.py
        from burrow.cli import completion

        return completion.run(words[1:], build_parser())
    args = fast_create(words) or fast_sync(words)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(words)
    debug = getattr(args, "debug", False) or os.environ.get("BURROW_DEBUG") == "1"
    _configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", 0), debug)
    handler: Optional[Handler] = getattr(args, "handler", None)
    if handler is None:
        build_parser().print_help()
        return EXIT_USAGE
    from burrow.errors import BurrowError, OptionError

    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OptionError as exc:  # options that contradict each other: a usage error
        if debug:
            raise
        command = next((word for word in words if not word.startswith("-")), "")
        print(f"usage error: burrow {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BurrowError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a filesystem failure we did not foresee: still one line
        if debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR


def _configure_logging(verbose: int, quiet: int, debug: bool) -> None:
    from burrow._fast import warnings_to_stderr

    warnings_to_stderr()
    if not (verbose or debug):
        return  # logging itself is imported only if something is logged
    import logging

    level = logging.DEBUG if debug or verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(name)s: %(message)s", stream=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    # Imported here, not at the top: the fast path for a plain create never needs it.
    import argparse

    from burrow.cli import (
        cache,
        create,
        envs,
        install,
        interpreters,
        lock,
        pack,
        running,
        shell_init,
        sync,
    )

    class Parser(argparse.ArgumentParser):
        """Help laid out for the terminal's width, learnt without argparse's way of asking
        (shutil, which imports lzma and bz2: milliseconds on every command). Subcommands'
        parsers are of the same class, so all of them get it."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("formatter_class", _help_formatter)
            super().__init__(*args, **kwargs)

    parser = Parser(
        prog="burrow",
        description="Create and manage Python virtual environments.",
    )
    parser.add_argument("--version", action="version", version=f"burrow {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    # In the order `burrow --help` lists them; each module adds its own commands.
    modules = (create, interpreters, cache, envs, running, shell_init, lock, sync, install, pack)
    for module in modules:
        module.register(commands)
    return parser


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    import argparse

    return argparse.HelpFormatter(prog, width=_terminal_width() - 2)


def _terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else 80: what shutil.get_terminal_size says."""
    try:
        return max(int(os.environ["COLUMNS"]), 20)
    except (KeyError, ValueError):
        pass
    stream = sys.__stdout__
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80 if stream else 80
    except (ValueError, OSError):
        return 80
