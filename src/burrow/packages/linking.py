"""Linking a cache entry into an env: a normal install that pip recognises as its own.

Files of the entry are hard-linked (copied where the filesystem cannot link); what
differs per env is written per env and never linked: RECORD, INSTALLER (``burrow``),
REQUESTED, ``direct_url.json`` (PEP 610), console and GUI scripts naming this env's
python, the wheel's ``#!python`` scripts, and ``.pth`` files.
"""

from __future__ import annotations

import os

from burrow import fs
from burrow._fast import record_hash, record_line
from burrow.packages.behind import bytecode_later
from burrow.packages.cache import DamagedEntry, load_entry
from burrow.scripts import write_console_script

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout
    from burrow.packages.cache import Entry


def link_entry(
    entry: Entry,
    build_root: str,
    layout: Layout,
    *,
    final_root: str,
    info: PythonInfo,
    relocatable: bool = False,
    requested: bool = True,
    direct_url: Optional[Dict[str, Any]] = None,
) -> None:
    """Install ``entry`` into the env at ``build_root``, which will live at ``final_root``.

    Raises DamagedEntry when a cached file is missing or changed (nothing of it is then
    trusted: the caller rebuilds the entry and links again).
    """
    manifest = entry.manifest
    site = os.path.join(build_root, layout.purelib)
    source = os.path.join(entry.path, "site")
    dirs, files = manifest["dirs"], manifest["files"]
    if _AT_CALLS and bytecode_later(entry, site, final_root, layout.purelib):
        dirs, files = _without_bytecode(dirs, files)
    link_files(source, site, dirs, files)
    written: List[str] = []
    for rel in manifest["pth"]:  # per env: a .pth is read and often rewritten by tools
        with open(os.path.join(source, rel), "rb") as handle:
            data = handle.read()
        _new_file(os.path.join(site, rel), data)
    bin_dir = os.path.join(build_root, layout.scripts)
    final_bin = os.path.join(final_root, layout.scripts)
    spill = manifest["spill"]
    for kind, folder in _spill_targets(build_root, layout, info, manifest["name"]).items():
        if kind in spill:
            os.makedirs(folder, exist_ok=True)
            link_files(
                os.path.join(entry.path, kind), folder, spill[kind]["dirs"], spill[kind]["files"]
            )
            written += [os.path.join(folder, rel) for rel, *_ in spill[kind]["files"]]
    if "scripts" in spill:
        os.makedirs(bin_dir, exist_ok=True)
        python = os.path.join(final_bin, layout.python_names[0])
        for rel, *_ in spill["scripts"]["files"]:
            path = os.path.join(bin_dir, rel)
            if rel in manifest["shebang"]:
                _rewrite_shebang(
                    os.path.join(entry.path, "scripts", rel), path, python, relocatable
                )
    if manifest["scripts"]:
        os.makedirs(bin_dir, exist_ok=True)
        written += _write_scripts(entry, bin_dir, final_bin, info, layout, relocatable)
    _write_metadata(entry, site, written, requested, direct_url)
    try:
        st = os.lstat(source)
    except FileNotFoundError:
        raise DamagedEntry(f"{entry.path} was removed while being linked") from None
    if (st.st_dev, st.st_ino) != entry.ident:
        # Rebuilt while we linked: some files may come from each build.
        raise DamagedEntry(f"{entry.path} was replaced while being linked")


def link_bytecode(path: str, ident: Tuple[int, int], site_fd: int) -> bool:
    """Link the ``__pycache__`` folders of the entry at ``path`` (as it was when linked:
    ``ident``) into the site-packages open as ``site_fd``, where ``link_entry`` left them
    out (``behind.bytecode_later``); whether it was. A file already there is kept (Python
    may have written it on an import meanwhile), and a cached file changed since stops it:
    the rest is left to Python.

    A module's bytecode is linked only while its source is in the env, checked just before:
    a package uninstalled meanwhile, or an env being deleted (``rm -rf`` right after the
    create), gets no ``__pycache__`` made again in a folder just emptied, which would make
    its removal fail with "Directory not empty".
    """
    try:
        entry = load_entry(path)
    except DamagedEntry:
        return False
    if entry.ident != tuple(ident):
        return False  # rebuilt since: its modules are not the env's
    by_folder: Dict[str, List[Sequence[Any]]] = {}
    for file in entry.manifest["files"]:
        if _is_bytecode(file[0]):
            by_folder.setdefault(file[0].rpartition("/")[0], []).append(file)
    with _Folders(os.path.join(path, "site"), "", dst_fd=site_fd) as folders:
        src_fd = folders.src_fd
        for folder, files in by_folder.items():
            if not any(_has_source(rel, site_fd) for rel, *_ in files):
                continue  # no module of it left: no folder to make
            try:
                os.mkdir(folder, dir_fd=site_fd)
            except FileExistsError:
                pass  # Python made it meanwhile
            except FileNotFoundError:
                continue  # the package is gone
            for rel, size, mtime in files:
                try:
                    st = os.stat(rel, dir_fd=src_fd)
                except FileNotFoundError:
                    return False
                if st.st_size != size or st.st_mtime_ns != mtime:
                    return False
                if not _has_source(rel, site_fd):
                    continue
                try:
                    os.link(rel, rel, src_dir_fd=src_fd, dst_dir_fd=site_fd)
                except (FileExistsError, FileNotFoundError):
                    continue
                except OSError as exc:
                    if cannot_link(exc):
                        return False
                    raise
    return True


