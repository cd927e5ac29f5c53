"""burrow.packages.transport: URLs read over kept-alive connections, one per host and
thread, against loopback servers that count the connections they accept; TLS with pip's
trusted hosts, CA bundle and client certificate; proxies."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import List, Tuple
from urllib.error import URLError

import localindex
import pytest
from loopback_tls import connect_proxy, self_signed

from burrow.packages import index
from burrow.packages.pipconfig import IndexConfig
from burrow.packages.transport import Client

NAMES = [f"proj{n}" for n in range(12)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An index of twelve one-wheel projects."""
    src = tmp_path / "src"
    localindex.write_index(tmp_path / "www", [localindex.wheel(src, n, "1.0") for n in NAMES])
    return tmp_path / "www"


def config_for(url: str) -> IndexConfig:
    return IndexConfig(index_urls=(url,), find_links=())


def read_all(client: Client, base: str) -> List[bytes]:
    return [client.read(f"{base}/simple/{name}/", "text/html") for name in NAMES]


def test_requests_to_one_host_share_one_connection(root: Path) -> None:
    with localindex.serve(root, keep_alive=True) as server:
        client = Client(config_for(server.url + "/simple/"))
        pages = read_all(client, server.url)
        wheel = client.read(f"{server.url}/files/proj0-1.0-py3-none-any.whl", "*/*")
        client.close()
    assert all(b"-1.0-py3-none-any.whl" in page for page in pages)
    assert wheel == (root / "files" / "proj0-1.0-py3-none-any.whl").read_bytes()
    assert len(server.requests) == len(NAMES) + 1
    assert server.connections == 1


def test_a_server_that_closes_each_connection_costs_one_per_request(root: Path) -> None:
    # HTTP/1.0, as before keep-alive: the measure the kept connection is compared with.
    with localindex.serve(root) as server:
        pages = read_all(Client(config_for(server.url + "/simple/")), server.url)
    assert all(pages) and server.connections == len(NAMES)


def test_a_connection_the_server_dropped_is_opened_again(root: Path) -> None:
    # The server keeps nothing, yet says nothing: each kept connection is found closed
    # by the next request, which is sent again on a new one.
    with localindex.serve(root, keep_alive=True, close_after_each=True) as server:
        pages = read_all(Client(config_for(server.url + "/simple/")), server.url)
    assert all(b"-1.0-py3-none-any.whl" in page for page in pages)
    assert server.connections == len(NAMES) == len(server.requests)


def test_a_response_left_unread_does_not_spoil_the_next(root: Path) -> None:
    wheel = root / "files" / "proj0-1.0-py3-none-any.whl"
    with localindex.serve(root, keep_alive=True) as server:
        client = Client(config_for(server.url + "/simple/"))
        with client.open(f"{server.url}/files/{wheel.name}", "*/*") as response:
            assert response.body.read(10) == wheel.read_bytes()[:10]
        assert client.read(f"{server.url}/files/{wheel.name}", "*/*") == wheel.read_bytes()
        assert client.read(f"{server.url}/simple/proj1/", "text/html")
    assert server.connections == 2  # the unread one closed, its successor kept


def test_an_index_session_reuses_connections(root: Path) -> None:
    with localindex.serve(root, keep_alive=True) as server, index.Index(
        config_for(server.url + "/simple/"), cache=False
    ) as session:
        session.prefetch(NAMES)
        links = [session.files(name)[0] for name in NAMES]
        for link in links[:4]:
            assert session.metadata(link).startswith(b"Metadata-Version")
    assert [link.filename for link in links] == [f"{n}-1.0-py3-none-any.whl" for n in NAMES]
    # Pages are read by at most _WORKERS threads, each over its own connection, and the
    # metadata in this thread over one more.
    assert len(server.requests) > index._WORKERS + 1 >= server.connections


def test_a_redirect_is_followed_without_the_credentials(root: Path) -> None:
    with localindex.serve(root, keep_alive=True, moved=("/old/", "/simple/")) as server:
        url = server.url.replace("://", "://me:s3cret@") + "/old/"
        client = Client(config_for(url))
        page = client.read(f"{url}proj3/", "text/html")
        client.close()
    assert b"proj3-1.0-py3-none-any.whl" in page
    (first, asked), (second, followed) = [(p, h) for _, p, h in server.requests]
    assert (first, second) == ("/old/proj3/", "/simple/proj3/")
    assert "Authorization" in asked and "Authorization" not in followed


