"""The home of named environments: $BURROW_HOME, $WORKON_HOME, or the user data dir."""

from __future__ import annotations

import os

from burrow import fs
from burrow.errors import TargetError


def env_home() -> str:
    """Where named envs live, e.g. ~/.local/share/burrow/envs."""
    for variable in ("BURROW_HOME", "WORKON_HOME"):
        value = os.environ.get(variable)
        if value:
            return os.path.abspath(os.path.expanduser(value))
    from burrow import dirs

    return os.path.join(dirs.data_dir(), "envs")


def make_home() -> str:
    """The named-env home, created readable by its owner only (0o700) when missing."""
    home = env_home()
    fs.private_dir(home)
    return home


def check_name(name: str) -> str:
    """A name is one plain path component: 'web-api' yes, '../x', '.', 'a/b' no."""
    if (
        not name
        or name in (".", "..")
        or name.startswith("-")
        or any(sep in name for sep in ("/", "\\", os.sep, os.pathsep, "\0"))
    ):
        raise TargetError(f"{name!r} is not a valid environment name (one plain word, no slashes)")
    return name


def env_home_path(name: str) -> str:
    """The path of the named env ``name`` (which need not exist yet)."""
    return os.path.join(env_home(), check_name(name))
