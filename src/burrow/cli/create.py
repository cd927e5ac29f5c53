"""`burrow create`: its option table, the argparse-free fast path, and the handler."""

from __future__ import annotations

import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, List, Optional, Sequence

    from burrow.fastargs import Option


def register(commands: Any) -> None:
    from burrow import fastargs

    p = commands.add_parser(
        "create",
        help="create a virtual environment",
        description="Create a virtual environment (accepts every `python -m venv` option).",
    )
    p.add_argument(
        "path", nargs="?", default=None, metavar="PATH", help="where to create it (default: .venv)"
    )
    fastargs.add_to(p, create_options())
    p.set_defaults(handler=cmd_create)


def create_options() -> List[Option]:
    """Every option of `burrow create` the fast path reads: the fields of ``Options`` (their
    flags declared there, once) plus the CLI's own."""
    from burrow.fastargs import APPEND, COUNT, FLAG_TRUE, VALUE, Option
    from burrow.options import command_line_options

    return [
        *command_line_options(),
        Option(
            flags=("-n", "--name"),
            dest="name",
            kind=VALUE,
            metavar="NAME",
            help="create in the named-env home instead of PATH",
        ),
        Option(flags=("-q", "--quiet"), dest="quiet", kind=COUNT, help="print less"),
        Option(flags=("-v", "--verbose"), dest="verbose", kind=COUNT, help="print more"),
        Option(flags=("--debug",), dest="debug", kind=FLAG_TRUE, help="show tracebacks"),
        Option(flags=("--json",), dest="json", kind=FLAG_TRUE, help="print JSON instead of text"),
        Option(
            flags=("-r", "--requirement"),
            dest="requirements",
            kind=APPEND,
            metavar="FILE",
            help="then resolve and install this requirements file (repeatable)",
        ),
        Option(
            flags=("-c", "--constraint"),
            dest="constraints",
            kind=APPEND,
            metavar="FILE",
            help="constrain what -r and --install bring with this file (repeatable)",
        ),
        # One package per --install: a list taking every following word swallowed PATH too.
        Option(
            flags=("--install",),
            dest="packages",
            kind=APPEND,
            metavar="PKG",
            help="then resolve and install this package (repeat for more)",
        ),
    ]


def fast_create(argv: Sequence[str]) -> Optional[Any]:
    """`burrow create …` read without argparse when it is plainly unambiguous, else None."""
    if not argv or argv[0] != "create":
        return None
    from burrow import fastargs

    values = fastargs.parse(argv[1:], create_options(), "path")
    if values is None:
        return None
    import types

    return types.SimpleNamespace(handler=cmd_create, **values)


def cmd_create(args: argparse.Namespace) -> int:
    from burrow.cli.common import usage_error
    from burrow.cli.render import dash, print_json
    from burrow.creator import create
    from burrow.options import Options

    options = Options.from_values(vars(args)).replace(command=_command_for_config())
    requirements = getattr(args, "requirements", None) or []
    packages = getattr(args, "packages", None) or []
    constraints = getattr(args, "constraints", None) or []
    if constraints and not (requirements or packages):
        usage_error("create", "-c constrains what -r FILE or --install PKG installs: give one")
    if requirements or packages:
        from burrow.installing import InstallRequest

        options = options.replace(
            install=InstallRequest(
                requirements=tuple(requirements),
                constraints=tuple(constraints),
                packages=tuple(packages),
                pip_args=tuple(["-q"] * args.quiet + ["-v"] * args.verbose),
                stdout=sys.stderr if args.json else None,  # stdout carries the JSON alone
            )
        )
    if packages and args.path is not None and _looks_like_a_requirement(args.path):
        from burrow.activation.quoting import as_word, posix

        again = " ".join(f"--install {as_word(w, posix)}" for w in (packages[-1], args.path))
        usage_error(
            "create",
            f"{args.path!r} looks like a package, not the env's path: --install takes one "
            f"package, so repeat it ({again})",
        )
    options.validate()  # before the named-env home is made
    shown = ".venv" if args.path is None else args.path
    path = shown
    if args.name:
        if args.path is not None:
            usage_error("create", "give either PATH or --name, not both")
        from burrow.named import env_home_path, make_home

        path = env_home_path(args.name)
        make_home()
        shown = path
    if options.install is not None:
        sys.stdout.flush()  # ours before pip's
    started = time.perf_counter()
    if options.install is not None:
        from burrow.cli.progress import download_line

        with download_line(args.quiet):
            env = create(path, options)
    else:  # a plain create downloads nothing: its fast path imports no more
        env = create(path, options)
    elapsed_ms = (time.perf_counter() - started) * 1000
    hint = activation_hint(shown, env.layout.scripts, windows=env.layout.windows)
    if args.json:
        print_json(
            {
                "path": str(env.path),
                "python": {
                    "implementation": env.python.implementation,
                    "version": env.python.version_str,
                    "executable": env.python.base_executable,
                },
                "prompt": env.prompt,
                "bin": str(env.bin_dir),
                "site_packages": str(env.site_packages),
                "seeded": env.seeded,
                "activate": hint,
                "elapsed_ms": round(elapsed_ms, 1),
            }
        )
    elif not args.quiet:
        what = ", ".join([env.python.name] + [f"{k} {v}" for k, v in env.seeded.items()])
        print(f"Created {shown} ({what}) in {elapsed_ms:.0f} ms {dash()} activate with: {hint}")
    if args.seed and args.pip == "bundle" and not args.upgrade_deps:
        from burrow.periodic import start_if_due  # once a day, after all is said

        sys.stdout.flush()
        if start_if_due(env.python) and args.verbose:
            print("checking the index for a newer pip in the background", file=sys.stderr)
    return 0


def _looks_like_a_requirement(word: str) -> bool:
    """'requests>=2', 'rich[jupyter]', 'demo-1.0-py3-none-any.whl': not an env's path."""
    marks = ("==", ">=", "<=", "!=", "~=", "<", ">", "[", ";")
    return any(mark in word for mark in marks) or word.endswith((".whl", ".tar.gz", ".zip"))


def _command_for_config() -> str:
    """The command line as typed, for pyvenv.cfg's ``command`` key."""
    from burrow.options import format_command

    return format_command([sys.executable, "-m", "burrow", *sys.argv[1:]])


def activation_hint(
    path: str, scripts: str, *, windows: bool = False, shell: Optional[str] = None
) -> str:
    """What the user types to activate, in their shell: 'source .venv/bin/activate'."""
    from burrow import running
    from burrow.errors import BurrowError

    shell = shell or ("cmd" if windows else running.user_shell())
    try:
        name = running.script_name(shell)
    except BurrowError:  # a $SHELL burrow has no script for: show the sh form
        shell, name = "sh", "activate"
    separator = "\\" if windows else "/"
    script = separator.join([path.rstrip("\\/") or separator, scripts, name])
    return running.source_command(script, shell)
