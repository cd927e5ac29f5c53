"""A deterministic ``.tar.gz`` of an env's members, written all or nothing (``burrow pack``).

Every member has the same owner (0), mtime and gzip header, and members are sorted by the
caller, so the same members pack to the same bytes. Byte-code caches (timestamp-checked
``.pyc``) get the fixed mtime of their source written in, so they stay valid after
unpacking. The tar stream is cut into gzip members compressed on every core; a package
whose files are unchanged since it was last packed reuses its compressed bytes from
burrow's cache.
"""

from __future__ import annotations

import os
import stat

from burrow import fs
from burrow._fast import getLogger
from burrow.errors import BurrowError

#: Compressed members of `burrow pack`, under the cache dir (`burrow cache`).
CACHE_FOLDER = "pack"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, List, Optional, Tuple

log = getLogger(__name__)

#: Every member's mtime: 1980-01-01, the oldest a zip can hold, so tools that convert agree.
MTIME = 315532800
#: Uncompressed bytes per gzip member; members are compressed on every core.
CHUNK = 1 << 20
LEVEL = 6
_BLOCK = 512


class Member:
    """One archive member: its name, kind, mode and where its bytes come from."""

    __slots__ = ("data", "kind", "mode", "name", "source", "target")

    def __init__(
        self,
        name: str,
        kind: str,  # "dir", "file", "link"
        mode: int,
        source: Optional[str] = None,
        data: Optional[bytes] = None,
        target: str = "",
    ) -> None:
        self.name = name
        self.kind = kind
        self.mode = mode
        self.source = source
        self.data = data
        self.target = target

    def read(self, limit: int = -1) -> bytes:
        """The member's bytes: ``data`` when it was rewritten, else its file's."""
        if self.data is not None:
            return self.data
        with open(self.source or "", "rb") as handle:
            return handle.read(limit)


