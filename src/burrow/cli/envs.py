"""`burrow list`, `info`, `check` and `remove`: the envs that already exist."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, List

    from burrow.envs import Info, Summary
    from burrow.health import Checked


def register(commands: Any) -> None:
    from burrow.cli.common import ENV_HELP, add_common

    p = commands.add_parser(
        "list",
        help="list named envs and this project's .venv",
        description="List the envs in the named-env home, plus the current project's .venv.",
    )
    add_common(p)
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser(
        "info",
        help="describe one env",
        description="Show an env's interpreter, version, prompt, seed packages, size and health.",
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=ENV_HELP)
    p.add_argument(
        "--requirements",
        action="store_true",
        help="print its packages as requirements (like pip freeze, without running pip)",
    )
    add_common(p)
    p.set_defaults(handler=cmd_info)

    p = commands.add_parser(
        "check",
        help="find (and --fix) broken envs",
        description="Check envs for a vanished or changed interpreter, dangling links and a "
        "missing or malformed pyvenv.cfg. Exit code 1 when any is left broken.",
    )
    p.add_argument("envs", nargs="*", metavar="ENV", help=ENV_HELP)
    p.add_argument("--all", action="store_true", help="every named env and this project's .venv")
    p.add_argument(
        "--fix",
        action="store_true",
        help="re-link to an interpreter of the same major.minor, keeping packages",
    )
    add_common(p)
    p.set_defaults(handler=cmd_check)

    p = commands.add_parser(
        "remove",
        help="delete envs",
        description="Delete envs. Refuses anything that is not a virtual environment; a "
        "symlink given as ENV is removed itself, never followed.",
    )
    p.add_argument("envs", nargs="+", metavar="ENV", help="a path, or a named env's name")
    add_common(p)
    p.set_defaults(handler=cmd_remove)


def cmd_list(args: argparse.Namespace) -> int:
    from burrow.cli.render import show
    from burrow.envs import list_envs

    show(list_envs(), args, lambda rows: _print_list(rows, args.quiet))
    return 0


def _print_list(rows: List[Summary], quiet: int) -> None:
    from burrow.cli.render import human_size, print_table

    if quiet:
        for row in rows:
            print(row.name or row.path)
        return
    if not rows:
        from burrow.named import env_home

        print(f"no environments in {env_home()} and no .venv here", file=sys.stderr)
        return
    print_table(
        [
            {
                "name": row.name or os.path.relpath(row.path),
                "python": row.python or "?",
                "size": human_size(row.size),
                "health": row.health,
                "path": row.path,
            }
            for row in rows
        ],
        ["name", "python", "size", "health", "path"],
    )


def cmd_info(args: argparse.Namespace) -> int:
    from burrow import envs
    from burrow.cli.render import show

    path = envs.resolve(args.env, allow_broken=True)
    if args.requirements:
        for line in envs.requirements(path):
            print(line)
        return 0
    show(envs.info(path), args, _print_info)
    return 0


def _print_info(data: Info) -> None:
    from burrow.cli.render import human_size

    python = data.python
    seeded = ", ".join(f"{k} {v}" for k, v in data.seeded.items()) or "none"
    lines = [
        ("path", data.path),
        ("python", f"{python.version or '?'} ({python.executable or python.home})"),
        ("prompt", data.prompt if data.prompt is not None else "(directory name)"),
        ("system site-packages", "yes" if data.system_site_packages else "no"),
        ("made by", data.made_by),
        ("seeded", seeded),
        ("packages", str(data.packages)),
        ("size", f"{human_size(data.size)} ({human_size(data.own_size)} its own)"),
        ("health", data.health),
    ]
    width = max(len(key) for key, _ in lines)
    for key, value in lines:
        print(f"{key + ':':<{width + 1}} {value}")
    for problem in data.problems:
        print(f"  - {problem.message}")


def cmd_check(args: argparse.Namespace) -> int:
    from burrow import envs, health
    from burrow.cli.common import EXIT_ERROR, usage_error
    from burrow.cli.render import show

    if args.all and args.envs:
        usage_error("check", "give either ENV… or --all, not both")
    if args.all:
        paths = [path for _, path in envs.all_envs()]
    else:
        paths = [envs.resolve(env, allow_broken=True) for env in args.envs or [None]]
    results = [health.check(path, repair=args.fix) for path in paths]
    show(results, args, lambda checked: _print_checks(checked, args.quiet))
    return EXIT_ERROR if any(one.problems for one in results) else 0


def _print_checks(results: List[Checked], quiet: int) -> None:
    for result in results:
        _print_check(result, quiet)


def _print_check(result: Checked, quiet: int) -> None:
    path = result.path
    if result.fixed:
        fixed = "; ".join(p.message for p in result.before)
        print(f"{path}: fixed ({fixed}): re-linked to {result.python}")
    if not result.problems:
        if not quiet and not result.fixed:
            print(f"{path}: ok")
        return
    for problem in result.problems:
        print(f"{path}: {problem.code}: {problem.message}")
    if result.error:
        print(f"{path}: cannot fix: {result.error}", file=sys.stderr)


def cmd_remove(args: argparse.Namespace) -> int:
    from burrow.cli.common import EXIT_ERROR
    from burrow.cli.render import print_json
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
        print_json(done)
    return EXIT_ERROR if failed else 0
