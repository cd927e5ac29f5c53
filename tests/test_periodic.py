"""The daily check for a newer pip: detached from the create that starts it, once a day.

The index is a real one on loopback, offering a pip-like wheel (pip 99.0, built by hand)
newer than any interpreter bundles; nothing here reaches the public index.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator

import pytest
from helpers import burrow, make_wheel, wait_for_check

NEWER = "99.0"
STARTED = "checking the index for a newer pip in the background"


class Index:
    """A simple index on 127.0.0.1 holding pip 99.0; `gate` holds its page until set."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.gate = threading.Event()
        self.gate.set()
        self.pages = 0


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    wheel = make_wheel(tmp_path / "files", "pip", NEWER, console_scripts={"pip": "pip:main"})
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = f'<a href="/files/{wheel.name}#sha256={digest}">{wheel.name}</a>'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/simple/pip/":
                served.pages += 1
                served.gate.wait(60)
                body, kind = page, "text/html"
            elif self.path == f"/files/{wheel.name}":
                body, kind = wheel.read_bytes(), "application/octet-stream"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    served = Index(f"http://127.0.0.1:{server.server_address[1]}/simple/")
    try:
        yield served
    finally:
        served.gate.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache that has the interpreter's own pip ready, made once for this module."""
    cache = tmp_path_factory.mktemp("warm-cache")
    env = cache.parent / f"{cache.name}-env"
    burrow("create", str(env), "-q", env={"BURROW_CACHE_DIR": str(cache), "PIP_NO_INDEX": "1"})
    return cache


@pytest.fixture
def cache(tmp_path: Path, warm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the warm cache, this test's own: what the check leaves there is its alone."""
    import shutil

    copy = tmp_path / "cache"
    shutil.copytree(warm_cache, copy, symlinks=True)
    monkeypatch.setenv("BURROW_CACHE_DIR", str(copy))
    return copy


def checking(url: str, **extra: str) -> Dict[str, str]:
    """The environment of a create whose daily check is on and asks only ``url``."""
    return {
        "BURROW_NO_PERIODIC_UPDATE": "",
        "PIP_INDEX_URL": url,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_FIND_LINKS": "",
        **extra,
    }


def periodic(cache: Path) -> Path:
    return cache / "periodic"


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def seeded_pip(env: Path) -> str:
    site = next(env.glob("lib/python*/site-packages"))
    (dist_info,) = site.glob("pip-*.dist-info")
    return dist_info.name[len("pip-") : -len(".dist-info")]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states in /proc")
def test_the_next_create_seeds_the_pip_the_check_found(
    tmp_path: Path, cache: Path, index: Index
) -> None:
    environ = checking(index.url)
    index.gate.clear()  # the check waits on the index: the create must not
    first = burrow("create", str(tmp_path / "first"), "-v", env=environ)
    assert STARTED in first.stderr
    assert seeded_pip(tmp_path / "first") != NEWER  # this create seeded what it had
    claim = next(periodic(cache).glob("*.claim"))
    deadline = time.monotonic() + 120
    while not claim.read_text() and time.monotonic() < deadline:  # its pid, once it runs
        time.sleep(0.05)
    updater = int(claim.read_text())
    assert os.getsid(updater) != os.getsid(0)  # not the create's session: Ctrl-C misses it
    assert os.getppid() != updater and _parent(updater) != os.getpid()
    for fd in (0, 1, 2):  # and not the create's pipes, which burrow() read to their end
        assert os.readlink(f"/proc/{updater}/fd/{fd}") == os.devnull
    index.gate.set()
    line = wait_for_check(cache)
    assert line.endswith(f"pip {NEWER} ready\n"), line
    assert list((cache / "wheels").glob(f"pip-{NEWER}-*.whl"))

    # The next create seeds it, from the cache, with no index at all.
    offline = {**environ, "PIP_NO_INDEX": "1"}
    second = burrow("create", str(tmp_path / "second"), "-v", "--json", env=offline)
    assert f'"pip": "{NEWER}"' in second.stdout
    assert seeded_pip(tmp_path / "second") == NEWER
    assert STARTED not in second.stderr  # checked today already
    assert index.pages == 1


def test_a_check_that_cannot_reach_the_index_waits_a_day(tmp_path: Path, cache: Path) -> None:
    unreachable = (tmp_path / "no-index").as_uri() + "/"
    environ = checking(unreachable)
    first = burrow("create", str(tmp_path / "first"), "-v", env=environ)
    assert STARTED in first.stderr
    assert "failed" in wait_for_check(cache)
    again = burrow("create", str(tmp_path / "again"), "-v", env=environ)
    assert STARTED not in again.stderr
    assert seeded_pip(tmp_path / "first") == seeded_pip(tmp_path / "again")


def test_two_creates_at_once_start_one_check(tmp_path: Path, cache: Path, index: Index) -> None:
    index.gate.clear()  # the check runs for as long as the creates do
    environ = checking(index.url)

    def create(i: int) -> str:
        return burrow("create", str(tmp_path / f"env{i}"), "-v", env=environ).stderr

    with ThreadPoolExecutor(6) as pool:
        outputs = list(pool.map(create, range(6)))
    index.gate.set()
    assert sum(STARTED in err for err in outputs) == 1, outputs
    wait_for_check(cache)
    assert index.pages == 1


def test_a_claim_left_by_a_dead_check_is_taken_over(tmp_path: Path, cache: Path) -> None:
    folder = periodic(cache)
    folder.mkdir()
    tag = next((cache / "seed").glob("v*/*")).name
    claim = folder / f"pip-{tag}.claim"
    environ = checking((tmp_path / "no-index").as_uri() + "/")

    def starts(name: str) -> bool:
        return STARTED in burrow("create", str(tmp_path / name), "-v", env=environ).stderr

    claim.write_text(str(os.getpid()))  # a check that is running (its process lives)
    assert not starts("running")
    claim.write_text("999999999")  # a check whose process is gone
    assert starts("dead")
    wait_for_check(cache)
    (folder / f"pip-{tag}").unlink()  # due again
    claim.write_text("")  # a claim whose check never began, long ago
    old = time.time() - 2 * 3600
    os.utime(claim, (old, old))
    assert starts("old")
    wait_for_check(cache)


@pytest.mark.parametrize("how", ["switched-off", "without-pip", "pip-pinned"])
def test_no_check_when_off_or_pip_not_from_the_bundle(
    tmp_path: Path, cache: Path, how: str
) -> None:
    environ = checking((tmp_path / "no-index").as_uri() + "/")
    args = [str(tmp_path / "env"), "-v"]
    if how == "switched-off":
        environ["BURROW_NO_PERIODIC_UPDATE"] = "1"
    elif how == "without-pip":
        args.append("--without-pip")
    else:
        pip = burrow("create", str(tmp_path / "probe"), "--json", env={"PIP_NO_INDEX": "1"})
        args += ["--pip", pip.stdout.split('"pip": "')[1].split('"')[0]]
    result = burrow("create", *args, env=environ)
    assert STARTED not in result.stderr
    assert not periodic(cache).exists()
