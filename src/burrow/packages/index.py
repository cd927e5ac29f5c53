"""The one client of package indexes: pip's config, project pages, metadata, downloads.

Everything that reads an index goes through here: the seeder (`best_wheel`), the resolver
(`Index.files`, `Index.metadata`) and the fetcher (`download`). Pages are PEP 503 HTML or
PEP 691 JSON, read several at a time, and kept in an HTTP cache that honours the server's
freshness (`Cache-Control`, `ETag`, `Last-Modified`) as a compact parsed form; the core
metadata of a file with a known hash is kept forever.

    index = Index(pip_config())
    links = index.files("requests")          # every wheel and sdist, yanked ones marked
    text = index.metadata(links[-1])         # PEP 658 file, else read from the wheel
"""

from __future__ import annotations

import io
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from burrow import fs
from burrow._fast import Record, getLogger
from burrow.errors import FetchError, SeedError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Iterator, Mapping
    from concurrent.futures import Future, ThreadPoolExecutor
    from typing import Any, Protocol
    from urllib.request import OpenerDirector

    class _Hasher(Protocol):
        def update(self, data: bytes, /) -> None: ...


logger = getLogger(__name__)

DEFAULT_INDEX = "https://pypi.org/simple/"
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_USER_AGENT = "burrow (+index client)"
_CHUNK = 1 << 16
# md5 and sha1 are still checked when given, but on their own they prove nothing.
_WEAK_HASHES = frozenset({"md5", "sha1"})
# pip accepts several spellings for some options; the last one read wins, as in pip.
_ALIASES = {"default-timeout": "timeout"}
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
# Bump when the cached page form changes; older entries are then simply not read.
_PAGE_FORMAT = 1
# hashlib.algorithms_guaranteed, known without importing hashlib (and OpenSSL) on the
# warm path, where only names are compared.
_GUARANTEED = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"}
    | {"sha3_224", "sha3_256", "sha3_384", "sha3_512", "shake_128", "shake_256"}
)
# Pages fetched at once: enough to hide latency, few enough to be polite to an index.
_WORKERS = 8
# The tail of a remote wheel read first: its central directory is usually inside.
_TAIL = 1 << 16


class IndexConfig(Record, frozen=True):
    """Where pip looks for packages, e.g. index_urls=("https://pypi.org/simple/",)."""

    index_urls: tuple[str, ...]  # index-url first, then extra-index-urls
    find_links: tuple[str, ...]  # directories, HTML files or URLs
    cert: str | None = None  # CA bundle (file or directory) for https
    timeout: float = 15.0


class Link(Record, frozen=True, unhashed=("hashes", "metadata")):
    """One file offered for a project: a wheel or an sdist, e.g. `pip-24.0-py3-none-any.whl`."""

    filename: str
    url: str
    version: str  # from the filename, e.g. "24.0"
    hashes: dict[str, str]  # e.g. {"sha256": "9bb4..."}
    requires_python: str | None
    yanked: str | None = None  # the reason ("" when none is given) for a yanked file (PEP 592)
    # PEP 658/714: the hashes of the `.metadata` file served beside it ({} when unhashed),
    # None when the index serves none.
    metadata: dict[str, str] | None = None

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")


# The seeder and the fetcher knew wheels only; a wheel is a Link like any other file.
WheelLink = Link


# --------------------------------------------------------------------------- config