def _has_source(pyc: str, site_fd: int) -> bool:
    """Whether the module ``pyc`` (``pkg/__pycache__/mod.cpython-312.pyc``) was compiled
    from is in the site-packages open as ``site_fd``."""
    folder, _, name = pyc.rpartition("/")
    parent = folder.rpartition("/")[0]
    source = f"{parent}/{name.partition('.')[0]}.py" if parent else f"{name.partition('.')[0]}.py"
    try:
        os.stat(source, dir_fd=site_fd)
    except OSError:
        return False
    return True


def _without_bytecode(
    dirs: Sequence[str], files: Sequence[Sequence[Any]]
) -> Tuple[List[str], List[Sequence[Any]]]:
    return (
        [rel for rel in dirs if not _is_bytecode_dir(rel)],
        [file for file in files if not _is_bytecode(file[0])],
    )


def _is_bytecode_dir(rel: str) -> bool:
    return rel == "__pycache__" or rel.endswith("/__pycache__")


def _is_bytecode(rel: str) -> bool:
    return rel.startswith("__pycache__/") or "/__pycache__/" in rel


def writes_apart(entries: Sequence[Entry], layout: Layout, info: PythonInfo) -> bool:
    """Whether no two ``entries`` write one path of an env (a file, a .pth, a script):
    then the order they are linked in changes nothing, and they can be linked side by
    side. Paths are compared without case, scripts without extension (a superset of the
    real clashes only costs the parallelism).

    Entries whose top-level names in site-packages, other files and scripts all differ
    cannot clash: that is checked first, without listing every path (thousands per env).
    """
    seen: Set[str] = set()
    for entry in entries:
        mine = _roots_written(entry, layout, info)
        if not seen.isdisjoint(mine):
            return _paths_apart(entries, layout, info)
        seen |= mine
    return True


def _paths_apart(entries: Sequence[Entry], layout: Layout, info: PythonInfo) -> bool:
    seen: Set[str] = set()
    for entry in entries:
        mine = set(_paths_written(entry, layout, info))
        if not seen.isdisjoint(mine):
            return False
        seen |= mine
    return True


def _roots_written(entry: Entry, layout: Layout, info: PythonInfo) -> Set[str]:
    """What ``_paths_written`` gives, but for a file in a folder of site-packages, only
    that top-level folder (the bytecode of top-level modules, which every such dist puts in
    one ``__pycache__``, by its own name): two entries that share none of these write no
    path alike."""
    manifest = entry.manifest
    site = layout.purelib.replace(os.sep, "/").lower() + "/"
    roots = {site + rel.lower() for rel in manifest["dirs"] if "/" not in rel}
    roots.discard(site + "__pycache__")
    roots.update(
        site + rel.lower()
        for rel, *_ in manifest["files"]
        if "/" not in rel or (rel.startswith("__pycache__/") and rel.count("/") == 1)
    )
    roots.update(_paths_written(entry, layout, info, files=False))
    return roots


def _paths_written(
    entry: Entry, layout: Layout, info: PythonInfo, files: bool = True
) -> Iterator[str]:
    """Every path ``link_entry`` writes for ``entry``, relative to the env, normalised;
    without ``files``, all but the entry's files in site-packages."""
    manifest = entry.manifest
    site = layout.purelib.replace(os.sep, "/")
    scripts = layout.scripts.replace(os.sep, "/").lower() + "/"
    paths = [f"{site}/{rel}" for rel, *_ in manifest["files"]] if files else []
    paths += [f"{site}/{rel}" for rel in manifest["pth"]]
    paths.append(f"{site}/{manifest['dist_info']}/RECORD")
    for kind, folder in _spill_targets("", layout, info, manifest["name"]).items():
        if kind in manifest["spill"]:
            paths += [os.path.join(folder, rel) for rel, *_ in manifest["spill"][kind]["files"]]
    paths += [scripts + name for name, *_ in _script_names(entry, info)]
    for path in paths:
        key = path.replace(os.sep, "/").lower()
        if key.startswith(scripts):
            key = os.path.splitext(key)[0]  # pip.exe on Windows
        yield key


