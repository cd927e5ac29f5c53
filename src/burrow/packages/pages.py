"""What an index offers: `Link`s read from PEP 503 HTML and PEP 691 JSON project pages.

parse_filename("Django-4.2.tar.gz")  # ('django', '4.2')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from burrow._fast import Record, getLogger

if TYPE_CHECKING:
    import re
    from collections.abc import Iterable, Mapping

logger = getLogger(__name__)

_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
# hashlib.algorithms_guaranteed, known without importing hashlib (and OpenSSL) on the
# warm path, where only names are compared.
GUARANTEED = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"}
    | {"sha3_224", "sha3_256", "sha3_384", "sha3_512", "shake_128", "shake_256"}
)
# Those a page's hash may name: a shake digest has no fixed length to check.
_USABLE = frozenset(name for name in GUARANTEED if not name.startswith("shake_"))


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


def parse_json_page(data: bytes, base_url: str, name: str) -> List[Link]:
    """Files of project `name` on a PEP 691 JSON project page (API version 1.x)."""
    import json

    page = json.loads(data)
    if not isinstance(page, dict) or not isinstance(page.get("files"), list):
        raise BadPage("not a PEP 691 project page")
    api_version = str(page.get("meta", {}).get("api-version", "1.0"))
    if not api_version.startswith("1."):
        raise ValueError(f"unsupported simple API version {api_version}")
    join = Joiner(base_url)
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
            join(str(entry["url"])),
            str(entry["filename"]),
            {str(k): str(v) for k, v in hashes.items()},
            str(requires_python) if requires_python else None,
            yanked=(yanked if isinstance(yanked, str) else "") if yanked else None,
            metadata=(
                {str(k): str(v) for k, v in metadata.items()}
                if isinstance(metadata, dict)
                else ({} if metadata is True else None)
            ),
            project=name,
        )
        if link is not None:
            links.append(link)
    return links


def parse_html_page(data: bytes, base_url: str, name: str, content_type: str) -> List[Link]:
    """Files of project `name` on a PEP 503 HTML page (or any find-links page of anchors)."""
    from urllib.parse import urljoin

    from burrow.packages import anchors

    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"'")
    found, base = anchors.scan(data.decode(charset, errors="replace"))
    join = Joiner(urljoin(base_url, base) if base else base_url)
    links = []
    for attrs in found:
        href = attrs.get("href")
        if not href:
            continue
        # Present, even empty, means yanked (PEP 592).
        yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        link = make_link(
            join(href),
            None,
            {},
            attrs.get("data-requires-python") or None,
            yanked=yanked,
            metadata=_metadata_attribute(metadata),
            project=name,
        )
        if link is not None:
            links.append(link)
    return links


def _metadata_attribute(value: str | None) -> dict[str, str] | None:
    """PEP 658's attribute: 'true' -> {}, 'sha256=ab12' -> {'sha256': 'ab12'}, absent -> None."""
    if value is None or value.strip().lower() == "false":
        return None
    algorithm, sep, digest = value.strip().partition("=")
    return {algorithm.lower(): digest.lower()} if sep and digest else {}


class Joiner:
    """`urljoin(base, href)` for the many hrefs of one page, mostly by string operations.

    An absolute http(s) href of the plain form PyPI's pages use is its own answer; a
    relative one is its directory part, joined once by `urljoin`, plus its last segment
    and fragment, as `urljoin` would give them. Anything else goes to `urljoin`.
    """

    def __init__(self, base: str) -> None:
        from urllib.parse import urljoin

        self.base = base
        self._urljoin = urljoin
        self._plain, self._relative = _url_patterns()
        # Only a hierarchical base joins relative paths by `urljoin`'s dot-segment rules.
        self._hierarchical = base.startswith(("https://", "http://", "file://"))
        self._heads: Dict[str, Optional[str]] = {}  # a directory part -> it joined

    def __call__(self, href: str) -> str:
        if not href.isascii():
            return self._urljoin(self.base, href)
        if self._plain.match(href):
            return href
        found = self._relative.match(href) if self._hierarchical else None
        if found is None:
            return self._urljoin(self.base, href)
        head, tail, fragment = found.groups()
        joined = self._heads.get(head, "")
        if joined == "":
            joined = self._urljoin(self.base, head or "./")
            if not joined.endswith("/") or "?" in joined or "#" in joined:
                joined = None  # not a plain directory: no shortcut from it
            self._heads[head] = joined
        if joined is None:
            return self._urljoin(self.base, href)
        return joined + tail + ("#" + fragment if fragment else "")


# What urlsplit strips or removes: controls and spaces (and anything not ASCII, which
# the callers check first: a class of all of Unicode takes long to compile).
_ODD = r"\x00-\x20\x7f"
_urls: Optional[Tuple[re.Pattern[str], re.Pattern[str]]] = None


