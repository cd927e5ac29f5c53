"""From a lock's pins to wheel files on disk, checked against the lock's hashes.

`fetch(lock.pins, info, config)` picks the best file of each pin for the target's tags
(a wheel, else the sdist, which is built), downloads several at a time through the one
index client, and keeps every download in the cache under its sha256, so that a warm
run downloads nothing. Each failure is one line naming the pin and its lock line.
"""

from __future__ import annotations

import os

from burrow._fast import Record, getLogger
from burrow.errors import FetchError
from burrow.fs import file_digest
from burrow.packages import filecheck
from burrow.packages.versions import same_version

#: Downloaded wheels and sdists, under the cache dir (`burrow cache`).
CACHE_FOLDER = "downloads-v1"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import AbstractSet, Any, Callable, Dict, List, Optional, Sequence, Tuple

    from packaging.tags import Tag

    from burrow.interpreter import PythonInfo
    from burrow.packages.index import Index
    from burrow.packages.lockfile import Pin
    from burrow.packages.pages import Link
    from burrow.packages.pipconfig import IndexConfig

logger = getLogger(__name__)

#: How many files are downloaded at once.
JOBS = 8
#: Attempts per download when the failure looks transient (timeouts, resets, 5xx).
ATTEMPTS = 3
_BACKOFF = 0.3  # seconds before the second attempt; doubled for each further one
_TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})


class LocalWheel(Record, frozen=True, unhashed=("direct_url",)):
    """A wheel on disk ready to install, e.g. LocalWheel(name="attrs", version="23.1.0", ...).

    `direct_url` is the PEP 610 record for URL, path and editable installs (None for a
    package from an index); `origin` is the pin's lock line.
    """

    name: str  # canonical
    version: str
    path: str
    sha256: str
    direct_url: Optional[Dict[str, Any]] = None
    origin: str = ""
    requested: bool = True


class _File(Record, frozen=True, unhashed=("hashes",)):
    """One file that could satisfy a pin: its name, where it is, the digests accepted."""

    filename: str
    url: Optional[str]  # None for a local file
    path: Optional[str]  # a local file
    hashes: Dict[str, List[str]]  # accepted digests per algorithm ({} when none known)
    link: Optional[Link] = None  # the index's record, when it came from one


def fetch(
    pins: Sequence[Pin],
    info: PythonInfo,
    config: IndexConfig,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    index: Index | None = None,
    jobs: int = JOBS,
    only_binary: AbstractSet[str] = frozenset(),
    no_binary: AbstractSet[str] = frozenset(),
) -> List[LocalWheel]:
    """A wheel for each pin, in the pins' order; FetchError naming the pin when one fails.

    `progress(done, total, pin)` is called as each pin is ready. `index` lets a caller
    share its session (pages already read); one is made from `config` otherwise.
    `only_binary` / `no_binary` are pip's (canonical names or ":all:", as a lock's
    `FileOptions` holds them): no sdist built, or no wheel used, for those projects.
    """
    if not pins:
        return []
    fetcher = _Fetcher(index, info, config)
    fetcher.only_binary, fetcher.no_binary = only_binary, no_binary
    # Pins an earlier run made ready (a kept download, a built cache entry) need no index
    # page and no thread: the index is asked only for the others.
    results: List[Optional[LocalWheel]] = [fetcher.ready(pin) for pin in pins]
    todo = [i for i, wheel in enumerate(results) if wheel is None]
    done = len(pins) - len(todo)
    if progress is not None and done:
        progress(done, len(pins), "")
    if not todo:
        return [wheel for wheel in results if wheel is not None]
    from concurrent.futures import ThreadPoolExecutor

    from burrow.packages.index import Index

    session = fetcher.index = Index(config) if index is None else index
    try:
        session.prefetch(n for n in (pins[i].name for i in todo if _from_index(pins[i])) if n)
        with ThreadPoolExecutor(max(1, min(jobs, len(todo))), "burrow-fetch") as pool:
            futures = {pool.submit(fetcher.one, pins[i]): i for i in todo}
            try:
                for future in _as_completed(futures):
                    results[futures[future]] = future.result()
                    done += 1
                    if progress is not None:
                        progress(done, len(pins), str(pins[futures[future]]))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return [wheel for wheel in results if wheel is not None]
    finally:
        if index is None:
            session.close()


