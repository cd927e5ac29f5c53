"""`burrow lock`: resolve requirements into a pinned file with hashes."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Dict, List, Tuple


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
    p.add_argument(
        "-o", "--output", "--output-file", metavar="FILE", help="write here (default: stdout)"
    )
    p.add_argument(
        "--generate-hashes", action="store_true",
        help="taken for pip-compile's command lines: burrow lock always writes hashes",
    )  # fmt: skip
    p.add_argument("-U", "--upgrade", action="store_true", help="ignore the output's pins")
    p.add_argument(
        "-P", "--upgrade-package", action="append", default=[], metavar="NAME",
        help="upgrade this package (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--extra", action="append", default=[], dest="extras", metavar="NAME",
        help="with a pyproject.toml: also its optional dependencies NAME (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--all-extras", action="store_true",
        help="with a pyproject.toml: also all its optional dependencies",
    )  # fmt: skip
    _add_index_options(p)
    p.add_argument(
        "packages", nargs="*", metavar="FILE|PKG",
        help="requirements files (requirements.in, pyproject.toml), or requirements to add; "
        "default: requirements.in, else pyproject.toml, here",
    )  # fmt: skip
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
    from burrow.cli.progress import download_line
    from burrow.packages.locking import lock

    files, packages = _inputs(args)
    extras = args.extras
    if args.all_extras:
        extras = _all_extras(files)
    sources = _sources(args)
    with download_line(args.quiet):
        locked = lock(
            files,
            constraints=args.constraint,
            packages=packages,
            python=args.python,
            output=args.output,
            upgrade=args.upgrade,
            upgrade_packages=args.upgrade_package,
            sources=sources,
            command=_command(args, files, packages),
            extras=extras,
        )
    if args.output is None:
        sys.stdout.write(locked.text)
    elif not args.quiet:
        count = len(locked.resolution.pins)
        print(
            f"locked {count} package{'s' if count != 1 else ''} in {args.output}", file=sys.stderr
        )
    return 0


#: What `burrow lock` reads when given nothing, as pip-compile: the first found here.
DEFAULT_INPUTS = ("requirements.in", "pyproject.toml")


def _inputs(args: argparse.Namespace) -> Tuple[List[str], List[str]]:
    """The requirement files and the requirements of the command line (`burrow lock
    requirements.in` reads the file); with neither, the first of DEFAULT_INPUTS here."""
    import os

    from burrow.cli.common import usage_error

    files, packages = requirement_files(args.requirement, args.packages)
    for arg in packages:
        if os.path.isdir(arg) and os.path.isfile(os.path.join(arg, "pyproject.toml")):
            usage_error(
                "lock",
                f"{arg} is a project directory: lock its dependencies with "
                f"`burrow lock {os.path.join(arg, 'pyproject.toml')}`, or the project "
                f"itself with `-e {arg}` in a requirements file",
            )
    if not files and not packages:
        found = next((name for name in DEFAULT_INPUTS if os.path.isfile(name)), None)
        if found is None:
            usage_error(
                "lock", "give requirements: FILE, -r FILE or PKG (no requirements.in or "
                "pyproject.toml here)",
            )  # fmt: skip
        files.append(str(found))
    if (args.extras or args.all_extras) and not any(_is_pyproject(f) for f in files):
        usage_error("lock", "--extra and --all-extras read a pyproject.toml: give one")
    return files, packages


def requirement_files(files: List[str], args: List[str]) -> Tuple[List[str], List[str]]:
    """``files`` and the arguments that name a file (not a wheel or sdist), read as
    requirements files as pip-compile and `uv pip compile` take them; the other arguments."""
    import os

    from burrow.packages.requirement_text import is_archive

    named = [arg for arg in args if os.path.isfile(arg) and not is_archive(arg)]
    return [*files, *named], [arg for arg in args if arg not in named]


def _is_pyproject(path: str) -> bool:
    from burrow.packages.pyproject import is_pyproject

    return is_pyproject(path)


def _all_extras(files: List[str]) -> List[str]:
    from burrow.packages.pyproject import extras_of

    names: Dict[str, None] = {}
    for path in files:
        if _is_pyproject(path):
            names.update(dict.fromkeys(extras_of(path)))
    return list(names)


def _command(args: argparse.Namespace, files: List[str], packages: List[str]) -> str:
    """The command a lock's header names, to make it again: what was asked for, not where
    packages were found (the lock repeats index options as lines of its own)."""
    import shlex

    given = set(args.requirement)
    words = ["burrow", "lock"]
    if args.python:
        words += ["-p", args.python]
    words += [item for path in files for item in (["-r", path] if path in given else [path])]
    words += [item for path in args.constraint for item in ("-c", path)]
    words += [item for extra in args.extras for item in ("--extra", extra)]
    words += ["--all-extras"] if args.all_extras else []
    words += packages
    words += ["-o", args.output] if args.output else []
    return " ".join(shlex.quote(word) for word in words)
