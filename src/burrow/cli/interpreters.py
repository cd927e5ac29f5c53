"""`burrow python list`: the interpreters burrow can build on."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, List

    from burrow.discovery import PythonRow


def register(commands: Any) -> None:
    from burrow.cli.common import add_common, usage_error

    p = commands.add_parser("python", help="the interpreters burrow can build on")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    listing = sub.add_parser(
        "list", help="list every interpreter found", description="List every interpreter found."
    )
    add_common(listing)
    listing.set_defaults(handler=cmd_python_list)
    p.set_defaults(handler=lambda _args: usage_error("python", "say 'burrow python list'"))


def cmd_python_list(args: argparse.Namespace) -> int:
    """Every interpreter found: version, implementation, arch, where, and whether usable."""
    from burrow.cli.render import show
    from burrow.discovery import python_list_rows

    show(python_list_rows(), args, _print_rows)
    return 0


def _print_rows(rows: List[PythonRow]) -> None:
    from burrow.cli.render import print_table

    table = []
    for row in rows:
        # The path has its own column: the reason need not repeat it.
        problem = str(row.problem).replace(f"{row.path} ", "", 1)
        cells = row.as_dict()
        cells["status"] = "" if row.usable else f"unusable: {problem}"
        cells["arch"] = row.architecture or "?"
        table.append(cells)
    print_table(table, ["version", "implementation", "arch", "source", "path", "status"])
