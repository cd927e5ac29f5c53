"""Download progress: one line on a terminal for a long download, cleared at the end;
nothing when stderr is not a terminal, nor under -q.

The end-to-end tests run `burrow sync` with stderr on a real pseudo-terminal against a
loopback server that sends a 1 MiB wheel in pieces with pauses between them. The pauses
add up to more than three times `AFTER`, so every run lasts long enough to be shown,
however fast or loaded the machine: no assertion depends on timing.
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from helpers import burrow, burrow_env, make_wheel
from localindex import sha256

from burrow.cli.progress import AFTER, Line, describe, download_line, size
from burrow.packages import progress
from burrow.packages.progress import Transfer, listen, transfer

WHEEL = "big-1.0-py3-none-any.whl"
PIECES = 32
PAUSE = AFTER * 3 / PIECES  # the whole body takes at least 3 x AFTER to arrive
CLEAR = "\r\x1b[K"


@contextmanager
def slow_index(wheel: Path) -> Iterator[str]:
    """A PEP 503 index of one wheel whose body comes in PIECES pieces, PAUSE apart."""
    data = wheel.read_bytes()
    page = f'<a href="/files/{wheel.name}#sha256={sha256(wheel)}">{wheel.name}</a>\n'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/simple/big":
                self._send(page, "text/html")
            elif self.path == f"/files/{wheel.name}":
                self._send(data, "application/octet-stream", slowly=True)
            else:
                self.send_error(404)

        def _send(self, body: bytes, content_type: str, slowly: bool = False) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            step = -(-len(body) // PIECES) if slowly else len(body)
            for start in range(0, len(body), step):
                if slowly:
                    time.sleep(PAUSE)
                self.wfile.write(body[start : start + step])
                self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Tuple[Path, Path, Dict[str, str]]]:
    """(an env without the wheel, a lock pinning it, the environment for burrow).

    The wheel's content is random, so no cache holds it: it is downloaded every time.
    """
    wheel = make_wheel(tmp_path / "wheels", "big", files={"big/blob.bin": os.urandom(1 << 20)})
    lock = tmp_path / "lock.txt"
    lock.write_text(f"big==1.0 --hash=sha256:{sha256(wheel)}\n")
    env = tmp_path / "env"
    burrow("create", "-q", "--without-pip", str(env))
    with slow_index(wheel) as url:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        environ.update(
            PIP_CONFIG_FILE=os.devnull,
            PIP_INDEX_URL=url,
            TERM="xterm",
        )
        yield env, lock, environ


def on_terminal(args: List[str], environ: Dict[str, str]) -> Tuple[int, str, str]:
    """Run burrow with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "burrow", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=burrow_env(environ),
    )
    os.close(slave)
    received = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every holder of the terminal's other end has closed it
            break
        if not chunk:
            break
        received.append(chunk)
    os.close(master)
    assert proc.stdout is not None
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(), stdout, b"".join(received).decode()


@pytest.mark.parametrize("command", ["sync", "install", "create", "lock"])
def test_a_long_download_draws_one_line_on_a_terminal_then_clears_it(
    setup: tuple, command: str, tmp_path: Path
) -> None:
    env, lock, environ = setup
    args, printed = {
        "sync": (["sync", "-e", str(env), str(lock)], "+ big==1.0\n"),
        # resolving reads the whole wheel for its metadata (no ranges served), then fetches it
        "install": (["install", "-e", str(env), "big"], "+ big==1.0\n"),
        "create": (["create", str(tmp_path / "new"), "-r", str(lock)], "Created "),
        "lock": (["lock", "big", "-o", str(tmp_path / "out.txt")], ""),
    }[command]
    code, stdout, terminal = on_terminal(args, environ)
    assert code == 0, terminal
    assert stdout.startswith(printed) if printed else stdout == ""
    drawing, _, after = terminal.rpartition(CLEAR)
    drawn = [part for part in drawing.split(CLEAR) if part]
    assert drawn, f"nothing drawn: {terminal!r}"
    for text in drawn:  # each redraw replaces the line: no line ends inside it
        assert text.startswith(f"{WHEEL}  "), text
        assert "\n" not in text and "\r" not in text
        assert " / 1.0 MiB  " in text and text.endswith("/s")
    # Cleared at the end: what follows is the command's own (lock reports on stderr).
    expected = f"locked 1 package in {tmp_path / 'out.txt'}\r\n" if command == "lock" else ""
    assert after == expected


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(setup: tuple) -> None:
    env, lock, environ = setup
    proc = burrow("sync", "-e", str(env), str(lock), env=environ)
    assert proc.stdout == "+ big==1.0\n"
    assert proc.stderr == ""


