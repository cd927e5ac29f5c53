"""`burrow install`: add packages to an env, resolved against what it has."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    from burrow.cli.common import ENV_HELP, add_common
    from burrow.cli.lock import _add_index_options

    p = commands.add_parser(
        "install",
        help="add packages to an env, resolved against what it has",
        description="Resolve PKG, -r FILE and --editable PATH against the packages ENV has"
        " (keeping their versions while they fit, unless -U or -P) and install them through"
        " burrow's package cache, all or nothing. No pip process is run.",
    )
    p.add_argument("-e", "--env", metavar="ENV", help=ENV_HELP)
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE")
    p.add_argument(
        "--editable", action="append", default=[], metavar="PATH",
        help="install this project directory in editable mode (pip's -e; repeatable)",
    )  # fmt: skip
    p.add_argument(
        "-U", "--upgrade", action="store_true",
        help="upgrade what is asked for to its newest fitting version (pip install -U)",
    )  # fmt: skip
    p.add_argument(
        "-P", "--upgrade-package", action="append", default=[], metavar="NAME",
        help="upgrade this package too, even as a dependency (repeatable)",
    )  # fmt: skip
    _add_index_options(p)
    p.add_argument(
        "--compile-bytecode",
        action="store_true",
        help="byte-compile packages new to the cache before returning, not behind",
    )
    p.add_argument(
        "packages", nargs="*", metavar="PKG",
        help="requirements to add (a project directory, as pip's; a file is read as -r FILE)",
    )  # fmt: skip
    add_common(p)
    p.set_defaults(handler=cmd_install)


def cmd_install(args: argparse.Namespace) -> int:
    from burrow import envs
    from burrow.cli.common import usage_error
    from burrow.cli.lock import _sources, requirement_files
    from burrow.cli.progress import download_line
    from burrow.cli.render import print_changes
    from burrow.packages.install import install

    if args.env is not None and _is_project(args.env):
        usage_error(
            "install", f"-e names the env to install into, and {args.env} is a project: "
            f"install it in editable mode (pip's -e) with --editable {args.env}",
        )  # fmt: skip
    if not args.requirement and not args.packages and not args.editable:
        usage_error("install", "give requirements: PKG, -r FILE or --editable PATH")
    editables = [f"-e {path}" for path in args.editable]
    files, packages = requirement_files(args.requirement, args.packages)
    with download_line(args.quiet):
        changes = install(
            envs.resolve(args.env),
            requirements=files,
            constraints=args.constraint,
            packages=[*packages, *editables],
            sources=_sources(args),
            upgrade=args.upgrade,
            upgrade_packages=args.upgrade_package,
            compile_bytecode=args.compile_bytecode,
        )
    print_changes(changes, args)
    return 0


def _is_project(path: str) -> bool:
    """Whether ``path`` is a project directory and no env: `burrow install -e .` typed as
    pip's `pip install -e .`."""
    import os

    return not os.path.exists(os.path.join(path, "pyvenv.cfg")) and any(
        os.path.isfile(os.path.join(path, name)) for name in ("pyproject.toml", "setup.py")
    )