def pip_config(environ: Mapping[str, str] | None = None) -> IndexConfig:
    """Read pip's index settings from its config files and `PIP_*` variables, as pip does."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    # pip merges files per "section.key" (later files win), then orders by section:
    # [global] < [install] < environment, so [install] in any file beats [global] in any.
    merged: dict[tuple[str, str], str] = {}
    for path in _config_files(env):
        for section, key, value in _read_config_file(path):
            merged[section, key] = value
    options: dict[str, str] = {}
    for section in ("global", "install"):
        for (where, key), value in merged.items():
            if where == section:
                options[key] = value
    for name, value in env.items():
        if name.startswith("PIP_") and name not in ("PIP_VERSION", "PIP_HELP"):
            key = name[4:].lower().replace("_", "-")
            options[_ALIASES.get(key, key)] = value

    index_urls: list[str] = []
    if not _truthy(options.get("no-index", "")):
        index_urls.append(options.get("index-url", "").strip() or DEFAULT_INDEX)
        index_urls.extend(options.get("extra-index-url", "").split())
    cert = options.get("cert", "").strip()
    return IndexConfig(
        index_urls=tuple(dict.fromkeys(index_urls)),
        find_links=tuple(options.get("find-links", "").split()),
        cert=str(Path(cert).expanduser()) if cert else None,
        timeout=_timeout(options.get("timeout")),
    )


def _config_files(env: Mapping[str, str]) -> list[Path]:
    """pip's config files, lowest precedence first, e.g. `[/etc/xdg/pip/pip.conf, ...]`."""
    config_file = env.get("PIP_CONFIG_FILE", "")
    if config_file == os.devnull:
        return []
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    files = _global_config_files(env)
    # pip skips the user's files when PIP_CONFIG_FILE names an existing file.
    if not (config_file and Path(config_file).exists()):
        files += _user_config_files(env, home)
    if config_file:
        files.append(Path(config_file))
    return files


def _global_config_files(env: Mapping[str, str]) -> list[Path]:
    if sys.platform == "win32":
        program_data = env.get("PROGRAMDATA") or env.get("ALLUSERSPROFILE") or r"C:\ProgramData"
        return [Path(program_data, "pip", "pip.ini")]
    if sys.platform == "darwin":
        return [Path("/Library/Application Support/pip/pip.conf")]
    dirs = [d for d in env.get("XDG_CONFIG_DIRS", "").split(os.pathsep) if d] or ["/etc/xdg"]
    return [*(Path(d, "pip", "pip.conf") for d in dirs), Path("/etc/pip.conf")]


def _user_config_files(env: Mapping[str, str], home: Path) -> list[Path]:
    if sys.platform == "win32":
        app_data = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return [home / "pip" / "pip.ini", Path(app_data, "pip", "pip.ini")]
    legacy = home / ".pip" / "pip.conf"
    if sys.platform == "darwin":
        app_support = home / "Library" / "Application Support" / "pip"
        new_dir = app_support if app_support.is_dir() else home / ".config" / "pip"
        return [legacy, new_dir / "pip.conf"]
    config_home = env.get("XDG_CONFIG_HOME") or str(home / ".config")
    return [legacy, Path(config_home, "pip", "pip.conf")]


