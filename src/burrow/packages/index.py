"""Find and fetch wheels from the package index pip is configured for (cold path only).

The seeder asks this module for a wheel only when `--pip latest`, a version not on disk,
or `--upgrade-deps` needs one: `best_wheel("pip", pip_config(), python_version=(3, 12, 1))`.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from burrow._fast import Record, getLogger
from burrow.errors import SeedError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Protocol
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


class IndexConfig(Record, frozen=True):
    """Where pip looks for packages, e.g. index_urls=("https://pypi.org/simple/",)."""

    index_urls: tuple[str, ...]  # index-url first, then extra-index-urls
    find_links: tuple[str, ...]  # directories, HTML files or URLs
    cert: str | None = None  # CA bundle (file or directory) for https
    timeout: float = 15.0


class WheelLink(Record, frozen=True, unhashed=("hashes",)):
    """One wheel file offered by an index, e.g. `pip-24.0-py3-none-any.whl` at its URL."""

    filename: str
    url: str
    version: str  # from the filename, e.g. "24.0"
    hashes: dict[str, str]  # e.g. {"sha256": "9bb4..."}
    requires_python: str | None


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
    return _collect(project, config)[0]


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

    links, problems = _collect(project, config)
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
    sources = ", ".join(_redact(s) for s in (*config.index_urls, *config.find_links))
    message = f"no wheel of {asked} for Python {python} on {sources or 'no index (--no-index)'}"
    found = sorted({Version(link.version) for link in links}, reverse=True)
    if found:
        shown = [f"{v} ({rejected[v]})" if v in rejected else str(v) for v in found[:5]]
        message += f" (found: {', '.join(shown)}{', ...' if len(found) > 5 else ''})"
    if problems:
        message += f" (could not read: {'; '.join(problems)})"
    raise SeedError(message)


def _pure_tags(python_version: tuple[int, int, int]) -> list[str]:
    """Pure-Python tags, most specific first: ['py312-none-any', ..., 'py3-none-any']."""
    major, minor = python_version[0], python_version[1]
    return [f"py{major}{m}-none-any" for m in range(minor, -1, -1)] + [f"py{major}-none-any"]


def _collect(project: str, config: IndexConfig) -> tuple[list[WheelLink], list[str]]:
    """The project's wheels from every source, and one line per source that failed."""
    from packaging.utils import canonicalize_name

    name = canonicalize_name(project)
    client = _Client(config)
    links: list[WheelLink] = []
    problems: list[str] = []
    for index_url in config.index_urls:
        page_url = index_url.rstrip("/") + "/" + name + "/"
        try:
            links += client.project_page(page_url, name)
        except _Unreadable as exc:
            problems.append(str(exc))
    for location in config.find_links:
        try:
            links += client.find_links(location, name)
        except _Unreadable as exc:
            problems.append(str(exc))
    for problem in problems:
        logger.warning("could not read %s", problem)
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return unique, problems


class _Unreadable(Exception):
    """A page or find-links location that exists but could not be read (network, parse)."""


class _BadPage(ValueError):
    """An index page that is not what the simple API promises."""


