"""The command line: parse, call the library, render its result as text or JSON.

This is the one place that prints, exits, and turns a ``BurrowError`` into
``error: …`` with exit code 1 (2 for usage errors, 130 when interrupted).
"""

from __future__ import annotations

import os
import sys
import time

from burrow import __version__
from burrow._signals import redeliver_ctrl_c

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Callable, Dict, List, Optional, Sequence

    Handler = Callable[[argparse.Namespace], int]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(argv: Optional[Sequence[str]] = None) -> int:
    sys.unraisablehook = redeliver_ctrl_c
    try:
        return _main(argv)
    except KeyboardInterrupt:  # also while parsing or importing, before a handler runs
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Optional[Sequence[str]]) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = _fast_create(words)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(words)
    debug = getattr(args, "debug", False) or os.environ.get("BURROW_DEBUG") == "1"
    _configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", 0), debug)
    handler: Optional[Handler] = getattr(args, "handler", None)
    if handler is None:
        build_parser().print_help()
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
    from burrow._fast import warnings_to_stderr

    warnings_to_stderr()
    if not (verbose or debug):
        return  # logging itself is imported only if something is logged
    import logging

    level = logging.DEBUG if debug or verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(name)s: %(message)s", stream=sys.stderr)


# --- the parser ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    # Imported here, not at the top: the fast path for a plain create never needs it.
    global argparse  # the _add_* functions below use the module too
    import argparse

    class Parser(argparse.ArgumentParser):
        """Help laid out for the terminal's width, learnt without argparse's way of asking
        (shutil, which imports lzma and bz2: milliseconds on every command). Subcommands'
        parsers are of the same class, so all of them get it."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("formatter_class", _help_formatter)
            super().__init__(*args, **kwargs)

    parser = Parser(
        prog="burrow",
        description="Create and manage Python virtual environments.",
    )
    parser.add_argument("--version", action="version", version=f"burrow {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_create(commands)
    _add_python(commands)
    _add_cache(commands)
    _add_list(commands)
    _add_info(commands)
    _add_check(commands)
    _add_remove(commands)
    _add_run(commands)
    _add_shell(commands)
    _add_activate(commands)
    _add_shell_init(commands)
    _add_lock(commands)
    return parser


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, width=_terminal_width() - 2)


def _terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else 80: what shutil.get_terminal_size says."""
    try:
        return max(int(os.environ["COLUMNS"]), 20)
    except (KeyError, ValueError):
        pass
    stream = sys.__stdout__
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80 if stream else 80
    except (ValueError, OSError):
        return 80


def _common(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="print more")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    if json:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_create(commands: Any) -> None:
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
    # Not in create_options: lists the fast path leaves to argparse. SUPPRESS keeps them out
    # of the namespace unless given, so both paths give the same values.
    p.add_argument(
        "-r",
        "--requirement",
        dest="requirements",
        action="append",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="then install from this requirements file with the env's pip (repeatable)",
    )
    p.add_argument(
        "--install",
        dest="packages",
        nargs="+",
        action="extend",
        metavar="PKG",
        default=argparse.SUPPRESS,
        help="then install these packages with the env's pip (put PATH before it)",
    )
    p.set_defaults(handler=cmd_create)


