"""The package cache: each wheel unpacked and byte-compiled once per interpreter.

An entry is keyed by the wheel's sha256 and the target's cache tag (``cpython-312``, with
a ``t`` for free-threaded builds): ``<cache>/packages/v1/cpython-312/<sha256>/``. It holds

- ``site/``: what goes into site-packages, every file read-only, and its bytecode once
  compiled (the manifest's ``compiled``: before the command returns, or behind it);
- ``scripts/``, ``data/``, ``headers/``: the wheel's ``.data`` files, placed per env;
- ``manifest``: written last (an entry without one is incomplete and never linked), it
  lists every directory and file (with size and mtime, so a damaged file is seen by the
  same stat that links it), the RECORD lines that hold in every env, the entry points,
  the ``.pth`` files (copied per env, never linked) and the scripts whose ``#!python``
  shebang names the env's interpreter.

Entries are built (``unpack.py``, from a wheel whose sha256 is checked then) under a file
lock, in a staging dir renamed into place; a damaged one is renamed away and rebuilt,
never linked. An entry is compiled in place under the same lock (``compile_entry``), its
manifest then rewritten whole: a run that read the manifest before links the modules
without their .pyc (Python writes those into its env on first import), a run after links
both. The warm path reads one marshal file.
"""

from __future__ import annotations

import os

from burrow import dirs, fs, store
from burrow._fast import Record, getLogger
from burrow.errors import PackageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.packages.bytecode import Compiler

__all__ = [
    "DamagedEntry",
    "Entry",
    "PackageError",
    "compile_entry",
    "ensure_entries",
    "ensure_entry",
    "entry_path",
    "load_entry",
]

log = getLogger(__name__)

#: Bump when the layout of an entry changes; entries of another format are ignored.
ENTRY_FORMAT = 1
MANIFEST = "manifest"
#: Stem of an entry being removed (``fs.discard``); a staging dir's is '.build-<key>-'.
TRASH_STEM = ".trash-"


class Entry(Record):
    """An unpacked, byte-compiled package in the cache, ready to be linked."""

    path: str
    manifest: Dict[str, Any]
    #: (st_dev, st_ino) of its site dir when loaded: a rebuilt entry has another.
    ident: Tuple[int, int] = (0, 0)

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def compiled(self) -> bool:
        """Whether its bytecode is there (entries of older burrows always have it)."""
        return bool(self.manifest.get("compiled", True))


class DamagedEntry(Exception):
    """A cache entry is incomplete or its files changed; it must be rebuilt."""


def root() -> str:
    """Where every entry lives, e.g. ~/.cache/burrow/packages/v1."""
    return os.path.join(dirs.private_cache_dir(), "packages", f"v{ENTRY_FORMAT}")


def tag_dir(info: PythonInfo) -> str:
    """Entries for one interpreter build, e.g. <root>/cpython-312 (cpython-313t free-threaded)."""
    return os.path.join(root(), info.cache_tag + ("t" if info.free_threaded else ""))


def entry_path(sha256: str, info: PythonInfo) -> str:
    return os.path.join(tag_dir(info), sha256)


def load_entry(path: str) -> Entry:
    """The entry at ``path``; DamagedEntry when it is incomplete or of another format."""
    manifest = store.load(os.path.join(path, MANIFEST))
    if not isinstance(manifest, dict) or manifest.get("format") != ENTRY_FORMAT:
        raise DamagedEntry(f"{path} has no valid manifest")
    try:
        st = os.lstat(os.path.join(path, "site"))
    except OSError:
        raise DamagedEntry(f"{path} is missing") from None
    return Entry(path=path, manifest=manifest, ident=(st.st_dev, st.st_ino))


def ensure_entry(wheel: str, sha256: str, info: PythonInfo, *, bytecode: bool = True) -> Entry:
    """The cache entry of ``wheel``, whose sha256 is ``sha256``, for ``info``.

    Warm: one manifest read, the wheel never opened (the entry is that file, hashed when
    the entry was built). Cold: unpacked under the entry's lock; an entry another run
    finished meanwhile is taken as it is, a damaged one is replaced. With ``bytecode``,
    the entry is byte-compiled before it is returned; without, it may not be yet
    (``Entry.compiled``): ``behind.py`` compiles it once the command is done.
    """
    return ensure_entries([(wheel, sha256)], info, bytecode=bytecode)[0]


def ensure_entries(
    wheels: Sequence[Tuple[str, str]], info: PythonInfo, *, bytecode: bool = True
) -> List[Entry]:
    """``ensure_entry`` of each (wheel, sha256), in order; missing ones built side by side.

    A cold entry is mostly waiting on zlib and the disk (and on its compiler process, with
    ``bytecode``), which let go of the GIL, so a few are built at once by threads, each
    under its own entry lock as ever. The first failure in ``wheels``' order is raised,
    once the builds running then are over; those not started yet are not started.
    """
    found: List[Optional[Entry]] = []
    for _wheel, sha256 in wheels:
        try:
            found.append(load_entry(entry_path(sha256, info)))
        except DamagedEntry:
            found.append(None)
    from functools import partial

    todo: List[Tuple[int, Callable[[], Entry]]] = []
    for i, entry in enumerate(found):
        if entry is None:
            todo.append((i, partial(build_entry, *wheels[i], info, bytecode=bytecode)))
        elif bytecode and not entry.compiled:
            todo.append((i, partial(_compiled, entry, wheels[i], info)))
    if len(todo) < 2:
        for i, task in todo:
            found[i] = task()
        return [entry for entry in found if entry is not None]
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(max_workers=min(len(todo), _builders()))
    futures = [executor.submit(task) for _i, task in todo]
    try:
        for (i, _task), future in zip(todo, futures):
            found[i] = future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        executor.shutdown(wait=True)
    return [entry for entry in found if entry is not None]