class _Client:
    """Reads index pages and files for one config: TLS context, credentials, timeouts."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._opener: OpenerDirector | None = None
        self._auth: dict[str, str] = {}
        for url in (*config.index_urls, *config.find_links):
            _, netloc, header = _split_auth(url)
            if header:
                self._auth.setdefault(netloc, header)

    # -- pages

    def project_page(self, url: str, name: str) -> list[WheelLink]:
        """Wheels listed on one PEP 503 / PEP 691 project page; [] when it does not exist."""
        import http.client
        from urllib.error import HTTPError

        try:
            with self.open(url, _ACCEPT) as (final_url, content_type, _, body):
                data = body.read()
        except FileNotFoundError:
            logger.debug("%s is not on %s", name, _redact(url))
            return []
        except HTTPError as exc:
            if exc.code not in (404, 410):
                raise _Unreadable(f"{_redact(url)}: {exc}") from exc
            logger.debug("%s is not on %s (%s)", name, _redact(url), exc)
            return []
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _Unreadable(f"{_redact(url)}: {exc}") from exc
        try:
            if "json" in content_type or (not content_type and data.lstrip()[:1] == b"{"):
                return _parse_json_page(data, final_url, name)
            return _parse_html_page(data, final_url, name, content_type)
        except ValueError as exc:
            raise _Unreadable(f"{_redact(url)}: {exc}") from exc

    def find_links(self, location: str, name: str) -> list[WheelLink]:
        """Wheels in a find-links directory, HTML page, or a direct wheel path or URL."""
        from urllib.parse import urlsplit

        scheme = urlsplit(location).scheme.lower()
        if scheme in ("http", "https"):
            if urlsplit(location).path.endswith(".whl"):
                return _keep([_make_link(location, None, {}, None)], name)
            return self.project_page(location, name)
        path = _file_path(location) if scheme == "file" else Path(location).expanduser()
        if path.is_dir():
            found = [_make_link(p.resolve().as_uri(), None, {}, None) for p in path.iterdir()]
            return _keep([link for link in found if link is not None], name)
        if path.is_file() and path.suffix == ".whl":
            return _keep([_make_link(path.resolve().as_uri(), None, {}, None)], name)
        if path.is_file():
            return self.project_page(path.resolve().as_uri(), name)
        logger.warning("find-links location %s is neither a file nor a directory", location)
        return []

    # -- transport

    @contextmanager
    def open(self, url: str, accept: str) -> Iterator[tuple[str, str, int | None, IO[bytes]]]:
        """Yield (final URL, content type, length, body) for an http(s) or file URL."""
        from urllib.parse import urlsplit

        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            path = _file_path(url)
            if path.is_dir():  # pip reads index.html of a file:// index directory
                path = path / "index.html"
            content_type = "application/json" if path.suffix == ".json" else ""
            with path.open("rb") as body:
                yield path.as_uri(), content_type, path.stat().st_size, body
            return
        if scheme not in ("http", "https"):
            raise _Unreadable(f"{_redact(url)}: only http, https and file URLs are supported")

        from urllib.request import Request

        clean_url, netloc, header = _split_auth(url)
        # The scheme was checked above: only http(s) reaches urllib.
        request = Request(clean_url, headers={"Accept": accept, "User-Agent": _USER_AGENT})  # noqa: S310
        header = header or self._auth.get(netloc)
        if header:
            # Unredirected: credentials never follow a redirect to another host.
            request.add_unredirected_header("Authorization", header)
        with self._get_opener().open(request, timeout=self.config.timeout) as response:
            length = response.headers.get("Content-Length")
            yield (
                response.geturl(),
                response.headers.get("Content-Type", "").lower(),
                int(length) if length and length.isdigit() else None,
                response,
            )

    def _get_opener(self) -> OpenerDirector:
        if self._opener is None:
            from urllib.request import HTTPSHandler, build_opener

            self._opener = build_opener(HTTPSHandler(context=_ssl_context(self.config.cert)))
        return self._opener


def _ssl_context(cert: str | None) -> ssl.SSLContext:
    import ssl

    if cert and Path(cert).is_dir():
        return ssl.create_default_context(capath=cert)
    if cert:
        return ssl.create_default_context(cafile=cert)
    return ssl.create_default_context()


# --------------------------------------------------------------------------- parsing


def _parse_json_page(data: bytes, base_url: str, name: str) -> list[WheelLink]:
    """Wheels of a PEP 691 JSON project page (API version 1.x)."""
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
        if yanked is True or isinstance(yanked, str):
            logger.debug("skipping yanked %s", entry["filename"])
            continue
        hashes = entry.get("hashes")
        if not isinstance(hashes, dict):
            hashes = {}
        requires_python = entry.get("requires-python")
        link = _make_link(
            urljoin(base_url, str(entry["url"])),
            str(entry["filename"]),
            {str(k): str(v) for k, v in hashes.items()},
            str(requires_python) if requires_python else None,
        )
        if link is not None:
            links.append(link)
    return _keep(links, name)


def _parse_html_page(data: bytes, base_url: str, name: str, content_type: str) -> list[WheelLink]:
    """Wheels of a PEP 503 HTML page (or any find-links page of anchors)."""
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
        if "data-yanked" in attrs:  # present, even empty, means yanked (PEP 592)
            logger.debug("skipping yanked %s", href)
            continue
        link = _make_link(urljoin(base, href), None, {}, attrs.get("data-requires-python") or None)
        if link is not None:
            links.append(link)
    return _keep(links, name)


def _make_link(
    url: str, filename: str | None, hashes: dict[str, str], requires_python: str | None
) -> WheelLink | None:
    """A WheelLink for a wheel URL (hash fragment folded into `hashes`), else None."""
    import hashlib
    from urllib.parse import unquote, urlsplit, urlunsplit

    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    parts = urlsplit(url)
    hashes = {k.lower(): v.lower() for k, v in hashes.items()}
    for item in parts.fragment.split("&"):
        algorithm, _, digest = item.partition("=")
        if _usable_hash(algorithm.lower(), hashlib.algorithms_guaranteed) and digest:
            hashes.setdefault(algorithm.lower(), digest.lower())
    filename = filename or unquote(parts.path.rsplit("/", 1)[-1])
    # The name becomes a path on disk: a wheel name, never a path of its own.
    if not filename.endswith(".whl") or "/" in filename or "\\" in filename:
        return None
    try:
        _, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        logger.debug("ignoring %s: not a valid wheel filename", filename)
        return None
    return WheelLink(
        filename=filename,
        url=urlunsplit(parts._replace(fragment="")),
        version=str(version),
        hashes=hashes,
        requires_python=requires_python.strip() if requires_python else None,
    )


def _usable_hash(algorithm: str, available: Iterable[str]) -> bool:
    """Whether a hash name can check a file: 'sha256' yes; 'shake_128' has no fixed digest."""
    return algorithm in available and not algorithm.startswith("shake_")


def _keep(links: Iterable[WheelLink | None], name: str) -> list[WheelLink]:
    """Only the links whose wheel belongs to the (canonical) project `name`."""
    from packaging.utils import canonicalize_name, parse_wheel_filename

    return [
        link
        for link in links
        if link is not None and canonicalize_name(parse_wheel_filename(link.filename)[0]) == name
    ]


# --------------------------------------------------------------------------- download


def download(link: WheelLink, dest_dir: Path, config: IndexConfig) -> Path:
    """Fetch `link` into `dest_dir` with its hash checked; the path of the complete file."""
    import hashlib
    import tempfile
    from urllib.parse import urlsplit

    url = _redact(link.url)
    if "/" in link.filename or "\\" in link.filename or not link.filename.endswith(".whl"):
        raise SeedError(f"refusing to download {url}: {link.filename!r} is not a wheel file name")
    expected = {
        algorithm.lower(): digest.lower()
        for algorithm, digest in link.hashes.items()
        if _usable_hash(algorithm.lower(), hashlib.algorithms_guaranteed)
    }
    if not set(expected) - _WEAK_HASHES:
        scheme = urlsplit(link.url).scheme.lower()
        if scheme not in ("https", "file"):
            raise SeedError(
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
            _stream(link.url, config, part, hashers.values())
            part.flush()
            os.fsync(part.fileno())
        _verify(url, {algorithm: h.hexdigest() for algorithm, h in hashers.items()}, expected)
        Path(part.name).replace(target)
    except BaseException:
        Path(part.name).unlink()
        raise
    logger.info("downloaded %s", url)
    return target


def _stream(url: str, config: IndexConfig, out: IO[bytes], hashers: Iterable[_Hasher]) -> None:
    """Copy `url` into `out`, feeding `hashers`; SeedError naming the URL when it fails."""
    import http.client

    received = 0
    length = None
    try:
        with _Client(config).open(url, "*/*") as (_, _, length, body):
            for chunk in iter(lambda: body.read(_CHUNK), b""):
                out.write(chunk)
                received += len(chunk)
                for hasher in hashers:
                    hasher.update(chunk)
    except (_Unreadable, OSError, http.client.HTTPException, ValueError) as exc:
        raise SeedError(f"could not download {_redact(url)}: {exc}") from exc
    if length is not None and received != length:
        raise SeedError(f"could not download {_redact(url)}: got {received} of {length} bytes")


def _verify(url: str, actual: dict[str, str], expected: dict[str, str]) -> None:
    for algorithm, digest in actual.items():
        if digest != expected[algorithm]:
            raise SeedError(
                f"hash mismatch for {url}: expected {algorithm} {expected[algorithm]}, got {digest}"
            )


# --------------------------------------------------------------------------- URLs


def _file_path(url: str) -> Path:
    """The local path of a file URL, e.g. file:///srv/simple/ -> /srv/simple."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

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
