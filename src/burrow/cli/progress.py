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
    """A listener drawing the first-started unfinished long download, and how many other
    long ones run beside it."""

    def __init__(self, stream: TextIO, width: Optional[int] = None) -> None:
        self.stream = stream
        self.width = width or _width(stream)
        self.running: List[Transfer] = []  # in the order they started
        self.drawn = False
        self.drawn_at = 0.0
        self._lock = threading.Lock()

    def __call__(self, transfer: Transfer) -> None:
        with self._lock:
            now = time.monotonic()
            if transfer.finished:
                if transfer in self.running:
                    self.running.remove(transfer)
                if not _long(self.running, now):  # nothing left worth a line
                    self._erase()
                return
            if transfer not in self.running:
                self.running.append(transfer)
            shown = _long(self.running, now)
            if shown and now - self.drawn_at >= EVERY:
                text = describe(shown[0], now)
                if len(shown) > 1:
                    text += f"  (+{len(shown) - 1} more)"
                self.stream.write(_CLEAR + text[: self.width - 1])
                self.stream.flush()
                self.drawn, self.drawn_at = True, now

    def clear(self) -> None:
        with self._lock:
            self._erase()

    def _erase(self) -> None:
        if self.drawn:
            self.stream.write(_CLEAR)
            self.stream.flush()
            self.drawn = False


def _long(transfers: List[Transfer], now: float) -> List[Transfer]:
    return [t for t in transfers if now - t.started >= AFTER]


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