def _compiled(entry: Entry, wheel: Tuple[str, str], info: PythonInfo) -> Entry:
    """``entry`` byte-compiled now; rebuilt (compiled) if it went away meanwhile."""
    from burrow.packages.bytecode import Compiler

    done = compile_entry(entry.path, Compiler.of(info))
    return done if done is not None else build_entry(*wheel, info)


def _builders() -> int:
    """Entries built at once: one per core, and one more, whose unpacking (in this
    process) goes on while the others' compilers or writes wait."""
    return (os.cpu_count() or 1) + 1


def build_entry(
    wheel: str,
    sha256: Optional[str],
    info: PythonInfo,
    *,
    at: Optional[str] = None,
    bytecode: bool = True,
) -> Entry:
    """(Re)build the entry of ``wheel``: what a damaged or missing entry needs.

    The wheel is hashed before it is unpacked: PackageError when it is not ``sha256`` (any
    digest when None). ``at`` is where the entry goes when not ``entry_path(sha256,
    info)``: the pip seed keeps its entries by name and version, e.g.
    ``<cache>/seed/v3/cpython-312/pip-24.3.1``. With ``bytecode`` it is byte-compiled
    before its manifest is written; without, ``compile_entry`` does that later.
    Under the entry's lock, an entry another run finished meanwhile is taken as it is; a
    damaged one is renamed away before it is deleted, so nobody links from it half-deleted.
    """
    from burrow.packages.bytecode import Compiler
    from burrow.packages.unpack import unpack

    if at is None and sha256 is None:
        raise ValueError("an entry is placed by its sha256 or by `at`")
    target = at if at is not None else entry_path(str(sha256), info)
    folder, key = os.path.split(target)
    os.makedirs(folder, exist_ok=True)
    stem = f".build-{key[:32]}-"
    with entry_lock(folder, key):
        sweep_staging(folder, stem)
        if os.path.lexists(target):
            try:
                entry = load_entry(target)
            except DamagedEntry:
                log.info("rebuilding the damaged cache entry of %s", os.path.basename(wheel))
                fs.discard(target, TRASH_STEM)
            else:
                if bytecode and not entry.compiled:
                    return _compile_locked(entry, Compiler.of(info))
                return entry
        staging = fs.unique_dir(folder, stem)
        try:
            manifest = unpack(wheel, sha256, staging)
            if bytecode:
                site = os.path.join(staging, "site")
                manifest = _with_bytecode(manifest, site, Compiler.of(info))
            manifest["format"] = ENTRY_FORMAT
            # Written last: an entry without its manifest is incomplete and never linked.
            store.dump(os.path.join(staging, MANIFEST), manifest)
            os.rename(staging, target)
        except BaseException:
            fs.remove_tree(staging)
            raise
    return load_entry(target)


def compile_entry(path: str, compiler: Compiler) -> Optional[Entry]:
    """The entry at ``path`` byte-compiled (at once if it was), under its lock; None when
    there is no entry there (never built, removed by ``cache clean``, being rebuilt).

    Envs that linked it before keep their links; those linked after get the bytecode too.
    """
    folder, key = os.path.split(path)
    if not os.path.isdir(path):  # the lock file is not made in a cache that went away
        return None
    with entry_lock(folder, key):
        try:
            entry = load_entry(path)
        except DamagedEntry:
            return None
        return entry if entry.compiled else _compile_locked(entry, compiler)


def _compile_locked(entry: Entry, compiler: Compiler) -> Entry:
    """Compile ``entry`` in place and rewrite its manifest (atomically): the caller holds
    its lock. What a compiler killed half-way left is replaced or removed."""
    from burrow.packages.bytecode import leftovers

    site = os.path.join(entry.path, "site")
    manifest = _with_bytecode(entry.manifest, site, compiler)
    for rel in leftovers(manifest, site):
        fs.try_unlink(os.path.join(site, rel))
    store.dump(os.path.join(entry.path, MANIFEST), manifest)
    return entry.replace(manifest=manifest)


def _with_bytecode(manifest: Dict[str, Any], site: str, compiler: Compiler) -> Dict[str, Any]:
    from burrow.packages.bytecode import compile_tree, sources, with_bytecode

    compile_tree(site, compiler, sources(manifest))
    return with_bytecode(manifest, site, compiler.tag)


def entry_lock(folder: str, key: str) -> Any:
    """The lock held while an entry is built or removed, e.g. for 'pip-24.3.1'."""
    import filelock

    return filelock.FileLock(os.path.join(folder, f".{key}.lock"))


def sweep_staging(folder: str, prefix: str) -> None:
    """Remove what killed runs left: their staging dirs starting with ``prefix``, and trash."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid = fs.owner_pid(name)
        if not name.startswith((prefix, TRASH_STEM)) or pid is None:
            continue
        if not fs.pid_alive(pid):
            try:
                fs.remove_tree(os.path.join(folder, name))
            except OSError as exc:  # e.g. an orphaned compiler still writing there
                log.info("could not remove %s: %s", name, exc)


def mark_damaged(entry: Entry) -> None:
    """Drop the manifest of an entry found damaged while linking, so it is rebuilt.

    Only when the entry there is still that one: one already rebuilt by another run, or
    removed by ``cache clean``, is left alone.
    """
    try:
        if load_entry(entry.path).ident != entry.ident:
            return
        os.unlink(os.path.join(entry.path, MANIFEST))
    except (DamagedEntry, FileNotFoundError):
        pass