def _url_patterns() -> Tuple[re.Pattern[str], re.Pattern[str]]:
    """(plain, relative): the hrefs `Joiner` and `make_link` take apart by string operations.

    A plain URL is one that `urlparse` and `urlsplit` give back unchanged: http(s) in
    lower case, a host without brackets, a path without `;params`, no query, a fragment
    if not empty, nothing odd (given it is ASCII). A relative one has neither a scheme
    nor a host: a directory part, a last segment (not '.' or '..'), perhaps a fragment.
    """
    global _urls  # compiled once per process
    if _urls is None:
        import re

        _urls = (
            re.compile(rf"https?://[^/?#\[\]\\{_ODD}]+/[^?#;\\{_ODD}]*(?:#[^?\\{_ODD}]+)?\Z"),
            re.compile(
                rf"(?!//)((?:[^:/?#\\{_ODD}]*/)*)"  # the directory part
                rf"(?!\.\.?(?:#|\Z))([^:/?#;\\{_ODD}]+)"  # the last segment
                rf"(?:#([^\\{_ODD}]*))?\Z"  # the fragment
            ),
        )
    return _urls


def make_link(
    url: str,
    filename: str | None,
    hashes: dict[str, str],
    requires_python: str | None,
    *,
    yanked: str | None = None,
    metadata: dict[str, str] | None = None,
    project: str | None = None,
) -> Link | None:
    """A Link for a wheel or sdist URL (hash fragment folded into `hashes`), else None.

    None too for another project's file when `project` (a canonical name) is given.
    """
    if url.isascii() and _url_patterns()[0].match(url):
        address, _, fragment = url.partition("#")  # as urlsplit/urlunsplit would
        last = address[address.rindex("/") + 1 :]
    else:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        address = urlunsplit(parts._replace(fragment=""))
        fragment = parts.fragment
        last = parts.path.rsplit("/", 1)[-1]
    if not filename:
        if "%" in last:
            from urllib.parse import unquote

            last = unquote(last)
        filename = last
    # The name becomes a path on disk: a file name, never a path of its own.
    if "/" in filename or "\\" in filename or filename.startswith("."):
        return None
    parsed = parse_filename(filename)
    if parsed is None or (project is not None and parsed[0] != project):
        return None
    hashes = {k.lower(): v.lower() for k, v in hashes.items()} if hashes else {}
    for item in fragment.split("&") if fragment else ():
        algorithm, _, digest = item.partition("=")
        algorithm = algorithm.lower()
        if digest and algorithm in _USABLE:
            hashes.setdefault(algorithm, digest.lower())
    # Every field is known good: filled in directly, as the checking constructor costs
    # as much again on a page of thousands of files.
    link = Link.__new__(Link)
    link.__dict__.update(
        filename=filename,
        url=address,
        version=parsed[1],
        hashes=hashes,
        requires_python=requires_python.strip() if requires_python else None,
        yanked=yanked,
        metadata=metadata,
    )
    return link


def parse_filename(filename: str) -> tuple[str, str] | None:
    """(canonical name, version) of a wheel or sdist file name, None for anything else.

    `Django-4.2.tar.gz` -> ('django', '4.2'); `pip-24.0-py3-none-any.whl` -> ('pip', '24.0').
    The checks are packaging's `parse_wheel_filename`'s, but its tags are left to whoever
    ranks them for a target.
    """
    if filename.endswith(".whl"):
        stem = filename[:-4]
        dashes = stem.count("-")
        if dashes not in (4, 5):
            return _not_a_dist(filename, "wheel")
        parts = stem.split("-", dashes - 2)
        name = _wheel_name(parts[0])
        version = _version(parts[1])
        if name is None or version is None or (dashes == 5 and not _build_ok(parts[2])):
            return _not_a_dist(filename, "wheel")
        return name, version
    sdist = next((filename[: -len(s)] for s in _SDIST_SUFFIXES if filename.endswith(s)), None)
    if sdist is None:
        return None
    # Legacy sdist names put no rule on the project part: the version is after the last dash.
    project, dash, version_text = sdist.rpartition("-")
    version = _version(version_text)
    if dash and project and version is not None:
        return canonical_name(project), version
    return _not_a_dist(filename, "sdist")


def _not_a_dist(filename: str, kind: str) -> tuple[str, str] | None:
    logger.debug("ignoring %s: not a valid %s filename", filename, kind)
    return None


def canonical_name(name: str) -> str:
    """PEP 503's normal form: 'Foo.Bar__baz' -> 'foo-bar-baz' (packaging's, without its import)."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


# Answers by the string asked: a page names the same project and versions many times.
_wheel_names: Dict[str, Optional[str]] = {}
_versions: Dict[str, Optional[str]] = {}


def _wheel_name(text: str) -> str | None:
    """A wheel's project part, canonical; None unless letters, digits, '.' and single '_'."""
    found = _wheel_names.get(text, "")
    if found == "":
        # packaging's test, `^[\w\d._]*$`, lets one newline end the name.
        body = text[:-1] if text.endswith("\n") else text
        ok = "__" not in text and all(c.isalnum() or c in "._" for c in body)
        found = _wheel_names[text] = canonical_name(text) if ok else None
    return found


def _version(text: str) -> str | None:
    """A version as packaging normalises it ('1.0.0RC1' -> '1.0.0rc1'), None if invalid."""
    found = _versions.get(text, "")
    if found == "":
        from packaging.version import InvalidVersion, Version

        try:
            found = str(Version(text))
        except InvalidVersion:
            found = None
        _versions[text] = found
    return found


def _build_ok(text: str) -> bool:
    """A wheel's build tag starts with an ASCII digit."""
    return text[:1].isdigit() and text[:1].isascii()


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
