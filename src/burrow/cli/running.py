"""`burrow run`, `shell` and `activate`: use an env without typing its activation."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    import argparse

    from burrow.cli.common import ENV_HELP, add_common

    p = commands.add_parser(
        "run",
        help="run a command with an env active",
        description="Run CMD with the env's bin first on PATH, VIRTUAL_ENV set and PYTHONHOME "
        "unset. Its exit code (and a signal that ends it) passes through.",
    )
    p.add_argument("-e", "--env", metavar="ENV", help=ENV_HELP)
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD [ARGS…]")
    add_common(p, json=False)
    p.set_defaults(handler=cmd_run)

    p = commands.add_parser(
        "shell",
        help="start your shell with an env active",
        description="Start $SHELL with the env activated after your own rc files; `exit` returns.",
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=ENV_HELP)
    add_common(p, json=False)
    p.set_defaults(handler=cmd_shell)

    p = commands.add_parser(
        "activate",
        help="print the command that activates an env (for eval)",
        description='Print what SHELL must evaluate to activate ENV: eval "$(burrow activate)"',
    )
    p.add_argument("env", nargs="?", metavar="ENV", help=ENV_HELP)
    p.add_argument("-n", "--name", metavar="NAME", help="a named env (never a path)")
    p.add_argument(
        "--shell", metavar="SHELL", help="bash, zsh, fish, tcsh, nu, … (default: $SHELL)"
    )
    add_common(p, json=False)
    p.set_defaults(handler=cmd_activate)


def cmd_run(args: argparse.Namespace) -> int:
    from burrow import envs, running
    from burrow.cli.common import usage_error

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        usage_error("run", "give the command to run")
    path = envs.resolve(args.env)
    try:
        return running.run(path, command)
    except running.CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


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


def cmd_activate(args: argparse.Namespace) -> int:
    from burrow import envs, running
    from burrow.cli.common import usage_error

    if args.name is not None:
        if args.env is not None:
            usage_error("activate", "give either ENV or --name, not both")
        path = envs.resolve_named(args.name)
    else:
        path = envs.resolve(args.env)
    print(running.activation_command(path, args.shell or running.user_shell()))
    return 0
