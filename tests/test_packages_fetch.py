"""burrow.packages.fetch: a lock's pins to checked wheel files, from every kind of source.

Sources are built in tmp_path: a wheel directory, a file:// PEP 503 index, a loopback
HTTP PEP 503 index, and a loopback PEP 691 JSON index that can fail on purpose.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from localindex import serve, sha256, wheel, write_index

from burrow.errors import FetchError, PackageError
from burrow.interpreter import PythonInfo
from burrow.packages.cache import build_entry, ensure_entry
from burrow.packages.fetch import LocalWheel, downloads_dir, fetch
from burrow.packages.lockfile import read_lock
from burrow.packages.pipconfig import IndexConfig
from burrow.packages.tags import supported_tags


@pytest.fixture(autouse=True)
def _own_cache(cold_cache: Path) -> Path:
    """Each test starts with empty download and page caches."""
    return cold_cache


def lock_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    return path


def fetch_lock(lock: Path, info: PythonInfo, config: IndexConfig, **kw: object) -> List[LocalWheel]:
    pins = read_lock([lock], [], info).pins
    return fetch(pins, info, config, **kw)  # type: ignore[arg-type]


def dir_config(folder: Path) -> IndexConfig:
    return IndexConfig(index_urls=(), find_links=(str(folder),), timeout=5)


# --------------------------------------------------------------------------- a JSON index


@contextmanager
def json_index(files: Sequence[Path], fail_files: int = 0) -> Iterator[Dict[str, object]]:
    """A PEP 691 index on 127.0.0.1 serving `files`; the first `fail_files` file GETs get 503."""
    by_name = {f.name: f.read_bytes() for f in files}
    state: Dict[str, object] = {"file_gets": [], "page_gets": [], "fail": fail_files}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/simple/"):
                project = self.path.split("/")[2]
                with lock:
                    state["page_gets"].append(project)  # type: ignore[attr-defined]
                entries = [
                    {"filename": n, "url": f"/files/{n}",
                     "hashes": {"sha256": hashlib.sha256(d).hexdigest()}}
                    for n, d in by_name.items() if n.split("-")[0].replace("_", "-") == project
                ]  # fmt: skip
                if not entries:
                    self.send_error(404)
                    return
                body = json.dumps({"meta": {"api-version": "1.1"}, "name": project,
                                   "files": entries}).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.send_header("Cache-Control", "max-age=600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            name = self.path.rsplit("/", 1)[-1]
            with lock:
                state["file_gets"].append(name)  # type: ignore[attr-defined]
                failing = state["fail"] > 0  # type: ignore[operator]
                if failing:
                    state["fail"] = state["fail"] - 1  # type: ignore[operator]
            if failing or name not in by_name:
                self.send_error(503 if failing else 404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(by_name[name])))
            self.end_headers()
            self.wfile.write(by_name[name])

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}/simple/"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def http_config(state: Dict[str, object]) -> IndexConfig:
    return IndexConfig(index_urls=(str(state["url"]),), find_links=(), timeout=5)


# --------------------------------------------------------------------------- sources


def test_wheel_directory_best_tag_wins(tmp_path: Path, info: PythonInfo) -> None:
    best = supported_tags(info)[0]
    folder = tmp_path / "wheels"
    generic = wheel(folder, "demo", "1.0")
    specific = wheel(folder, "demo", "1.0", tag=str(best))
    wheel(folder, "demo", "2.0")
    wheel(folder, "other", "3.0", tag="py3-none-win_amd64")
    lock = lock_file(tmp_path, f"demo==1.0 --hash=sha256:{sha256(generic)} "
                               f"--hash=sha256:{sha256(specific)}\n")  # fmt: skip
    calls: List[tuple] = []
    (got,) = fetch_lock(lock, info, dir_config(folder), progress=lambda *a: calls.append(a))
    assert (got.name, got.version, got.sha256) == ("demo", "1.0", sha256(specific))
    assert Path(got.path).name == specific.name
    assert Path(got.path).read_bytes() == specific.read_bytes()
    assert got.path.startswith(downloads_dir())
    assert got.direct_url is None
    assert got.origin == f"{lock}:1"
    assert calls == [(1, 1, "demo==1.0")]


def test_no_matching_wheel(tmp_path: Path, info: PythonInfo) -> None:
    folder = tmp_path / "wheels"
    wheel(folder, "winonly", "1.0", tag="cp39-cp39-win_amd64")
    lock = lock_file(tmp_path, "winonly==1.0\n")
    with pytest.raises(FetchError) as caught:
        fetch_lock(lock, info, dir_config(folder))
    message = str(caught.value)
    assert message.startswith(f"{lock}:1: winonly==1.0: no wheel for {info.name}")
    assert "winonly-1.0-cp39-cp39-win_amd64.whl is not for" in message
    assert "\n" not in message


def test_file_index_and_lock_hashes(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0"), wheel(tmp_path / "dist", "beta", "2.0")]
    simple = write_index(tmp_path / "index", files)
    config = IndexConfig(index_urls=(simple.as_uri(),), find_links=())
    lock = lock_file(tmp_path, "".join(f"{f.name.split('-')[0]}=={f.name.split('-')[1]} "
                                        f"--hash=sha256:{sha256(f)}\n" for f in files))  # fmt: skip
    got = fetch_lock(lock, info, config)
    assert [(w.name, w.version, w.sha256) for w in got] == [
        ("alpha", "1.0", sha256(files[0])),
        ("beta", "2.0", sha256(files[1])),
    ]


def test_hash_mismatch_with_index_hash(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0")]
    simple = write_index(tmp_path / "index", files)
    config = IndexConfig(index_urls=(simple.as_uri(),), find_links=())
    lock = lock_file(tmp_path, f"alpha==1.0 --hash=sha256:{'0' * 64}\n")
    with pytest.raises(FetchError, match=r"requirements\.txt:1: alpha==1\.0: hash mismatch"):
        fetch_lock(lock, info, config)
    assert not list(Path(downloads_dir()).glob("*/*/*.whl"))


def test_hash_mismatch_found_on_download(tmp_path: Path, info: PythonInfo) -> None:
    folder = tmp_path / "wheels"
    wheel(folder, "alpha", "1.0")  # a find-links dir gives no hash: the download is checked
    lock = lock_file(tmp_path, f"alpha==1.0 --hash=sha256:{'0' * 64}\n")
    with pytest.raises(FetchError) as caught:
        fetch_lock(lock, info, dir_config(folder))
    assert str(caught.value).startswith(f"{lock}:1: alpha==1.0: hash mismatch")
    assert not list(Path(downloads_dir()).glob("*/*/*.whl"))


def test_missing_package_and_version(tmp_path: Path, info: PythonInfo) -> None:
    folder = tmp_path / "wheels"
    wheel(folder, "alpha", "1.0")
    lock = lock_file(tmp_path, "alpha==9.9\n")
    with pytest.raises(FetchError, match=r":1: alpha==9\.9: no such version on .*\(it has 1\.0\)"):
        fetch_lock(lock, info, dir_config(folder))
    lock = lock_file(tmp_path, "alpha==1.0\nghost==1.0\n")
    with pytest.raises(FetchError, match=r"requirements\.txt:2: ghost==1\.0: no such package on"):
        fetch_lock(lock, info, dir_config(folder))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_index(tmp_path: Path, info: PythonInfo) -> None:
    config = IndexConfig(index_urls=(f"http://127.0.0.1:{free_port()}/simple/",),
                         find_links=(), timeout=5)  # fmt: skip
    lock = lock_file(tmp_path, "alpha==1.0\n")
    with pytest.raises(FetchError) as caught:
        fetch_lock(lock, info, config)
    assert str(caught.value).startswith(f"{lock}:1: alpha==1.0: cannot read the index: ")
    assert "\n" not in str(caught.value)


def test_http_pep503_index_and_warm_run(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0"), wheel(tmp_path / "dist", "beta", "2.0")]
    write_index(tmp_path / "index", files)
    lock = lock_file(tmp_path, "".join(f"{f.name.split('-')[0]}=={f.name.split('-')[1]} "
                                        f"--hash=sha256:{sha256(f)}\n" for f in files))  # fmt: skip
    with serve(tmp_path / "index") as server:
        config = IndexConfig(index_urls=(server.url + "/simple/",), find_links=(), timeout=5)
        first = fetch_lock(lock, info, config)
        assert sorted(p for p in server.paths() if p.startswith("/files/")) == [
            f"/files/{f.name}" for f in files
        ]
        server.requests.clear()
        again = fetch_lock(lock, info, config)
    assert [w.path for w in again] == [w.path for w in first]
    # The lock's hashes name the cached files: the index is not even asked.
    assert server.requests == []


def test_json_index_freeze_lock_and_warm_run(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0"), wheel(tmp_path / "dist", "alpha", "2.0")]
    lock = lock_file(tmp_path, "alpha==2.0\n")  # pip freeze: no hashes, the index's are used
    with json_index(files) as state:
        (got,) = fetch_lock(lock, info, http_config(state))
        assert got.sha256 == sha256(files[1])
        assert state["file_gets"] == [files[1].name]
        (again,) = fetch_lock(lock, info, http_config(state))
        assert again.path == got.path
        assert state["file_gets"] == [files[1].name]  # nothing downloaded the second time


def test_transient_errors_are_retried(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0")]
    lock = lock_file(tmp_path, f"alpha==1.0 --hash=sha256:{sha256(files[0])}\n")
    with json_index(files, fail_files=2) as state:
        (got,) = fetch_lock(lock, info, http_config(state))
        assert got.sha256 == sha256(files[0])
        assert state["file_gets"] == [files[0].name] * 3


def test_retries_are_bounded(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0")]
    lock = lock_file(tmp_path, f"alpha==1.0 --hash=sha256:{sha256(files[0])}\n")
    with json_index(files, fail_files=100) as state:
        with pytest.raises(FetchError) as caught:
            fetch_lock(lock, info, http_config(state))
        assert state["file_gets"] == [files[0].name] * 3
    message = str(caught.value)
    assert message.startswith(f"{lock}:1: alpha==1.0: could not download http://127.0.0.1:")
    assert message.endswith("Service Unavailable")
    assert "\n" not in message


def test_many_pins_at_once(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", f"pkg{i}", "1.0") for i in range(12)]
    lock = lock_file(tmp_path, "".join(f"pkg{i}==1.0 --hash=sha256:{sha256(f)}\n"
                                        for i, f in enumerate(files)))  # fmt: skip
    with json_index(files) as state:
        got = fetch_lock(lock, info, http_config(state), jobs=4)
    assert [w.name for w in got] == [f"pkg{i}" for i in range(12)]  # in the lock's order
    assert [w.sha256 for w in got] == [sha256(f) for f in files]


def test_direct_url_and_local_path(tmp_path: Path, info: PythonInfo) -> None:
    remote = wheel(tmp_path / "dist", "remote", "1.0")
    local = wheel(tmp_path / "mine", "local", "2.0")
    with json_index([remote]) as state:
        base = str(state["url"]).replace("/simple/", "/files/")
        lock = lock_file(tmp_path, f"remote @ {base}{remote.name} --hash=sha256:{sha256(remote)}\n"
                                   f"{local} --hash=sha256:{sha256(local)}\n")  # fmt: skip
        got_remote, got_local = fetch_lock(lock, info, IndexConfig(index_urls=(), find_links=()))
    assert got_remote.direct_url == {
        "url": f"{base}{remote.name}",
        "archive_info": {"hash": f"sha256={sha256(remote)}", "hashes": {"sha256": sha256(remote)}},
    }
    assert got_local.path == str(local)  # the user's own file, not copied
    assert got_local.direct_url is not None
    assert got_local.direct_url["url"] == local.as_uri()


def test_local_path_with_wrong_hash(tmp_path: Path, info: PythonInfo) -> None:
    local = wheel(tmp_path / "mine", "local", "2.0")
    lock = lock_file(tmp_path, f"{local} --hash=sha256:{'1' * 64}\n")
    with pytest.raises(FetchError, match=rf":1: local==2\.0: hash mismatch for {local}"):
        fetch_lock(lock, info, IndexConfig(index_urls=(), find_links=()))


def test_local_wheel_whose_entry_is_built_is_not_read(tmp_path: Path, info: PythonInfo) -> None:
    local = wheel(tmp_path / "mine", "local", "2.0")
    digest = sha256(local)
    lock = lock_file(tmp_path, f"{local} --hash=sha256:{digest}\n")
    config = IndexConfig(index_urls=(), find_links=())
    entry = ensure_entry(str(local), digest, info)
    wheel(tmp_path / "mine", "local", "2.0", requires=["other"])  # the file changes afterwards
    assert sha256(local) != digest
    # The entry the lock's digest names is the file the lock accepts: it is what installs.
    (got,) = fetch_lock(lock, info, config)
    assert (got.path, got.sha256) == (str(local), digest)
    assert got.direct_url is not None
    assert got.direct_url["archive_info"]["hashes"] == {"sha256": digest}
    # Without a built entry the file is read, and refused; so is a rebuild from it.
    os.unlink(os.path.join(entry.path, "manifest"))
    with pytest.raises(FetchError, match=rf":1: local==2\.0: hash mismatch for {local}"):
        fetch_lock(lock, info, config)
    with pytest.raises(PackageError, match=f"hash mismatch for {local}: its sha256 is"):
        build_entry(str(local), digest, info)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is 3.11+")
def test_pylock_files(tmp_path: Path, info: PythonInfo) -> None:
    best = supported_tags(info)[0]
    generic = wheel(tmp_path / "dist", "alpha", "1.0")
    specific = wheel(tmp_path / "dist", "alpha", "1.0", tag=str(best))
    with json_index([generic, specific]) as state:
        base = str(state["url"]).replace("/simple/", "/files/")
        (tmp_path / "pylock.toml").write_text(
            'lock-version = "1.0"\n[[packages]]\nname = "alpha"\nversion = "1.0"\n'
            + "".join(
                f'[[packages.wheels]]\nurl = "{base}{w.name}"\n'
                f'hashes = {{sha256 = "{sha256(w)}"}}\n'
                for w in (generic, specific)
            ),
            encoding="utf-8",
        )
        (got,) = fetch_lock(
            tmp_path / "pylock.toml", info, IndexConfig(index_urls=(), find_links=())
        )
        assert state["file_gets"] == [specific.name]
    assert got.sha256 == sha256(specific)


def test_only_binary_and_no_binary(tmp_path: Path, info: PythonInfo) -> None:
    from localindex import sdist

    folder = tmp_path / "links"
    sdist(folder, "srconly", "1.0")
    wheel(folder, "wheelonly", "1.0")
    config = dir_config(folder)
    lock = lock_file(tmp_path, "srconly==1.0\n")
    with pytest.raises(FetchError) as caught:
        fetch_lock(lock, info, config, only_binary={":all:"})
    assert str(caught.value).startswith(f"{lock}:1: srconly==1.0: no wheel for ")
    assert "--only-binary rules out srconly-1.0.tar.gz" in str(caught.value)
    lock = lock_file(tmp_path, "wheelonly==1.0\n")
    with pytest.raises(
        FetchError, match=r":1: wheelonly==1\.0: .*--no-binary rules out its wheels"
    ):
        fetch_lock(lock, info, config, no_binary={"wheelonly"})
    # A project named in --only-binary keeps its wheels despite --no-binary :all:.
    (got,) = fetch_lock(lock, info, config, no_binary={":all:"}, only_binary={"wheelonly"})
    assert got.name == "wheelonly"


def test_damaged_download_is_not_reused(tmp_path: Path, info: PythonInfo) -> None:
    files = [wheel(tmp_path / "dist", "alpha", "1.0")]
    lock = lock_file(tmp_path, f"alpha==1.0 --hash=sha256:{sha256(files[0])}\n")
    with json_index(files) as state:
        (got,) = fetch_lock(lock, info, http_config(state))
        kept = Path(got.path)
        kept.write_bytes(b"not a wheel any more")  # size and mtime change with it
        (again,) = fetch_lock(lock, info, http_config(state))
        assert state["file_gets"] == [files[0].name] * 2  # downloaded anew
    assert again.path == got.path
    assert kept.read_bytes() == files[0].read_bytes()
    # Untouched, it is reused without being hashed again, on the strength of its mark.
    assert (kept.parent / (kept.name + ".checked")).read_text() == (
        f"{kept.stat().st_size} {kept.stat().st_mtime_ns}"
    )


# -- a wheel's name and version read without packaging


_PART = st.text("abAB019._-+!", min_size=0, max_size=6)
_VERSIONS = st.sampled_from(
    ["1.0", "01.0", "1.0.0", "0", "2026.10.19.post1", "1.0rc1", "1.0a0.dev3", "1.0.post2.dev0",
     "1!2.0", "1.0+local", "1.0-1", "1.0RC1", "1.0c1", "v1.0", "1.0.dev", "1..0", "", "1.0_1"]
)  # fmt: skip
_TAGS = st.sampled_from(
    ["py3-none-any", "py2.py3-none-any", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
     "3py-none-any", "py3--any", "py3-none-", "py3.-none-any", "py3-none-any-x", "Py3-None-Any"]
)  # fmt: skip


@given(
    name=st.one_of(_PART, st.sampled_from(["Jinja2", "typing_extensions", "a.b", "a__b", "_a"])),
    version=st.one_of(_VERSIONS, _PART),
    build=st.sampled_from(["", "-1", "-12abc", "-x1", "-1_2.3"]),
    tags=_TAGS,
)
def test_a_plain_wheel_name_reads_as_packaging_reads_it(
    name: str, version: str, build: str, tags: str
) -> None:
    """Whatever the light reader accepts, packaging reads to the same name and version."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from burrow.packages.filecheck import plain_wheel_name

    filename = f"{name}-{version}{build}-{tags}.whl"
    plain = plain_wheel_name(filename)
    try:
        parsed = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        assert plain is None
        return
    if plain is not None:
        assert plain == (parsed[0], str(parsed[1]))


