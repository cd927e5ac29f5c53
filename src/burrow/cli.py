"""The command line: parse, call the library, render its result as text or JSON.

This is the one place that prints, exits, and turns a ``BurrowError`` into
``error: …`` with exit code 1 (2 for usage errors, 130 when interrupted).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from burrow import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Sequence

    Handler = Callable[[argparse.Namespace], int]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or os.environ.get("BURROW_DEBUG") == "1"
    _configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", 0), debug)
    handler: Optional[Handler] = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    from burrow.errors import BurrowError

    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BurrowError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a filesystem failure we did not foresee: still one line
        if debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR


def _configure_logging(verbose: int, quiet: int, debug: bool) -> None:
    if not (verbose or debug):
        return  # warnings reach stderr through logging's last-resort handler
    import logging

    level = logging.DEBUG if debug or verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(name)s: %(message)s", stream=sys.stderr)


# --- the parser ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="burrow",
        description="Create and manage Python virtual environments.",
    )
    parser.add_argument("--version", action="version", version=f"burrow {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_create(commands)
    return parser


def _common(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="print more")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    if json:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_create(commands: Any) -> None:
    p = commands.add_parser(
        "create",
        help="create a virtual environment",
        description="Create a virtual environment (accepts every `python -m venv` option).",
    )
    p.add_argument(
        "path", nargs="?", default=None, metavar="PATH", help="where to create it (default: .venv)"
    )
    p.add_argument(
        "-p",
        "--python",
        metavar="SPEC",
        help="interpreter: path, command, version (3.12), range, or cpython3.12",
    )
    p.add_argument("-n", "--name", help="create in the named-env home instead of PATH")
    p.add_argument(
        "--system-site-packages",
        action="store_true",
        help="give the env access to the interpreter's site-packages",
    )
    links = p.add_mutually_exclusive_group()
    links.add_argument(
        "--symlinks",
        dest="symlinks",
        action="store_true",
        default=None,
        help="symlink the interpreter (default except on Windows)",
    )
    links.add_argument(
        "--copies",
        dest="symlinks",
        action="store_false",
        help="copy the interpreter instead of symlinking it",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--clear",
        action="store_true",
        help="replace the env if it exists (refuses a non-env without --force)",
    )
    mode.add_argument(
        "--upgrade",
        action="store_true",
        help="re-point an existing env at the (upgraded) interpreter",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with --clear: also replace a directory that is not an env",
    )
    seeding = p.add_mutually_exclusive_group()
    seeding.add_argument(
        "--without-pip", "--no-seed", dest="seed", action="store_false", help="do not seed pip"
    )
    seeding.add_argument(
        "--pip",
        metavar="VERSION",
        default="bundle",
        help="pip to seed: bundle (newest offline, default), latest, or X.Y.Z",
    )
    p.add_argument(
        "--setuptools",
        nargs="?",
        const="bundle",
        metavar="VERSION",
        help="also seed setuptools (optionally a version)",
    )
    p.add_argument(
        "--wheel",
        nargs="?",
        const="bundle",
        metavar="VERSION",
        help="also seed wheel (optionally a version)",
    )
    p.add_argument(
        "--prompt", metavar="TEXT", help="prompt shown when active ('.' = current directory's name)"
    )
    p.add_argument(
        "--upgrade-deps", action="store_true", help="seed the newest pip from the package index"
    )
    p.add_argument(
        "--without-scm-ignore-files",
        dest="scm_ignore_files",
        action="store_false",
        help="do not write a .gitignore into the env",
    )
    p.add_argument(
        "--relocatable",
        action="store_true",
        help="keep working after the env is moved (activation, scripts)",
    )
    p.add_argument(
        "--activators",
        metavar="LIST",
        help="activation scripts to write, e.g. bash,fish (default: all)",
    )
    _common(p)
    p.set_defaults(handler=cmd_create)


# --- create --------------------------------------------------------------------------


def cmd_create(args: argparse.Namespace) -> int:
    from burrow.creator import Options, create

    if args.force and not args.clear:
        _usage_error("create", "--force only makes sense with --clear")
    activators = None
    if args.activators is not None:
        from burrow.activation import parse_activators

        try:
            activators = parse_activators(args.activators)
        except ValueError as exc:
            _usage_error("create", str(exc))
    shown = ".venv" if args.path is None else args.path
    path = shown
    if args.name:
        if args.path is not None:
            _usage_error("create", "give either PATH or --name, not both")
        from burrow.named import env_home_path

        path = env_home_path(args.name)
        shown = path
    options = Options(
        python=args.python,
        system_site_packages=args.system_site_packages,
        symlinks=args.symlinks,
        clear=args.clear,
        upgrade=args.upgrade,
        force=args.force,
        prompt=args.prompt,
        seed=args.seed,
        pip=args.pip,
        setuptools=args.setuptools,
        wheel=args.wheel,
        upgrade_deps=args.upgrade_deps,
        scm_ignore_files=args.scm_ignore_files,
        relocatable=args.relocatable,
        activators=activators,
        command=_command_for_config(),
    )
    started = time.perf_counter()
    env = create(path, options)
    elapsed_ms = (time.perf_counter() - started) * 1000
    hint = activation_hint(shown, env.layout.scripts, windows=env.layout.windows)
    if args.json:
        _print_json(
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
        dash = _dash()
        print(f"Created {shown} ({what}) in {elapsed_ms:.0f} ms {dash} activate with: {hint}")
    return 0


def _command_for_config() -> str:
    """The command line as typed, for pyvenv.cfg's ``command`` key."""
    import shlex

    words = [sys.executable, "-m", "burrow", *sys.argv[1:]]
    return " ".join(shlex.quote(w) for w in words).replace("\n", "\\n").replace("\r", "\\r")


def activation_hint(
    path: str, scripts: str, *, windows: bool = False, shell: Optional[str] = None
) -> str:
    """What the user types to activate, in their shell: 'source .venv/bin/activate'."""
    from burrow.activation import quoting

    if windows:
        return quoting.batch(path.rstrip("\\/") + "\\" + scripts + "\\activate.bat")
    name = os.path.basename(shell or os.environ.get("SHELL", "") or "sh")
    script = f"{path.rstrip('/') or '/'}/{scripts}/"
    if name == "fish":
        return f"source {quoting.fish(script + 'activate.fish')}"
    if name in ("csh", "tcsh"):
        return f"source {quoting.csh(script + 'activate.csh')}"
    if name == "nu":
        return f"overlay use {quoting.nushell(script + 'activate.nu')}"
    if name == "xonsh":
        return f"source {quoting.python(script + 'activate.xsh')}"
    if name == "elvish":
        return f"eval (slurp < {quoting.elvish(script + 'activate.elv')})"
    if name in ("pwsh", "powershell"):
        return f"& {quoting.powershell(script + 'Activate.ps1')}"
    return f"source {quoting.posix(script + 'activate')}"


def _dash() -> str:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2014".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "-"
    return "\u2014"


# --- helpers -------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))


def _usage_error(command: str, message: str) -> None:
    print(f"usage error: burrow {command}: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def print_table(rows: List[Dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned table, e.g. for `burrow list`."""
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
