"""Build and trash dirs beside a target env: how every change to an env is staged.

`create` builds a new env in `dir_beside(parent, BUILD_PREFIX)` and renames it into
place; `sync` builds the new state of an env there and swaps it in. What a killed run
left beside its target is swept by the next one (`clean_leftovers`).
"""

from __future__ import annotations

import os

from burrow import fs
from burrow._fast import getLogger
from burrow.environment import BUILD_PREFIX, TRASH_PREFIX
from burrow.errors import TargetError

log = getLogger(__name__)


def dir_beside(parent: str, prefix: str) -> str:
    """A new build or trash dir in ``parent``; the umask applies, as for a venv made in place."""
    try:
        return fs.unique_dir(parent, prefix)
    except FileExistsError:
        raise TargetError(f"cannot make a temporary directory in {parent}") from None
    except OSError as exc:
        raise TargetError(f"cannot create the environment in {parent}: {exc.strerror}") from None


def clean_leftovers(parent: str) -> None:
    """Remove build/trash dirs that a killed burrow left beside its targets."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith((BUILD_PREFIX, TRASH_PREFIX)):
            continue
        if fs.owner_alive(entry.name):
            continue
        log.info("removing %s left by an interrupted run", entry.path)
        remove_quietly(entry.path)


def remove_quietly(path: str) -> None:
    """Delete ``path``; a failure is logged, not raised (the work it staged is done)."""
    try:
        fs.remove_tree(path)
    except OSError as exc:
        log.warning("could not remove %s: %s", path, exc)
