"""`burrow shell-init SHELL`: the functions a shell's rc file evaluates."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    p = commands.add_parser(
        "shell-init",
        help="print shell functions: workon NAME, tab completion, optional .venv auto-activation",
        description='Print functions for your shell rc: eval "$(burrow shell-init bash)". '
        "`workon NAME` activates a named env; TAB completes burrow's commands, options, env "
        "names and interpreters, and workon's names.",
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
