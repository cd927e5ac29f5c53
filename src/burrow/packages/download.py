"""Downloads from an index: a file fetched whole, checked against its hashes, renamed into place.

download(link, Path("wheels"), pip_config())  # Path('wheels/pip-24.0-py3-none-any.whl')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING

from burrow._fast import getLogger
from burrow.errors import FetchError
from burrow.packages import pages, transport, urls

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Protocol

    from burrow.packages.pages import Link
    from burrow.packages.pipconfig import IndexConfig

    class _Hasher(Protocol):
        def update(self, data: bytes, /) -> None: ...


logger = getLogger(__name__)

CHUNK = 1 << 16
# md5 and sha1 are still checked when given, but on their own they prove nothing.
_WEAK_HASHES = frozenset({"md5", "sha1"})


def download(link: Link, dest_dir: Path, config: IndexConfig) -> Path:
    """Fetch `link` into `dest_dir` with its hash checked; the path of the complete file."""
    client = transport.Client(config)
    try:
        return download_with(client, link, dest_dir)
    finally:
        client.close()


def download_with(client: transport.Client, link: Link, dest_dir: Path) -> Path:
    import hashlib
    import tempfile
    from urllib.parse import urlsplit

    url = urls.redact(link.url)
    if "/" in link.filename or "\\" in link.filename or not pages.is_dist_name(link.filename):
        raise FetchError(
            f"refusing to download {url}: {link.filename!r} is not a wheel or sdist file name"
        )
    expected = {
        algorithm.lower(): digest.lower()
        for algorithm, digest in link.hashes.items()
        if pages.usable_hash(algorithm.lower(), hashlib.algorithms_guaranteed)
    }
    if not set(expected) - _WEAK_HASHES:
        scheme = urlsplit(link.url).scheme.lower()
        if scheme not in ("https", "file"):
            raise FetchError(
                f"refusing to download {url}: the index gave no hash and it is not https"
            )
        logger.warning("the index gave no hash for %s; trusting it because it is %s", url, scheme)

    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / link.filename
    hashers = {algorithm: hashlib.new(algorithm) for algorithm in expected}
    part = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
        dir=dest_dir, prefix=f".{link.filename}.", suffix=".part", delete=False
    )
    try:
        with part:
            _stream(client, link.url, part, hashers.values(), link.filename)
            part.flush()
            os.fsync(part.fileno())
        _verify(url, {algorithm: h.hexdigest() for algorithm, h in hashers.items()}, expected)
        Path(part.name).replace(target)
    except BaseException:
        Path(part.name).unlink()
        raise
    logger.info("downloaded %s", url)
    return target


def _stream(
    client: transport.Client, url: str, out: IO[bytes], hashers: Iterable[_Hasher], name: str
) -> None:
    """Copy `url` into `out`, feeding `hashers` and reporting progress as `name`;
    FetchError naming the URL when it fails."""
    import http.client

    from burrow.packages.progress import transfer

    received = 0
    length = None
    try:
        with client.open(url, "*/*") as response, transfer(name, response.length) as advance:
            length = response.length
            for chunk in iter(lambda: response.body.read(CHUNK), b""):
                out.write(chunk)
                received += len(chunk)
                for hasher in hashers:
                    hasher.update(chunk)
                advance(len(chunk))
    except (transport.Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"could not download {urls.redact(url)}: {transport.reason(exc)}") from exc
    if length is not None and received != length:
        raise FetchError(f"could not download {urls.redact(url)}: got {received} of {length} bytes")


def _verify(url: str, actual: dict[str, str], expected: dict[str, str]) -> None:
    for algorithm, digest in actual.items():
        if digest != expected[algorithm]:
            raise FetchError(
                f"hash mismatch for {url}: expected {algorithm} {expected[algorithm]}, got {digest}"
            )
