"""Reading URLs for the index client: http(s) and file URLs, TLS, credentials, timeouts.

A `Client` keeps one HTTP(S) connection per host in each thread and sends every later
request to that host over it (keep-alive), as pip's session does: a resolution reads
dozens of pages and files from one index, and each new connection costs a TCP (and TLS)
handshake. Through a proxy the requests go by urllib instead, one connection each.

As in pip: a trusted host (`trusted-host`, 'host' or 'host:port') is read over https
without checking its certificate, and over plain http without a warning; the
environment's proxy (`https_proxy`, `no_proxy`, ...) wins over pip's `proxy`.
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
        self._openers: dict[tuple[bool, str], OpenerDirector] = {}  # (trusted, proxy)
        self._auth: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._contexts: dict[bool, ssl.SSLContext] = {}  # trusted -> context
        self._proxies: dict[str, str] | None = None
        self._trusted = [host_port(host) for host in config.trusted_hosts]
        self._warned: set[str] = set()
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
        proxy = self._proxy(clean_url)
        if proxy is None:
            with self._kept_alive(clean_url, sent, header) as response:
                yield response
        else:
            with self._via_proxy(clean_url, sent, header, proxy) as response:
                yield response

    def is_trusted(self, url: str) -> bool:
        """Whether `url`'s host is a trusted host: 'host' for every port, 'host:port'."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
        return any(host == h and (p is None or p == port) for h, p in self._trusted)

    def warn_if_insecure(self, url: str) -> None:
        """Warn once per host about a plain-http index or find-links page that is neither
        trusted nor on this machine (pip ignores those; burrow reads them, and says so)."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() != "http" or _loopback(host) or self.is_trusted(url):
            return
        with self._lock:
            if parts.netloc in self._warned:
                return
            self._warned.add(parts.netloc)
        logger.warning(
            "%s is read over plain http, which anyone on the way can change; use https, "
            "or add it to pip's trusted-host (--trusted-host %s) to silence this",
            urls.redact(url), parts.netloc.rpartition("@")[2],
        )  # fmt: skip

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
                host, port, timeout=self.config.timeout, context=self._ssl(parts.geturl())
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.config.timeout)
        with self._lock:
            self._connections.append(connection)
        return connection

    def _ssl(self, url: str) -> ssl.SSLContext:
        """The TLS context for `url`: unchecked for a trusted host, else the CA bundle's."""
        trusted = self.is_trusted(url)
        with self._lock:
            if trusted not in self._contexts:
                try:
                    self._contexts[trusted] = _ssl_context(self.config, verify=not trusted)
                except Unreadable as exc:
                    raise Unreadable(f"{urls.redact(url)}: {exc}") from exc
            return self._contexts[trusted]

    def _proxy(self, url: str) -> str | None:
        """The proxy for `url`: the environment's (http_proxy, https_proxy, ...) unless
        no_proxy exempts the host, else pip's `proxy`; None to go direct."""
        from urllib.parse import urlsplit
        from urllib.request import getproxies, proxy_bypass

        with self._lock:
            if self._proxies is None:
                self._proxies = getproxies()
            proxies = self._proxies
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in proxies and not proxy_bypass(parts.hostname or ""):
            return proxies[scheme]
        proxy = self.config.proxy
        if proxy and "://" not in proxy:  # 'host:port', as pip (requests) reads it
            proxy = f"http://{proxy}"
        return proxy or None

    @contextmanager
    def _via_proxy(
        self, url: str, headers: Mapping[str, str], authorization: str | None, proxy: str
    ) -> Iterator[Response]:
        from urllib.request import Request

        # Only http(s) URLs come here (checked by open).
        request = Request(url, headers=dict(headers))  # noqa: S310
        if authorization:
            # Unredirected: credentials never follow a redirect to another host.
            request.add_unredirected_header("Authorization", authorization)
        opener = self._get_opener(url, proxy)
        with opener.open(request, timeout=self.config.timeout) as response:
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

    def _get_opener(self, url: str, proxy: str) -> OpenerDirector:
        trusted, context = self.is_trusted(url), self._ssl(url)
        with self._lock:
            opener = self._openers.get((trusted, proxy))
            if opener is None:
                from urllib.request import HTTPSHandler, ProxyHandler, build_opener

                proxies = ProxyHandler({"http": proxy, "https": proxy})
                opener = build_opener(proxies, HTTPSHandler(context=context))
                self._openers[trusted, proxy] = opener
            return opener


def host_port(host: str) -> tuple[str, int | None]:
    """A trusted-host value as (host, port), e.g. 'Example.com:8443' -> ('example.com', 8443)."""
    from urllib.parse import urlsplit

    parts = urlsplit(f"//{host.strip()}")
    try:
        port = parts.port
    except ValueError:
        logger.warning("ignoring trusted-host %r: not a host or host:port", host)
        return "", None
    return (parts.hostname or "").lower(), port


def _loopback(host: str) -> bool:
    """Whether `host` is this machine, which pip counts as secure over plain http."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def _ssl_context(config: IndexConfig, *, verify: bool) -> ssl.SSLContext:
    """TLS for the index: the configured CA bundle (file or directory) and client
    certificate; `verify=False` (a trusted host) checks neither name nor certificate."""
    import ssl

    cert = config.cert
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        try:
            if cert and Path(cert).is_dir():
                context = ssl.create_default_context(capath=cert)
            else:
                context = ssl.create_default_context(cafile=cert or None)
        except (OSError, ssl.SSLError) as exc:  # not a page missing: say which file
            raise Unreadable(f"cannot use the CA bundle {cert} (pip's cert): {_why(exc)}") from exc
    if config.client_cert:
        try:
            context.load_cert_chain(config.client_cert)  # one PEM file: key and certificate
        except (OSError, ssl.SSLError) as exc:
            raise Unreadable(
                f"cannot use the client certificate {config.client_cert}: {_why(exc)}"
            ) from exc
    return context


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else "") or str(exc)


def reason(exc: BaseException) -> str:
    """A short reason for a network failure: 'timed out', '[Errno 111] Connection refused'."""
    from urllib.error import URLError

    if isinstance(exc, URLError) and not isinstance(exc.reason, str):
        return str(exc.reason)
    if isinstance(exc, URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