@given(
    name=st.one_of(_PART, st.sampled_from(["Jinja2", "typing_extensions", "a.b", "a__b", "_a"])),
    version=st.one_of(_VERSIONS, _PART),
    build=st.sampled_from(["", "-1", "-12abc", "-x1", "-1_2.3", "-007"]),
    tags=_TAGS,
)
def test_a_wheels_tags_read_as_packaging_reads_them(
    name: str, version: str, build: str, tags: str
) -> None:
    """The build number and tags ranked for a downloaded wheel, read without packaging for
    a plain name, are packaging's: the same wheels install, in the same order."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from burrow.packages.filecheck import wheel_tags

    filename = f"{name}-{version}{build}-{tags}.whl"
    found = wheel_tags(filename)
    try:
        _, _, number, parsed = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        assert found is None
        return
    assert found is not None
    assert found[0] == (number[0] if number else 0)
    assert sorted(found[1]) == sorted(str(tag) for tag in parsed)


def test_tag_ranks_are_kept_per_interpreter_and_equal_a_fresh_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ranks a warm run reads from the cache are those `supported_tags` gives (the
    first place of each tag), and a damaged record is ranked afresh."""
    from burrow.interpreter import inspect
    from burrow.packages import tags

    monkeypatch.setenv("BURROW_CACHE_DIR", str(tmp_path / "cache"))
    info = inspect(sys.executable)
    expected: Dict[str, int] = {}
    for place, tag in enumerate(tags.supported_tags(info)):
        expected.setdefault(str(tag), place)
    assert tags.tag_ranks(info) == expected
    records = list((tmp_path / "cache" / tags.CACHE_FOLDER).glob("*/*"))
    assert len(records) == 1
    assert tags.tag_ranks(info) == expected  # from the record
    records[0].write_bytes(b"not a record")
    assert tags.tag_ranks(info) == expected
    other = info.replace(executable=str(tmp_path / "elsewhere" / "python"))
    assert tags.tag_ranks(other) == expected  # where it is seen is no part of the key
    assert len(list((tmp_path / "cache" / tags.CACHE_FOLDER).glob("*/*"))) == 1


