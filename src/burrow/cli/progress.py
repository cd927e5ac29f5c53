"""Download progress on a terminal: one line, redrawn in place, gone when the downloads end.

Only downloads that last (past `AFTER` seconds) are shown, so a warm run or a small file
draws nothing; with stderr not a terminal, or under -q, nothing is drawn at all:

    numpy-2.1.3-cp311-cp311-manylinux_2_17_x86_64.whl  7.2 MiB / 16.3 MiB  3.1 MiB/s  (+2 more)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, List, Optional, TextIO

    from burrow.packages.progress import Transfer

#: A download is shown once it has lasted this long (seconds).
AFTER = 0.5
#: The line is redrawn at most this often (seconds).
EVERY = 0.1
_CLEAR = "\r\x1b[K"  # back to the line's start, erase to its end


@contextmanager
def download_line(quiet: int) -> Iterator[None]:
    """While inside, long downloads are drawn on stderr when it is a terminal and not -q."""
    stream = sys.stderr
    if quiet or not _is_terminal(stream):
        yield
        return
    from burrow.packages.progress import listen

    line = Line(stream)
    previous = listen(line)
    try:
        yield
    finally:
        listen(previous)
        line.clear()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # replaced or closed
        return False


class Line:
    """A listener drawing the first-started unfinished long download, and how many others
    long ones run beside it."""

    def __init__(self, stream: TextIO, width: Optional[int] = None) -> None:
        self.stream = stream
        self.width = width or _width(stream)
        self.running: List[Transfer] = []
        self.drawn = False
        self.last = 0.0  # when the line was last drawn
        self._lock = threading.Lock()

    def __call__(self, transfer: Transfer) -> None:
        with self._lock:
            if transfer.finished:
                if transfer in self.running:
                    self.running.remove(transfer)
                if not self.running:
                    self._erase()
                return
            if transfer not in self.running:
                self.running.append(transfer)
            now = time.monotonic()
            if now - self.last < EVERY:
                return
            shown = [t for t in self.running if now - t.started >= AFTER]
            if shown:
                self.last = now
                text = describe(shown[0], now) + (f"  (+{len(shown) - 1} more)" * (len(shown) > 1))
                self.stream.write(_CLEAR + text[: self.width - 1])
                self.stream.flush()
                self.drawn = True

    def clear(self) -> None:
        with self._lock:
            self._erase()

    def _erase(self) -> None:
        if self.drawn:
            self.stream.write(_CLEAR)
            self.stream.flush()
            self.drawn = False


def describe(transfer: Transfer, now: float) -> str:
    """'name  7.2 MiB / 16.3 MiB  3.1 MiB/s'; without the total when the server gave none."""
    rate = transfer.received / max(now - transfer.started, 1e-3)
    total = f" / {size(transfer.total)}" if transfer.total else ""
    return f"{transfer.name}  {size(transfer.received)}{total}  {size(rate)}/s"


def size(count: float) -> str:
    """Bytes as people read them: 512 -> '512 B', 7_549_747 -> '7.2 MiB'."""
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80
