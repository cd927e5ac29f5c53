"""The index session: every file of a project on the configured sources, and its metadata.

Everything that reads an index goes through an `Index`: the seeder (`best_wheel`), the
resolver (`Index.files`, `Index.metadata`) and the fetcher (`Index.download`). The parts
live beside it, one concept each: `pipconfig` (where to look), `transport` (reading a
URL), `pages` (PEP 503 / PEP 691 pages into `Link`s), `httpcache` (pages kept as the
server allows), `metadata` (PEP 658 files, else read from the wheel or sdist) and
`download` (a file fetched and hash checked).

    index = Index(pip_config())
    links = index.files("requests")          # every wheel and sdist, yanked ones marked
    text = index.metadata(links[-1])         # PEP 658 file, else read from the wheel
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from burrow._fast import Record, getLogger
from burrow.errors import FetchError, SeedError
from burrow.packages import download, httpcache, metadata, pages, transport, urls
from burrow.packages.pages import Link, WheelLink

#: Pages, metadata and evaluated dependencies, under the cache dir (`burrow cache`).
CACHE_FOLDER = "index-v1"

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from concurrent.futures import Future, ThreadPoolExecutor
    from typing import Any, TypeVar

    T = TypeVar("T")

    from burrow.packages.pipconfig import IndexConfig

logger = getLogger(__name__)

# Pages fetched at once: enough to hide latency, few enough to be polite to an index.
_WORKERS = 8


def find_wheels(project: str, config: IndexConfig) -> list[WheelLink]:
    """Every non-yanked wheel of `project` on the configured indexes and find-links."""
    with Index(config, cache=False) as session:
        found = session.project(project)
    for problem in found.problems:
        logger.warning("could not read %s", problem)
    return [link for link in found.links if link.is_wheel and link.yanked is None]


def best_wheel(
    project: str,
    config: IndexConfig,
    *,
    python_version: tuple[int, int, int],
    tags: Iterable[str] | None = None,
    version: str | None = None,
) -> WheelLink:
    """The newest wheel (or exactly `version`) that installs on `python_version`."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    python = ".".join(map(str, python_version))
    wanted_tags = [t.lower() for t in tags] if tags is not None else _pure_tags(python_version)
    tag_rank = {tag: rank for rank, tag in reversed(list(enumerate(wanted_tags)))}
    try:
        pinned = Version(version) if version is not None else None
    except InvalidVersion:
        raise SeedError(f"'{version}' is not a valid version of {project}") from None

    with Index(config, cache=False) as session:
        found = session.project(project)
    for problem in found.problems:
        logger.warning("could not read %s", problem)
    links = [link for link in found.links if link.is_wheel and link.yanked is None]
    rejected: dict[Version, str] = {}
    ranked: list[tuple[Version, int, WheelLink]] = []
    for link in links:
        _, link_version, build, file_tags = parse_wheel_filename(link.filename)
        if pinned is not None and link_version != pinned:
            continue
        if link.requires_python:
            try:
                if not SpecifierSet(link.requires_python).contains(python, prereleases=True):
                    rejected.setdefault(link_version, f"needs Python {link.requires_python}")
                    continue
            except InvalidSpecifier:
                logger.debug(
                    "ignoring invalid Requires-Python %r of %s", link.requires_python, link.url
                )
        ranks = [tag_rank[str(t)] for t in file_tags if str(t) in tag_rank]
        if not ranks:
            rejected.setdefault(link_version, "no compatible wheel")
            continue
        # Prefer the newest version, then the most preferred tag, then the highest build.
        ranked.append((link_version, -min(ranks) * 1000 + (build[0] if build else 0), link))

    finals = [r for r in ranked if not r[0].is_prerelease]
    candidates = finals if pinned is None and finals else ranked
    if candidates:
        # max() keeps the first of equals, so earlier indexes win ties.
        best = max(candidates, key=lambda r: (r[0], r[1]))[2]
        logger.debug("chose %s from %s", best.filename, urls.redact(best.url))
        return best

    asked = f"{project} {version}" if version is not None else project
    message = f"no wheel of {asked} for Python {python} {describe(config)}"
    found_versions = sorted({Version(link.version) for link in links}, reverse=True)
    if found_versions:
        shown = [f"{v} ({rejected[v]})" if v in rejected else str(v) for v in found_versions[:5]]
        message += f" (found: {', '.join(shown)}{', ...' if len(found_versions) > 5 else ''})"
    if found.problems:
        message += f" (could not read: {'; '.join(found.problems)})"
    raise SeedError(message)


