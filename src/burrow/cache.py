"""burrow's cache as its user sees it: where it is, what it holds, and emptying it safely.

``clean`` may run while other burrow processes build or link entries. Each package entry
is renamed away under the lock its builder takes, then deleted: a concurrent run sees the
entry whole or missing (and rebuilds it), never half-deleted. The other stores (``STORES``)
hold files each written whole by a rename and read as a miss when absent, so they are
emptied file by file; their folders stay, so a writer that just made one never loses it.
Only what burrow makes is removed, and a symlink is removed itself, never followed.
"""

from __future__ import annotations

import os

from burrow import archive, dirs, fs, periodic, store
from burrow._fast import Record, getLogger
from burrow.packages import behind, build, fetch, index, lockcache, lockmemo, tags
from burrow.packages.cache import TRASH_STEM, entry_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, List, Tuple

log = getLogger(__name__)

#: How long ``clean`` waits for a run that is building an entry before leaving it be.
LOCK_TIMEOUT = 60.0

#: (kind, folder under the cache dir, what it holds) of every store of whole files; each
#: folder is named once, by the module that writes the store (its CACHE_FOLDER).
STORES = (
    ("index", index.CACHE_FOLDER, "index pages, package metadata, evaluated dependencies"),
    ("resolutions", f"{index.CACHE_FOLDER}/{lockmemo.CACHE_FOLDER}",
     "remembered resolutions of burrow lock"),
    ("read-locks", lockcache.CACHE_FOLDER, "parsed locks (no-op sync, create -r)"),
    ("downloads", fetch.CACHE_FOLDER, "downloaded wheels and sdists, by sha256"),
    ("built", build.CACHE_FOLDER, "wheels built from sdists"),
    ("pack", archive.CACHE_FOLDER, "compressed members of burrow pack"),
    ("periodic", periodic.CACHE_FOLDER, "stamps of the daily pip check"),
    ("tags", tags.CACHE_FOLDER, "each interpreter's wheel tags, ranked"),
)  # fmt: skip


class CachedPackage(Record):
    """One unpacked package, e.g. pip 24.3.1 for cpython-312, 12 MiB."""

    name: str
    version: str
    tag: str
    size: int
    path: str
    complete: bool  # False: no manifest yet (being built, or interrupted)


class CachedWheel(Record):
    """A wheel fetched from an index and kept for offline use."""

    filename: str
    size: int
    path: str


class CachedStore(Record):
    """One store of whole files, e.g. the index's pages: 812 files, 40 MiB."""

    kind: str  # a name of STORES
    description: str
    path: str
    files: int
    size: int


class CacheSummary(Record):
    path: str
    packages: List[CachedPackage]
    wheels: List[CachedWheel]
    stores: List[CachedStore]
    interpreters: int  # facts about interpreters, one small file each
    total_size: int


class Cleaned(Record):
    removed: int  # packages, wheels and interpreter facts removed
    freed: int  # bytes
    kept: List[str]  # in use by a run that did not let go in time


def location() -> str:
    """The cache directory (which need not exist yet), e.g. ~/.cache/burrow."""
    return dirs.cache_dir()


def summary() -> CacheSummary:
    """What the cache holds; an empty summary when it does not exist."""
    root = location()
    if not os.path.isdir(root):
        return CacheSummary(
            path=root, packages=[], wheels=[], stores=[], interpreters=0, total_size=0
        )
    _check_owner(root)
    packages = []
    for tag_dir, item in _seed_items(root, "seed"):
        if item.name.startswith(".") or not item.is_dir(follow_symlinks=False):
            continue
        name, _, version = item.name.rpartition("-")
        packages.append(
            CachedPackage(
                name=name,
                version=version,
                tag=os.path.basename(tag_dir),
                size=tree_size(item.path),
                path=item.path,
                complete=os.path.isfile(os.path.join(item.path, "manifest")),
            )
        )
    for tag_dir, item in _seed_items(root, "packages"):
        if item.name.startswith(".") or not item.is_dir(follow_symlinks=False):
            continue
        # Package entries are named by their wheel's sha256; the manifest names them.
        manifest = store.load(os.path.join(item.path, "manifest"))
        known = isinstance(manifest, dict)
        packages.append(
            CachedPackage(
                name=str(manifest.get("name", "?")) if known else "?",
                version=str(manifest.get("version", "?")) if known else "?",
                tag=os.path.basename(tag_dir),
                size=tree_size(item.path),
                path=item.path,
                complete=known,
            )
        )
    wheels = [
        CachedWheel(
            filename=item.name, size=item.stat(follow_symlinks=False).st_size, path=item.path
        )
        for item in _scan(os.path.join(root, "wheels"))
        if item.name.endswith(".whl") and item.is_file(follow_symlinks=False)
    ]
    facts = sum(
        1 for item in _scan(os.path.join(root, "interpreters")) if item.name.endswith(".facts")
    )
    stores = []
    for kind, folder, description in STORES:
        path = os.path.join(root, folder)
        items = list(_store_files(root, path))
        files, size = len(items), sum(_size_of(item) for item in items)
        stores.append(CachedStore(kind=kind, description=description, path=path,
                                  files=files, size=size))  # fmt: skip
    packages.sort(key=lambda p: (p.name, p.tag, p.version))
    wheels.sort(key=lambda w: w.filename)
    return CacheSummary(
        path=root,
        packages=packages,
        wheels=wheels,
        stores=stores,
        interpreters=facts,
        total_size=tree_size(root),
    )