def test_nothing_is_drawn_under_quiet_even_on_a_terminal(setup: tuple) -> None:
    env, lock, environ = setup
    code, stdout, terminal = on_terminal(["sync", "-q", "-e", str(env), str(lock)], environ)
    assert code == 0, terminal
    assert (stdout, terminal) == ("", "")


# --- the pieces, in this process -------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def transfer_of(name: str, total: int | None, received: int, age: float) -> Transfer:
    moving = Transfer(name, total, time.monotonic() - age)
    moving.received = received
    return moving


def test_a_short_download_draws_nothing_and_a_long_one_is_cleared_when_done() -> None:
    stream = Terminal()
    line = Line(stream, width=200)
    short = transfer_of("short.whl", 10, 5, age=0.0)
    line(short)
    assert stream.getvalue() == ""
    long = transfer_of("long.whl", 4 << 20, 1 << 20, age=AFTER * 4)
    line(long)
    assert stream.getvalue().startswith(CLEAR + "long.whl  1.0 MiB / 4.0 MiB  ")
    short.finished = True
    line(short)
    assert not stream.getvalue().endswith(CLEAR)  # the long one is still running
    line(transfer_of("new.whl", 10, 1, age=0.0))
    long.finished = True
    line(long)
    assert stream.getvalue().endswith(CLEAR)  # only a short one left: the line goes
    assert "new.whl" not in stream.getvalue()


def test_the_line_names_the_oldest_long_download_and_counts_the_others() -> None:
    stream = Terminal()
    line = Line(stream, width=200)
    line(transfer_of("a.whl", None, 2048, age=AFTER * 4))
    line.drawn_at = 0.0  # as if the last redraw were long ago
    line(transfer_of("b.whl", 100, 50, age=AFTER * 2))
    last = stream.getvalue().split(CLEAR)[-1]
    assert last.startswith("a.whl  2.0 KiB  ")  # no total given: bytes alone
    assert last.endswith("/s  (+1 more)")


def test_the_line_fits_the_terminal() -> None:
    stream = Terminal()
    line = Line(stream, width=20)
    line(transfer_of("x" * 100 + ".whl", 100, 50, age=AFTER * 2))
    assert stream.getvalue() == CLEAR + "x" * 19


def test_describe_and_size() -> None:
    moving = transfer_of("n.whl", 16 << 20, 7 << 20, age=2.0)
    assert describe(moving, moving.started + 2.0) == "n.whl  7.0 MiB / 16.0 MiB  3.5 MiB/s"
    assert [size(n) for n in (512, 1536, 7_549_747, 3 << 30)] == [
        "512 B", "1.5 KiB", "7.2 MiB", "3.0 GiB",
    ]  # fmt: skip


def test_the_library_reports_to_the_listener_it_is_given_and_to_nobody_after() -> None:
    seen: List[Tuple[str, int, bool]] = []
    previous = listen(lambda t: seen.append((t.name, t.received, t.finished)))
    try:
        with transfer("f.whl", 10) as advance:
            advance(4)
            advance(6)
    finally:
        assert listen(previous) is not None
    assert seen == [("f.whl", 0, False), ("f.whl", 4, False), ("f.whl", 10, False),
                    ("f.whl", 10, True)]  # fmt: skip
    with transfer("g.whl", 1) as advance:
        advance(1)
    assert len(seen) == 4


def test_download_line_listens_only_on_a_terminal_without_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stderr", Terminal())
    with download_line(quiet=0):
        assert isinstance(progress._listener, Line)
    assert progress._listener is None
    with download_line(quiet=1):
        assert progress._listener is None
    monkeypatch.setenv("TERM", "dumb")
    with download_line(quiet=0):
        assert progress._listener is None
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setenv("TERM", "xterm")
    with download_line(quiet=0):
        assert progress._listener is None
