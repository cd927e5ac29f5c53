"""Where burrow keeps its own files: the seed/interpreter cache and the named-env home.

On Linux and other XDG systems the rule is one line and is applied here directly,
because importing ``platformdirs`` costs more than a whole warm ``burrow create``
may spend; macOS and Windows, whose rules are longer, ask ``platformdirs``.
"""

from __future__ import annotations

import os
import sys

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


def data_dir() -> str:
    """The user data dir, e.g. ~/.local/share/burrow."""
    found = _xdg("XDG_DATA_HOME", os.path.join(".local", "share"))
    if found is None:
        import platformdirs

        found = platformdirs.user_data_dir(APP, appauthor=False)
    return found