def walk(root: str, prefix: str, skip: Tuple[str, ...] = ()) -> Iterator[Member]:
    """Every entry under ``root`` as a member named ``prefix/relative path``; links kept."""
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        rel = "" if rel == "." else rel
        dirs[:] = sorted(d for d in dirs if os.path.join(rel, d) not in skip)
        for name in dirs + sorted(files):
            path = os.path.join(folder, name)
            arcname = os.path.join(prefix, rel, name) if (prefix or rel) else name
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                yield Member(arcname, "link", 0o777, target=os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                yield Member(arcname, "dir", mode)
                if os.path.islink(path):
                    continue
            elif stat.S_ISREG(st.st_mode):
                yield Member(arcname, "file", mode, source=path)
            # sockets, fifos and devices have no place in an env: left out


def write(output: str, members: List[Member]) -> None:
    """The members as a deterministic ``.tar.gz``: written beside ``output``, then renamed.

    The tar stream is cut into gzip members (which concatenate into one valid stream) and
    compressed on every core. Each package in a site-packages whose files are unchanged
    (the same inode, size and times as when it was last packed: a cache entry's links stay
    so) is its own run of gzip members, kept in burrow's cache and reused as they are.
    """
    fs.replace_with(output, lambda temp: _write_new(temp, members))


def _write_new(temp: str, members: List[Member]) -> None:
    import itertools
    from concurrent.futures import Future, ThreadPoolExecutor

    workers = max(1, min(8, os.cpu_count() or 1))
    store = _member_store()
    total = 0
    with open(temp, "xb") as handle, ThreadPoolExecutor(workers) as pool:
        pending: List[Future[bytes]] = []

        def compress(data: bytes) -> List[Future[bytes]]:
            pieces = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
            return [pool.submit(_gzip_member, piece) for piece in pieces]

        def drain(limit: int) -> None:
            while len(pending) > limit:
                handle.write(pending.pop(0).result())

        buffer: List[bytes] = []
        buffered = 0
        for group, run in itertools.groupby(members, key=_package_of):
            run_members = list(run)
            key = _run_key(run_members) if group else None
            if key is None:
                for member in run_members:
                    pieces = _tar_member(member)
                    buffer += pieces
                    buffered += sum(map(len, pieces))
                    if buffered >= CHUNK:
                        total += buffered
                        pending += compress(b"".join(buffer))
                        buffer, buffered = [], 0
                drain(2 * workers)
                continue
            if buffer:  # what came before this package is compressed apart from it
                total += buffered
                pending += compress(b"".join(buffer))
                buffer, buffered = [], 0
            cached = _load_run(store, key) if store else None
            if cached is None:
                data = b"".join(p for m in run_members for p in _tar_member(m))
                futures = compress(data)
                compressed = b"".join(f.result() for f in futures)
                if store:
                    _save_run(store, key, len(data), compressed)
                cached = (len(data), compressed)
            drain(0)
            handle.write(cached[1])
            total += cached[0]
        total += buffered + 2 * _BLOCK
        buffer.append(b"\0" * (2 * _BLOCK + -total % (20 * _BLOCK)))  # tar's end, a record
        pending += compress(b"".join(buffer))
        drain(0)
    if store:
        prune_runs(store)


def _package_of(member: Member) -> str:
    """'lib/python3.12/site-packages/numpy' for every member of that package; '' otherwise."""
    parts = member.name.split("/")
    if "site-packages" in parts[:-1]:
        at = parts.index("site-packages")
        return "/".join(parts[: at + 2])
    return ""


def _run_key(members: List[Member]) -> Optional[str]:
    """A name for the archive bytes of these members, from what they are on disk; None
    when one of them was rewritten for the archive (its bytes are not the file's)."""
    import hashlib

    digest = hashlib.sha256(f"{_FORMAT} {MTIME} {LEVEL} {CHUNK}".encode())
    for member in members:
        if member.data is not None:
            return None
        digest.update(f"\0{member.name}\0{member.kind}\0{member.mode}\0{member.target}".encode())
        if member.kind == "file":
            st = os.stat(member.source or "")
            # Not ctime: linking a cache entry into one more env changes it.
            stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            digest.update(repr(stamp).encode())
    return digest.hexdigest()


_FORMAT = 1  # bump when what a run's bytes are made of changes


def _member_store() -> Optional[str]:
    from burrow import dirs

    try:
        return os.path.join(dirs.private_cache_dir(), CACHE_FOLDER)
    except (BurrowError, OSError):
        return None  # packing works without it, only slower


#: A packed run no pack has used for this long is removed from the cache (its mtime is
#: when it was last used), looked for at most once per UNUSED_CHECK.
UNUSED_FOR = 30 * 24 * 3600
UNUSED_CHECK = 24 * 3600
_CHECKED = "last-pruned"


def _load_run(store: str, key: str) -> Optional[Tuple[int, bytes]]:
    path = os.path.join(store, key[:2], key)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        os.utime(path)  # used now: kept UNUSED_FOR from now
    except OSError:
        return None
    if len(data) < 8:
        return None
    return int.from_bytes(data[:8], "big"), data[8:]


def prune_runs(store: str, now: Optional[float] = None) -> int:
    """Remove the runs of ``store`` unused for UNUSED_FOR, if not looked for within
    UNUSED_CHECK; how many were removed. Safe beside a pack: one reading a run removed
    meanwhile has it open, or compresses its package again."""
    import time

    now = time.time() if now is None else now
    stamp = os.path.join(store, _CHECKED)
    try:
        if now - os.stat(stamp).st_mtime < UNUSED_CHECK:
            return 0
    except FileNotFoundError:
        pass
    except OSError:
        return 0
    removed = 0
    try:
        folders = [e for e in os.scandir(store) if e.is_dir(follow_symlinks=False)]
        for folder in folders:
            for run in os.scandir(folder.path):
                if run.is_file(follow_symlinks=False) and now - run.stat().st_mtime > UNUSED_FOR:
                    fs.try_unlink(run.path)
                    removed += 1
        fs.replace_file(stamp, b"")
    except OSError as exc:
        log.info("could not prune the packed runs in %s: %s", store, exc)
    return removed


def _save_run(store: str, key: str, size: int, compressed: bytes) -> None:
    folder = os.path.join(store, key[:2])
    try:
        os.makedirs(folder, exist_ok=True)
        fs.replace_file(os.path.join(folder, key), size.to_bytes(8, "big") + compressed)
    except OSError as exc:
        log.info("could not keep a packed run in the cache: %s", exc)


def _tar_member(member: Member) -> List[bytes]:
    import tarfile

    info = tarfile.TarInfo(member.name)
    info.mtime = MTIME
    info.mode = member.mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    data = b""
    if member.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif member.kind == "link":
        info.type = tarfile.SYMTYPE
        info.linkname = member.target
    else:
        data = member.read()
        data = _fixed_pyc(member, data)
        info.size = len(data)
    header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    return [header, data, b"\0" * (-len(data) % _BLOCK)]


def _fixed_pyc(member: Member, data: bytes) -> bytes:
    """A timestamp-checked .pyc of an unchanged source, given the archive's mtime for it."""
    if not member.name.endswith(".pyc") or member.source is None or len(data) < 16:
        return data
    folder, name = os.path.split(member.source)
    if os.path.basename(folder) != "__pycache__" or data[4:8] != b"\0\0\0\0":
        return data
    source = os.path.join(os.path.dirname(folder), name.split(".", 1)[0] + ".py")
    try:
        st = os.stat(source)
    except OSError:
        return data
    stamp = (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    size = (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    if data[8:12] != stamp or data[12:16] != size:
        return data
    return data[:8] + MTIME.to_bytes(4, "little") + data[12:]


def _gzip_member(chunk: bytes) -> bytes:
    """One gzip member with no name and no timestamp (RFC 1952); members concatenate."""
    import zlib

    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(chunk) + compressor.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = (zlib.crc32(chunk) & 0xFFFFFFFF).to_bytes(4, "little") + (
        len(chunk) & 0xFFFFFFFF
    ).to_bytes(4, "little")
    return header + body + trailer
