"""`burrow cache dir|info|clean`: every cache burrow keeps."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    from burrow.cli.common import add_common

    p = commands.add_parser(
        "cache", help="burrow's cache", description="Show or empty burrow's cache."
    )
    actions = p.add_subparsers(title="actions", metavar="ACTION", dest="action")
    actions.required = True
    for name, text in (
        ("dir", "print where the cache is"),
        ("info", "list what the cache holds, and its size"),
        ("clean", "empty the cache (safe while other burrow runs use it)"),
    ):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        add_common(action, json=name != "dir")
        action.set_defaults(handler=cmd_cache)


def cmd_cache(args: argparse.Namespace) -> int:
    from burrow import cache
    from burrow.cli.render import human_size, print_json, print_table

    if args.action == "dir":
        print(cache.location())
        return 0
    if args.action == "clean":
        done = cache.clean()
        if args.json:
            print_json(done)
        elif not args.quiet:
            print(f"Removed {done.removed} cached items ({human_size(done.freed)})")
            for path in done.kept:
                print(f"kept {path}: another burrow run is still building it")
        return 0
    found = cache.summary()
    if args.json:
        print_json(found)
        return 0
    print(f"cache: {found.path}")
    if found.packages:
        print_table(
            [
                {
                    "package": p.name,
                    "version": p.version,
                    "tag": p.tag,
                    "size": human_size(p.size),
                    "state": "ready" if p.complete else "incomplete",
                }
                for p in found.packages
            ],
            ["package", "version", "tag", "size", "state"],
        )
    for wheel in found.wheels:
        print(f"wheel {wheel.filename} ({human_size(wheel.size)})")
    for store in found.stores:
        if store.files:
            files = f"{store.files} file" + ("s" if store.files > 1 else "")
            print(f"{store.kind}: {files} ({human_size(store.size)}): {store.description}")
    print(f"interpreters known: {found.interpreters}")
    print(f"total: {human_size(found.total_size)}")
    return 0
