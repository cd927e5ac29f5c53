"""The HTTP cache of index pages: parsed files kept with their validators and freshness."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

from burrow import fs, store
from burrow._fast import getLogger
from burrow.packages import pages, transport, urls
from burrow.packages.pages import Link

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

logger = getLogger(__name__)

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
# Bump when the cached page form changes; older entries are then simply not read.
# 2: marshal records (numpy's page loads in a third of JSON's time).
_PAGE_FORMAT = 2


class PageCache:
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
            key = urls.fnv(url)
            self.path = os.path.join(root, "pages", key[:2], key + ".marshal")

    def read(self, client: transport.Client, name: str, *, missing_ok: bool) -> list[Link]:
        from urllib.parse import urlsplit

        if urlsplit(self.url).scheme.lower() == "file":
            return self._read_file(client, name)
        return self._read_http(client, name, missing_ok=missing_ok)

    def _read_file(self, client: transport.Client, name: str) -> list[Link]:
        path = urls.file_path(self.url)
        if path.is_dir():
            path = path / "index.html"
        try:
            st = path.stat()
        except FileNotFoundError:
            logger.debug("%s is not on %s", name, self.url)
            return []
        except OSError as exc:
            raise transport.Unreadable(f"{self.url}: {exc}") from exc
        stamp = [st.st_mtime_ns, st.st_size]
        entry = self._load()
        if entry is not None and entry.get("stamp") == stamp:
            return _rows_to_links(entry["files"])
        links = self._fetch_and_parse(client, name, {})[0]
        self._store({"stamp": stamp, "files": _links_to_rows(links)})
        return links

    def _read_http(self, client: transport.Client, name: str, *, missing_ok: bool) -> list[Link]:
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
                logger.debug("%s not modified", urls.redact(self.url))
                entry["expires"] = _expiry(cast("Mapping[str, str]", exc.headers), now)
                self._store(entry)
                return _rows_to_links(entry["files"])
            if exc.code in (404, 410) and missing_ok:
                logger.debug("%s is not on %s (%s)", name, urls.redact(self.url), exc)
                return []
            raise transport.Unreadable(f"{urls.redact(self.url)}: {exc}") from exc
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
        self, client: transport.Client, name: str, headers: Mapping[str, str]
    ) -> tuple[list[Link], Mapping[str, str]]:
        import http.client
        from urllib.error import HTTPError

        try:
            with client.open(self.url, ACCEPT, headers) as response:
                data = response.body.read()
        except FileNotFoundError:
            return [], {}
        except HTTPError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise transport.Unreadable(f"{urls.redact(self.url)}: {transport.reason(exc)}") from exc
        content_type = response.content_type
        try:
            if "json" in content_type or (not content_type and data.lstrip()[:1] == b"{"):
                links = pages.parse_json_page(data, response.url, name)
            else:
                links = pages.parse_html_page(data, response.url, name, content_type)
        except ValueError as exc:
            raise transport.Unreadable(f"{urls.redact(self.url)}: {exc}") from exc
        return links, response.headers

    def _load(self) -> dict[str, Any] | None:
        if self.path is None:
            return None
        entry = store.load(self.path)  # None when missing or unreadable
        if not isinstance(entry, dict) or entry.get("format") != _PAGE_FORMAT:
            return None
        if entry.get("url") != self.url:
            return None
        return entry

    def _store(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        entry.update(format=_PAGE_FORMAT, url=self.url)
        try:
            store.dump(self.path, entry)
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
    """The `Link`s of a cached page. A row this module wrote holds every field, so it
    fills the record directly: a warm resolution loads ~50k of them, and the checking
    constructor costs twice as much. Any other row goes through that constructor."""
    make = Link.__new__
    links = []
    for row in rows:
        if len(row) == len(_ROW):
            link = make(Link)
            link.__dict__.update(zip(_ROW, row))
        else:
            link = Link(**dict(zip(_ROW, row)))
        links.append(link)
    return links


def write_atomic(path: str, data: bytes) -> None:
    """Write the cache file `path` whole, readable by its owner only (its folder made)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fs.replace_file(path, data, 0o600)
