"""``burrow sync``: make an env's packages exactly a lock's, all or nothing.

The data path: read the lock -> diff against what the env has (one listdir) -> nothing to
do: return -> fetch the missing wheels -> ensure their cache entries -> clone the env
beside itself as hard links -> remove and link in the clone -> swap clone and env in one
atomic exchange -> carry over what the user changed in the env meanwhile -> delete the
old tree. A kill at any moment leaves the env as it was or as the lock says; what a killed
run left beside the env is removed by the next run.
"""

from __future__ import annotations

import os

from burrow import fs
from burrow._fast import Record, getLogger
from burrow.environment import BUILD_PREFIX, is_environment, python_of, read_config
from burrow.errors import BurrowError, TargetError
from burrow.staging import clean_leftovers, dir_beside, remove_quietly

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout
    from burrow.packages.cache import Entry
    from burrow.packages.installed import Dist

log = getLogger(__name__)

#: Installed by seeding, not by a lock: kept unless the lock pins them.
SEEDED = ("pip", "setuptools", "wheel")
#: Old env trees left by the two-rename swap of systems without an atomic exchange.
SWAP_PREFIX = ".burrow-swap-"
#: How a snapshot (see clone_tree) marks a directory.
DIRECTORY = -1


class Wheel(Record):
    """A wheel file to install, e.g. Wheel(name='requests', version='2.32.3', path=..., ...)."""

    name: str
    version: str
    path: str
    sha256: str = ""  # '' until needed: a sync with nothing to add hashes nothing
    direct_url: Optional[Dict[str, Any]] = None
    requested: bool = True


class Changes(Record):
    """What a sync changed: added [(name, version)], upgraded [(name, old, new)], …"""

    added: List[Tuple[str, str]]
    upgraded: List[Tuple[str, str, str]]
    downgraded: List[Tuple[str, str, str]]
    removed: List[Tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.added or self.upgraded or self.downgraded or self.removed)


class SyncError(BurrowError):
    """A sync could not finish; the env is unchanged."""


def _reached(step: str) -> None:
    """A named point of a sync ('cloned', 'swapped', …): where the fault suite stops runs."""


def sync(
    env: str | os.PathLike[str],
    lockfile: str | os.PathLike[str],
    constraints: Sequence[str | os.PathLike[str]] = (),
) -> Changes:
    """Make ``env``'s packages exactly ``lockfile``'s, all or nothing.

    >>> sync(".venv", "requirements.lock")  # doctest: +SKIP
    Changes(added=[('requests', '2.32.3')], upgraded=[], downgraded=[], removed=[])

    Only what the env lacks is fetched: an env that already matches costs one listdir.
    """
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed
    from burrow.packages.lockfile import read_lock

    target = _check_env(env)
    _recover(target)
    info = inspect(python_of(target))
    lock = read_lock([os.fspath(lockfile)], [os.fspath(c) for c in constraints], info)
    pins = list(lock.pins)
    unknown = [pin for pin in pins if pin.version is None or pin.name is None]
    wheels = materialize(unknown, info, lock) if unknown else []
    wanted: List[Any] = [pin for pin in pins if pin not in unknown] + wheels
    have = installed.scan(os.path.join(target, plan(info).purelib))
    changes, _drop, add = diff(have, wanted)
    if not changes:
        return changes
    fetched = {w.name: w for w in wheels}
    wheels += materialize([pin for pin in add if pin.name not in fetched], info, lock)
    return sync_wheels(target, _all_wheels(wanted, wheels))


def _all_wheels(wanted: Sequence[Any], wheels: Sequence[Wheel]) -> List[Wheel]:
    """The lock as wheels: those fetched, and the pins already installed as placeholders
    (a pin that matches what the env has is never linked, so it needs no file)."""
    by_name = {w.name: w for w in wheels}
    result = []
    for item in wanted:
        if isinstance(item, Wheel):
            result.append(item)
        elif item.name in by_name:
            result.append(by_name[item.name])
        else:
            result.append(Wheel(name=item.name, version=item.version, path=""))
    return result


def materialize(pins: Sequence[Any], info: PythonInfo, lock: Any) -> List[Wheel]:
    """Wheel files for ``pins`` from the fetcher: downloaded (hash-checked, kept in the
    cache by sha256), local files, sdists and projects built."""
    if not pins:
        return []
    from burrow.packages.fetch import fetch
    from burrow.packages.index import pip_config

    options = lock.options  # a lock's --only-binary/--no-binary hold for its pins
    found = fetch(
        pins,
        info,
        lock.index_config(pip_config()),
        only_binary=frozenset(options.only_binary),
        no_binary=frozenset(options.no_binary),
    )
    return as_wheels(found)


