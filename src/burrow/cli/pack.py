"""`burrow pack`: an env as an archive that runs wherever it is unpacked."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    from burrow.cli.common import ENV_HELP, add_common

    p = commands.add_parser(
        "pack",
        help="pack an env into a .tar.gz that runs where it is unpacked (e.g. on Spark)",
        description="Pack an env into a deterministic .tar.gz whose activation and console "
        "scripts work wherever it is unpacked. By default it runs with the base interpreter "
        "at its current path; --standalone carries the interpreter too.",
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=ENV_HELP)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the archive to write")
    p.add_argument(
        "--standalone",
        action="store_true",
        help="also carry the base interpreter (executable, standard library, libpython)",
    )
    add_common(p)
    p.set_defaults(handler=cmd_pack)


def cmd_pack(args: argparse.Namespace) -> int:
    from burrow import envs
    from burrow.cli.render import human_size, print_json
    from burrow.packing import pack

    result = pack(envs.resolve(args.env), args.output, standalone=args.standalone)
    if args.json:
        print_json(result.as_dict())
    elif not args.quiet:
        print(f"Packed {result.members} files into {result.output} ({human_size(result.size)})")
        if result.standalone:
            print(f"It carries its interpreter ({result.base_interpreter}).")
        else:
            print(f"It runs with {result.base_interpreter}, which must exist where it is unpacked.")
    return 0
