"""How far each download has got, told to whoever listens; the library never prints it.

The index client reports every file it receives through `transfer`; by default nobody
listens and a report costs one attribute read. The CLI listens (`listen`) and draws one
updating line on a terminal; a program using burrow as a library may listen too:

    def show(t: Transfer) -> None:
        print(t.name, t.received, t.total, "done" if t.finished else "")

    previous = listen(show)
"""

from __future__ import annotations

from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator, Optional

    Listener = Callable[["Transfer"], None]


class Transfer:
    """One file being received, e.g. Transfer("numpy-2.1.0-cp311-...whl", total=16_000_000).

    `total` is None when the server does not say; `started` is `time.monotonic()`'s.
    The listener sees the same object at the start, after each chunk and at the end.
    """

    __slots__ = ("finished", "name", "received", "started", "total")

    def __init__(self, name: str, total: Optional[int], started: float) -> None:
        self.name = name
        self.total = total
        self.received = 0
        self.started = started
        self.finished = False


_listener: Optional[Listener] = None


def listen(listener: Optional[Listener]) -> Optional[Listener]:
    """Send every transfer's reports to `listener` (None: to nobody); returns the previous.

    One listener for the process, called from the threads that download, so it must be
    thread-safe; it should return quickly (it runs between two chunks).
    """
    global _listener  # one switch, set by the CLI, like _fast.warnings_to_stderr
    previous, _listener = _listener, listener
    return previous


@contextmanager
def transfer(name: str, total: Optional[int]) -> Iterator[Callable[[int], None]]:
    """Report receiving `name`: yields `advance(byte_count)`; the end is reported on exit."""
    listener = _listener
    if listener is None:
        yield _ignore
        return
    import time

    moving = Transfer(name, total, time.monotonic())
    listener(moving)

    def advance(count: int) -> None:
        moving.received += count
        listener(moving)

    try:
        yield advance
    finally:
        moving.finished = True
        listener(moving)


def _ignore(_count: int) -> None:
    pass
