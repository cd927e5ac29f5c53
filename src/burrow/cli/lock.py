"""`burrow lock`: resolve requirements into a pinned file with hashes."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    from burrow.cli.common import add_common

    p = commands.add_parser(
        "lock",
        help="resolve requirements into a pinned file with hashes",
        description="Resolve requirements into pinned versions with --hash lines (pip's"
        " requirements format), or a PEP 751 pylock.toml when -o names one.",
    )
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE")
    p.add_argument("-p", "--python", metavar="SPEC", help="the interpreter to lock for")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    p.add_argument("-U", "--upgrade", action="store_true", help="ignore the output's pins")
    p.add_argument(
        "-P", "--upgrade-package", action="append", default=[], metavar="NAME",
        help="upgrade this package (repeatable)",
    )  # fmt: skip
    _add_index_options(p)
    p.add_argument("packages", nargs="*", metavar="PKG", help="requirements to add")
    add_common(p, json=False)
    p.set_defaults(handler=cmd_lock)


def _add_index_options(p: Any) -> None:
    p.add_argument("-i", "--index-url", metavar="URL")
    p.add_argument("--extra-index-url", action="append", default=[], metavar="URL")
    p.add_argument("-f", "--find-links", action="append", default=[], metavar="PATH")
    p.add_argument("--no-index", action="store_true")
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.add_argument("--trusted-host", action="append", default=[], metavar="HOST",
                   help="read HOST (or HOST:PORT) over plain http or unchecked https")  # fmt: skip
    # Kept in the order given: pip applies each in turn, and ':all:' clears the other.
    for kind in ("only-binary", "no-binary"):
        p.add_argument(f"--{kind}", action="append", dest="binary_choices", default=[],
                       type=lambda value, kind=kind: (kind, value), metavar="NAMES")  # fmt: skip


#: The dests of the options that say where packages are found, which `sync` takes too.
INDEX_OPTIONS = ("index_url", "extra_index_url", "find_links", "no_index", "trusted_host")


def _sources(args: argparse.Namespace) -> Any:
    """The command line's index options; one a command lacks, or a list its fast path
    leaves out until given, is at its default."""
    from burrow.packages.locking import Sources

    return Sources(
        index_url=getattr(args, "index_url", None),
        extra_index_urls=tuple(getattr(args, "extra_index_url", ())),
        find_links=tuple(getattr(args, "find_links", ())),
        no_index=getattr(args, "no_index", False),
        pre=getattr(args, "pre", False),
        binary_choices=tuple(getattr(args, "binary_choices", ())),
        trusted_hosts=tuple(getattr(args, "trusted_host", ())),
    )


def cmd_lock(args: argparse.Namespace) -> int:
    from burrow.cli.common import usage_error
    from burrow.cli.progress import download_line
    from burrow.packages.locking import lock

    if not args.requirement and not args.packages:
        usage_error("lock", "give requirements: -r FILE or PKG")
    sources = _sources(args)
    command = "burrow lock " + " ".join(
        [*(f"-r {r}" for r in args.requirement), *(f"-c {c}" for c in args.constraint)]
        + ([f"-o {args.output}"] if args.output else [])
    )
    with download_line(args.quiet):
        locked = lock(
            args.requirement,
            constraints=args.constraint,
            packages=args.packages,
            python=args.python,
            output=args.output,
            upgrade=args.upgrade,
            upgrade_packages=args.upgrade_package,
            sources=sources,
            command=command.strip(),
        )
    if args.output is None:
        sys.stdout.write(locked.text)
    elif not args.quiet:
        count = len(locked.resolution.pins)
        print(
            f"locked {count} package{'s' if count != 1 else ''} in {args.output}", file=sys.stderr
        )
    return 0
