"""A lock as last read for one target, kept so that a sync with nothing to do parses nothing.

Reading a lock (pip's requirements format, markers evaluated for the target) costs tens
of milliseconds and imports ``packaging``; deciding that an env already matches needs only
the lock's (name, version) pairs, and ``create -r`` needs the pins as read (``recall_lock``).
``remember`` keeps both in one marshal record keyed by
everything the reading depended on: each file read (size, mtime_ns, ctime_ns, inode), the
working directory, the values of the ``${VARS}`` the files name, the target's facts, the
machine (platform markers), burrow's own reading code, pip's config files and constraint
files (whose pins a lock must keep to); and the kind of every local file a pin names.
``recall`` gives them back only while all of that is unchanged, so its answer is the one a
fresh read gives. The target counts by its facts, not its path: every env of one
interpreter shares the record (a new env's path is not known before it is built).
"""

from __future__ import annotations

import os

from burrow import store
from burrow._fast import getLogger

#: The parsed locks of no-op syncs and create -r, under the cache dir (`burrow cache`).
CACHE_FOLDER = "read-locks"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.packages.pins import Lock, Pin

log = getLogger(__name__)

#: Bumped whenever the record's meaning changes.
FORMAT = 4
#: A file changed less than this long before its stat could change again unseen (a
#: timestamp's granularity is up to 2 s on some filesystems): its record is not kept.
SETTLED_NS = 2_000_000_000
#: Variables that move pip's config files (PIP_* ones are all part of the key too).
_CONFIG_VARIABLES = ("HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "APPDATA", "PROGRAMDATA")


def recall(
    paths: Sequence[str], constraints: Sequence[str], info: PythonInfo
) -> Optional[Tuple[List[Tuple[str, str]], List[str]]]:
    """The (name, version) of each pin of the lock and the warnings its reading gives, as
    a fresh read would give them, or None.

    >>> recall(["requirements.lock"], [], info)  # doctest: +SKIP
    ([('flask', '3.0.3'), ('jinja2', '3.1.4')], [])
    """
    record = _valid_record(paths, constraints, info)
    if record is None:
        return None
    try:
        pins = [(fields["name"], fields["version"]) for fields in record["lock"]["pins"]]
        warnings = list(record["warnings"])
    except (TypeError, KeyError, ValueError):  # not a record of this format
        return None
    return pins, warnings


def recall_lock(
    paths: Sequence[str], constraints: Sequence[str], info: PythonInfo
) -> Optional[Tuple[Lock, List[str]]]:
    """The lock as a fresh ``lockfile.read_lock`` would give it and the warnings its
    reading gives, or None; what ``create -r`` installs without parsing the lock."""
    record = _valid_record(paths, constraints, info)
    if record is None:
        return None
    from burrow.packages.pins import Lock
    from burrow.packages.requirements import FileOptions

    try:
        kept = record["lock"]
        lock = Lock(
            pins=[_pin(fields) for fields in kept["pins"]],
            options=FileOptions(**kept["options"]),
            files=list(kept["files"]),
        )
        warnings = list(record["warnings"])
    except (TypeError, KeyError, ValueError):  # not a record of this format
        return None
    return lock, warnings


def _valid_record(
    paths: Sequence[str], constraints: Sequence[str], info: PythonInfo
) -> Optional[Dict[str, Any]]:
    """The record of this reading while everything it depended on is unchanged, else None."""
    inputs = _inputs(paths, constraints, info)
    record = store.load(_record_path(inputs))
    try:
        if record["inputs"] != inputs:
            return None
        for path, seen in record["files"]:
            if _stat(path) != seen:
                return None
        for name, value in record["environ"].items():
            if os.environ.get(name) != value:
                return None
        for path, kind in record["local"]:
            if _kind(path) != kind:
                return None
        for path, seen in record["config"]:  # pip's config files, present or not
            if _stat(path) != seen:
                return None
    except (TypeError, KeyError, ValueError):  # absent, or not a record of this format
        return None
    return record  # type: ignore[no-any-return]


def _kept_pin(pin: Pin) -> Dict[str, Any]:
    """A pin as marshal keeps it (its files as plain dicts)."""
    fields = pin.as_dict()
    fields["files"] = [file.as_dict() for file in pin.files]
    return fields


def _pin(fields: Dict[str, Any]) -> Pin:
    from burrow.packages.pins import Pin, PinFile

    fields = dict(fields)
    fields["files"] = tuple(PinFile(**file) for file in fields["files"])
    return Pin(**fields)


def remember(
    paths: Sequence[str],
    constraints: Sequence[str],
    info: PythonInfo,
    lock: Lock,
    warnings: Sequence[str],
    before: Dict[str, Any],
) -> None:
    """Keep ``lock``'s pins for ``recall``; ``before`` is ``stats(paths)`` taken before the
    read. Nothing is kept when a pin is known only once built, or a file changed meanwhile
    or too recently for a later change to show in its stat."""
    if any(pin.name is None or pin.version is None for pin in lock.pins):
        return
    import time

    if any(name.lower().startswith("file:") for name in lock.files):
        return  # an include given as a file:// URL: such a lock is read each time
    from burrow.packages.pipconfig import config_files, pip_constraints

    # pip's configured constraints hold for a lock too (lockfile.read_lock checks them).
    configured = [os.path.abspath(name) for name in pip_constraints()]
    files = [*before, *(os.path.abspath(name) for name in lock.files), *configured]
    files = list(dict.fromkeys(files))
    variables = _variables(files)
    if variables is None:
        return
    seen = {path: _stat(path) for path in files}
    settled = time.time_ns() - SETTLED_NS
    for path, stat in seen.items():
        if stat is None or (path in before and before[path] != stat) or stat[1] > settled:
            return
    inputs = _inputs(paths, constraints, info)
    record = {
        "inputs": inputs,
        "files": [[path, stat] for path, stat in seen.items()],
        "environ": variables,
        "local": [[pin.path, _kind(pin.path)] for pin in lock.pins if pin.path],
        "config": [[str(path), _stat(str(path))] for path in config_files(os.environ)],
        "lock": {
            "pins": [_kept_pin(pin) for pin in lock.pins],
            "options": lock.options.as_dict(),
            "files": list(lock.files),
        },
        "warnings": list(warnings),
    }
    try:
        store.dump(_record_path(inputs), record)
    except OSError as exc:  # a cache that cannot be written only costs the next no-op time
        log.info("cannot keep the read lock: %s", exc)


def stats(paths: Sequence[str]) -> Dict[str, Any]:
    """What ``remember`` compares with after the read: each file's stat, by absolute path."""
    return {os.path.abspath(path): _stat(os.path.abspath(path)) for path in paths}


def _inputs(paths: Sequence[str], constraints: Sequence[str], info: PythonInfo) -> Any:
    """What the reading depends on besides its files: a marshal-able tuple."""
    from burrow import __version__

    uname = tuple(os.uname()) if hasattr(os, "uname") else ()
    return (
        FORMAT,
        __version__,
        _code_stamp(),
        os.getcwd(),
        tuple(paths),
        tuple(constraints),
        info.placeless_facts,
        uname,
        # Where pip's config files are, and settings that override them.
        tuple(
            sorted(
                (k, v)
                for k, v in os.environ.items()
                if k in _CONFIG_VARIABLES or k.startswith("PIP_")
            )
        ),
    )


def _code_stamp() -> Tuple[int, int]:
    """(count, newest mtime_ns) of burrow's package-engine modules: an edited parser
    (a development checkout) makes every record stale."""
    newest = count = 0
    with os.scandir(os.path.dirname(os.path.abspath(__file__))) as items:
        for item in items:
            if item.name.endswith(".py"):
                count += 1
                newest = max(newest, item.stat().st_mtime_ns)
    return count, newest


def _record_path(inputs: Any) -> str:
    """One record per (working dir, files, constraints, interpreter); a name clash only
    replaces the other record (each holds its full key)."""
    import zlib

    from burrow import dirs

    key = os.fsencode(repr(inputs[3:7]))
    return os.path.join(dirs.private_cache_dir(), CACHE_FOLDER, f"{zlib.crc32(key):08x}")


def _stat(path: str) -> Optional[Tuple[int, int, int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _kind(path: str) -> str:
    """'d' for a directory, 'f' for a file, '' for anything else or nothing."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    return "d" if stat.S_ISDIR(mode) else "f" if stat.S_ISREG(mode) else ""


def _variables(files: Sequence[str]) -> Optional[Dict[str, Optional[str]]]:
    """The ``${NAME}`` variables ``files`` name, with their values now; None for a file
    in UTF-16 or UTF-32 (left to the reader)."""
    import re

    names = set()
    for path in files:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
            return None
        # Also as continuation lines join: a superset of the names only costs a miss.
        joined = data.replace(b"\\", b"").replace(b"\r", b"").replace(b"\n", b"")
        for text in (data, joined):
            names.update(re.findall(rb"\$\{([A-Z0-9_]+)\}", text))
    return {name.decode(): os.environ.get(name.decode()) for name in sorted(names)}
