"""RECORD files (the wheel spec's list of installed files) after some files were rewritten.

A script re-pointed at an env's final path, or a ``.pth`` made relative for an archive, no
longer has the hash its RECORD row gives; ``rehashed`` gives those rows the new hash and size,
so ``pip`` and any RECORD checker see files that match. An archive also re-stamps bytecode
headers as it writes them, so there the bytecode rows lose their hashes.
"""

from __future__ import annotations

import os

from burrow._fast import record_hash

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional


def changed_key(path: str) -> str:
    """How ``rehashed`` names a file: its absolute, normalised path."""
    return os.path.normcase(os.path.normpath(path))


def rehashed(
    record: bytes, site: str, changed: Mapping[str, bytes], *, bytecode_unhashed: bool = False
) -> Optional[bytes]:
    """``record`` (the bytes of a RECORD under ``site``) with each row naming a file in
    ``changed`` ({changed_key(path): new bytes}) given that file's hash and size, and, with
    ``bytecode_unhashed``, rows of ``__pycache__`` bytecode given none (PEP 376 allows it;
    for files whose header is re-stamped); None when no row changes."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(record.decode("utf-8"), newline="")))
    touched = False
    for row in rows:
        if not row:
            continue
        data = changed.get(changed_key(os.path.join(site, row[0])))
        if data is not None:
            row[1:] = [record_hash(data), str(len(data))]
            touched = True
        elif bytecode_unhashed and row[0].endswith(".pyc") and "__pycache__/" in row[0]:
            touched = touched or any(row[1:])
            row[1:] = ["", ""]
    if not touched:
        return None
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")
