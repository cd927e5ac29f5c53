"""``burrow shell-init SHELL``: the shell functions behind ``workon`` and auto-activation.

The text comes from the templates in ``shell_hooks/``. Completion and the ``cd`` hook are
plain shell (no Python started on each prompt or key press); ``workon`` asks burrow once,
through the exact interpreter and package that printed the functions.
"""

from __future__ import annotations

import os
import sys

from burrow.errors import BurrowError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, List

SHELLS = ("bash", "zsh", "fish")
_HOOKS = os.path.join(os.path.dirname(__file__), "shell_hooks")
#: Runs burrow without putting the current directory on sys.path: a folder the user cd's
#: into must not be able to stand in for burrow with a ``burrow/`` package of its own.
_STUB = (
    "import sys; sys.path[:] = [p for p in sys.path if p]; "
    "sys.path.append(sys.argv.pop(1)); sys.argv[0] = 'burrow'; "
    "from burrow.cli import main; sys.exit(main())"
)


def cli_words() -> List[str]:
    """The command that runs this burrow: [python, '-c', stub, folder holding burrow]."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [sys.executable, "-c", _STUB, package_parent]


def render(shell: str, *, auto: bool = False) -> str:
    """The text to ``eval`` in ``shell`` ('bash', 'zsh' or 'fish')."""
    from burrow import dirs
    from burrow.activation import quoting

    name = os.path.basename(shell)
    if name not in SHELLS:
        raise BurrowError(f"shell-init supports {', '.join(SHELLS)}, not {shell!r}")
    quote: Callable[[str], str] = quoting.fish if name == "fish" else quoting.posix
    parts = (
        [_read(f"init.{name}")] if name == "fish" else [_read("init.posix"), _read(f"init.{name}")]
    )
    if auto:
        if name != "fish":
            parts.append(_read("auto.posix"))
        parts.append(_read(f"auto.{name}"))
    text = "\n".join(parts)
    default_home = os.path.join(dirs.data_dir(), "envs")  # what named.env_home falls back to
    return (
        text.replace("__BURROW_CLI__", " ".join(quote(w) for w in cli_words()))
        .replace("__BURROW_DEFAULT_HOME__", quote(default_home))
        .replace("__BURROW_SHELL__", name)
    )


def _read(name: str) -> str:
    with open(os.path.join(_HOOKS, name), encoding="utf-8") as handle:
        return handle.read()
