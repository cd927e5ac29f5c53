"""Reading URLs for the index client: http(s) and file URLs, TLS, credentials, timeouts."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from burrow._fast import Record, getLogger
from burrow.packages import urls

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterator, Mapping
    from urllib.request import OpenerDirector

    from burrow.packages.pipconfig import IndexConfig

logger = getLogger(__name__)

_USER_AGENT = "burrow (+index client)"


class Unreadable(Exception):
    """A page or find-links location that exists but could not be read (network, parse)."""


class Response(Record):
    url: str  # after redirects
    status: int
    content_type: str
    length: int | None
    headers: Mapping[str, str]
    body: IO[bytes]


class Client:
    """Reads URLs for one config: TLS context, credentials (URL or ~/.netrc), timeouts."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._opener: OpenerDirector | None = None
        self._auth: dict[str, str | None] = {}
        self._lock = threading.Lock()
        for url in (*config.index_urls, *config.find_links):
            _, netloc, header = urls.split_auth(url)
            if header:
                self._auth.setdefault(netloc, header)

    def read(self, url: str, accept: str) -> bytes:
        with self.open(url, accept) as response:
            return response.body.read()

    @contextmanager
    def open(
        self, url: str, accept: str, headers: Mapping[str, str] | None = None
    ) -> Iterator[Response]:
        """Yield the response to a GET of an http(s) or file URL (HTTPError for >= 300)."""
        from urllib.parse import urlsplit

        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            path = urls.file_path(url)
            if path.is_dir():  # pip reads index.html of a file:// index directory
                path = path / "index.html"
            content_type = "application/json" if path.suffix == ".json" else ""
            with path.open("rb") as body:
                size = os.fstat(body.fileno()).st_size
                yield Response(
                    url=path.as_uri(),
                    status=200,
                    content_type=content_type,
                    length=size,
                    headers={},
                    body=body,
                )
            return
        if scheme not in ("http", "https"):
            raise Unreadable(f"{urls.redact(url)}: only http, https and file URLs are supported")

        from urllib.request import Request

        clean_url, netloc, header = urls.split_auth(url)
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
            yield Response(
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


def reason(exc: BaseException) -> str:
    """A short reason for a network failure: 'timed out', '[Errno 111] Connection refused'."""
    from urllib.error import URLError

    if isinstance(exc, URLError) and not isinstance(exc.reason, str):
        return str(exc.reason)
    if isinstance(exc, URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
