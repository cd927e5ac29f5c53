"""`burrow sync`: make an env's packages exactly a lock file's."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    _add_sync(commands)


def _add_sync(commands: Any) -> None:
    from burrow.cli.common import ENV_HELP, add_common

    p = commands.add_parser(
        "sync",
        help="make an env's packages exactly a lock file's",
        description="Install, upgrade, downgrade and remove packages so that ENV has exactly "
        "FILE's, all or nothing (the seeded pip, setuptools and wheel stay unless FILE pins "
        "them).",
    )
    p.add_argument("-e", "--env", metavar="ENV", help=ENV_HELP)
    p.add_argument("file", metavar="FILE", help="the lock file")
    add_common(p)
    p.set_defaults(handler=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from burrow import envs
    from burrow.cli.progress import download_line
    from burrow.cli.render import print_json
    from burrow.packages.sync import summary_lines, sync

    with download_line(args.quiet):
        changes = sync(envs.resolve(args.env), args.file)
    if args.json:
        print_json(changes.as_dict())
    elif not args.quiet:
        for line in summary_lines(changes):
            print(line)
        if not changes:
            print("Nothing to change")
    return 0