def link_side_by_side(tasks: Sequence[Callable[[], None]], threads: int = 2) -> None:
    """Run ``tasks`` (each links one entry) on ``threads`` threads: linking is system calls
    that release the GIL (link, mkdir, stat), so two cores do it in about half the time.
    The first failure stops what has not started and is raised once every thread is done."""
    if len(tasks) < 2 or threads < 2:
        for task in tasks:
            task()
        return
    import threading

    lock = threading.Lock()
    pending = list(reversed(tasks))  # taken from the end: in the order given
    failed: List[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                if failed or not pending:
                    return
                task = pending.pop()
            try:
                task()
            except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
                with lock:
                    failed.append(exc)
                return

    helpers = [
        threading.Thread(target=work, name="burrow-link", daemon=True) for _ in range(threads - 1)
    ]
    for helper in helpers:
        helper.start()
    try:
        work()
    finally:
        with lock:  # interrupted here (Ctrl-C): the helpers stop after their current task
            pending.clear()
        for helper in helpers:
            helper.join()
    if failed:
        raise failed[0]


def _spill_targets(root: str, layout: Layout, info: PythonInfo, name: str) -> Dict[str, str]:
    """Where a wheel's .data dirs go in an env, as pip puts them in a venv."""
    major, minor, _ = info.version
    headers = os.path.join(root, "include", "site", f"python{major}.{minor}", name)
    return {"scripts": os.path.join(root, layout.scripts), "data": root, "headers": headers}


def _rewrite_shebang(source: str, dest: str, python: str, relocatable: bool) -> None:
    from burrow.scripts import script_head

    with open(source, "rb") as handle:
        handle.readline()  # the placeholder line installer wrote
        body = handle.read()
    head = script_head(python, relocatable).encode("utf-8")
    os.unlink(dest)  # the hard link made with the rest: the cached file stays as it is
    fs.replace_file(dest, head + body, 0o755)


def _write_metadata(
    entry: Entry,
    site: str,
    written: Sequence[str],
    requested: bool,
    direct_url: Optional[Dict[str, Any]],
) -> None:
    """INSTALLER, REQUESTED, direct_url.json and RECORD, which name this env's files."""
    dist_rel = entry.manifest["dist_info"]
    dist_info = os.path.join(site, dist_rel)
    lines = list(entry.manifest["record"])
    for path in written:
        lines.append(record_line(path, os.path.relpath(path, site).replace(os.sep, "/")))
    extra = [("INSTALLER", b"burrow\n")]
    if requested:
        extra.append(("REQUESTED", b""))
    if direct_url is not None:
        import json

        extra.append(("direct_url.json", json.dumps(direct_url, sort_keys=True).encode()))
    for name, data in extra:
        _new_file(os.path.join(dist_info, name), data)
        lines.append(f"{dist_rel}/{name},{record_hash(data)},{len(data)}")
    lines.append(f"{dist_rel}/RECORD,,")
    _new_file(os.path.join(dist_info, "RECORD"), ("\n".join(lines) + "\n").encode())


def _new_file(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write a file the env being built lacks (it is swapped in whole later); whatever is
    there already is replaced, never written through: it may be a hard link shared with
    the live env or the cache."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except FileExistsError:
        fs.replace_file(path, data, mode)
        return
    with open(fd, "wb") as handle:
        handle.write(data)


#: Whether stat, link and mkdir take a directory's descriptor (POSIX): names are then
#: looked up from the entry's and the env's folder, not walked from / each time. Bytecode
#: is linked behind the command (when asked to: ``behind.LINK_LATER``) only then (by
#: descriptor: the env is renamed meanwhile).
_AT_CALLS = {os.stat, os.link, os.mkdir, os.unlink} <= os.supports_dir_fd


def link_files(source: str, dest: str, dirs: Sequence[str], files: Sequence[Sequence[Any]]) -> None:
    """Hard-link ``files`` ([rel, size, mtime_ns]) from ``source`` into ``dest``.

    The stat that each link needs anyway shows a file truncated, missing or rewritten
    since it was cached: DamagedEntry then. Copies are made (mtime kept, so the cached
    bytecode stays valid) where the filesystem cannot link.

    One thread per entry: entries are linked side by side (``link_side_by_side``), and two
    threads on one entry's thousands of short system calls mostly wait on each other for
    the GIL (measured slower on tmpfs and a journalled ext4, even on a lone pip).
    """
    with _Folders(source, dest) as folders:
        _make_dirs(folders, dirs)
        _link_some(folders, files)


def _make_dirs(folders: _Folders, dirs: Sequence[str]) -> None:
    """Each of ``dirs`` (parents first: one mkdir each) in the env's folder."""
    mkdir, prefix, dir_fd = os.mkdir, folders.dst_prefix, folders.dst_fd
    for rel in dirs:
        try:
            mkdir(prefix + rel, dir_fd=dir_fd)
        except FileExistsError:
            pass


class _Folders:
    """The entry's folder and the env's, as descriptors where the calls take them (else
    as path prefixes): ``src_prefix + rel`` with ``dir_fd=src_fd`` names a cached file."""

    def __init__(self, source: str, dest: str, dst_fd: Optional[int] = None) -> None:
        self.source, self.dest = source, dest
        self.src_fd: Optional[int] = None
        self.dst_fd: Optional[int] = dst_fd
        self.own_dst = dst_fd is None
        # Plain concatenation: os.path.join ten thousand times is a measurable share.
        self.src_prefix, self.dst_prefix = source + os.sep, dest + os.sep

    def __enter__(self) -> _Folders:
        if _AT_CALLS:
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
            try:
                self.src_fd = os.open(self.source, flags)
            except FileNotFoundError:
                raise DamagedEntry(f"{self.source} is missing") from None
            if self.own_dst:
                try:
                    self.dst_fd = os.open(self.dest, flags)
                except BaseException:
                    os.close(self.src_fd)
                    raise
            self.src_prefix = self.dst_prefix = ""
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in (self.src_fd, self.dst_fd if self.own_dst else None):
            if fd is not None:
                os.close(fd)


def _link_some(folders: _Folders, files: Sequence[Sequence[Any]]) -> None:
    native = os.sep == "/"
    stat, link = os.stat, os.link
    src_fd, dst_fd = folders.src_fd, folders.dst_fd
    src_prefix, dst_prefix = folders.src_prefix, folders.dst_prefix
    copying = False
    for rel, size, mtime in files:
        if not native:
            rel = rel.replace("/", os.sep)
        src = src_prefix + rel
        dst = dst_prefix + rel
        try:
            st = stat(src, dir_fd=src_fd)
        except FileNotFoundError:
            raise DamagedEntry(f"{folders.source}{os.sep}{rel} is missing") from None
        if st.st_size != size or st.st_mtime_ns != mtime:
            raise DamagedEntry(f"{folders.source}{os.sep}{rel} changed since it was cached")
        if copying:
            _copy_writable(folders.source + os.sep + rel, folders.dest + os.sep + rel)
            continue
        try:
            link(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        except FileExistsError:
            # Another dist's file at the same path: the later one wins, as pip.
            os.unlink(dst, dir_fd=dst_fd)
            link(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        except OSError as exc:
            if not cannot_link(exc):
                raise
            copying = True
            _copy_writable(folders.source + os.sep + rel, folders.dest + os.sep + rel)


def cannot_link(exc: OSError) -> bool:
    """Errors that mean 'no hard links here' (other filesystem, no support, too many)."""
    import errno

    return exc.errno in (
        errno.EXDEV,
        errno.EPERM,
        errno.EMLINK,
        errno.EACCES,
        errno.ENOTSUP,
        errno.ENOSYS,
    )


def _copy_writable(src: str, dst: str) -> None:
    """A private copy (mtime kept, so the cached .pyc stays valid) the user may edit."""
    import shutil

    shutil.copy2(src, dst)
    os.chmod(dst, os.stat(dst).st_mode | 0o200)


def _write_scripts(
    entry: Entry, bin_dir: str, final_bin: str, info: PythonInfo, layout: Layout, relocatable: bool
) -> List[str]:
    python = os.path.join(final_bin, "python.exe" if layout.windows else layout.python_names[0])
    return [
        write_console_script(
            bin_dir,
            name,
            module,
            attr,
            kind=kind,
            python=python,
            relocatable=relocatable,
            windows=layout.windows,
        )
        for name, module, attr, kind in _script_names(entry, info)
    ]


def _script_names(entry: Entry, info: PythonInfo) -> Iterator[List[str]]:
    """The entry points to write; pip's versioned name follows the target (pip3.12)."""
    major, minor, _ = info.version
    for name, module, attr, kind in entry.manifest["scripts"]:
        if entry.name == "pip" and name.startswith("pip") and "." in name:
            continue  # a pipX.Y from the machine that built the wheel
        yield [name, module, attr, kind]
        if entry.name == "pip" and name == f"pip{major}":
            yield [f"pip{major}.{minor}", module, attr, kind]
