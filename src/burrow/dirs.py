"""Where burrow keeps its own files: the seed/interpreter cache and the named-env home."""

from __future__ import annotations

import os
from pathlib import Path

APP = "burrow"


def cache_dir() -> Path:
    """$BURROW_CACHE_DIR, else the platform's user cache dir, e.g. ~/.cache/burrow."""
    override = os.environ.get("BURROW_CACHE_DIR")
    if override:
        return Path(override).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def data_dir() -> Path:
    """The platform's user data dir, e.g. ~/.local/share/burrow."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))
