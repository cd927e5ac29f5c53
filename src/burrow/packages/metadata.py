"""The core metadata of one file: a wheel's METADATA (read in place, or by HTTP range
requests for its zip directory) or a reliable sdist's PKG-INFO."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from burrow.errors import FetchError
from burrow.packages import download, pages, urls

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from burrow.packages.pages import Link
    from burrow.packages.transport import Client, Response

# The tail of a remote wheel read first: its central directory is usually inside.
_TAIL = 1 << 16


def wheel_metadata(client: Client, link: Link) -> bytes:
    """METADATA of a wheel: read in place for a file URL, by range requests over http(s)."""
    import zipfile
    from urllib.parse import urlsplit

    if urlsplit(link.url).scheme.lower() == "file":
        with zipfile.ZipFile(urls.file_path(link.url)) as archive:
            return _dist_info_metadata(archive, link)
    with _remote_file(client, link) as handle, zipfile.ZipFile(handle) as archive:
        return _dist_info_metadata(archive, link)


def _dist_info_metadata(archive: Any, link: Link) -> bytes:
    """The top-level `*.dist-info/METADATA` of an open wheel."""
    from packaging.utils import canonicalize_name

    project = pages.parse_filename(link.filename)
    found = [
        n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
    ]
    # Several dist-info dirs would be a broken wheel; take the one named for the project.
    for name in found:
        if project and canonicalize_name(name.split("-", 1)[0]) == project[0]:
            return bytes(archive.read(name))
    if found:
        return bytes(archive.read(found[0]))
    raise ValueError(f"{link.filename} has no .dist-info/METADATA")


def sdist_metadata(client: Client, link: Link) -> bytes:
    """PKG-INFO of an sdist when it is reliable (Metadata-Version 2.2+, deps not dynamic).

    Raises NeedsBuild when only building the sdist can tell its dependencies.
    """
    from email.parser import BytesHeaderParser
    from urllib.parse import urlsplit

    if urlsplit(link.url).scheme.lower() == "file":
        data = _pkg_info(urls.file_path(link.url))
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="burrow-sdist-") as temp:
            data = _pkg_info(download.download_with(client, link, Path(temp)))
    if data is None:
        raise NeedsBuild(f"{link.filename} has no PKG-INFO")
    headers = BytesHeaderParser().parsebytes(data)
    try:
        version = tuple(int(p) for p in (headers.get("Metadata-Version") or "1.0").split("."))
    except ValueError:
        version = (1, 0)
    dynamic = {d.strip().lower() for d in headers.get_all("Dynamic") or []}
    if version < (2, 2) or dynamic & {"requires-dist", "requires-python", "provides-extra"}:
        raise NeedsBuild(f"the dependencies of {link.filename} are known only once it is built")
    return data


def _pkg_info(path: Path) -> bytes | None:
    """The top-level PKG-INFO of a .tar.gz / .zip sdist, or None."""
    import tarfile
    import zipfile

    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
            return archive.read(names[0]) if names else None
    with tarfile.open(path) as archive:
        for member in archive:
            if (
                member.isfile()
                and member.name.count("/") == 1
                and member.name.endswith("/PKG-INFO")
            ):
                extracted = archive.extractfile(member)
                return extracted.read() if extracted is not None else None
    return None


class NeedsBuild(FetchError):
    """An sdist whose dependencies only a PEP 517 build can tell."""


@contextmanager
def _remote_file(client: Client, link: Link) -> Iterator[IO[bytes]]:
    """A seekable view of a remote file: byte ranges read on demand, else the whole file."""
    import tempfile

    from burrow.packages.progress import transfer

    with client.open(link.url, "*/*", {"Range": f"bytes=-{_TAIL}"}) as response:
        total = _range_total(response)
        if total is None:  # no ranges: the server sent the whole file
            reading = transfer(link.filename, response.length)
            with tempfile.TemporaryFile() as whole, reading as advance:
                for chunk in iter(lambda: response.body.read(download.CHUNK), b""):
                    whole.write(chunk)
                    advance(len(chunk))
                whole.seek(0)
                yield whole
            return
        tail = response.body.read()
    yield cast("IO[bytes]", _RangedFile(client, link.url, total, total - len(tail), tail))


def _range_total(response: Response) -> int | None:
    """The full size from a 206's `Content-Range: bytes 10-19/1000`, None for a 200."""
    if response.status != 206:
        return None
    value = response.headers.get("Content-Range") or ""
    total = value.rpartition("/")[2]
    if not total.isdigit():
        raise ValueError(f"unusable Content-Range {value!r}")
    return int(total)


class _RangedFile(io.RawIOBase):
    """A read-only file over HTTP range requests; what it read stays in memory."""

    def __init__(self, client: Client, url: str, size: int, start: int, data: bytes) -> None:
        super().__init__()
        self._client = client
        self._url = url
        self._size = size
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = [(start, data)]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        data = self._bytes(self._pos, want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _bytes(self, pos: int, count: int) -> bytes:
        for start, data in self._chunks:
            if start <= pos and pos + count <= start + len(data):
                return data[pos - start : pos - start + count]
        end = min(self._size, pos + max(count, _TAIL)) - 1
        with self._client.open(self._url, "*/*", {"Range": f"bytes={pos}-{end}"}) as response:
            if response.status != 206:
                raise ValueError("the server stopped answering range requests")
            data = response.body.read()
        self._chunks.append((pos, data))
        return data[:count]
