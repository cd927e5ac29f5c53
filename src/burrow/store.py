"""Small records in burrow's cache (plain dicts and lists), written atomically.

They are read on the hot path of every create, so they are stored with ``marshal``
(built in, no import cost, several times faster than JSON). They hold only str, int,
bool, None, list and dict; a record that fails to load is treated as absent.
"""

from __future__ import annotations

import marshal
import os

from burrow import fs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: marshal format 4 is read by every Python burrow supports as a host.
_MARSHAL_VERSION = 4


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
    fs.replace_file(path, data, 0o600)