def test_a_configured_proxy_is_still_used(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with localindex.serve(root) as server:
        monkeypatch.setenv("http_proxy", server.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        client = Client(config_for("http://index.invalid/simple/"))
        page = client.read("http://index.invalid/simple/proj2/", "text/html")
    assert b"proj2-1.0-py3-none-any.whl" in page
    assert server.requests[0][2]["Host"] == "index.invalid"


# --------------------------------------------------------------------------- TLS, trusted hosts


@pytest.fixture
def tls(tmp_path: Path) -> Tuple[Path, Path]:
    """A self-signed certificate for localhost and its key."""
    return self_signed(tmp_path / "tls")


def page_of(client: Client, server: localindex.Server) -> bytes:
    return client.read(f"{server.url}/simple/proj1/", "text/html")


def test_a_self_signed_certificate_is_refused_unless_trusted_or_named(
    root: Path, tls: Tuple[Path, Path]
) -> None:
    with localindex.serve(root, keep_alive=True, tls=tls) as server:
        assert server.url.startswith("https://localhost:")
        port = server.url.rpartition(":")[2]
        with pytest.raises(ssl.SSLCertVerificationError):
            page_of(Client(config_for(server.url + "/simple/")), server)
        # pip's trusted-host: 'host' for any port, 'host:port' for that one only.
        for trusted in ("localhost", "LOCALHOST", f"localhost:{port}"):
            config = config_for(server.url).replace(trusted_hosts=(trusted,))
            assert b"proj1-1.0-py3-none-any.whl" in page_of(Client(config), server)
        for other in ("localhost:1", "127.0.0.1", "example.invalid"):
            config = config_for(server.url).replace(trusted_hosts=(other,))
            with pytest.raises(ssl.SSLCertVerificationError):
                page_of(Client(config), server)
        # The certificate as the CA bundle (pip's cert) is checked, and accepted.
        config = config_for(server.url).replace(cert=str(tls[0]))
        assert b"proj1-1.0-py3-none-any.whl" in page_of(Client(config), server)


def test_a_client_certificate_is_sent_when_configured(root: Path, tmp_path: Path) -> None:
    server_tls = self_signed(tmp_path / "tls", "server")
    mine, my_key = self_signed(tmp_path / "tls", "client")
    both = tmp_path / "tls" / "client-and-key.pem"  # pip's client-cert: one PEM file
    both.write_bytes(mine.read_bytes() + my_key.read_bytes())
    with localindex.serve(root, tls=server_tls, client_ca=mine) as server:
        config = config_for(server.url).replace(cert=str(server_tls[0]))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            page_of(Client(config), server)
        config = config.replace(client_cert=str(both))
        assert b"proj1-1.0-py3-none-any.whl" in page_of(Client(config), server)


def test_https_goes_through_a_connect_proxy(
    root: Path, tls: Tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with localindex.serve(root, tls=tls) as server, connect_proxy() as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        trusting = config_for(server.url).replace(trusted_hosts=("localhost",))
        assert b"proj1-1.0-py3-none-any.whl" in page_of(Client(trusting), server)
        with pytest.raises(URLError, match="CERTIFICATE_VERIFY_FAILED"):
            page_of(Client(config_for(server.url)), server)
        assert proxy.tunnels == [server.url.split("//")[1]] * 2
        assert len(server.requests) == 1


def test_pips_proxy_setting_is_used_unless_the_environment_names_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with localindex.serve(root) as configured, localindex.serve(root) as environment:
        # pip's proxy may be given without a scheme, as 'host:port'.
        config = config_for("http://index.invalid/simple/").replace(
            proxy=configured.url.split("//")[1]
        )
        assert b"proj2-1.0" in Client(config).read("http://index.invalid/simple/proj2/", "*/*")
        assert [h["Host"] for _, _, h in configured.requests] == ["index.invalid"]
        monkeypatch.setenv("http_proxy", environment.url)
        assert b"proj2-1.0" in Client(config).read("http://index.invalid/simple/proj2/", "*/*")
        assert len(configured.requests) == 1 and len(environment.requests) == 1


def test_plain_http_warns_once_unless_trusted_or_local(
    root: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with localindex.serve(root) as server:
        monkeypatch.setenv("http_proxy", server.url)

        def read(config: IndexConfig) -> List[str]:
            caplog.clear()
            with index.Index(config, cache=False) as session:
                assert [link.filename for link in session.files("proj3")] == [
                    "proj3-1.0-py3-none-any.whl"
                ]
                session.files("proj4")
            return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]

        remote = config_for("http://index.invalid/simple/")
        (warning,) = read(remote)
        assert "http://index.invalid/simple/proj3/" in warning
        assert "--trusted-host index.invalid" in warning
        assert read(remote.replace(trusted_hosts=("index.invalid",))) == []
        monkeypatch.delenv("http_proxy")
        assert read(config_for(server.url + "/simple/")) == []  # loopback: pip's secure too