def create_options() -> List[Any]:
    """Every option of `burrow create`, declared once for argparse and the fast path."""
    from burrow.fastargs import (
        COUNT,
        FLAG_FALSE,
        FLAG_TRUE,
        OPTIONAL_VALUE,
        VALUE,
        Option,
    )

    return [
        Option(
            flags=("-p", "--python"),
            dest="python",
            kind=VALUE,
            metavar="SPEC",
            help="interpreter: path, command, version (3.12), range, or cpython3.12",
        ),
        Option(
            flags=("-n", "--name"),
            dest="name",
            kind=VALUE,
            metavar="NAME",
            help="create in the named-env home instead of PATH",
        ),
        Option(
            flags=("--system-site-packages",),
            dest="system_site_packages",
            kind=FLAG_TRUE,
            help="give the env access to the interpreter's site-packages",
        ),
        Option(
            flags=("--symlinks",),
            dest="symlinks",
            kind=FLAG_TRUE,
            default=None,
            group="links",
            help="symlink the interpreter (default except on Windows)",
        ),
        Option(
            flags=("--copies",),
            dest="symlinks",
            kind=FLAG_FALSE,
            group="links",
            help="copy the interpreter instead of symlinking it",
        ),
        Option(
            flags=("--clear",),
            dest="clear",
            kind=FLAG_TRUE,
            group="mode",
            help="replace the env if it exists (refuses a non-env without --force)",
        ),
        Option(
            flags=("--upgrade",),
            dest="upgrade",
            kind=FLAG_TRUE,
            group="mode",
            help="re-point an existing env at the (upgraded) interpreter",
        ),
        Option(
            flags=("--force",),
            dest="force",
            kind=FLAG_TRUE,
            help="with --clear: also replace a directory that is not an env",
        ),
        Option(
            flags=("--without-pip", "--no-seed"),
            dest="seed",
            kind=FLAG_FALSE,
            group="seeding",
            help="do not seed pip",
        ),
        Option(
            flags=("--pip",),
            dest="pip",
            kind=VALUE,
            default="bundle",
            metavar="VERSION",
            group="seeding",
            help="pip to seed: bundle (newest offline, default), latest, or X.Y.Z",
        ),
        Option(
            flags=("--setuptools",),
            dest="setuptools",
            kind=OPTIONAL_VALUE,
            const="bundle",
            metavar="VERSION",
            help="also seed setuptools (optionally a version)",
        ),
        Option(
            flags=("--wheel",),
            dest="wheel",
            kind=OPTIONAL_VALUE,
            const="bundle",
            metavar="VERSION",
            help="also seed wheel (optionally a version)",
        ),
        Option(
            flags=("--prompt",),
            dest="prompt",
            kind=VALUE,
            metavar="TEXT",
            help="prompt shown when active ('.' = current directory's name)",
        ),
        Option(
            flags=("--upgrade-deps",),
            dest="upgrade_deps",
            kind=FLAG_TRUE,
            help="seed the newest pip from the package index",
        ),
        Option(
            flags=("--without-scm-ignore-files",),
            dest="scm_ignore_files",
            kind=FLAG_FALSE,
            help="do not write a .gitignore into the env",
        ),
        Option(
            flags=("--relocatable",),
            dest="relocatable",
            kind=FLAG_TRUE,
            help="keep working after the env is moved (activation, scripts)",
        ),
        Option(
            flags=("--activators",),
            dest="activators",
            kind=VALUE,
            metavar="LIST",
            help="activation scripts to write, e.g. bash,fish (default: all)",
        ),
        Option(flags=("-q", "--quiet"), dest="quiet", kind=COUNT, help="print less"),
        Option(flags=("-v", "--verbose"), dest="verbose", kind=COUNT, help="print more"),
        Option(flags=("--debug",), dest="debug", kind=FLAG_TRUE, help="show tracebacks"),
        Option(flags=("--json",), dest="json", kind=FLAG_TRUE, help="print JSON instead of text"),
    ]


def _fast_create(argv: Sequence[str]) -> Optional[Any]:
    """`burrow create …` read without argparse when it is plainly unambiguous, else None."""
    if not argv or argv[0] != "create":
        return None
    from burrow import fastargs

    values = fastargs.parse(argv[1:], create_options(), "path")
    if values is None:
        return None
    import types

    return types.SimpleNamespace(handler=cmd_create, **values)


def _add_python(commands: Any) -> None:
    p = commands.add_parser("python", help="the interpreters burrow can build on")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    listing = sub.add_parser(
        "list", help="list every interpreter found", description="List every interpreter found."
    )
    _common(listing)
    listing.set_defaults(handler=cmd_python_list)
    p.set_defaults(handler=lambda _args: _usage_error("python", "say 'burrow python list'"))