def _read_config_file(path: Path) -> list[tuple[str, str, str]]:
    """(section, option, value) triples of one pip.conf, option names as pip normalizes them."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        logger.warning("ignoring unreadable pip config file %s: %s", path, exc)
        return []
    triples = []
    for section in parser.sections():
        for key, value in parser.items(section):
            name = key.lower().replace("_", "-")
            triples.append((section, _ALIASES.get(name, name), value))
    return triples


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "y", "yes", "t", "true", "on")


def _timeout(value: str | None) -> float:
    if value is None or not value.strip():
        return 15.0
    try:
        return float(value)
    except ValueError:
        logger.warning("ignoring invalid pip timeout %r; using 15 seconds", value)
        return 15.0


# --------------------------------------------------------------------------- finding


def find_wheels(project: str, config: IndexConfig) -> list[WheelLink]:
    """Every non-yanked wheel of `project` on the configured indexes and find-links."""
    found = Index(config, cache=False).project(project)
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

    found = Index(config, cache=False).project(project)
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
        logger.debug("chose %s from %s", best.filename, _redact(best.url))
        return best

    asked = f"{project} {version}" if version is not None else project
    message = f"no wheel of {asked} for Python {python} on {describe(config)}"
    found_versions = sorted({Version(link.version) for link in links}, reverse=True)
    if found_versions:
        shown = [f"{v} ({rejected[v]})" if v in rejected else str(v) for v in found_versions[:5]]
        message += f" (found: {', '.join(shown)}{', ...' if len(found_versions) > 5 else ''})"
    if found.problems:
        message += f" (could not read: {'; '.join(found.problems)})"
    raise SeedError(message)


def describe(config: IndexConfig) -> str:
    """The sources of `config` for messages, e.g. 'https://pypi.org/simple/, ./wheels'."""
    sources = ", ".join(_redact(s) for s in (*config.index_urls, *config.find_links))
    return sources or "no index (--no-index)"


def _pure_tags(python_version: tuple[int, int, int]) -> list[str]:
    """Pure-Python tags, most specific first: ['py312-none-any', ..., 'py3-none-any']."""
    major, minor = python_version[0], python_version[1]
    return [f"py{major}{m}-none-any" for m in range(minor, -1, -1)] + [f"py{major}-none-any"]


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
        self._client = _Client(config)
        self._cache_dir = cache_dir
        self._use_cache = cache
        self._lock = threading.Lock()
        self._pages: dict[str, Future[Project]] = {}
        self._pool: ThreadPoolExecutor | None = None
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
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def cache_root(self) -> str | None:
        """Where pages and metadata are kept, or None when this session keeps nothing."""
        if not self._use_cache:
            return None
        if self._cache_dir is None:
            from burrow import dirs

            self._cache_dir = os.path.join(dirs.private_cache_dir(), "index-v1")
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
                self._future(name)

    def _future(self, name: str) -> Future[Project]:
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
                if self._pool is None:
                    from concurrent.futures import ThreadPoolExecutor

                    self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="burrow-index")
                future = self._pool.submit(self._read_project, key)
                self._pages[key] = future
        return future

    def _read_project(self, name: str) -> Project:
        links: list[Link] = []
        problems: list[str] = []
        for index_url in self.config.index_urls:
            page_url = index_url.rstrip("/") + "/" + name + "/"
            try:
                links += self._page(page_url, name, missing_ok=True)
            except _Unreadable as exc:
                problems.append(str(exc))
        for location in self.config.find_links:
            try:
                links += self._find_links(location, name)
            except _Unreadable as exc:
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
        cache = _PageCache(self.cache_root(), url)
        return cache.read(self._client, name, missing_ok=missing_ok)

    def _find_links(self, location: str, name: str) -> list[Link]:
        """Files in a find-links directory, HTML page, or a direct file path or URL."""
        from urllib.parse import urlsplit

        scheme = urlsplit(location).scheme.lower()
        if scheme in ("http", "https"):
            if _is_dist_name(urlsplit(location).path):
                return _keep([_make_link(location, None, {}, None)], name)
            return self._page(location, name, missing_ok=False)
        path = _file_path(location) if scheme == "file" else Path(location).expanduser()
        if path.is_dir():
            return _keep(self._directory(path), name)
        if path.is_file() and _is_dist_name(path.name):
            return _keep([_make_link(path.resolve().as_uri(), None, {}, None)], name)
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
            links = [_make_link((base / n).as_uri(), None, {}, None) for n in os.listdir(base)]
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
            _write_atomic(cached, data)
        return data

    def _read_metadata(self, link: Link) -> bytes:
        import http.client

        url = _redact(link.url)
        if link.metadata is not None:
            try:
                data = self._client.read(link.url + ".metadata", "*/*")
            except (_Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
                logger.debug("no metadata file for %s (%s); reading the file itself", url, exc)
            else:
                if _hash_ok(data, link.metadata):
                    return data
                logger.warning("metadata of %s does not match its hash; reading the file", url)
        try:
            if link.is_wheel:
                return _wheel_metadata(self._client, link)
            return _sdist_metadata(self._client, link)
        except (_Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
            raise FetchError(f"could not read the metadata of {url}: {exc}") from exc

    # -- files

    def download(self, link: Link, dest_dir: Path) -> Path:
        """`download(link, dest_dir, config)` through this session's connections."""
        return _download(self._client, link, dest_dir)


# --------------------------------------------------------------------------- transport


class _Unreadable(Exception):
    """A page or find-links location that exists but could not be read (network, parse)."""


class _BadPage(ValueError):
    """An index page that is not what the simple API promises."""


class _Response(Record):
    url: str  # after redirects
    status: int
    content_type: str
    length: int | None
    headers: Mapping[str, str]
    body: IO[bytes]