def as_wheels(found: Sequence[Any]) -> List[Wheel]:
    """The engine's ``Wheel`` for each of the fetcher's ``LocalWheel``s."""
    return [
        Wheel(
            name=w.name,
            version=w.version,
            path=w.path,
            sha256=w.sha256,
            direct_url=w.direct_url,
            requested=w.requested,
        )
        for w in found
    ]


def sync_wheels(
    env: str | os.PathLike[str], wheels: Sequence[Wheel], *, keep_others: bool = False
) -> Changes:
    """Make ``env``'s packages exactly ``wheels`` (the seeded pip, setuptools, wheel stay
    unless ``wheels`` has them); with ``keep_others``, only add and replace (``install``)."""
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed

    target = _check_env(env)
    _recover(target)
    info = inspect(python_of(target))
    layout = plan(info)
    have = installed.scan(os.path.join(target, layout.purelib))
    changes, drop, add = diff(have, wheels, keep_others=keep_others)
    if not changes:
        return changes
    _reached("planned")
    with _env_lock(target):
        have = installed.scan(os.path.join(target, layout.purelib))
        # As it is now that no other sync runs.
        changes, drop, add = diff(have, wheels, keep_others=keep_others)
        if not changes:
            return changes
        entries = [(wheel, _entry(wheel, info)) for wheel in add]
        _reached("cached")
        apply(target, info, layout, drop, entries)
    return changes


def install_new(
    build: str, final: str, wheels: Sequence[Wheel], *, relocatable: bool = False
) -> Changes:
    """Install ``wheels`` into a new env being built at ``build`` (to live at ``final``).

    What ``create -r`` does: the env is not in place yet, so it is changed directly.
    """
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed

    info = inspect(python_of(build))
    layout = plan(info)
    changes, drop, add = diff(installed.scan(os.path.join(build, layout.purelib)), wheels)
    changes.removed.clear()  # nothing else is there but the seed, which stays
    from burrow.packages.installed import canonical_name

    drop = [d for d in drop if d.name in {canonical_name(w.name) for w in add}]
    entries = [(wheel, _entry(wheel, info)) for wheel in add]
    _change(build, final, info, layout, drop, entries, relocatable)
    return changes


def pinned_wheels(lockfiles: Sequence[str], info: PythonInfo) -> Optional[List[Wheel]]:
    """The wheels of ``lockfiles`` when they are a lock this engine installs; None for
    requirements with ranges, which pip (or the resolver) handles."""
    from burrow.errors import UnpinnedError
    from burrow.packages.lockfile import read_lock

    try:
        lock = read_lock(list(lockfiles), [], info)
    except UnpinnedError:
        return None
    return materialize(lock.pins, info, lock)


def diff(
    have: Dict[str, Dist], wheels: Sequence[Wheel], *, keep_others: bool = False
) -> Tuple[Changes, List[Dist], List[Wheel]]:
    """What to remove and to add so that ``have`` becomes ``wheels`` (or holds them)."""
    from burrow.packages.installed import canonical_name

    changes = Changes(added=[], upgraded=[], downgraded=[], removed=[])
    drop: List[Dist] = []
    add: List[Wheel] = []
    wanted = {canonical_name(w.name): w for w in wheels}
    for name, dist in sorted(have.items()):
        if name not in wanted and name not in SEEDED and not keep_others:
            changes.removed.append((name, dist.version))
            drop.append(dist)
    for name, wheel in sorted(wanted.items()):
        if name not in have:
            changes.added.append((name, wheel.version))
            add.append(wheel)
            continue
        dist = have[name]
        if _same_version(dist.version, wheel.version):
            continue
        if _newer(wheel.version, dist.version):
            changes.upgraded.append((name, dist.version, wheel.version))
            drop.append(dist)
        else:
            changes.downgraded.append((name, dist.version, wheel.version))
            drop.append(dist)
        add.append(wheel)
    return changes, drop, add


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def _newer(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) > Version(b)
    except InvalidVersion:
        return a > b


def _entry(wheel: Wheel, info: PythonInfo) -> Entry:
    from burrow.packages.cache import ensure_entry

    if not wheel.sha256:
        wheel.sha256 = file_sha256(wheel.path)
    return ensure_entry(wheel.path, wheel.sha256, info)


# --- applying the changes all or nothing ------------------------------------------------


