"""Tests for the index client: pip's config, simple-API pages, wheel choice, checked downloads."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import helpers
import localindex
import pytest
from helpers import write
from localindex import sha256

from burrow.errors import SeedError
from burrow.packages import index, pipconfig
from burrow.packages.download import download
from burrow.packages.index import best_wheel, find_wheels
from burrow.packages.metadata import NeedsBuild
from burrow.packages.pages import WheelLink
from burrow.packages.pipconfig import DEFAULT_INDEX, IndexConfig, pip_config

if TYPE_CHECKING:
    from collections.abc import Iterator

PY312 = (3, 12, 1)


# --------------------------------------------------------------------------- builders


def make_wheel(directory: Path, name: str, version: str, tag: str = "py3-none-any") -> Path:
    return helpers.make_wheel(directory, name, version, tag=tag)


def html_project(root: Path, project: str, anchors: list[tuple[Path, str]]) -> None:
    """root/simple/<project>/index.html linking to wheels in root/files by relative hrefs."""
    page = root / "simple" / project
    page.mkdir(parents=True, exist_ok=True)
    lines = [
        f'<a href="../../files/{wheel.name}#sha256={sha256(wheel)}"{attrs}>{wheel.name}</a><br/>'
        for wheel, attrs in anchors
    ]
    (page / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n" + "\n".join(lines) + "\n</body></html>\n", "utf-8"
    )


def json_project(root: Path, project: str, files: list[dict[str, object]]) -> None:
    page = root / "simple" / project
    page.mkdir(parents=True, exist_ok=True)
    body = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
    (page / "index.json").write_text(json.dumps(body), "utf-8")


def config_for(*index_urls: str, find_links: tuple[str, ...] = ()) -> IndexConfig:
    return IndexConfig(index_urls=index_urls, find_links=find_links, timeout=5.0)


# --------------------------------------------------------------------------- HTTP server


class Served:
    """A simple index served from `root` on 127.0.0.1, recording each request's headers."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.requests: list[tuple[str, dict[str, str]]] = []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    root = tmp_path / "www"
    root.mkdir()
    requests: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, dict(self.headers.items())))
            path = root / unquote(self.path.split("?")[0].split("#")[0]).lstrip("/")
            content_type = "application/octet-stream"
            if path.name == "broken":
                self.send_error(500)
                return
            if path.is_dir():
                accept = self.headers.get("Accept", "")
                if (path / "index.json").is_file() and "json" in accept:
                    path, content_type = path / "index.json", "application/vnd.pypi.simple.v1+json"
                else:
                    path, content_type = path / "index.html", "text/html; charset=utf-8"
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    served = Served(root, f"http://127.0.0.1:{server.server_address[1]}")
    served.requests = requests
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --------------------------------------------------------------------------- pip config


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environ with its own HOME; the system-wide files are moved into tmp_path too."""
    system = tmp_path / "system" / "pip.conf"
    monkeypatch.setattr(pipconfig, "_global_config_files", lambda env: [str(system)])
    (tmp_path / "home").mkdir()
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "home" / "cfg")}


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the Linux file locations")
def test_config_file_locations_follow_pip(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_CONFIG_DIRS": f"{tmp_path / 'xdg1'}{os.pathsep}{tmp_path / 'xdg2'}",
    }
    user = [str(tmp_path / ".pip" / "pip.conf"), str(tmp_path / "cfg" / "pip" / "pip.conf")]
    system = [
        str(tmp_path / "xdg1" / "pip" / "pip.conf"),
        str(tmp_path / "xdg2" / "pip" / "pip.conf"),
        "/etc/pip.conf",
    ]
    assert pipconfig.config_files(env) == system + user

    missing = str(tmp_path / "missing.conf")
    assert pipconfig.config_files({**env, "PIP_CONFIG_FILE": missing}) == [
        *system,
        *user,
        missing,
    ]
    # An existing PIP_CONFIG_FILE replaces the user's files, and os.devnull disables all.
    existing = str(write(tmp_path / "only.conf", ""))
    assert pipconfig.config_files({**env, "PIP_CONFIG_FILE": existing}) == [*system, existing]
    assert pipconfig.config_files({**env, "PIP_CONFIG_FILE": os.devnull}) == []
    assert pipconfig.config_files({"HOME": str(tmp_path)})[:2] == [
        "/etc/xdg/pip/pip.conf",
        "/etc/pip.conf",
    ]


def test_config_defaults_without_files(home: dict[str, str]) -> None:
    config = pip_config(home)
    assert config == IndexConfig(index_urls=(DEFAULT_INDEX,), find_links=(), cert=None)
    assert config.timeout == 15.0


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the Linux file locations")
def test_later_config_files_override_earlier_ones(tmp_path: Path, home: dict[str, str]) -> None:
    write(
        tmp_path / "system" / "pip.conf",
        "[global]\nindex-url = https://system.example/simple\ntimeout = 7\n"
        "extra-index-url = https://extra-system.example/simple\n",
    )
    write(Path(home["HOME"], ".pip", "pip.conf"), "[global]\nindex-url = https://legacy.example/\n")
    write(
        Path(home["XDG_CONFIG_HOME"], "pip", "pip.conf"),
        "[global]\nindex_url = https://user.example/simple/\n"
        "find-links =\n    /srv/wheels\n    https://links.example/\n",
    )
    config = pip_config(home)
    assert config.index_urls == (
        "https://user.example/simple/",
        "https://extra-system.example/simple",
    )
    assert config.find_links == ("/srv/wheels", "https://links.example/")
    assert config.timeout == 7.0


def test_install_section_beats_global_in_any_file(tmp_path: Path, home: dict[str, str]) -> None:
    # As in pip: options merge per section, then [install] is applied over [global].
    write(tmp_path / "system" / "pip.conf", "[install]\nindex-url = https://install.example/\n")
    write(
        tmp_path / "own.conf",
        "[global]\nindex-url = https://global.example/\ncert = ~/ca.pem\n"
        "[freeze]\nfind-links = /ignored\n",
    )
    config = pip_config({**home, "PIP_CONFIG_FILE": str(tmp_path / "own.conf")})
    assert config.index_urls == ("https://install.example/",)
    assert config.find_links == ()
    assert config.cert == str(Path("~/ca.pem").expanduser())


def test_pip_config_file_skips_user_files(tmp_path: Path, home: dict[str, str]) -> None:
    write(Path(home["HOME"], ".pip", "pip.conf"), "[global]\nfind-links = /from-user\n")
    own = write(tmp_path / "own.conf", "[global]\nextra-index-url = https://own.example/\n")
    config = pip_config({**home, "PIP_CONFIG_FILE": str(own)})
    assert config.find_links == ()
    assert config.index_urls == (DEFAULT_INDEX, "https://own.example/")

    devnull = pip_config({**home, "PIP_CONFIG_FILE": os.devnull})
    assert devnull.index_urls == (DEFAULT_INDEX,)
    assert devnull.find_links == ()


def test_environment_overrides_files(tmp_path: Path, home: dict[str, str]) -> None:
    write(
        Path(home["XDG_CONFIG_HOME"], "pip", "pip.conf"),
        "[install]\nindex-url = https://file.example/\nfind-links = /file-links\ntimeout = 3\n",
    )
    env = {
        **home,
        "PIP_INDEX_URL": "https://env.example/simple/",
        "PIP_EXTRA_INDEX_URL": "https://a.example/  https://b.example/\n",
        "PIP_FIND_LINKS": "/one /two",
        "PIP_CERT": str(tmp_path / "ca.pem"),
        "PIP_DEFAULT_TIMEOUT": "42",
    }
    assert pip_config(env) == IndexConfig(
        index_urls=("https://env.example/simple/", "https://a.example/", "https://b.example/"),
        find_links=("/one", "/two"),
        cert=str(tmp_path / "ca.pem"),
        timeout=42.0,
    )


@pytest.mark.parametrize("value", ["1", "true", "yes", "on"])
def test_no_index_drops_every_index(home: dict[str, str], value: str) -> None:
    env = {**home, "PIP_NO_INDEX": value, "PIP_EXTRA_INDEX_URL": "https://x.example/"}
    config = pip_config({**env, "PIP_FIND_LINKS": "/wheels"})
    assert config.index_urls == ()
    assert config.find_links == ("/wheels",)
    assert pip_config({**env, "PIP_NO_INDEX": "0"}).index_urls == (
        DEFAULT_INDEX,
        "https://x.example/",
    )


def test_unreadable_config_file_is_skipped(
    tmp_path: Path, home: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    own = write(tmp_path / "own.conf", "index-url = no section header\n")
    with caplog.at_level(logging.WARNING, logger="burrow.packages.pipconfig"):
        assert pip_config({**home, "PIP_CONFIG_FILE": str(own)}).index_urls == (DEFAULT_INDEX,)
    assert str(own) in caplog.text


# --------------------------------------------------------------------------- file:// HTML index


@pytest.fixture
def html_index(tmp_path: Path) -> Path:
    """A file:// PEP 503 index of `demo`: 1.0, 1.1 (py>=3.13), 1.2 (yanked), 2.0b1, 0.9."""
    root = tmp_path / "index"
    files = root / "files"
    html_project(
        root,
        "demo",
        [
            (make_wheel(files, "demo", "0.9", "py2.py3-none-any"), ""),
            (make_wheel(files, "demo", "1.0"), ' data-requires-python="&gt;=3.8"'),
            (make_wheel(files, "demo", "1.1"), ' data-requires-python="&gt;=3.13"'),
            (make_wheel(files, "demo", "1.2"), ' data-yanked="broken build"'),
            (make_wheel(files, "demo", "2.0b1"), ""),
            (make_wheel(files, "demo", "3.0", "cp312-cp312-manylinux_2_17_x86_64"), ""),
            (make_wheel(files, "other", "5.0"), ""),  # a stray link to another project
        ],
    )
    return root