class _Client:
    """Reads URLs for one config: TLS context, credentials (URL or ~/.netrc), timeouts."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._opener: OpenerDirector | None = None
        self._auth: dict[str, str | None] = {}
        self._lock = threading.Lock()
        for url in (*config.index_urls, *config.find_links):
            _, netloc, header = _split_auth(url)
            if header:
                self._auth.setdefault(netloc, header)

    def read(self, url: str, accept: str) -> bytes:
        with self.open(url, accept) as response:
            return response.body.read()

    @contextmanager
    def open(
        self, url: str, accept: str, headers: Mapping[str, str] | None = None
    ) -> Iterator[_Response]:
        """Yield the response to a GET of an http(s) or file URL (HTTPError for >= 300)."""
        from urllib.parse import urlsplit

        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            path = _file_path(url)
            if path.is_dir():  # pip reads index.html of a file:// index directory
                path = path / "index.html"
            content_type = "application/json" if path.suffix == ".json" else ""
            with path.open("rb") as body:
                size = os.fstat(body.fileno()).st_size
                yield _Response(
                    url=path.as_uri(),
                    status=200,
                    content_type=content_type,
                    length=size,
                    headers={},
                    body=body,
                )
            return
        if scheme not in ("http", "https"):
            raise _Unreadable(f"{_redact(url)}: only http, https and file URLs are supported")

        from urllib.request import Request

        clean_url, netloc, header = _split_auth(url)
        # The scheme was checked above: only http(s) reaches urllib.
        request = Request(clean_url, headers={"Accept": accept, "User-Agent": _USER_AGENT})  # noqa: S310
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        header = header or self._credentials(netloc)
        if header:
            # Unredirected: credentials never follow a redirect to another host.
            request.add_unredirected_header("Authorization", header)
        with self._get_opener().open(request, timeout=self.config.timeout) as response:
            length = response.headers.get("Content-Length")
            yield _Response(
                url=response.geturl(),
                status=response.status,
                content_type=response.headers.get("Content-Type", "").lower(),
                length=int(length) if length and length.isdigit() else None,
                headers=response.headers,
                body=response,
            )

    def _credentials(self, netloc: str) -> str | None:
        """The Authorization header for `netloc`: from a configured URL, else ~/.netrc."""
        with self._lock:
            if netloc not in self._auth:
                self._auth[netloc] = _netrc_header(netloc.rpartition(":")[0] or netloc)
            return self._auth[netloc]

    def _get_opener(self) -> OpenerDirector:
        with self._lock:
            if self._opener is None:
                from urllib.request import HTTPSHandler, build_opener

                context = _ssl_context(self.config.cert)
                self._opener = build_opener(HTTPSHandler(context=context))
            return self._opener


def _netrc_header(host: str) -> str | None:
    """A Basic auth header from ~/.netrc ($NETRC) for `host`, or None."""
    import base64
    import netrc

    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if not os.path.isfile(path):
        return None
    try:
        found = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
        return None
    if not found:
        return None
    login, _, password = found
    token = base64.b64encode(f"{login}:{password or ''}".encode()).decode("ascii")
    return f"Basic {token}"


def _ssl_context(cert: str | None) -> ssl.SSLContext:
    import ssl

    if cert and Path(cert).is_dir():
        return ssl.create_default_context(capath=cert)
    if cert:
        return ssl.create_default_context(cafile=cert)
    return ssl.create_default_context()


# --------------------------------------------------------------------------- page cache


class _PageCache:
    """One page's entry in the HTTP cache: its parsed files, validators and freshness.

    A `file://` page is kept while its size and mtime stay the same, an http(s) page
    until its `max-age` runs out, then revalidated with `If-None-Match` /
    `If-Modified-Since` (a 304 renews it without a body).
    """

    def __init__(self, root: str | None, url: str) -> None:
        self.url = url
        self.path = None
        if root is not None:
            # A cheap checksum names the file (no hashlib import); the URL stored inside
            # decides whether an entry is this page's.
            key = _fnv(url)
            self.path = os.path.join(root, "pages", key[:2], key + ".json")

    def read(self, client: _Client, name: str, *, missing_ok: bool) -> list[Link]:
        from urllib.parse import urlsplit

        if urlsplit(self.url).scheme.lower() == "file":
            return self._read_file(client, name)
        return self._read_http(client, name, missing_ok=missing_ok)

    def _read_file(self, client: _Client, name: str) -> list[Link]:
        path = _file_path(self.url)
        if path.is_dir():
            path = path / "index.html"
        try:
            st = path.stat()
        except FileNotFoundError:
            logger.debug("%s is not on %s", name, self.url)
            return []
        except OSError as exc:
            raise _Unreadable(f"{self.url}: {exc}") from exc
        stamp = [st.st_mtime_ns, st.st_size]
        entry = self._load()
        if entry is not None and entry.get("stamp") == stamp:
            return _rows_to_links(entry["files"])
        links = self._fetch_and_parse(client, name, {})[0]
        self._store({"stamp": stamp, "files": _links_to_rows(links)})
        return links

    def _read_http(self, client: _Client, name: str, *, missing_ok: bool) -> list[Link]:
        import time
        from urllib.error import HTTPError

        entry = self._load()
        now = time.time()
        if entry is not None and entry.get("expires", 0) > now:
            return _rows_to_links(entry["files"])
        headers = {}
        if entry is not None and entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry is not None and entry.get("modified"):
            headers["If-Modified-Since"] = entry["modified"]
        try:
            links, response_headers = self._fetch_and_parse(client, name, headers)
        except HTTPError as exc:
            if exc.code == 304 and entry is not None:
                logger.debug("%s not modified", _redact(self.url))
                entry["expires"] = _expiry(cast("Mapping[str, str]", exc.headers), now)
                self._store(entry)
                return _rows_to_links(entry["files"])
            if exc.code in (404, 410) and missing_ok:
                logger.debug("%s is not on %s (%s)", name, _redact(self.url), exc)
                return []
            raise _Unreadable(f"{_redact(self.url)}: {exc}") from exc
        if _storable(response_headers):
            self._store(
                {
                    "expires": _expiry(response_headers, now),
                    "etag": response_headers.get("ETag"),
                    "modified": response_headers.get("Last-Modified"),
                    "files": _links_to_rows(links),
                }
            )
        return links

    def _fetch_and_parse(
        self, client: _Client, name: str, headers: Mapping[str, str]
    ) -> tuple[list[Link], Mapping[str, str]]:
        import http.client
        from urllib.error import HTTPError

        try:
            with client.open(self.url, _ACCEPT, headers) as response:
                data = response.body.read()
        except FileNotFoundError:
            return [], {}
        except HTTPError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _Unreadable(f"{_redact(self.url)}: {_reason(exc)}") from exc
        content_type = response.content_type
        try:
            if "json" in content_type or (not content_type and data.lstrip()[:1] == b"{"):
                links = _parse_json_page(data, response.url, name)
            else:
                links = _parse_html_page(data, response.url, name, content_type)
        except ValueError as exc:
            raise _Unreadable(f"{_redact(self.url)}: {exc}") from exc
        return links, response.headers

    def _load(self) -> dict[str, Any] | None:
        import json

        if self.path is None:
            return None
        try:
            with open(self.path, "rb") as handle:
                entry = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != _PAGE_FORMAT:
            return None
        if entry.get("url") != self.url:
            return None
        return entry

    def _store(self, entry: dict[str, Any]) -> None:
        import json

        if self.path is None:
            return
        entry.update(format=_PAGE_FORMAT, url=self.url)
        try:
            _write_atomic(self.path, json.dumps(entry, separators=(",", ":")).encode())
        except OSError as exc:
            logger.debug("could not cache %s: %s", self.url, exc)


def _cache_control(headers: Mapping[str, str]) -> dict[str, str]:
    """Cache-Control directives, e.g. {'max-age': '600', 'public': ''}."""
    directives = {}
    for part in (headers.get("Cache-Control") or "").split(","):
        key, _, value = part.strip().partition("=")
        if key:
            directives[key.lower()] = value.strip('"')
    return directives


def _storable(headers: Mapping[str, str]) -> bool:
    """Whether a response may be kept and reused (fresh, or revalidated with a validator)."""
    directives = _cache_control(headers)
    if "no-store" in directives:
        return False
    return bool("max-age" in directives or headers.get("ETag") or headers.get("Last-Modified"))


def _expiry(headers: Mapping[str, str], now: float) -> float:
    """When a response stops being fresh: now + max-age - Age; now for no-cache."""
    directives = _cache_control(headers)
    if "no-cache" in directives:
        return now
    try:
        max_age = int(directives.get("max-age", "0"))
        age = int(headers.get("Age") or "0")
    except ValueError:
        return now
    return now + max(0, max_age - age)


def _links_to_rows(links: list[Link]) -> list[list[Any]]:
    return [
        [x.filename, x.url, x.version, x.hashes, x.requires_python, x.yanked, x.metadata]
        for x in links
    ]


_ROW = ("filename", "url", "version", "hashes", "requires_python", "yanked", "metadata")


def _rows_to_links(rows: list[list[Any]]) -> list[Link]:
    return [Link(**dict(zip(_ROW, row))) for row in rows]


def _write_atomic(path: str, data: bytes) -> None:
    """Write the cache file `path` whole, readable by its owner only (its folder made)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fs.replace_file(path, data, 0o600)


