"""Where burrow keeps its own files: the seed/interpreter cache and the named-env home.

On Linux and other XDG systems the rule is one line and is applied here directly,
because importing ``platformdirs`` costs more than a whole warm ``burrow create``
may spend; macOS and Windows, whose rules are longer, ask ``platformdirs``.
"""

from __future__ import annotations

import os
import stat
import sys

from burrow import fs
from burrow.errors import BurrowError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict

APP = "burrow"


def _xdg(variable: str, fallback: str) -> str | None:
    """$XDG_… (when absolute) or ~/fallback on XDG systems; None elsewhere."""
    if sys.platform in ("win32", "darwin"):
        return None
    value = os.environ.get(variable, "")
    base = value if os.path.isabs(value) else os.path.join(os.path.expanduser("~"), fallback)
    return os.path.join(base, APP)


def cache_dir() -> str:
    """$BURROW_CACHE_DIR, else the user cache dir, e.g. ~/.cache/burrow."""
    override = os.environ.get("BURROW_CACHE_DIR")
    if override:
        return os.path.abspath(os.path.expanduser(override))
    found = _xdg("XDG_CACHE_HOME", ".cache")
    if found is None:
        import platformdirs

        found = platformdirs.user_cache_dir(APP, appauthor=False)
    return found


class UntrustedCache(BurrowError):
    """The cache directory could be changed by someone else: burrow does not use it."""


_checked: Dict[str, str] = {}


def private_cache_dir() -> str:
    """The cache dir, made (mode 0o700) if missing and refused if others could write to it.

    Burrow links files from the cache into envs and loads records from it, so a cache
    that another user owns or may write to could make it install their code.
    """
    path = cache_dir()
    if path in _checked:
        return path
    fs.private_dir(path)
    problem = ownership_problem(path)
    if problem:
        raise UntrustedCache(
            f"refusing to use the cache {path}: {problem}; "
            f"make it yours and private (chmod 700) or set BURROW_CACHE_DIR"
        )
    _checked[path] = path
    return path


def ownership_problem(path: str) -> str | None:
    """Why another user could change ``path``, e.g. 'it is writable by others'; None if safe."""
    if not hasattr(os, "geteuid"):  # Windows: ACLs, not modes, and profile dirs are private
        return None
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if st.st_uid != os.geteuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"it is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def data_dir() -> str:
    """The user data dir, e.g. ~/.local/share/burrow."""
    found = _xdg("XDG_DATA_HOME", os.path.join(".local", "share"))
    if found is None:
        import platformdirs

        found = platformdirs.user_data_dir(APP, appauthor=False)
    return found