def apply(
    target: str,
    info: PythonInfo,
    layout: Layout,
    drop: Sequence[Dist],
    entries: Sequence[Tuple[Wheel, Entry]],
) -> None:
    """Build the new state of ``target`` in a hard-linked clone beside it and swap it in."""
    parent = os.path.dirname(target)
    clean_leftovers(parent)
    clone = dir_beside(parent, BUILD_PREFIX)
    try:
        snapshot = clone_tree(target, clone)
        _reached("cloned")
        _change(clone, target, info, layout, drop, entries, _is_relocatable(target))
        _reached("built")
        swap(clone, target)
        _reached("swapped")
        # ``clone`` now holds the old tree: what the user did there meanwhile moves over.
        carry_over(clone, target, snapshot)
        _reached("carried")
    finally:
        remove_quietly(clone)


def _change(
    clone: str,
    target: str,
    info: PythonInfo,
    layout: Layout,
    drop: Sequence[Dist],
    entries: Sequence[Tuple[Wheel, Entry]],
    relocatable: bool,
) -> None:
    """Remove ``drop`` from the env being built at ``clone`` and link ``entries`` into it."""
    from burrow.packages import installed
    from burrow.packages.cache import DamagedEntry, build_entry, mark_damaged
    from burrow.packages.linking import link_entry

    for dist in drop:
        moved = dist.replace(dist_info=os.path.join(clone, os.path.relpath(dist.dist_info, target)))
        installed.remove(moved, clone, alias=target)
        _reached("removed")
    for wheel, entry in entries:
        for attempt in (1, 2):
            try:
                link_entry(
                    entry,
                    clone,
                    layout,
                    final_root=target,
                    info=info,
                    relocatable=relocatable,
                    requested=wheel.requested,
                    direct_url=wheel.direct_url,
                )
                break
            except DamagedEntry as exc:
                if attempt == 2:
                    raise SyncError(
                        f"the package cache keeps changing under burrow: {exc}"
                    ) from None
                log.info("cache entry damaged (%s): rebuilding it", exc)
                mark_damaged(entry)
                entry = build_entry(wheel.path, wheel.sha256, info)
        _reached("linked")


def _is_relocatable(target: str) -> bool:
    return "--relocatable" in read_config(target).get("command", "")


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
    next run puts back (see ``_recover``).
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


def _recover(target: str) -> None:
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


def _env_lock(target: str) -> Any:
    """One sync at a time per env (the lock lives in the cache: the env itself is swapped)."""
    import filelock

    from burrow import dirs

    folder = os.path.join(dirs.private_cache_dir(), "locks")
    os.makedirs(folder, exist_ok=True)
    import hashlib

    key = hashlib.sha256(os.fsencode(os.path.realpath(target))).hexdigest()[:16]
    return filelock.FileLock(os.path.join(folder, f"env-{key}.lock"))


# --- the env and the lock ----------------------------------------------------------------


def _check_env(env: str | os.PathLike[str]) -> str:
    target = os.path.abspath(os.fspath(env))
    if os.path.islink(target):
        raise TargetError(f"{target} is a symbolic link; give the real directory instead")
    if not is_environment(target) and (os.path.lexists(target) or not _swapped_aside(target)):
        raise TargetError(f"{target} is not a virtual environment (no pyvenv.cfg)")
    return target


def _swapped_aside(target: str) -> bool:
    parent, name = os.path.split(target)
    try:
        return any(n.startswith(SWAP_PREFIX) and n.endswith(f"-{name}") for n in os.listdir(parent))
    except OSError:
        return False


def local_wheel(path: str, **extra: Any) -> Wheel:
    """A Wheel for a file on disk: 'aa-1.0-py3-none-any.whl' -> name 'aa', version '1.0'."""
    parts = os.path.basename(path)[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise SyncError(f"{os.path.basename(path)} is not a wheel file name")
    return Wheel(name=parts[0], version=parts[1], path=path, **extra)


def file_sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def summary_lines(changes: Changes) -> Iterable[str]:
    """uv-like lines: '- flask==2.3.0', '+ flask==3.0.3', sorted by name."""
    rows: List[Tuple[str, str]] = []
    for name, version in changes.removed:
        rows.append((name, f"- {name}=={version}"))
    for name, old, new in changes.upgraded + changes.downgraded:
        rows += [(name, f"- {name}=={old}"), (name, f"+ {name}=={new}")]
    for name, version in changes.added:
        rows.append((name, f"+ {name}=={version}"))
    return [text for _name, text in sorted(rows, key=lambda row: (row[0], row[1][0] == "+"))]
