"""Reading URLs for the index client: http(s) and file URLs, TLS, credentials, timeouts.

A `Client` keeps one HTTP(S) connection per host in each thread and sends every later
request to that host over it (keep-alive), as pip's session does: a resolution reads
dozens of pages and files from one index, and each new connection costs a TCP (and TLS)
handshake. Through a proxy the requests go by urllib instead, one connection each.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from burrow._fast import Record, getLogger
from burrow.packages import urls

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterator, Mapping
    from http.client import HTTPConnection, HTTPResponse
    from urllib.parse import SplitResult
    from urllib.request import OpenerDirector

    from burrow.packages.pipconfig import IndexConfig

logger = getLogger(__name__)

_USER_AGENT = "burrow (+index client)"
# As many as urllib follows; credentials never follow one.
_REDIRECTS = 10


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
        self._context: ssl.SSLContext | None = None
        self._proxies: dict[str, str] | None = None
        self._local = threading.local()  # .connections: {(scheme, netloc): connection}
        self._connections: list[HTTPConnection] = []  # every thread's, closed by close()
        for url in (*config.index_urls, *config.find_links):
            _, netloc, header = urls.split_auth(url)
            if header:
                self._auth.setdefault(netloc, header)

    def close(self) -> None:
        """Close the connections kept open; a later request opens new ones."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

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

        clean_url, netloc, header = urls.split_auth(url)
        sent = {"Accept": accept, "User-Agent": _USER_AGENT, **(headers or {})}
        header = header or self._credentials(netloc)
        opened = self._via_proxy if self._proxied(clean_url) else self._kept_alive
        with opened(clean_url, sent, header) as response:
            yield response

    @contextmanager
    def _kept_alive(
        self, url: str, headers: Mapping[str, str], authorization: str | None
    ) -> Iterator[Response]:
        """GET over this thread's connection to the host, following redirects."""
        from urllib.error import HTTPError
        from urllib.parse import urljoin, urlsplit

        for _ in range(_REDIRECTS + 1):
            sent = dict(headers)
            if authorization:
                sent["Authorization"] = authorization
            connection, reply = self._exchange(urlsplit(url), sent)
            location = reply.getheader("Location")
            if reply.status not in (301, 302, 303, 307, 308) or not location:
                break
            reply.read()
            # As urllib does: credentials never follow a redirect, to any host.
            url, authorization = urljoin(url, location), None
        else:
            reply.read()
            raise HTTPError(url, reply.status, "too many redirects", reply.headers, None)
        if not 200 <= reply.status < 300:
            import io

            body = io.BytesIO(reply.read())
            raise HTTPError(url, reply.status, reply.reason, reply.headers, body)
        try:
            length = reply.getheader("Content-Length")
            yield Response(
                url=url,
                status=reply.status,
                content_type=(reply.getheader("Content-Type") or "").lower(),
                length=int(length) if length and length.isdigit() else None,
                headers=cast("Mapping[str, str]", reply.headers),  # a Message: get, []
                body=reply,
            )
        finally:
            if not reply.isclosed():  # left unread: the connection cannot carry another
                reply.close()
                connection.close()

    def _exchange(
        self, parts: SplitResult, headers: Mapping[str, str]
    ) -> tuple[HTTPConnection, HTTPResponse]:
        """Send one GET on the kept connection to its host; the response's head read."""
        import http.client

        connections: dict[tuple[str, str], HTTPConnection]
        connections = self._local.__dict__.setdefault("connections", {})
        key = (parts.scheme.lower(), parts.netloc.lower())
        connection = connections.get(key)
        if connection is None:
            connection = connections[key] = self._connect(parts)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        reused = connection.sock is not None
        try:
            connection.request("GET", target, headers=dict(headers))
            return connection, connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if not reused:
                raise
            # The server closed the idle connection first; a GET is safe to send again.
            logger.debug("reconnecting to %s", parts.netloc)
        except BaseException:
            connection.close()
            raise
        try:
            connection.request("GET", target, headers=dict(headers))
            return connection, connection.getresponse()
        except BaseException:
            connection.close()
            raise

    def _connect(self, parts: SplitResult) -> HTTPConnection:
        import http.client

        host, port = parts.hostname or "", parts.port
        connection: HTTPConnection
        if parts.scheme.lower() == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=self.config.timeout, context=self._ssl()
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.config.timeout)
        with self._lock:
            self._connections.append(connection)
        return connection

    def _ssl(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                self._context = _ssl_context(self.config.cert)
            return self._context

    def _proxied(self, url: str) -> bool:
        """Whether the environment sends `url` through a proxy (http_proxy, no_proxy, ...)."""
        from urllib.parse import urlsplit
        from urllib.request import getproxies, proxy_bypass

        with self._lock:
            if self._proxies is None:
                self._proxies = getproxies()
            proxies = self._proxies
        parts = urlsplit(url)
        if parts.scheme.lower() not in proxies:
            return False
        return not proxy_bypass(parts.hostname or "")

    @contextmanager
    def _via_proxy(
        self, url: str, headers: Mapping[str, str], authorization: str | None
    ) -> Iterator[Response]:
        from urllib.request import Request

        # Only http(s) URLs come here (checked by open).
        request = Request(url, headers=dict(headers))  # noqa: S310
        if authorization:
            # Unredirected: credentials never follow a redirect to another host.
            request.add_unredirected_header("Authorization", authorization)
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
