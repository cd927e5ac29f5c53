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
    p.add_argument(
        "file", metavar="FILE", nargs="*",
        help="the lock files, taken together (as pip-sync takes them); default: "
        "requirements.txt, else pylock.toml, here",
    )  # fmt: skip
    fastargs.add_to(p, sync_options())
    p.set_defaults(handler=cmd_sync)


def sync_options() -> List[Option]:
    """Every option of `burrow sync`: -e ENV, -n, pip-sync's index options,
    --compile-bytecode, and the common -q, -v, --debug, --json."""
    from burrow.cli.common import ENV_HELP
    from burrow.fastargs import APPEND, COUNT, FLAG_TRUE, VALUE, Option

    return [
        Option(flags=("-e", "--env"), dest="env", kind=VALUE, metavar="ENV", help=ENV_HELP),
        Option(
            flags=("-n", "--dry-run"),
            dest="dry_run",
            kind=FLAG_TRUE,
            help="say what would change, and change nothing",
        ),
        # Where the lock's files are found, as pip-sync takes them: on top of pip's config,
        # under the lock's own option lines.
        Option(flags=("-i", "--index-url"), dest="index_url", kind=VALUE, metavar="URL"),
        Option(flags=("--extra-index-url",), dest="extra_index_url", kind=APPEND, metavar="URL"),
        Option(flags=("-f", "--find-links"), dest="find_links", kind=APPEND, metavar="PATH"),
        Option(flags=("--no-index",), dest="no_index", kind=FLAG_TRUE),
        Option(
            flags=("--trusted-host",),
            dest="trusted_host",
            kind=APPEND,
            metavar="HOST",
            help="read HOST (or HOST:PORT) over plain http or unchecked https",
        ),
        Option(
            flags=("--compile-bytecode",),
            dest="compile_bytecode",
            kind=FLAG_TRUE,
            help="byte-compile packages new to the cache before returning, not behind",
        ),
        Option(flags=("-q", "--quiet"), dest="quiet", kind=COUNT, help="print less"),
        Option(flags=("-v", "--verbose"), dest="verbose", kind=COUNT, help="print more"),
        Option(flags=("--debug",), dest="debug", kind=FLAG_TRUE, help="show tracebacks"),
        Option(flags=("--json",), dest="json", kind=FLAG_TRUE, help="print JSON instead of text"),
    ]


def fast_sync(argv: Sequence[str]) -> Optional[Any]:
    """`burrow sync …` read without argparse when it is plainly unambiguous (one FILE),
    else None."""
    if not argv or argv[0] != "sync":
        return None
    from burrow import fastargs

    values = fastargs.parse(argv[1:], sync_options(), "file")
    if values is None or values["file"] is None:
        return None  # argparse decides, and reports what is wrong
    import types

    values["file"] = [values["file"]]  # as argparse gives FILE…
    return types.SimpleNamespace(handler=cmd_sync, **values)


def cmd_sync(args: argparse.Namespace) -> int:
    from burrow import envs
    from burrow.cli.lock import INDEX_OPTIONS, _sources
    from burrow.cli.progress import download_line
    from burrow.cli.render import print_changes
    from burrow.packages.sync import sync

    # pip's config as it is unless an index option was given (the lists are absent then).
    given = any(getattr(args, dest, None) not in (None, False) for dest in INDEX_OPTIONS)
    sources = _sources(args) if given else None
    lockfiles = args.file or [_default_lock()]
    with download_line(args.quiet):
        changes = sync(
            envs.resolve(args.env),
            lockfiles,
            sources=sources,
            compile_bytecode=args.compile_bytecode,
            dry_run=args.dry_run,
        )
    print_changes(changes, args, dry_run=args.dry_run)
    return 0


#: What `burrow sync` reads when given no FILE: the first found here.
DEFAULT_LOCKS = ("requirements.txt", "pylock.toml")


def _default_lock() -> str:
    import os

    from burrow.cli.common import usage_error

    found = next((name for name in DEFAULT_LOCKS if os.path.isfile(name)), None)
    if found is None:
        usage_error("sync", "give the lock to sync: FILE (no requirements.txt or pylock.toml here)")
    return str(found)
