"""Package indexes built in tmp_path: wheels and sdists with dependencies, PEP 503 pages,
PEP 658 metadata files, and a loopback HTTP server with ranges, validators and freshness."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import unquote


def metadata_text(
    name: str,
    version: str,
    requires: Sequence[str] = (),
    requires_python: Optional[str] = None,
    extras: Sequence[str] = (),
    metadata_version: str = "2.1",
    dynamic: Sequence[str] = (),
) -> str:
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in extras]
    lines += [f"Requires-Dist: {req}" for req in requires]
    lines += [f"Dynamic: {d}" for d in dynamic]
    return "\n".join(lines) + "\n\n"


def wheel(
    folder: Path,
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    requires_python: Optional[str] = None,
    extras: Sequence[str] = (),
    tag: str = "py3-none-any",
) -> Path:
    """A real, installable wheel of a one-module package, with RECORD hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}"
    module = name.replace("-", "_").replace(".", "_")
    files = {
        f"{module}/__init__.py": f"VALUE = {version!r}\n",
        f"{dist}.dist-info/METADATA": metadata_text(
            name, version, requires, requires_python, extras
        ),
        f"{dist}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ),
    }
    record = []
    for path, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    target = folder / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return target


def sdist(
    folder: Path,
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    metadata_version: str = "2.2",
    dynamic: Sequence[str] = (),
) -> Path:
    """An sdist holding only its PKG-INFO (enough for metadata, not for a build)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{name.replace('-', '_')}-{version}"
    target = folder / f"{base}.tar.gz"
    data = metadata_text(
        name, version, requires, metadata_version=metadata_version, dynamic=dynamic
    ).encode()
    with tarfile.open(target, "w:gz") as archive:
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return target


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_index(
    root: Path,
    files: Sequence[Path],
    *,
    yanked: Optional[Dict[str, str]] = None,
    requires_python: Optional[Dict[str, str]] = None,
    metadata_files: bool = False,
) -> Path:
    """A PEP 503 index at root/simple of `files` (copied to root/files); returns root/simple.

    `yanked` and `requires_python` map file names to their attribute's value; with
    `metadata_files` every wheel's METADATA is served beside it (PEP 658/714).
    """
    from packaging.utils import canonicalize_name

    yanked = yanked or {}
    requires_python = requires_python or {}
    store = root / "files"
    store.mkdir(parents=True, exist_ok=True)
    projects: Dict[str, List[str]] = {}
    for path in files:
        copy = store / path.name
        if copy != path:
            copy.write_bytes(path.read_bytes())
        project = canonicalize_name(path.name.split("-")[0])
        attrs = ""
        if path.name in requires_python:
            attrs += f' data-requires-python="{escape(requires_python[path.name])}"'
        if path.name in yanked:
            attrs += f' data-yanked="{escape(yanked[path.name])}"'
        if metadata_files and path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as archive:
                name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
                data = archive.read(name)
            (store / (path.name + ".metadata")).write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            attrs += f' data-core-metadata="sha256={digest}"'
            attrs += f' data-dist-info-metadata="sha256={digest}"'
        projects.setdefault(project, []).append(
            f'<a href="../../files/{path.name}#sha256={sha256(copy)}"{attrs}>{path.name}</a><br/>'
        )
    simple = root / "simple"
    for project, anchors in projects.items():
        page = simple / project
        page.mkdir(parents=True, exist_ok=True)
        (page / "index.html").write_text(
            "<!DOCTYPE html><html><body>\n" + "\n".join(anchors) + "\n</body></html>\n", "utf-8"
        )
    simple.mkdir(parents=True, exist_ok=True)
    (simple / "index.html").write_text(
        "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects)), "utf-8"
    )
    return simple


def top_mid_leaf(tmp_path: Path) -> Path:
    """The small index the lock and install tests share, at tmp_path/www; its simple dir.

    top 1.0 needs mid>=1, and extra-dep with [x]; mid 1.0 and 2.0 need leaf, and mid 2.0
    also has a wheel for CPython 3.9 on Windows only and an sdist; extra-dep needs leaf.
    """
    src = tmp_path / "src"
    files = [
        wheel(src, "top", "1.0", ["mid>=1", 'extra-dep; extra == "x"'], extras=["x"]),
        wheel(src, "mid", "1.0", ["leaf"]),
        wheel(src, "mid", "2.0", ["leaf"]),
        wheel(src, "mid", "2.0", ["leaf"], tag="cp39-cp39-win_amd64"),
        sdist(src, "mid", "2.0", ["leaf"]),
        wheel(src, "leaf", "1.0"),
        wheel(src, "extra-dep", "1.0", ["leaf"]),
    ]
    return write_index(tmp_path / "www", files)


@dataclass
class Server:
    """A loopback server of a directory; `requests` records (method, path, headers)."""

    root: Path
    url: str = ""
    requests: List[Tuple[str, str, Dict[str, str]]] = field(default_factory=list)
    cache_control: Optional[str] = None  # sent with every page
    etag: bool = False  # send an ETag and answer If-None-Match with 304
    ranges: bool = True  # answer Range requests with 206
    keep_alive: bool = False  # speak HTTP/1.1: a connection carries request after request
    close_after_each: bool = False  # ... yet close it after each response, saying nothing
    moved: Optional[Tuple[str, str]] = None  # (old prefix, new prefix): 301 from old to new
    tls: Optional[Tuple[Path, Path]] = None  # (certificate, key): https://localhost:PORT
    client_ca: Optional[Path] = None  # with tls: refuse clients without a certificate it signed
    connections: int = 0  # connections accepted so far

    def paths(self) -> List[str]:
        return [path for _, path, _ in self.requests]


@contextmanager
def serve(root: Path, **settings: object) -> Iterator[Server]:
    server_state = Server(root, **settings)  # type: ignore[arg-type]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if server_state.keep_alive else "HTTP/1.0"
        # Headers and body go out in two writes: with Nagle on, a kept connection waits
        # for the client's delayed ACK between them (~40 ms); real servers turn it off.
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            with lock:
                server_state.connections += 1

        def do_GET(self) -> None:
            if server_state.close_after_each:
                self.close_connection = True
            # As a proxy, it is asked for absolute URLs: serve them from the same root.
            self.path = (
                "/" + self.path.split("://", 1)[1].partition("/")[2]
                if "://" in self.path
                else self.path
            )
            with lock:
                server_state.requests.append(("GET", self.path, dict(self.headers.items())))
            if server_state.moved and self.path.startswith(server_state.moved[0]):
                old, new = server_state.moved
                self.send_response(301)
                self.send_header("Location", new + self.path[len(old) :])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = root / unquote(self.path.split("?")[0]).lstrip("/")
            content_type = "application/octet-stream"
            if path.is_dir():
                path, content_type = path / "index.html", "text/html; charset=utf-8"
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            tag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            if server_state.etag and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self._validators(tag, content_type)
                self.end_headers()
                return
            wanted = self.headers.get("Range", "")
            if server_state.ranges and wanted.startswith("bytes="):
                first, _, last = wanted[6:].partition("-")
                start = len(data) - int(last) if not first else int(first)
                end = len(data) - 1 if not first or not last else int(last)
                start = max(0, start)
                end = min(end, len(data) - 1)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                data = data[start : end + 1]
            else:
                self.send_response(200)
            self._validators(tag, content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _validators(self, tag: str, content_type: str) -> None:
            self.send_header("Content-Type", content_type)
            if content_type.startswith("text/html"):
                if server_state.cache_control:
                    self.send_header("Cache-Control", server_state.cache_control)
                if server_state.etag:
                    self.send_header("ETag", tag)
                    self.send_header("Last-Modified", formatdate(usegmt=True))

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    if server_state.tls is not None:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*server_state.tls)
        if server_state.client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(server_state.client_ca)
        # A client that refuses the handshake fails accept(), which the server ignores.
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        server_state.url = f"https://localhost:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# A PEP 517 backend that lives in the project (`backend-path`), so building needs nothing
# from an index: its metadata lists `REQUIRES`, which only a build can tell.
_BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION, REQUIRES = {name!r}, {version!r}, {requires!r}
DIST = "%s-%s" % (NAME.replace("-", "_"), VERSION)


def _metadata():
    lines = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + VERSION]
    return "\\n".join(lines + ["Requires-Dist: " + r for r in REQUIRES]) + "\\n"


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.makedirs(os.path.join(metadata_directory, DIST + ".dist-info"))
    with open(os.path.join(metadata_directory, DIST + ".dist-info", "METADATA"), "w") as out:
        out.write(_metadata())
    return DIST + ".dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {{
        DIST + ".dist-info/METADATA": _metadata(),
        DIST + ".dist-info/WHEEL": (
            "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        ),
    }}
    record = []
    for path, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, encoded, len(text.encode())))
    files[DIST + ".dist-info/RECORD"] = "\\n".join(record + [DIST + ".dist-info/RECORD,,"]) + "\\n"
    filename = DIST + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return filename


build_editable = build_wheel
"""


def project(folder: Path, name: str, version: str, requires: Sequence[str] = ()) -> Path:
    """A project directory whose dependencies only its in-tree PEP 517 backend knows."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "utf-8",
    )
    backend = _BACKEND.format(name=name, version=version, requires=list(requires))
    (folder / "backend.py").write_text(backend, "utf-8")
    return folder


def built_sdist(folder: Path, name: str, version: str, requires: Sequence[str] = ()) -> Path:
    """An sdist of `project(...)` whose PKG-INFO (metadata 2.1) may not be trusted: its
    dependencies are known only by preparing its metadata (PEP 517)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{name.replace('-', '_')}-{version}"
    source = project(folder / f".{base}-source", name, version, requires)
    target = folder / f"{base}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(source.iterdir()):
            archive.add(path, f"{base}/{path.name}")
        data = metadata_text(name, version).encode()  # no Requires-Dist: only a build knows
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return target