def test_find_wheels_reads_html_index(html_index: Path) -> None:
    links = find_wheels("demo", config_for((html_index / "simple").as_uri()))
    by_version = {link.version: link for link in links}
    assert sorted(by_version) == ["0.9", "1.0", "1.1", "2.0b1", "3.0"]  # 1.2 is yanked
    one = by_version["1.1"]
    assert one.filename == "demo-1.1-py3-none-any.whl"
    assert one.url == (html_index / "files" / "demo-1.1-py3-none-any.whl").as_uri()
    assert one.requires_python == ">=3.13"  # unescaped from &gt;
    assert one.hashes == {"sha256": sha256(html_index / "files" / one.filename)}


def test_best_wheel_is_newest_final_that_fits_python(html_index: Path) -> None:
    config = config_for((html_index / "simple").as_uri() + "/")
    assert best_wheel("demo", config, python_version=PY312).version == "1.0"
    assert best_wheel("demo", config, python_version=(3, 13, 0)).version == "1.1"
    assert best_wheel("demo", config, python_version=(3, 7, 9)).version == "0.9"


def test_best_wheel_exact_version(html_index: Path) -> None:
    config = config_for((html_index / "simple").as_uri())
    assert best_wheel("demo", config, python_version=PY312, version="0.9.0").version == "0.9"
    assert best_wheel("demo", config, python_version=PY312, version="2.0b1").version == "2.0b1"
    with pytest.raises(SeedError, match=r"demo 1\.2 .*Python 3\.12\.1"):
        best_wheel("demo", config, python_version=PY312, version="1.2")  # yanked
    with pytest.raises(SeedError, match=r"1\.1 \(needs Python >=3\.13\)"):
        best_wheel("demo", config, python_version=PY312, version="1.1")
    with pytest.raises(SeedError, match="not a valid version"):
        best_wheel("demo", config, python_version=PY312, version="latest!")