def cmd_python_list(args: argparse.Namespace) -> int:
    """Every interpreter found: version, implementation, arch, where, and whether usable."""
    from burrow.discovery import python_list_rows

    rows = python_list_rows()
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        # The path has its own column: the reason need not repeat it.
        problem = str(row["problem"]).replace(f"{row['path']} ", "", 1)
        row["status"] = "" if row["usable"] else f"unusable: {problem}"
        row["arch"] = row.get("architecture") or "?"
    print_table(rows, ["version", "implementation", "arch", "source", "path", "status"])
    return 0


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
        from burrow.named import env_home_path, make_home

        path = env_home_path(args.name)
        make_home()
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
    requirements = getattr(args, "requirements", None) or []
    packages = getattr(args, "packages", None) or []
    if requirements or packages:
        from burrow.installing import InstallRequest

        if not args.seed:
            _usage_error("create", "-r/--install need pip: drop --without-pip")
        sys.stdout.flush()
        options = options.replace(
            install=InstallRequest(
                requirements=tuple(requirements),
                packages=tuple(packages),
                pip_args=tuple(["-q"] * args.quiet + ["-v"] * args.verbose),
                stdout=sys.stderr if args.json else None,  # stdout carries the JSON alone
            )
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
    if args.seed and args.pip == "bundle" and not args.upgrade_deps:
        from burrow.periodic import start_if_due  # once a day, after all is said

        sys.stdout.flush()
        if start_if_due(env.python) and args.verbose:
            print("checking the index for a newer pip in the background", file=sys.stderr)
    return 0


def _command_for_config() -> str:
    """The command line as typed, for pyvenv.cfg's ``command`` key."""
    from burrow.creator import format_command

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


def _dash() -> str:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2014".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "-"
    return "\u2014"


# --- cache ---------------------------------------------------------------------------


def _add_cache(commands: Any) -> None:
    p = commands.add_parser(
        "cache", help="the seed cache", description="Show or empty burrow's seed cache."
    )
    actions = p.add_subparsers(title="actions", metavar="ACTION", dest="action")
    actions.required = True
    for name, text in (
        ("dir", "print where the cache is"),
        ("info", "list what the cache holds, and its size"),
        ("clean", "empty the cache (safe while other burrow runs use it)"),
    ):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        _common(action, json=name != "dir")
        action.set_defaults(handler=cmd_cache)


def cmd_cache(args: argparse.Namespace) -> int:
    from burrow import cache

    if args.action == "dir":
        print(cache.location())
        return 0
    if args.action == "clean":
        done = cache.clean()
        if args.json:
            _print_json(done.as_dict())
        elif not args.quiet:
            print(f"Removed {done.removed} cached items ({_human_size(done.freed)})")
            for path in done.kept:
                print(f"kept {path}: another burrow run is still building it")
        return 0
    found = cache.summary()
    if args.json:
        _print_json(
            {
                "path": found.path,
                "packages": [p.as_dict() for p in found.packages],
                "wheels": [w.as_dict() for w in found.wheels],
                "interpreters": found.interpreters,
                "total_size": found.total_size,
            }
        )
        return 0
    print(f"cache: {found.path}")
    if found.packages:
        print_table(
            [
                {
                    "package": p.name,
                    "version": p.version,
                    "tag": p.tag,
                    "size": _human_size(p.size),
                    "state": "ready" if p.complete else "incomplete",
                }
                for p in found.packages
            ],
            ["package", "version", "tag", "size", "state"],
        )
    for wheel in found.wheels:
        print(f"wheel {wheel.filename} ({_human_size(wheel.size)})")
    print(f"interpreters known: {found.interpreters}")
    print(f"total: {_human_size(found.total_size)}")
    return 0


def _human_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --- living with envs: list, info, check, remove, run, shell, activate, shell-init ----


_ENV_HELP = (
    "a path, or the name of an env in the named-env home (default: $VIRTUAL_ENV, else .venv)"
)


def _add_list(commands: Any) -> None:
    p = commands.add_parser(
        "list",
        help="list named envs and this project's .venv",
        description="List the envs in the named-env home, plus the current project's .venv.",
    )
    _common(p)
    p.set_defaults(handler=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    from burrow.envs import list_envs

    rows = list_envs()
    if args.json:
        _print_json(rows)
        return 0
    if args.quiet:
        for row in rows:
            print(row["name"] or row["path"])
        return 0
    if not rows:
        from burrow.named import env_home

        print(f"no environments in {env_home()} and no .venv here", file=sys.stderr)
        return 0
    print_table(
        [
            {
                "name": row["name"] or os.path.relpath(row["path"]),
                "python": row["python"] or "?",
                "size": _human_size(row["size"]),
                "health": row["health"],
                "path": row["path"],
            }
            for row in rows
        ],
        ["name", "python", "size", "health", "path"],
    )
    return 0


def _add_info(commands: Any) -> None:
    p = commands.add_parser(
        "info",
        help="describe one env",
        description="Show an env's interpreter, version, prompt, seed packages, size and health.",
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=_ENV_HELP)
    p.add_argument(
        "--requirements",
        action="store_true",
        help="print its packages as requirements (like pip freeze, without running pip)",
    )
    _common(p)
    p.set_defaults(handler=cmd_info)


def cmd_info(args: argparse.Namespace) -> int:
    from burrow import envs

    path = envs.resolve(args.env, allow_broken=True)
    if args.requirements:
        for line in envs.requirements(path):
            print(line)
        return 0
    data = envs.info(path)
    if args.json:
        _print_json(data)
        return 0
    python = data["python"]
    seeded = ", ".join(f"{k} {v}" for k, v in data["seeded"].items()) or "none"
    lines = [
        ("path", data["path"]),
        ("python", f"{python['version'] or '?'} ({python['executable'] or python['home']})"),
        ("prompt", data["prompt"] if data["prompt"] is not None else "(directory name)"),
        ("system site-packages", "yes" if data["system_site_packages"] else "no"),
        ("made by", data["made_by"]),
        ("seeded", seeded),
        ("packages", str(data["packages"])),
        ("size", f"{_human_size(data['size'])} ({_human_size(data['own_size'])} its own)"),
        ("health", data["health"]),
    ]
    width = max(len(key) for key, _ in lines)
    for key, value in lines:
        print(f"{key + ':':<{width + 1}} {value}")
    for problem in data["problems"]:
        print(f"  - {problem['message']}")
    return 0


def _add_check(commands: Any) -> None:
    p = commands.add_parser(
        "check",
        help="find (and --fix) broken envs",
        description="Check envs for a vanished or changed interpreter, dangling links and a "
        "missing or malformed pyvenv.cfg. Exit code 1 when any is left broken.",
    )
    p.add_argument("envs", nargs="*", metavar="ENV", help=_ENV_HELP)
    p.add_argument("--all", action="store_true", help="every named env and this project's .venv")
    p.add_argument(
        "--fix",
        action="store_true",
        help="re-link to an interpreter of the same major.minor, keeping packages",
    )
    _common(p)
    p.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from burrow import envs, health
    from burrow.errors import BurrowError

    if args.all and args.envs:
        _usage_error("check", "give either ENV… or --all, not both")
    if args.all:
        paths = [path for _, path in envs.named_envs()]
        project = envs.find_project_env(os.getcwd())
        if project is not None and project not in paths:
            paths.append(project)
    else:
        paths = [envs.resolve(env, allow_broken=True) for env in args.envs or [None]]
    results = []
    for path in paths:
        result: Dict[str, Any] = {"path": path, "fixed": False, "error": None}
        problems = [p.as_dict() for p in health.diagnose(path, probe=True)]
        if problems and args.fix:
            try:
                done = health.fix(path)
            except BurrowError as exc:
                result["error"] = str(exc)
            else:
                result["fixed"] = done["changed"]
                result["python"] = done["python"]
                result["before"] = problems
                problems = done["problems"]
        result["problems"] = problems
        result["health"] = problems[0]["code"] if problems else "ok"
        results.append(result)
    if args.json:
        _print_json(results)
    else:
        for result in results:
            _print_check(result, args.quiet)
    return EXIT_ERROR if any(r["problems"] for r in results) else 0


def _print_check(result: Dict[str, Any], quiet: int) -> None:
    path = result["path"]
    if result["fixed"]:
        fixed = "; ".join(p["message"] for p in result["before"])
        print(f"{path}: fixed ({fixed}): re-linked to {result['python']}")
    if not result["problems"]:
        if not quiet and not result["fixed"]:
            print(f"{path}: ok")
        return
    for problem in result["problems"]:
        print(f"{path}: {problem['code']}: {problem['message']}")
    if result["error"]:
        print(f"{path}: cannot fix: {result['error']}", file=sys.stderr)


def _add_remove(commands: Any) -> None:
    p = commands.add_parser(
        "remove",
        help="delete envs",
        description="Delete envs. Refuses anything that is not a virtual environment; a "
        "symlink given as ENV is removed itself, never followed.",
    )
    p.add_argument("envs", nargs="+", metavar="ENV", help="a path, or a named env's name")
    _common(p)
    p.set_defaults(handler=cmd_remove)


def cmd_remove(args: argparse.Namespace) -> int:
    from burrow.envs import remove
    from burrow.errors import BurrowError

    done, failed = [], 0
    for env in args.envs:
        try:
            result = remove(env)
        except BurrowError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        done.append(result)
        if args.json or args.quiet:
            continue
        if result["removed"] == "link":
            print(f"Removed the link {result['path']} (its target {result['target']} is kept)")
        else:
            print(f"Removed {result['path']}")
    if args.json:
        _print_json(done)
    return EXIT_ERROR if failed else 0


def _add_run(commands: Any) -> None:
    p = commands.add_parser(
        "run",
        help="run a command with an env active",
        description="Run CMD with the env's bin first on PATH, VIRTUAL_ENV set and PYTHONHOME "
        "unset. Its exit code (and a signal that ends it) passes through.",
    )
    p.add_argument("-e", "--env", metavar="ENV", help=_ENV_HELP)
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD [ARGS…]")
    _common(p, json=False)
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from burrow import envs, running

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        _usage_error("run", "give the command to run")
    path = envs.resolve(args.env)
    try:
        return running.run(path, command)
    except running.CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _add_shell(commands: Any) -> None:
    p = commands.add_parser(
        "shell",
        help="start your shell with an env active",
        description="Start $SHELL with the env activated after your own rc files; `exit` returns.",
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=_ENV_HELP)
    _common(p, json=False)
    p.set_defaults(handler=cmd_shell)


def cmd_shell(args: argparse.Namespace) -> int:
    from burrow import envs, running

    path = envs.resolve(args.env)
    argv, environ, folder, full = running.shell_plan(path)
    shell = os.path.basename(argv[0])
    if not full:
        print(
            f"note: {shell} gets the env's PATH and VIRTUAL_ENV, but no prompt or deactivate",
            file=sys.stderr,
        )
    if not args.quiet:
        print(f"Starting {shell} with {path} active; type exit to leave", file=sys.stderr)
    return running.start(argv, environ, folder)


def _add_activate(commands: Any) -> None:
    p = commands.add_parser(
        "activate",
        help="print the command that activates an env (for eval)",
        description='Print what SHELL must evaluate to activate ENV: eval "$(burrow activate)"',
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=_ENV_HELP)
    p.add_argument("-n", "--name", metavar="NAME", help="a named env (never a path)")
    p.add_argument(
        "--shell", metavar="SHELL", help="bash, zsh, fish, tcsh, nu, … (default: $SHELL)"
    )
    _common(p, json=False)
    p.set_defaults(handler=cmd_activate)


def cmd_activate(args: argparse.Namespace) -> int:
    from burrow import envs, running

    if args.name is not None:
        if args.env is not None:
            _usage_error("activate", "give either ENV or --name, not both")
        path = envs.resolve_named(args.name)
    else:
        path = envs.resolve(args.env)
    print(running.activation_command(path, args.shell or running.user_shell()))
    return 0


def _add_shell_init(commands: Any) -> None:
    p = commands.add_parser(
        "shell-init",
        help="print shell functions: workon NAME, optional .venv auto-activation",
        description='Print functions for your shell rc: eval "$(burrow shell-init bash)". '
        "`workon NAME` activates a named env (tab completes names).",
    )
    p.add_argument(
        "shell", choices=["bash", "zsh", "fish"], metavar="SHELL", help="bash, zsh or fish"
    )
    p.add_argument(
        "--auto",
        action="store_true",
        help="also activate ./.venv (here or above) on cd, and deactivate it on leaving",
    )
    p.set_defaults(handler=cmd_shell_init)


def cmd_shell_init(args: argparse.Namespace) -> int:
    from burrow.shell_init import render

    sys.stdout.write(render(args.shell, auto=args.auto))
    return 0


# --- helpers -------------------------------------------------------------------------


def _add_lock(commands: Any) -> None:
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
    p.add_argument("-i", "--index-url", metavar="URL")
    p.add_argument("--extra-index-url", action="append", default=[], metavar="URL")
    p.add_argument("-f", "--find-links", action="append", default=[], metavar="PATH")
    p.add_argument("--no-index", action="store_true")
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.add_argument("--only-binary", action="append", default=[], metavar="NAMES")
    p.add_argument("--no-binary", action="append", default=[], metavar="NAMES")
    p.add_argument("packages", nargs="*", metavar="PKG", help="requirements to add")
    _common(p, json=False)
    p.set_defaults(handler=cmd_lock)


def cmd_lock(args: argparse.Namespace) -> int:
    from burrow.packages.locking import Sources, lock

    if not args.requirement and not args.packages:
        _usage_error("lock", "give requirements: -r FILE or PKG")
    sources = Sources(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        find_links=tuple(args.find_links),
        no_index=args.no_index,
        pre=args.pre,
        only_binary=tuple(args.only_binary),
        no_binary=tuple(args.no_binary),
    )
    command = "burrow lock " + " ".join(
        [*(f"-r {r}" for r in args.requirement), *(f"-c {c}" for c in args.constraint)]
        + ([f"-o {args.output}"] if args.output else [])
    )
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