def _as_completed(futures: Dict[Any, int]) -> Any:
    from concurrent.futures import as_completed

    return as_completed(futures)


def _from_index(pin: Pin) -> bool:
    return pin.url is None and pin.path is None and not pin.files


def downloads_dir() -> str:
    """Where downloaded files are kept, by sha256: <cache>/downloads-v1/ab/abcd.../name.whl."""
    from burrow import dirs

    return os.path.join(dirs.private_cache_dir(), CACHE_FOLDER)


# --------------------------------------------------------------------------- one pin


class _Fetcher:
    #: The index session, made only when some pin is not ready without it.
    index: Index

    def __init__(self, index: Optional[Index], info: PythonInfo, config: IndexConfig) -> None:
        if index is not None:
            self.index = index
        self.info = info
        self.config = config
        self._tags: List[Tag] = []
        self._rank: Optional[Dict[str, int]] = None
        self.only_binary: AbstractSet[str] = frozenset()
        self.no_binary: AbstractSet[str] = frozenset()

    @property
    def tags(self) -> List[Tag]:
        """The target's wheel tags, best first; worked out (with packaging) on first use:
        pins whose cache entry is built need none."""
        if not self._tags:
            from burrow.packages.tags import supported_tags

            self._tags = supported_tags(self.info)
        return self._tags

    @property
    def rank(self) -> Dict[str, int]:
        """Each tag's place in ``tags``, by its text: kept per interpreter in the cache, so
        ranking the wheels a warm run has downloaded needs no packaging."""
        if self._rank is None:
            from burrow.packages.tags import tag_ranks

            self._rank = tag_ranks(self.info)
        return self._rank

    def wheels_allowed(self, pin: Pin) -> bool:
        """pip's rule: a project named in one list beats ':all:' in the other."""
        name = pin.name or ""
        return not (name in self.no_binary or (":all:" in self.no_binary
                                               and name not in self.only_binary))  # fmt: skip

    def sdists_allowed(self, pin: Pin) -> bool:
        name = pin.name or ""
        return not (name in self.only_binary or (":all:" in self.only_binary
                                                 and name not in self.no_binary))  # fmt: skip

    def ready(self, pin: Pin) -> Optional[LocalWheel]:
        """The wheel of ``pin`` when an earlier run made it ready, else None: a download it
        kept, or a local wheel whose sha256 (one the lock accepts) names a built entry."""
        if _from_index(pin):
            return self.cached(pin)
        path = pin.path
        if path is None or pin.files or not path.endswith(".whl") or not os.path.isfile(path):
            return None
        digest = self._built(pin)
        if digest is None:
            return None
        # That entry is the file the lock accepts, so the wheel is not read: the entry's
        # builder checked its sha256 (and a rebuild from this path checks it again).
        file = _File(filename=os.path.basename(path), url=None, path=path, hashes=pin.hashes)
        name, version = filecheck.name_version(path, pin)
        return LocalWheel(name=name, version=version, path=path, sha256=digest,
                          direct_url=_archive_url(pin, file, digest),
                          origin=pin.origin)  # fmt: skip

    def one(self, pin: Pin) -> LocalWheel:
        if pin.path is not None and os.path.isdir(pin.path):
            return self._project(pin, pin.path)
        if pin.files:
            return self._choose_and_get(pin, [_pin_file(f) for f in pin.files])
        if pin.path is not None:
            return self._local_file(pin, pin.path)
        if pin.url is not None:
            return self._url(pin, pin.url)
        if pin.name is None or pin.version is None:
            raise FetchError(f"{pin.origin}: {pin}: names no version and no file")
        return self._from_index(pin, pin.name, pin.version)

    # -- sources

    def _project(self, pin: Pin, path: str) -> LocalWheel:
        """A local project directory: built (editable when asked) into a wheel."""
        from burrow.packages.build import build_project

        wheel = build_project(path, self.info, editable=pin.editable, origin=pin.origin)
        name, version = filecheck.name_version(wheel, pin)
        url = _file_url(path)
        return LocalWheel(name=name, version=version, path=wheel, sha256=file_digest(wheel),
                          direct_url={"url": url, "dir_info": {"editable": True}} if pin.editable
                          else {"url": url, "dir_info": {}}, origin=pin.origin)  # fmt: skip

    def _local_file(self, pin: Pin, path: str) -> LocalWheel:
        if not os.path.isfile(path):
            raise FetchError(f"{pin.origin}: {pin}: no such file {path}")
        file = _File(filename=os.path.basename(path), url=None, path=path, hashes=pin.hashes)
        return self._get(pin, file, direct=True)

    def _built(self, pin: Pin) -> Optional[str]:
        """A sha256 the lock accepts for ``pin`` whose cache entry is built, if any."""
        from burrow.packages.cache import MANIFEST, entry_path

        for digest in pin.hashes.get("sha256", []):
            if os.path.isfile(os.path.join(entry_path(digest, self.info), MANIFEST)):
                return digest
        return None

    def _url(self, pin: Pin, url: str) -> LocalWheel:
        from urllib.parse import unquote, urlsplit

        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        file = _File(filename=filename, url=url.split("#", 1)[0], path=None, hashes=pin.hashes)
        return self._get(pin, file, direct=True)

    def _from_index(self, pin: Pin, name: str, version: str) -> LocalWheel:
        from packaging.version import InvalidVersion, Version

        from burrow.packages.index import describe

        project = self.index.project(name)
        try:
            Version(version)
        except InvalidVersion:
            raise FetchError(f"{pin.origin}: {pin}: {version!r} is not a valid version") from None
        links = [link for link in project.links if same_version(link.version, version)]
        if not links:
            if project.problems:
                raise FetchError(
                    f"{pin.origin}: {pin}: cannot read the index: {project.problems[0]}"
                )
            versions = sorted({link.version for link in project.links}, key=_version_key)
            found = f" (it has {', '.join(versions[-5:])})" if versions else ""
            what = "version" if versions else "package"
            raise FetchError(f"{pin.origin}: {pin}: no such {what} {describe(self.config)}{found}")
        files = []
        for link in links:
            if link.yanked is not None:
                logger.warning("%s is yanked%s", link.filename,
                               f": {link.yanked}" if link.yanked else "")  # fmt: skip
            files.append(_File(filename=link.filename, url=link.url, path=None,
                               hashes=filecheck.accepted(pin, link), link=link))  # fmt: skip
        return self._choose_and_get(pin, files)

    # -- choosing

    def _choose_and_get(self, pin: Pin, files: List[_File]) -> LocalWheel:
        """The best wheel for the target's tags, else the sdist (built)."""
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        reasons: List[str] = []
        usable = []
        for file in files:
            link = file.link
            if link is not None and link.requires_python:
                try:
                    spec = SpecifierSet(link.requires_python)
                except InvalidSpecifier:
                    spec = None
                if spec is not None and not spec.contains(self.info.version_str, True):
                    reasons.append(f"{file.filename} needs Python {link.requires_python}")
                    continue
            if pin.hashes and link is not None and not filecheck.hash_known_ok(pin, link):
                reasons.append(f"{file.filename} has a hash the lock does not accept")
                continue
            usable.append(file)
        wheels = []
        if not self.wheels_allowed(pin):
            reasons.append("--no-binary rules out its wheels")
        for file in usable if self.wheels_allowed(pin) else ():
            if file.filename.endswith(".whl"):
                rank = self._wheel_rank(file.filename)
                if rank is None:
                    reasons.append(f"{file.filename} is not for {self.tags[0]}")
                else:
                    wheels.append((rank, file))
        if wheels:
            best = min(wheels, key=lambda item: item[0])[1]
            return self._get(pin, best, direct=False)
        sdists = [file for file in usable if not file.filename.endswith(".whl")]
        if sdists and not self.sdists_allowed(pin):
            reasons.append(f"--only-binary rules out {sdists[0].filename}")
            sdists = []
        if sdists:
            return self._get(pin, sdists[0], direct=False)
        mismatched = [f for f in files if f not in usable and pin.hashes and f.link is not None
                      and not filecheck.hash_known_ok(pin, f.link)]  # fmt: skip
        if mismatched and len(mismatched) == len(files):
            offered = ", ".join(
                f"{f.filename} {filecheck.first_hash(f.link)}" for f in mismatched[:2] if f.link
            )
            raise FetchError(
                f"{pin.origin}: {pin}: hash mismatch: the lock accepts none of the index's "
                f"files ({offered})"
            )
        why = "; ".join(dict.fromkeys(reasons[:3]))
        raise FetchError(
            f"{pin.origin}: {pin}: no wheel for {self.info.name} ({self.tags[0]}) and no sdist"
            + (f" ({why})" if why else "")
        )

    def _wheel_rank(self, filename: str) -> Optional[Tuple[int, int]]:
        """(tag rank, -build number): smaller is better; None when it does not install."""
        found = filecheck.wheel_tags(filename)
        if found is None:
            return None
        build, tags = found
        ranks = [self.rank[tag] for tag in tags if tag in self.rank]
        if not ranks:
            return None
        return min(ranks), -build

    # -- getting one file

    def _get(self, pin: Pin, file: _File, *, direct: bool) -> LocalWheel:
        """The file on disk (cache, or the user's own path), checked; an sdist built."""
        if file.path is not None:
            local = file.path
            digest = filecheck.check_local(pin, local)
        else:
            local, digest = self._download(pin, file)
        if not file.filename.endswith(".whl"):
            from burrow.packages.build import build_sdist

            if not self.sdists_allowed(pin):
                raise FetchError(f"{pin.origin}: {pin}: --only-binary rules out {file.filename}")

            wheel = build_sdist(local, digest, self.info, origin=pin.origin)
            name, version = filecheck.name_version(wheel, pin)
            return LocalWheel(name=name, version=version, path=wheel, sha256=file_digest(wheel),
                              direct_url=_archive_url(pin, file, digest) if direct else None,
                              origin=pin.origin)  # fmt: skip
        name, version = filecheck.name_version(local, pin)
        return LocalWheel(name=name, version=version, path=local, sha256=digest,
                          direct_url=_archive_url(pin, file, digest) if direct else None,
                          origin=pin.origin)  # fmt: skip

    def cached(self, pin: Pin) -> Optional[LocalWheel]:
        """A wheel the lock's sha256 names that an earlier run downloaded, if any fits."""
        if not self.wheels_allowed(pin):
            return None
        best = None
        for digest in pin.hashes.get("sha256", []):
            folder = os.path.join(downloads_dir(), digest[:2], digest)
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for filename in names:
                rank = self._wheel_rank(filename) if filename.endswith(".whl") else None
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, os.path.join(folder, filename), digest)
        if best is None or not filecheck.intact(best[1], best[2]):
            return None
        name, version = filecheck.name_version(best[1], pin)
        return LocalWheel(name=name, version=version, path=best[1], sha256=best[2],
                          origin=pin.origin)  # fmt: skip

    def _download(self, pin: Pin, file: _File) -> Tuple[str, str]:
        """(path in the cache, sha256) of a remote file; a cached copy when there is one."""
        import shutil
        from pathlib import Path

        from burrow.fs import unique_dir
        from burrow.packages.pages import Link

        known = list(file.hashes.get("sha256", []))
        if file.link is not None and file.link.sha256 and file.link.sha256 not in known:
            known = known or [file.link.sha256]
        for digest in known:
            cached = os.path.join(downloads_dir(), digest[:2], digest, file.filename)
            if os.path.isfile(cached) and filecheck.intact(cached, digest):
                return cached, digest
        if file.url is None:
            raise FetchError(f"{pin.origin}: {pin}: {file.filename} has no URL")
        # The lock's digests to check (the first one the index agrees with, else each in turn).
        if file.link is not None and file.link.sha256 in known:
            known = [file.link.sha256, *(d for d in known if d != file.link.sha256)]
        tries: List[Dict[str, str]] = [{"sha256": digest} for digest in known]
        if not tries:
            tries = [{k: v[0] for k, v in file.hashes.items()}] if file.hashes else [{}]
        link = file.link or Link(filename=file.filename, url=file.url, version="",
                                 hashes={}, requires_python=None)  # fmt: skip
        root = downloads_dir()
        os.makedirs(root, exist_ok=True)
        staging = Path(unique_dir(root, ".download-"))  # pid named: `cache clean` sweeps it
        try:
            last = FetchError(f"hash mismatch for {file.filename}")
            for expected in tries:
                try:
                    path = self._with_retries(pin, link.replace(hashes=expected), staging)
                except FetchError as exc:
                    if "hash mismatch" not in str(exc):
                        raise
                    last = exc
                    continue
                digest = file_digest(str(path))
                if pin.hashes and not filecheck.accepts(pin.hashes, str(path), digest):
                    last = FetchError(f"hash mismatch for {file.filename}")
                    continue
                final_dir = os.path.join(root, digest[:2], digest)
                os.makedirs(final_dir, exist_ok=True)
                final = os.path.join(final_dir, file.filename)
                os.replace(path, final)
                filecheck.mark_intact(final)
                return final, digest
            raise FetchError(f"{pin.origin}: {pin}: {last}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _with_retries(self, pin: Pin, link: Link, staging: Any) -> Any:
        import time

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self.index.download(link, staging)
            except FetchError as exc:
                if "hash mismatch" in str(exc):
                    raise
                if attempt == ATTEMPTS or not _transient(exc):
                    raise FetchError(f"{pin.origin}: {pin}: {exc}") from exc
                logger.info("retrying %s (%s)", link.filename, exc)
                time.sleep(_BACKOFF * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


# --------------------------------------------------------------------------- helpers


def _pin_file(entry: Any) -> _File:
    """A file a pylock.toml lists, as a candidate (its own hashes are the accepted ones)."""
    return _File(filename=entry.filename, url=entry.url if entry.path is None else None,
                 path=entry.path, hashes={k: [v] for k, v in entry.hashes.items()})  # fmt: skip


def _transient(exc: BaseException) -> bool:
    """Whether a download failure may pass on a second try (network, 5xx, short read)."""
    import http.client
    import socket
    from urllib.error import HTTPError, URLError

    if "got " in str(exc) and " bytes" in str(exc):  # a short read
        return True
    cause = exc.__cause__
    if isinstance(cause, HTTPError):
        return cause.code in _TRANSIENT_HTTP
    if isinstance(cause, URLError):
        return not isinstance(cause.reason, str) or "timed out" in cause.reason
    return isinstance(
        cause, (TimeoutError, socket.timeout, ConnectionError, http.client.HTTPException)
    )


def _version_key(text: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(text))
    except InvalidVersion:
        return (-1, text)


def _file_url(path: str) -> str:
    """``file://`` and the real path, percent-encoded as ``pathlib.Path.as_uri`` gives it
    (pathlib and urllib cost a warm create -r milliseconds to import; Windows' drive
    letters need pathlib)."""
    if os.name == "nt":
        from pathlib import Path

        return Path(path).resolve().as_uri()
    raw = os.fsencode(os.path.realpath(path))
    return "file://" + "".join(_QUOTED[byte] for byte in raw)


#: Each byte as a URL path carries it: letters, digits, "_.-~" and "/" as they are.
_QUOTED = [
    chr(byte) if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "_.-~/")
    else f"%{byte:02X}"
    for byte in range(256)
]  # fmt: skip


def _archive_url(pin: Pin, file: _File, digest: str) -> Dict[str, Any]:
    """PEP 610's record of an archive installed from a URL or a path."""
    url = file.url if file.path is None else _file_url(file.path)
    return {"url": url, "archive_info": {"hash": f"sha256={digest}",
                                         "hashes": {"sha256": digest}}}  # fmt: skip