def test_the_light_reader_takes_the_usual_names() -> None:
    from burrow.packages.filecheck import plain_wheel_name

    assert plain_wheel_name("Jinja2-3.1.4-py3-none-any.whl") == ("jinja2", "3.1.4")
    assert plain_wheel_name("typing_extensions-4.16.0-py3-none-any.whl") == (
        "typing-extensions",
        "4.16.0",
    )
    assert plain_wheel_name(
        "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    ) == ("numpy", "2.4.6")
    assert plain_wheel_name("certifi-2026.10.19.post1-py3-none-any.whl") == (
        "certifi",
        "2026.10.19.post1",
    )
    assert plain_wheel_name("tool-1.0-2-py2.py3-none-any.whl") == ("tool", "1.0")
    # Left to packaging: a local version, an epoch, a version spelt unusually.
    for name in (
        "a-1.0+local-py3-none-any.whl",
        "a-1!1.0-py3-none-any.whl",
        "a-01.0-py3-none-any.whl",
    ):
        assert plain_wheel_name(name) is None


@pytest.mark.skipif(os.name == "nt", reason="Windows takes pathlib's own")
@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0/"), min_size=1))
def test_file_urls_are_pathlibs(name: str) -> None:
    """direct_url.json names a local file as ``Path.as_uri`` would, without pathlib."""
    from burrow.packages.fetch import _file_url

    path = os.path.join(os.sep + "tmp", "burrow test", name)
    assert _file_url(path) == Path(path).resolve().as_uri()
