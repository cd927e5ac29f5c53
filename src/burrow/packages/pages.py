"""What an index offers: `Link`s read from PEP 503 HTML and PEP 691 JSON project pages.

parse_filename("Django-4.2.tar.gz")  # ('django', '4.2')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from burrow._fast import Record, getLogger

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

logger = getLogger(__name__)

_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
# hashlib.algorithms_guaranteed, known without importing hashlib (and OpenSSL) on the
# warm path, where only names are compared.
GUARANTEED = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"}
    | {"sha3_224", "sha3_256", "sha3_384", "sha3_512", "shake_128", "shake_256"}
)


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


class BadPage(ValueError):
    """An index page that is not what the simple API promises."""


def parse_json_page(data: bytes, base_url: str, name: str) -> list[Link]:
    """Files of a PEP 691 JSON project page (API version 1.x)."""
    import json
    from urllib.parse import urljoin

    page = json.loads(data)
    if not isinstance(page, dict) or not isinstance(page.get("files"), list):
        raise BadPage("not a PEP 691 project page")
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
        link = make_link(
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
    return keep(links, name)


def parse_html_page(data: bytes, base_url: str, name: str, content_type: str) -> list[Link]:
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
        link = make_link(
            urljoin(base, href),
            None,
            {},
            attrs.get("data-requires-python") or None,
            yanked=yanked,
            metadata=_metadata_attribute(metadata),
        )
        if link is not None:
            links.append(link)
    return keep(links, name)


def _metadata_attribute(value: str | None) -> dict[str, str] | None:
    """PEP 658's attribute: 'true' -> {}, 'sha256=ab12' -> {'sha256': 'ab12'}, absent -> None."""
    if value is None or value.strip().lower() == "false":
        return None
    algorithm, sep, digest = value.strip().partition("=")
    return {algorithm.lower(): digest.lower()} if sep and digest else {}


def make_link(
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
        if usable_hash(algorithm.lower(), GUARANTEED) and digest:
            hashes.setdefault(algorithm.lower(), digest.lower())
    filename = filename or unquote(parts.path.rsplit("/", 1)[-1])
    # The name becomes a path on disk: a file name, never a path of its own.
    if "/" in filename or "\\" in filename or filename.startswith("."):
        return None
    parsed = parse_filename(filename)
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


def parse_filename(filename: str) -> tuple[str, str] | None:
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


def is_dist_name(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".whl") or name.endswith(_SDIST_SUFFIXES)


def usable_hash(algorithm: str, available: Iterable[str]) -> bool:
    """Whether a hash name can check a file: 'sha256' yes; 'shake_128' has no fixed digest."""
    return algorithm in available and not algorithm.startswith("shake_")


def keep(links: Iterable[Link | None], name: str) -> list[Link]:
    """Only the links whose file belongs to the (canonical) project `name`."""
    kept = []
    for link in links:
        if link is None:
            continue
        parsed = parse_filename(link.filename)
        if parsed is not None and parsed[0] == name:
            kept.append(link)
    return kept


def hash_ok(data: bytes, expected: Mapping[str, str]) -> bool:
    """Whether `data` matches every usable hash in `expected` ({} matches anything)."""
    import hashlib

    for algorithm, digest in expected.items():
        usable = usable_hash(algorithm, hashlib.algorithms_guaranteed)
        if usable and hashlib.new(algorithm, data).hexdigest() != digest.lower():
            return False
    return True