def _reason(exc: BaseException) -> str:
    """A short reason for a network failure: 'timed out', '[Errno 111] Connection refused'."""
    from urllib.error import URLError

    if isinstance(exc, URLError) and not isinstance(exc.reason, str):
        return str(exc.reason)
    if isinstance(exc, URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


# --------------------------------------------------------------------------- parsing


def _parse_json_page(data: bytes, base_url: str, name: str) -> list[Link]:
    """Files of a PEP 691 JSON project page (API version 1.x)."""
    import json
    from urllib.parse import urljoin

    page = json.loads(data)
    if not isinstance(page, dict) or not isinstance(page.get("files"), list):
        raise _BadPage("not a PEP 691 project page")
    api_version = str(page.get("meta", {}).get("api-version", "1.0"))
    if not api_version.startswith("1."):
        raise ValueError(f"unsupported simple API version {api_version}")
    links = []
    for entry in page["files"]:
        if not isinstance(entry, dict) or "url" not in entry or "filename" not in entry:
            continue
        yanked = entry.get("yanked", False)
        hashes = entry.get("hashes")
        if not isinstance(hashes, dict):
            hashes = {}
        requires_python = entry.get("requires-python")
        # PEP 714 renamed the key; older indexes still send the PEP 658 one.
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        link = _make_link(
            urljoin(base_url, str(entry["url"])),
            str(entry["filename"]),
            {str(k): str(v) for k, v in hashes.items()},
            str(requires_python) if requires_python else None,
            yanked=(yanked if isinstance(yanked, str) else "") if yanked else None,
            metadata=(
                {str(k): str(v) for k, v in metadata.items()}
                if isinstance(metadata, dict)
                else ({} if metadata is True else None)
            ),
        )
        if link is not None:
            links.append(link)
    return _keep(links, name)


def _parse_html_page(data: bytes, base_url: str, name: str, content_type: str) -> list[Link]:
    """Files of a PEP 503 HTML page (or any find-links page of anchors)."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin

    anchors: list[dict[str, str | None]] = []
    bases: list[str] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                anchors.append(dict(attrs))
            elif tag == "base" and not bases:
                bases.extend(value for key, value in attrs if key == "href" and value)

    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"'")
    parser = Anchors()  # attribute values come back HTML-unescaped
    parser.feed(data.decode(charset, errors="replace"))
    parser.close()
    base = urljoin(base_url, bases[0]) if bases else base_url

    links = []
    for attrs in anchors:
        href = attrs.get("href")
        if not href:
            continue
        # Present, even empty, means yanked (PEP 592).
        yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        link = _make_link(
            urljoin(base, href),
            None,
            {},
            attrs.get("data-requires-python") or None,
            yanked=yanked,
            metadata=_metadata_attribute(metadata),
        )
        if link is not None:
            links.append(link)
    return _keep(links, name)


def _metadata_attribute(value: str | None) -> dict[str, str] | None:
    """PEP 658's attribute: 'true' -> {}, 'sha256=ab12' -> {'sha256': 'ab12'}, absent -> None."""
    if value is None or value.strip().lower() == "false":
        return None
    algorithm, sep, digest = value.strip().partition("=")
    return {algorithm.lower(): digest.lower()} if sep and digest else {}


def _make_link(
    url: str,
    filename: str | None,
    hashes: dict[str, str],
    requires_python: str | None,
    *,
    yanked: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Link | None:
    """A Link for a wheel or sdist URL (hash fragment folded into `hashes`), else None."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    hashes = {k.lower(): v.lower() for k, v in hashes.items()}
    for item in parts.fragment.split("&"):
        algorithm, _, digest = item.partition("=")
        if _usable_hash(algorithm.lower(), _GUARANTEED) and digest:
            hashes.setdefault(algorithm.lower(), digest.lower())
    filename = filename or unquote(parts.path.rsplit("/", 1)[-1])
    # The name becomes a path on disk: a file name, never a path of its own.
    if "/" in filename or "\\" in filename or filename.startswith("."):
        return None
    parsed = _parse_filename(filename)
    if parsed is None:
        return None
    return Link(
        filename=filename,
        url=urlunsplit(parts._replace(fragment="")),
        version=parsed[1],
        hashes=hashes,
        requires_python=requires_python.strip() if requires_python else None,
        yanked=yanked,
        metadata=metadata,
    )


def _parse_filename(filename: str) -> tuple[str, str] | None:
    """(canonical name, version) of a wheel or sdist file name, None for anything else.

    `Django-4.2.tar.gz` -> ('django', '4.2'); `pip-24.0-py3-none-any.whl` -> ('pip', '24.0').
    """
    from packaging.utils import (
        InvalidWheelFilename,
        canonicalize_name,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version

    if filename.endswith(".whl"):
        try:
            name, wheel_version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            logger.debug("ignoring %s: not a valid wheel filename", filename)
            return None
        return name, str(wheel_version)
    stem = next((filename[: -len(s)] for s in _SDIST_SUFFIXES if filename.endswith(s)), None)
    if stem is None:
        return None
    # Legacy sdist names put no rule on the project part: the version is after the last dash.
    project, dash, version_text = stem.rpartition("-")
    version: Version | None = None
    try:
        version = Version(version_text)
    except InvalidVersion:
        pass
    if dash and project and version is not None:
        return canonicalize_name(project), str(version)
    logger.debug("ignoring %s: not a valid sdist filename", filename)
    return None


def _is_dist_name(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".whl") or name.endswith(_SDIST_SUFFIXES)


def _usable_hash(algorithm: str, available: Iterable[str]) -> bool:
    """Whether a hash name can check a file: 'sha256' yes; 'shake_128' has no fixed digest."""
    return algorithm in available and not algorithm.startswith("shake_")


def _keep(links: Iterable[Link | None], name: str) -> list[Link]:
    """Only the links whose file belongs to the (canonical) project `name`."""
    kept = []
    for link in links:
        if link is None:
            continue
        parsed = _parse_filename(link.filename)
        if parsed is not None and parsed[0] == name:
            kept.append(link)
    return kept


def _hash_ok(data: bytes, expected: Mapping[str, str]) -> bool:
    """Whether `data` matches every usable hash in `expected` ({} matches anything)."""
    import hashlib

    for algorithm, digest in expected.items():
        usable = _usable_hash(algorithm, hashlib.algorithms_guaranteed)
        if usable and hashlib.new(algorithm, data).hexdigest() != digest.lower():
            return False
    return True


# --------------------------------------------------------------------------- metadata


def _wheel_metadata(client: _Client, link: Link) -> bytes:
    """METADATA of a wheel: read in place for a file URL, by range requests over http(s)."""
    import zipfile
    from urllib.parse import urlsplit

    if urlsplit(link.url).scheme.lower() == "file":
        with zipfile.ZipFile(_file_path(link.url)) as archive:
            return _dist_info_metadata(archive, link)
    with _remote_file(client, link) as handle, zipfile.ZipFile(handle) as archive:
        return _dist_info_metadata(archive, link)


def _dist_info_metadata(archive: Any, link: Link) -> bytes:
    """The top-level `*.dist-info/METADATA` of an open wheel."""
    from packaging.utils import canonicalize_name

    project = _parse_filename(link.filename)
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


def _sdist_metadata(client: _Client, link: Link) -> bytes:
    """PKG-INFO of an sdist when it is reliable (Metadata-Version 2.2+, deps not dynamic).

    Raises NeedsBuild when only building the sdist can tell its dependencies.
    """
    from email.parser import BytesHeaderParser
    from urllib.parse import urlsplit

    if urlsplit(link.url).scheme.lower() == "file":
        data = _pkg_info(_file_path(link.url))
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="burrow-sdist-") as temp:
            data = _pkg_info(_download(client, link, Path(temp)))
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
def _remote_file(client: _Client, link: Link) -> Iterator[IO[bytes]]:
    """A seekable view of a remote file: byte ranges read on demand, else the whole file."""
    import tempfile

    from burrow.packages.progress import transfer

    with client.open(link.url, "*/*", {"Range": f"bytes=-{_TAIL}"}) as response:
        total = _range_total(response)
        if total is None:  # no ranges: the server sent the whole file
            reading = transfer(link.filename, response.length)
            with tempfile.TemporaryFile() as whole, reading as advance:
                for chunk in iter(lambda: response.body.read(_CHUNK), b""):
                    whole.write(chunk)
                    advance(len(chunk))
                whole.seek(0)
                yield whole
            return
        tail = response.body.read()
    yield cast("IO[bytes]", _RangedFile(client, link.url, total, total - len(tail), tail))


def _range_total(response: _Response) -> int | None:
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

    def __init__(self, client: _Client, url: str, size: int, start: int, data: bytes) -> None:
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


# --------------------------------------------------------------------------- download


def download(link: Link, dest_dir: Path, config: IndexConfig) -> Path:
    """Fetch `link` into `dest_dir` with its hash checked; the path of the complete file."""
    return _download(_Client(config), link, dest_dir)


def _download(client: _Client, link: Link, dest_dir: Path) -> Path:
    import hashlib
    import tempfile
    from urllib.parse import urlsplit

    url = _redact(link.url)
    if "/" in link.filename or "\\" in link.filename or not _is_dist_name(link.filename):
        raise FetchError(
            f"refusing to download {url}: {link.filename!r} is not a wheel or sdist file name"
        )
    expected = {
        algorithm.lower(): digest.lower()
        for algorithm, digest in link.hashes.items()
        if _usable_hash(algorithm.lower(), hashlib.algorithms_guaranteed)
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
    client: _Client, url: str, out: IO[bytes], hashers: Iterable[_Hasher], name: str
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
            for chunk in iter(lambda: response.body.read(_CHUNK), b""):
                out.write(chunk)
                received += len(chunk)
                for hasher in hashers:
                    hasher.update(chunk)
                advance(len(chunk))
    except (_Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"could not download {_redact(url)}: {_reason(exc)}") from exc
    if length is not None and received != length:
        raise FetchError(f"could not download {_redact(url)}: got {received} of {length} bytes")


def _verify(url: str, actual: dict[str, str], expected: dict[str, str]) -> None:
    for algorithm, digest in actual.items():
        if digest != expected[algorithm]:
            raise FetchError(
                f"hash mismatch for {url}: expected {algorithm} {expected[algorithm]}, got {digest}"
            )


# --------------------------------------------------------------------------- URLs


def _fnv(text: str) -> str:
    """FNV-1a (64 bits) of `text` in hex, e.g. '8626e0b53b972373'."""
    digest = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def _file_path(url: str) -> Path:
    """The local path of a file URL, e.g. file:///srv/simple/ -> /srv/simple."""
    from urllib.parse import unquote, urlsplit

    if os.name == "nt":
        from urllib.request import url2pathname
    else:  # what url2pathname is on POSIX, without importing urllib.request
        url2pathname = unquote  # type: ignore[assignment]

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != "localhost":  # UNC path on Windows
        return Path(url2pathname(f"//{parts.netloc}{parts.path}"))
    return Path(url2pathname(parts.path))


def _split_auth(url: str) -> tuple[str, str, str | None]:
    """(URL without credentials, host[:port], Basic auth header or None)."""
    import base64
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url, parts.netloc, None
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=hostport)), hostport, f"Basic {token}"


def _redact(url: str) -> str:
    """A URL fit for messages: https://user:secret@host/ -> https://user:****@host/."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{hostport}"))
