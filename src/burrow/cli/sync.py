"""`burrow sync`: make an env's packages exactly a lock file's.

Its options are declared once (``sync_options``): argparse is built from them, and so is
the fast path that reads a plain ``burrow sync [-e ENV] FILE`` without importing
argparse, so that a sync with nothing to do stays a few milliseconds of burrow's own.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, List, Optional, Sequence

    from burrow.fastargs import Option


def register(commands: Any) -> None:
    from burrow import fastargs

    p = commands.add_parser(
        "sync",
        help="make an env's packages exactly a lock file's",
        description="Install, upgrade, downgrade and remove packages so that ENV has exactly "
        "FILE's, all or nothing (the seeded pip, setuptools and wheel stay unless FILE pins "
        "them).",
    )
    p.add_argument("file", metavar="FILE", help="the lock file")
    fastargs.add_to(p, sync_options())
    p.set_defaults(handler=cmd_sync)


def sync_options() -> List[Option]:
    """Every option of `burrow sync`: -e ENV, --compile-bytecode, and the common -q, -v,
    --debug, --json."""
    from burrow.cli.common import ENV_HELP
    from burrow.fastargs import COUNT, FLAG_TRUE, VALUE, Option

    return [
        Option(flags=("-e", "--env"), dest="env", kind=VALUE, metavar="ENV", help=ENV_HELP),
        Option(
            flags=("--compile-bytecode",),
            dest="compile_bytecode",
            kind=FLAG_TRUE,
            help="byte-compile new packages and link all bytecode before returning, not behind",
        ),
        Option(flags=("-q", "--quiet"), dest="quiet", kind=COUNT, help="print less"),
        Option(flags=("-v", "--verbose"), dest="verbose", kind=COUNT, help="print more"),
        Option(flags=("--debug",), dest="debug", kind=FLAG_TRUE, help="show tracebacks"),
        Option(flags=("--json",), dest="json", kind=FLAG_TRUE, help="print JSON instead of text"),
    ]


def fast_sync(argv: Sequence[str]) -> Optional[Any]:
    """`burrow sync …` read without argparse when it is plainly unambiguous, else None."""
    if not argv or argv[0] != "sync":
        return None
    from burrow import fastargs

    values = fastargs.parse(argv[1:], sync_options(), "file")
    if values is None or values["file"] is None:
        return None  # argparse decides, and reports what is wrong
    import types

    return types.SimpleNamespace(handler=cmd_sync, **values)


def cmd_sync(args: argparse.Namespace) -> int:
    from burrow import envs
    from burrow.cli.progress import download_line
    from burrow.cli.render import print_changes
    from burrow.packages.sync import sync

    with download_line(args.quiet):
        changes = sync(envs.resolve(args.env), args.file, compile_bytecode=args.compile_bytecode)
    print_changes(changes, args)
    return 0