def describe(config: IndexConfig) -> str:
    """Where `config` looks, for messages that say what was not found there: 'on
    https://pypi.org/simple/, ./wheels', or that there was nowhere to look."""
    sources = ", ".join(urls.redact(s) for s in (*config.index_urls, *config.find_links))
    return f"on {sources}" if sources else "to be found: --no-index, and no --find-links"


def _pure_tags(python_version: tuple[int, int, int]) -> list[str]:
    """Pure-Python tags, most specific first: ['py312-none-any', ..., 'py3-none-any']."""
    major, minor = python_version[0], python_version[1]
    return [f"py{major}{m}-none-any" for m in range(minor, -1, -1)] + [f"py{major}-none-any"]


def _only(link: Link | None) -> list[Link]:
    return [link] if link is not None else []


class Project(Record, frozen=True, unhashed=("links", "problems")):
    """Every file of one project on every source, and one line per source that failed."""

    name: str  # canonical, e.g. "typing-extensions"
    links: list[Link]
    problems: list[str]


class Index:
    """A session with the configured indexes: pages read once, several at a time, cached.

    Thread-safe: the resolver asks for pages from its thread while earlier `prefetch`
    calls are still being answered in the pool's.
    """

    def __init__(
        self, config: IndexConfig, *, cache: bool = True, cache_dir: str | None = None
    ) -> None:
        self.config = config
        self._client = transport.Client(config)
        self._cache_dir = cache_dir
        self._use_cache = cache
        self._lock = threading.Lock()
        self._pages: dict[str, Future[Project]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._extra: list[Future[Any]] = []  # work started by `in_background`
        self._directories: dict[str, list[Link]] = {}
        self._remote = any(
            location.lower().startswith(("http:", "https:"))
            for location in (*config.index_urls, *config.find_links)
        )

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True  # nothing new starts from here on
            for future in self._extra:
                future.cancel()  # guesses nobody waits for, if not started yet
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._client.close()

    def cache_root(self) -> str | None:
        """Where pages and metadata are kept, or None when this session keeps nothing."""
        if not self._use_cache:
            return None
        if self._cache_dir is None:
            from burrow import dirs

            self._cache_dir = os.path.join(dirs.private_cache_dir(), CACHE_FOLDER)
        return self._cache_dir

    def project(self, name: str) -> Project:
        """Every file of `name` (wheels and sdists, yanked ones marked), in source order."""
        return self._future(name).result()

    def files(self, name: str) -> list[Link]:
        """`project(name).links`."""
        return self.project(name).links

    def prefetch(self, names: Iterable[str]) -> None:
        """Start reading the pages of `names` in the background; `project` then waits less.

        Only network sources are worth it: local pages read faster than a thread starts.
        """
        if self._remote:
            for name in names:
                self._future(name, hint=True)

    def in_background(self, work: Callable[[], T]) -> Future[T] | None:
        """`work` started in the pool that reads pages, when the session reads a network
        source (where waiting is worth hiding); None otherwise, or once it is closed."""
        if not self._remote:
            return None
        with self._lock:
            if self._closed:
                return None
            future = self._pool_locked().submit(work)
            self._extra.append(future)
        return future

    def _pool_locked(self) -> ThreadPoolExecutor:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="burrow-index")
        return self._pool

    def _future(self, name: str, *, hint: bool = False) -> Future[Project]:
        from concurrent.futures import Future

        from packaging.utils import canonicalize_name

        key = canonicalize_name(name)
        if not self._remote:
            # Local sources only: read in the caller's thread (outside the lock, which the
            # reading takes too), as the pool would, errors kept for result().
            future = self._pages.get(key)
            if future is None:
                future = Future()
                try:
                    future.set_result(self._read_project(key))
                except Exception as exc:  # noqa: BLE001 - re-raised by result()
                    future.set_exception(exc)
                self._pages[key] = future
            return future
        with self._lock:
            future = self._pages.get(key)
            if future is None:
                if hint and self._closed:  # a prefetch from work still running at close
                    future = Future()
                    future.cancel()
                    return future
                future = self._pool_locked().submit(self._read_project, key)
                self._pages[key] = future
        return future

    def _read_project(self, name: str) -> Project:
        links: list[Link] = []
        problems: list[str] = []
        for index_url in self.config.index_urls:
            page_url = index_url.rstrip("/") + "/" + name + "/"
            try:
                links += self._page(page_url, name, missing_ok=True)
            except transport.Unreadable as exc:
                problems.append(str(exc))
        for location in self.config.find_links:
            try:
                links += self._find_links(location, name)
            except transport.Unreadable as exc:
                problems.append(str(exc))
        seen: set[str] = set()
        unique = []
        for link in links:
            if link.url not in seen:
                seen.add(link.url)
                unique.append(link)
        return Project(name=name, links=unique, problems=problems)

    # -- pages

    def _page(self, url: str, name: str, *, missing_ok: bool) -> list[Link]:
        """Files listed on one PEP 503 / PEP 691 page; [] when it does not exist."""
        self._client.warn_if_insecure(url)
        cache = httpcache.PageCache(self.cache_root(), url)
        return cache.read(self._client, name, missing_ok=missing_ok)

    def _find_links(self, location: str, name: str) -> list[Link]:
        """Files in a find-links directory, HTML page, or a direct file path or URL."""
        from urllib.parse import urlsplit

        scheme = urlsplit(location).scheme.lower()
        if scheme in ("http", "https"):
            if pages.is_dist_name(urlsplit(location).path):
                return _only(pages.make_link(location, None, {}, None, project=name))
            return self._page(location, name, missing_ok=False)
        path = urls.file_path(location) if scheme == "file" else Path(location).expanduser()
        if path.is_dir():
            return pages.keep(self._directory(path), name)
        if path.is_file() and pages.is_dist_name(path.name):
            return _only(pages.make_link(path.resolve().as_uri(), None, {}, None, project=name))
        if path.is_file():
            return self._page(path.resolve().as_uri(), name, missing_ok=False)
        logger.warning("find-links location %s is neither a file nor a directory", location)
        return []

    def _directory(self, path: Path) -> list[Link]:
        """The files of a find-links directory, listed once per session."""
        key = str(path)
        with self._lock:
            found = self._directories.get(key)
        if found is None:
            base = path.resolve()
            links = [pages.make_link((base / n).as_uri(), None, {}, None) for n in os.listdir(base)]
            found = [link for link in links if link is not None]
            with self._lock:
                self._directories[key] = found
        return found

    # -- metadata

    def metadata(self, link: Link) -> bytes:
        """The core metadata (METADATA) of a wheel, or an sdist's PKG-INFO; cached by hash.

        Read from the PEP 658 file when the index serves one, else from the wheel itself
        (a few range requests for its zip directory, the whole file when ranges are not
        served). Raises FetchError naming the file when it cannot be had.
        """
        root = self.cache_root()
        digest = link.sha256
        cached = os.path.join(root, "metadata", digest[:2], digest) if root and digest else None
        if cached is not None:
            try:
                with open(cached, "rb") as handle:
                    return handle.read()
            except OSError:
                pass
        data = self._read_metadata(link)
        if cached is not None:
            httpcache.write_atomic(cached, data)
        return data

    def _read_metadata(self, link: Link) -> bytes:
        import http.client

        url = urls.redact(link.url)
        if link.metadata is not None:
            try:
                data = self._client.read(link.url + ".metadata", "*/*")
            except (transport.Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
                logger.debug("no metadata file for %s (%s); reading the file itself", url, exc)
            else:
                if pages.hash_ok(data, link.metadata):
                    return data
                logger.warning("metadata of %s does not match its hash; reading the file", url)
        try:
            if link.is_wheel:
                return metadata.wheel_metadata(self._client, link)
            return metadata.sdist_metadata(self._client, link)
        except (transport.Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
            raise FetchError(f"could not read the metadata of {url}: {exc}") from exc

    # -- files

    def download(self, link: Link, dest_dir: Path) -> Path:
        """`download(link, dest_dir, config)` through this session's connections."""
        return download.download_with(self._client, link, dest_dir)
