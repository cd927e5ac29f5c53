"""Small records in burrow's cache (plain dicts and lists), and files written atomically.

They are read on the hot path of every create, so they are stored with ``marshal``
(built in, no import cost, several times faster than JSON). They hold only str, int,
bool, None, list and dict; a record that fails to load is treated as absent.
"""

from __future__ import annotations

import marshal
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: marshal format 4 is read by every Python burrow supports as a host.
_MARSHAL_VERSION = 4
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def load(path: str) -> Any:
    """The record at ``path``, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            return marshal.loads(handle.read())  # noqa: S302 - burrow's own cache files
    except (OSError, EOFError, ValueError, TypeError):
        return None


def dump(path: str, record: Any) -> None:
    """Write ``record`` so that readers see the old file or the whole new one."""
    data = marshal.dumps(record, _MARSHAL_VERSION)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    replace_file(path, data, 0o600)


def replace_file(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``path`` whole through a fresh file renamed over it.

    Readers (a shell sourcing an activate script, another run loading a record) see the
    old file or the new one, never half of either. The temporary name is new and created
    exclusively, and the rename replaces whatever is at ``path``, a symlink included: no
    file is ever written through a link planted there.
    """
    temp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, mode)
        with open(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