def clean() -> Cleaned:
    """Remove every package, wheel, interpreter fact and store file burrow cached; safe
    while other runs use the cache."""
    root = location()
    done = Cleaned(removed=0, freed=0, kept=[])
    if not os.path.isdir(root):
        return done
    _check_owner(root)
    for kind in ("seed", "packages"):
        for tag_dir, item in _seed_items(root, kind):
            _clean_seed_item(tag_dir, item, done)
    for folder, suffix in (("wheels", ".whl"), ("interpreters", ".facts")):
        for item in _scan(os.path.join(root, folder)):
            if item.name.endswith(suffix) or item.is_symlink() or _stale_temp(item.name):
                done.freed += _size_of(item)
                _unlink(item.path)
                done.removed += item.name.endswith(suffix)
    for _, folder, _ in STORES:
        for item in list(_store_files(root, os.path.join(root, folder))):
            size = _size_of(item)
            if _unlink(item.path):
                done.freed += size
                done.removed += 1
        for item in list(_stale_work_dirs(root, os.path.join(root, folder))):
            done.freed += tree_size(item.path)
            fs.remove_tree(item.path)
    behind.sweep()  # jobs of a compile behind that was killed; running ones stay
    return done


def _store_files(root: str, folder: str) -> Iterator[os.DirEntry[str]]:
    """Every file of a store that may go: not a lock file, nor what a live run is writing
    (a hidden name: a '.download-' dir, a temporary file whose owner is alive). Links are
    yielded as files, never followed. A store inside another is its own."""
    for item in _scan(folder):
        if item.name.endswith(".lock") or _is_store(root, item.path):
            continue
        if item.name.startswith("."):
            if _stale_temp(item.name) and not item.is_dir(follow_symlinks=False):
                yield item
        elif item.is_dir(follow_symlinks=False):
            yield from _store_files(root, item.path)
        else:
            yield item


def _stale_work_dirs(root: str, folder: str) -> Iterator[os.DirEntry[str]]:
    """A store's work dirs ('.download-<pid>-<hex>', '.build-<pid>-<hex>') whose run is
    gone: a killed download or build. A live run's, or one without a pid, stays."""
    for item in _scan(folder):
        if not item.is_dir(follow_symlinks=False) or _is_store(root, item.path):
            continue
        if not item.name.startswith("."):
            yield from _stale_work_dirs(root, item.path)
        elif (pid := fs.owner_pid(item.name)) is not None and not fs.pid_alive(pid):
            yield item


def _clean_seed_item(tag_dir: str, item: os.DirEntry[str], done: Cleaned) -> None:
    import filelock

    name = item.name
    if item.is_symlink():  # not burrow's: remove the link, never what it points to
        _unlink(item.path)
    elif name.endswith(".lock"):
        pass  # builders lock these files: deleting one could let two builders in at once
    elif name.startswith((".build-", TRASH_STEM)):
        if not fs.owner_alive(name):  # a live run is still writing or deleting it
            done.freed += tree_size(item.path)
            fs.remove_tree(item.path)
    elif item.is_dir(follow_symlinks=False):
        size = tree_size(item.path)
        try:
            with entry_lock(tag_dir, name).acquire(timeout=LOCK_TIMEOUT):
                fs.discard(item.path, TRASH_STEM)
        except filelock.Timeout:
            done.kept.append(item.path)
            return
        done.freed += size
        done.removed += 1
    else:
        done.freed += _size_of(item)
        _unlink(item.path)


def _seed_items(root: str, kind: str) -> Iterator[Tuple[str, os.DirEntry[str]]]:
    """(tag dir, item) for everything in <cache>/<kind>/v*/<tag>/, kind 'seed' or 'packages'
    (each entry built and removed under the same per-entry lock)."""
    for fmt in _scan(os.path.join(root, kind)):
        if not fmt.is_dir(follow_symlinks=False):
            continue  # a link here is not burrow's: what it points to is never touched
        for tag in _scan(fmt.path):
            if not tag.is_dir(follow_symlinks=False):
                continue
            for item in _scan(tag.path):
                yield tag.path, item


def _is_store(root: str, path: str) -> bool:
    """Whether ``path`` (inside a store) is one of STORES itself."""
    return any(path == os.path.join(root, folder) for _, folder, _ in STORES)


def _scan(folder: str) -> List[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _check_owner(root: str) -> None:
    problem = dirs.ownership_problem(root)
    if problem:
        raise dirs.UntrustedCache(f"refusing to touch the cache {root}: {problem}")


def _stale_temp(name: str) -> bool:
    """A record's temporary file ('.x.facts.<pid>-<hex>.tmp') whose writer is gone."""
    pid = fs.owner_pid(name) if name.endswith(".tmp") else None
    return pid is not None and not fs.pid_alive(pid)


def _unlink(path: str) -> bool:
    """Remove a file; False when another run removed it first."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _size_of(item: os.DirEntry[str]) -> int:
    try:
        return item.stat(follow_symlinks=False).st_size
    except OSError:
        return 0


def tree_size(path: str) -> int:
    """Bytes on disk under ``path``, each file once however many links it has."""
    from burrow.envs import disk_usage

    return disk_usage(path)[0]
