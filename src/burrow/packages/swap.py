"""An env changed all or nothing: cloned beside itself as hard links, the clone changed,
then swapped in with one atomic exchange, and what the user did meanwhile carried over.

``burrow sync`` (``sync.apply``) drives these steps; a run killed between them leaves the
env as it was or as it should be, and ``recover`` puts back a tree a two-rename swap left
aside.
"""

from __future__ import annotations

import os

from burrow import fs
from burrow._fast import getLogger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict

log = getLogger(__name__)

#: Old env trees left by the two-rename swap of systems without an atomic exchange.
SWAP_PREFIX = ".burrow-swap-"
#: How a snapshot (see clone_tree) marks a directory.
DIRECTORY = -1


def clone_tree(source: str, dest: str) -> Dict[str, int]:
    """Hard-link every file of ``source`` into the (existing, empty) ``dest``.

    Directories are made anew with their modes, symlinks copied as symlinks. Returns what
    the tree was at this moment: the inode of every file and link by relative path, and
    DIRECTORY for each directory.
    """
    snapshot: Dict[str, int] = {}
    os.chmod(dest, os.stat(source).st_mode & 0o7777)
    link = os.link
    pending = [""]
    while pending:
        rel = pending.pop()
        src_dir = os.path.join(source, rel)
        with os.scandir(src_dir) as items:
            listing = list(items)
        for item in listing:
            child = item.name if not rel else rel + os.sep + item.name
            dst = os.path.join(dest, child)
            if item.is_dir(follow_symlinks=False):
                os.mkdir(dst)
                os.chmod(dst, item.stat(follow_symlinks=False).st_mode & 0o7777)
                snapshot[child] = DIRECTORY
                pending.append(child)
                continue
            snapshot[child] = item.inode()
            if item.is_symlink():
                os.symlink(os.readlink(item.path), dst)
                continue
            try:
                link(item.path, dst)
            except OSError as exc:
                from burrow.packages.linking import cannot_link

                if not cannot_link(exc):
                    raise
                import shutil

                shutil.copy2(item.path, dst, follow_symlinks=False)
    return snapshot


def carry_over(old: str, new: str, snapshot: Dict[str, int]) -> None:
    """Bring into ``new`` what the user changed in ``old`` since ``snapshot`` was taken:
    files created or replaced there move over, files deleted there are deleted here (when
    the sync did not itself change them). Nothing the user wrote is lost.
    """
    seen = set()
    pending = [""]
    while pending:
        rel = pending.pop()
        try:
            with os.scandir(os.path.join(old, rel)) as items:
                listing = list(items)
        except FileNotFoundError:
            continue
        for item in listing:
            child = item.name if not rel else rel + os.sep + item.name
            there = os.path.join(new, child)
            if item.is_dir(follow_symlinks=False):
                if child not in snapshot and not os.path.lexists(there):
                    _move(item.path, there)  # a folder made meanwhile, with its contents
                else:
                    pending.append(child)
                continue
            seen.add(child)
            before = snapshot.get(child)
            if before == item.inode():
                continue  # as it was when cloned (an edit in place is shared anyway)
            if before is None and os.path.lexists(there):
                log.warning("%s was created during the sync and by it; keeping the user's", child)
            _move(item.path, there)
    for child, inode in snapshot.items():
        if child in seen or inode == DIRECTORY:
            continue
        there = os.path.join(new, child)
        try:
            if os.lstat(there).st_ino == inode:  # removed meanwhile, untouched by the sync
                os.unlink(there)
        except FileNotFoundError:
            pass


def _move(source: str, dest: str) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    os.replace(source, dest)


def swap(new: str, target: str) -> None:
    """Exchange ``new`` and ``target`` atomically, so ``new`` then holds the old tree.

    Without an atomic exchange (old kernels, some filesystems) two renames do it; a run
    killed between them leaves the old tree under a ``.burrow-swap-`` name, which the
    next run puts back (see ``recover``).
    """
    if _exchange(new, target):
        return
    parent, name = os.path.split(target)
    aside = os.path.join(parent, fs.unique_name(SWAP_PREFIX, f"-{name}"))
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    os.rename(aside, new)


def _exchange(a: str, b: str) -> bool:
    """renameat2(RENAME_EXCHANGE) on Linux, renamex_np(RENAME_SWAP) on macOS; False when
    neither is there or the filesystem refuses."""
    import ctypes
    import errno
    import sys

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(os.fsencode(a), os.fsencode(b), 2)  # RENAME_SWAP
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), b)


def recover(target: str) -> None:
    """Put back an env a killed two-rename swap left aside (only when target is gone)."""
    if os.path.lexists(target):
        return
    parent, name = os.path.split(target)
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for item in names:
        if item.startswith(SWAP_PREFIX) and item.endswith(f"-{name}"):
            log.warning("putting back %s, left aside by an interrupted sync", target)
            os.rename(os.path.join(parent, item), target)
            return


def swapped_aside(target: str) -> bool:
    """Whether a killed two-rename swap left ``target``'s tree aside."""
    parent, name = os.path.split(target)
    try:
        return any(n.startswith(SWAP_PREFIX) and n.endswith(f"-{name}") for n in os.listdir(parent))
    except OSError:
        return False