def test_best_wheel_takes_only_given_tags(html_index: Path) -> None:
    config = config_for((html_index / "simple").as_uri())
    native = ["cp312-cp312-manylinux_2_17_x86_64", "py3-none-any"]
    assert best_wheel("demo", config, python_version=PY312, tags=native).version == "3.0"
    with pytest.raises(SeedError, match=r"3\.0 \(no compatible wheel\)"):
        best_wheel("demo", config, python_version=PY312, version="3.0")


def test_project_names_are_normalized(tmp_path: Path) -> None:
    root = tmp_path / "index"
    html_project(
        root, "zope-interface", [(make_wheel(root / "files", "zope.interface", "6.0"), "")]
    )
    config = config_for((root / "simple").as_uri())
    assert best_wheel("Zope_Interface", config, python_version=PY312).version == "6.0"


def test_missing_project_names_what_was_tried(html_index: Path, tmp_path: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    config = config_for((html_index / "simple").as_uri(), find_links=(str(links),))
    assert find_wheels("nothing-here", config) == []
    with pytest.raises(SeedError) as error:
        best_wheel("nothing-here", config, python_version=PY312)
    message = str(error.value)
    assert message.startswith("no wheel of nothing-here for Python 3.12.1 on ")
    assert (html_index / "simple").as_uri() in message
    assert str(links) in message
    assert "\n" not in message


def test_no_sources_says_so() -> None:
    with pytest.raises(
        SeedError, match=r"for Python 3\.12\.1 to be found: --no-index, and no --find-links$"
    ):
        best_wheel("pip", config_for(), python_version=PY312)


# --------------------------------------------------------------------------- find-links


def test_find_links_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    links = tmp_path / "wheels"
    make_wheel(links, "demo", "1.0")
    newest = make_wheel(links, "demo", "1.5")
    make_wheel(links, "other", "9.0")
    (links / "demo-2.0.tar.gz").write_bytes(b"not a wheel")
    (links / "notes.txt").write_text("hello", "utf-8")
    config = config_for(find_links=(str(links),))

    assert sorted(link.version for link in find_wheels("demo", config)) == ["1.0", "1.5"]
    best = best_wheel("demo", config, python_version=PY312)
    assert best.url == newest.as_uri()
    assert best.hashes == {}

    with caplog.at_level(logging.WARNING, logger="burrow.packages.download"):
        got = download(best, tmp_path / "out", config)
    assert got == tmp_path / "out" / newest.name
    assert got.read_bytes() == newest.read_bytes()
    assert "no hash" in caplog.text


def test_find_links_file_url_page_and_direct_wheel(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "w", "demo", "1.0")
    page = write(tmp_path / "links.html", f'<a href="w/{wheel.name}">demo</a>')
    direct = make_wheel(tmp_path / "d", "demo", "0.5")
    config = config_for(find_links=(page.as_uri(), str(direct), (tmp_path / "w").as_uri()))
    urls = sorted(link.url for link in find_wheels("demo", config))
    assert urls == sorted({wheel.as_uri(), direct.as_uri()})


# --------------------------------------------------------------------------- over HTTP


def test_json_index_over_http(served: Served, tmp_path: Path) -> None:
    files = served.root / "files"
    new = make_wheel(files, "demo", "1.1")
    old = make_wheel(files, "demo", "1.0")
    yanked = make_wheel(files, "demo", "9.0")
    json_project(
        served.root,
        "demo",
        [
            {
                "filename": old.name,
                "url": f"../../files/{old.name}",
                "hashes": {"sha256": sha256(old)},
            },
            {
                "filename": new.name,
                "url": f"/files/{new.name}",
                "hashes": {"sha256": sha256(new)},
                "requires-python": ">=3.8",
            },
            {
                "filename": yanked.name,
                "url": f"/files/{yanked.name}",
                "hashes": {},
                "yanked": "bad",
            },
            {"filename": "demo-2.0.tar.gz", "url": "/files/demo-2.0.tar.gz", "hashes": {}},
        ],
    )
    config = config_for(served.url + "/simple/")
    best = best_wheel("Demo", config, python_version=PY312)
    assert (best.version, best.requires_python) == ("1.1", ">=3.8")
    assert best.url == f"{served.url}/files/{new.name}"
    path, headers = served.requests[0]
    assert path == "/simple/demo/"
    assert headers["Accept"] == "application/vnd.pypi.simple.v1+json, text/html;q=0.1"

    got = download(best, tmp_path / "out", config)
    assert got.read_bytes() == new.read_bytes()
    assert list((tmp_path / "out").iterdir()) == [got]


def test_html_index_over_http(served: Served, tmp_path: Path) -> None:
    wheel = make_wheel(served.root / "files", "demo", "1.0")
    html_project(served.root, "demo", [(wheel, ' data-requires-python="&lt;4,&gt;=3.8"')])
    config = config_for(served.url + "/simple")
    best = best_wheel("demo", config, python_version=PY312)
    assert best.requires_python == "<4,>=3.8"
    assert download(best, tmp_path, config).read_bytes() == wheel.read_bytes()


def test_missing_page_is_not_an_error_but_a_broken_one_is(served: Served) -> None:
    (served.root / "simple" / "broken").mkdir(parents=True)
    assert find_wheels("demo", config_for(served.url + "/simple/")) == []
    with pytest.raises(SeedError, match=r"could not read: .*simple/broken/.*500"):
        best_wheel("broken", config_for(served.url + "/simple/"), python_version=PY312)


def test_credentials_are_sent_and_never_shown(served: Served) -> None:
    config = config_for(served.url.replace("//", "//me:s3cret@") + "/simple/")
    with pytest.raises(SeedError) as error:
        best_wheel("demo", config, python_version=PY312)
    assert "s3cret" not in str(error.value)
    assert "me:****@" in str(error.value)
    assert served.requests[0][1]["Authorization"] == "Basic bWU6czNjcmV0"


def test_hash_mismatch_raises_and_leaves_no_file(served: Served, tmp_path: Path) -> None:
    wheel = make_wheel(served.root / "files", "demo", "1.0")
    link = WheelLink(
        filename=wheel.name,
        url=f"{served.url}/files/{wheel.name}",
        version="1.0",
        hashes={"sha256": "0" * 64},
        requires_python=None,
    )
    out = tmp_path / "out"
    with pytest.raises(
        SeedError, match=re.escape(f"hash mismatch for {link.url}: expected sha256 {'0' * 64}, got")
    ):
        download(link, out, config_for())
    assert list(out.iterdir()) == []


def test_unhashed_plain_http_is_refused(served: Served, tmp_path: Path) -> None:
    wheel = make_wheel(served.root / "files", "demo", "1.0")
    link = WheelLink(
        filename=wheel.name,
        url=f"{served.url}/files/{wheel.name}",
        version="1.0",
        hashes={"md5": "x"},
        requires_python=None,
    )
    with pytest.raises(SeedError, match="no hash"):
        download(link, tmp_path / "out", config_for())
    assert not (tmp_path / "out").exists()
    assert served.requests == []


def test_network_failure_names_url_and_leaves_no_file(served: Served, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    for url in (f"{served.url}/files/x.whl", f"http://127.0.0.1:{closed}/x.whl"):
        link = WheelLink(
            filename="demo-1.0-py3-none-any.whl",
            url=url,
            version="1.0",
            hashes={"sha256": "0" * 64},
            requires_python=None,
        )
        with pytest.raises(SeedError, match=re.escape(f"could not download {url}: ")):
            download(link, tmp_path / "out", config_for())
    assert list((tmp_path / "out").iterdir()) == []


def test_download_refuses_path_like_filenames(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "w", "demo", "1.0")
    link = WheelLink(
        filename="../demo-1.0-py3-none-any.whl",
        url=wheel.as_uri(),
        version="1.0",
        hashes={},
        requires_python=None,
    )
    with pytest.raises(SeedError, match="not a wheel or sdist file name"):
        download(link, tmp_path / "out", config_for())
    assert not (tmp_path / "demo-1.0-py3-none-any.whl").exists()


# --------------------------------------------------------------------------- the session client


def built_index(tmp_path: Path, *, metadata_files: bool = False) -> tuple[Path, list[Path]]:
    """root with demo 1.0 (wheel + sdist), 1.1 (yanked wheel, needs py>=3.13) and dep 2.0."""
    src = tmp_path / "src"
    files = [
        localindex.wheel(src, "demo", "1.0", ["dep>=2"]),
        localindex.sdist(src, "demo", "1.0", ["dep>=2"]),
        localindex.wheel(src, "demo", "1.1", requires_python=">=3.13"),
        localindex.wheel(src, "dep", "2.0"),
    ]
    root = tmp_path / "www"
    localindex.write_index(
        root,
        files,
        yanked={"demo-1.1-py3-none-any.whl": ""},
        requires_python={"demo-1.1-py3-none-any.whl": ">=3.13"},
        metadata_files=metadata_files,
    )
    return root, files


def test_files_lists_sdists_and_marks_yanked(tmp_path: Path) -> None:
    root, _ = built_index(tmp_path, metadata_files=True)
    with index.Index(config_for((root / "simple").as_uri())) as session:
        links = {link.filename: link for link in session.files("Demo")}
    assert sorted(links) == [
        "demo-1.0-py3-none-any.whl",
        "demo-1.0.tar.gz",
        "demo-1.1-py3-none-any.whl",
    ]
    assert links["demo-1.1-py3-none-any.whl"].yanked == ""
    assert links["demo-1.1-py3-none-any.whl"].requires_python == ">=3.13"
    assert links["demo-1.0-py3-none-any.whl"].yanked is None
    assert links["demo-1.0.tar.gz"].version == "1.0"
    assert not links["demo-1.0.tar.gz"].is_wheel
    assert set(links["demo-1.0-py3-none-any.whl"].metadata or {}) == {"sha256"}
    assert links["demo-1.0.tar.gz"].metadata is None
    # The seeder's view is unchanged: wheels only, yanked ones left out.
    assert [w.filename for w in find_wheels("demo", config_for((root / "simple").as_uri()))] == [
        "demo-1.0-py3-none-any.whl"
    ]


def test_json_page_yanked_reason_and_core_metadata(served: Served) -> None:
    json_project(
        served.root,
        "demo",
        [
            {"filename": "demo-1.0.tar.gz", "url": "/f/demo-1.0.tar.gz", "hashes": {}},
            {
                "filename": "demo-2.0-py3-none-any.whl",
                "url": "/f/demo-2.0-py3-none-any.whl",
                "hashes": {"sha256": "ab"},
                "yanked": "broken",
                "core-metadata": {"sha256": "cd"},
            },
            {
                "filename": "demo-3.0-py3-none-any.whl",
                "url": "/f/demo-3.0-py3-none-any.whl",
                "hashes": {},
                "dist-info-metadata": True,
            },
        ],
    )
    with index.Index(config_for(served.url + "/simple/"), cache=False) as session:
        links = session.files("demo")
    assert [(x.version, x.yanked, x.metadata) for x in links] == [
        ("1.0", None, None),
        ("2.0", "broken", {"sha256": "cd"}),
        ("3.0", None, {}),
    ]


def test_warm_read_inside_max_age_makes_no_request(tmp_path: Path) -> None:
    root, _ = built_index(tmp_path)
    cache = str(tmp_path / "cache")
    with localindex.serve(root, cache_control="max-age=600") as server:
        config = config_for(server.url + "/simple/")
        with index.Index(config, cache_dir=cache) as session:
            first = session.files("demo")
        assert server.paths() == ["/simple/demo/"]
        with index.Index(config, cache_dir=cache) as session:
            assert session.files("demo") == first
        assert server.paths() == ["/simple/demo/"]


def test_stale_page_is_revalidated_with_its_etag(tmp_path: Path) -> None:
    root, _ = built_index(tmp_path)
    cache = str(tmp_path / "cache")
    with localindex.serve(root, cache_control="max-age=0", etag=True) as server:
        config = config_for(server.url + "/simple/")
        with index.Index(config, cache_dir=cache) as session:
            first = session.files("demo")
        with index.Index(config, cache_dir=cache) as session:
            assert session.files("demo") == first
        assert len(server.requests) == 2
        second_headers = server.requests[1][2]
        assert second_headers["If-None-Match"] == server.requests[1][2]["If-None-Match"]
        assert second_headers["If-None-Match"].startswith('"')
        assert "If-Modified-Since" in second_headers


def test_no_store_pages_are_not_kept(tmp_path: Path) -> None:
    root, _ = built_index(tmp_path)
    cache = tmp_path / "cache"
    with localindex.serve(root, cache_control="no-store, max-age=600", etag=True) as server:
        config = config_for(server.url + "/simple/")
        for _ in range(2):
            with index.Index(config, cache_dir=str(cache)) as session:
                session.files("demo")
        assert server.paths() == ["/simple/demo/", "/simple/demo/"]
        assert "If-None-Match" not in server.requests[1][2]


def test_file_page_cache_follows_the_file(tmp_path: Path) -> None:
    root, files = built_index(tmp_path)
    config = config_for((root / "simple").as_uri())
    cache = str(tmp_path / "cache")
    with index.Index(config, cache_dir=cache) as session:
        assert len(session.files("dep")) == 1
    newer = localindex.wheel(tmp_path / "src", "dep", "3.0")
    localindex.write_index(root, [*files, newer])
    with index.Index(config, cache_dir=cache) as session:
        assert sorted(x.version for x in session.files("dep")) == ["2.0", "3.0"]


def test_prefetch_reads_many_pages_and_each_once(tmp_path: Path) -> None:
    src = tmp_path / "src"
    names = [f"p{i}" for i in range(20)]
    root = tmp_path / "www"
    localindex.write_index(root, [localindex.wheel(src, n, "1.0") for n in names])
    with localindex.serve(root) as server:
        with index.Index(config_for(server.url + "/simple/"), cache=False) as session:
            session.prefetch(names)
            session.prefetch(names)
            assert [session.files(n)[0].version for n in names] == ["1.0"] * 20
        assert sorted(server.paths()) == sorted(f"/simple/{n}/" for n in names)


def test_metadata_from_pep658_file_then_cached_forever(tmp_path: Path) -> None:
    root, _ = built_index(tmp_path, metadata_files=True)
    cache = str(tmp_path / "cache")
    with localindex.serve(root, cache_control="max-age=600") as server:
        config = config_for(server.url + "/simple/")
        with index.Index(config, cache_dir=cache) as session:
            link = next(
                x for x in session.files("demo") if x.filename.endswith("1.0-py3-none-any.whl")
            )
            text = session.metadata(link)
        assert b"Requires-Dist: dep>=2" in text
        assert server.paths()[-1] == "/files/demo-1.0-py3-none-any.whl.metadata"
        count = len(server.requests)
        with index.Index(config, cache_dir=cache) as session:
            assert session.metadata(link) == text
        assert len(server.requests) == count


def test_metadata_with_a_bad_hash_is_read_from_the_wheel(tmp_path: Path) -> None:
    root, _ = built_index(tmp_path, metadata_files=True)
    (root / "files" / "demo-1.0-py3-none-any.whl.metadata").write_text("Name: evil\n")
    with localindex.serve(root) as server, index.Index(
        config_for(server.url + "/simple/"), cache=False
    ) as session:
        link = next(x for x in session.files("demo") if x.filename.endswith(".whl"))
        assert b"Requires-Dist: dep>=2" in session.metadata(link)


@pytest.mark.parametrize("ranges", [True, False])
def test_metadata_from_the_wheel_by_range_requests(tmp_path: Path, ranges: bool) -> None:
    src = tmp_path / "src"
    big = localindex.wheel(src, "big", "1.0", ["dep"])
    # Stored uncompressed noise makes the zip's directory sit far from its metadata.
    with zipfile.ZipFile(big, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("big/noise.bin", os.urandom(400_000))
    root = tmp_path / "www"
    localindex.write_index(root, [big])
    with localindex.serve(root, ranges=ranges) as server:
        with index.Index(config_for(server.url + "/simple/"), cache=False) as session:
            text = session.metadata(session.files("big")[0])
        wheel_requests = [h for _, p, h in server.requests if p.endswith(".whl")]
    assert b"Requires-Dist: dep" in text
    assert all("Range" in h for h in wheel_requests)
    assert len(wheel_requests) == (2 if ranges else 1)


def test_sdist_metadata_is_its_pkg_info_when_reliable(tmp_path: Path) -> None:
    src = tmp_path / "src"
    good = localindex.sdist(src, "good", "1.0", ["dep"])
    old = localindex.sdist(src, "old", "1.0", ["dep"], metadata_version="2.1")
    dyn = localindex.sdist(src, "dyn", "1.0", dynamic=["Requires-Dist"])
    root = tmp_path / "www"
    localindex.write_index(root, [good, old, dyn])
    with index.Index(config_for((root / "simple").as_uri()), cache=False) as session:
        assert b"Requires-Dist: dep" in session.metadata(session.files("good")[0])
        for name in ("old", "dyn"):
            with pytest.raises(NeedsBuild):
                session.metadata(session.files(name)[0])


def test_netrc_credentials_are_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: Served
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login me password s3cret\n", "utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    find_wheels("demo", config_for(served.url + "/simple/"))
    assert served.requests[0][1]["Authorization"] == "Basic bWU6czNjcmV0"


def test_unreachable_index_is_one_problem_naming_it(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with index.Index(config_for(f"http://127.0.0.1:{port}/simple/"), cache=False) as session:
        found = session.project("demo")
    assert found.links == []
    assert len(found.problems) == 1
    assert found.problems[0].startswith(f"http://127.0.0.1:{port}/simple/demo/: ")
    assert "refused" in found.problems[0].lower()


def test_a_cached_page_reads_back_as_the_links_it_stored() -> None:
    """Rows of the page cache become records equal to (and hashing as) the parsed ones,
    as frozen as any; a row of another shape still goes through the checking constructor."""
    from burrow.packages import httpcache
    from burrow.packages.pages import Link

    links = [
        Link(filename="a-1.0-py3-none-any.whl", url="https://x/a-1.0-py3-none-any.whl",
             version="1.0", hashes={"sha256": "ab"}, requires_python=">=3.8",
             yanked="bad", metadata={"sha256": "cd"}),
        Link(filename="a-1.0.tar.gz", url="https://x/a-1.0.tar.gz", version="1.0",
             hashes={}, requires_python=None),
    ]  # fmt: skip
    rows = json.loads(json.dumps(httpcache._links_to_rows(links)))
    again = httpcache._rows_to_links(rows)
    assert again == links
    assert [hash(x) for x in again] == [hash(x) for x in links]
    assert again[1].yanked is None and again[1].metadata is None and again[0].is_wheel
    with pytest.raises(AttributeError):
        again[0].version = "2.0"  # type: ignore[misc]
    assert httpcache._rows_to_links([row[:5] for row in rows]) == [
        link.replace(yanked=None, metadata=None) for link in links
    ]
    with pytest.raises(TypeError):
        httpcache._rows_to_links([rows[0][:4]])
