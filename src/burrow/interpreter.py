"""Facts about a Python interpreter, learnt by running it once and cached on disk.

The cache key is the interpreter's real path, size and modification time, so a warm
``burrow create`` starts no second Python process, and an upgraded or deleted interpreter
is noticed without being asked.
"""

from __future__ import annotations

import os
import sys

from burrow import dirs
from burrow._fast import Record, getLogger
from burrow.errors import InterpreterError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple

log = getLogger(__name__)

#: Oldest interpreter burrow makes environments for (pip no longer supports older ones).
MINIMUM_VERSION = (3, 8)
#: Bump when _probe.py changes what it reports, so cached facts are learnt again.
PROBE_FORMAT = 3
PROBE_TIMEOUT = 30.0

_PROBE_SOURCE = os.path.join(os.path.dirname(__file__), "_probe.py")


class PythonInfo(Record):
    """What burrow knows about one interpreter, e.g. CPython 3.12.1 at /usr/bin/python3.12."""

    implementation: str  # "cpython", "pypy"
    version: Tuple[int, int, int]
    release: Tuple[str, int]  # ("final", 0), ("candidate", 1)
    executable: str  # as run, e.g. /usr/bin/python3
    base_executable: str  # the interpreter an env links to (outside any venv)
    prefix: str
    base_prefix: str
    platform: str  # sys.platform
    os_name: str
    is_64bit: bool
    sysconfig_platform: str  # linux-x86_64
    cache_tag: str  # cpython-312
    abiflags: str
    free_threaded: bool
    scheme: str  # sysconfig scheme of its venvs: "venv" on 3.11+
    paths: Dict[str, str]  # purelib/platlib/include/scripts/data, relative to an env
    stdlib: str
    ensurepip_bundled: str
    framework: str
    # For wheel tags and environment markers (burrow.packages.tags); defaults keep
    # records built by hand valid.
    soabi: str = ""  # cpython-312-x86_64-linux-gnu
    ext_suffix: str = ""  # .cpython-312-x86_64-linux-gnu.so
    py_debug: Optional[int] = None  # sysconfig's Py_DEBUG (None where not set)
    debug_build: bool = False  # sys.gettotalrefcount, or _d.pyd extensions (Windows)
    py_version_nodot: str = ""  # "312"
    libc: Optional[Tuple[str, str]] = None  # ("glibc", "2.36"), ("musl", "1.2.4")
    machine: str = ""  # platform.machine(): x86_64, arm64, AMD64
    mac_version: str = ""  # platform.mac_ver()[0] on macOS: "14.2.1"
    python_full_version: str = ""  # platform.python_version(): "3.13.0rc1"
    python_implementation: str = ""  # platform.python_implementation(): "CPython"
    implementation_version: str = ""  # sys.implementation.version: "7.3.15" on PyPy

    @property
    def placeless_facts(self) -> Tuple[Tuple[str, Any], ...]:
        """Its facts but where it was seen (``executable``, ``prefix``: an env being built
        has a new path each time), sorted: what keys what is kept for every env of one
        interpreter (a read lock, its ranked wheel tags)."""
        where = ("executable", "prefix")
        return tuple(sorted((k, v) for k, v in self.as_dict().items() if k not in where))

    @property
    def version_str(self) -> str:
        """'3.12.1', or '3.13.0rc1' for a pre-release."""
        text = ".".join(str(part) for part in self.version)
        level, serial = self.release
        short = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(level)
        return f"{text}{short}{serial}" if short else text

    @property
    def name(self) -> str:
        """Human name, e.g. 'CPython 3.12.1'."""
        pretty = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}
        return f"{pretty.get(self.implementation, self.implementation)} {self.version_str}"

    @property
    def windows(self) -> bool:
        return self.os_name == "nt"

    @classmethod
    def from_facts(cls, data: Dict[str, Any]) -> PythonInfo:
        data = dict(data)
        data["version"] = tuple(data["version"])
        data["release"] = tuple(data["release"])
        if data.get("libc"):
            data["libc"] = tuple(data["libc"])
        return cls(**data)


def _cache_key(real: str) -> Tuple[str, int, int]:
    st = os.stat(real)
    return (real, st.st_size, st.st_mtime_ns)


def _cache_file(real: str) -> str:
    # A cheap checksum (FNV-1a, no import) names the file; the key inside decides a match.
    digest = 0xCBF29CE484222325
    for byte in real.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    name = f"{os.path.basename(real)[:40]}-{digest:016x}.facts"
    return os.path.join(dirs.private_cache_dir(), "interpreters", name)


def inspect(executable: str | os.PathLike[str]) -> PythonInfo:
    """Facts about the interpreter at ``executable``: from the cache, else by running it."""
    path = os.path.abspath(os.fspath(executable))
    real = os.path.realpath(path)
    try:
        key = _cache_key(real)
    except OSError as exc:
        raise InterpreterError(f"interpreter {path} not found: {exc.strerror}") from None
    if not os.path.isfile(real) or not os.access(real, os.X_OK):
        raise InterpreterError(f"{path} is not an executable file")
    cached = _read_cache(real, key, path)
    if cached is not None:
        return cached
    try:
        info = _run_probe(path)
    except _TooOld as exc:  # as much a fact of this build as its facts: not run again
        _write_record(real, {"format": PROBE_FORMAT, "key": list(key), "too_old": exc.version})
        raise
    _write_cache(real, key, path, info)
    return info


def cached(executable: str | os.PathLike[str]) -> PythonInfo | None:
    """Facts about ``executable`` if the cache holds them for its current build; runs nothing."""
    path = os.path.abspath(os.fspath(executable))
    real = os.path.realpath(path)
    try:
        return _read_cache(real, _cache_key(real), path)
    except (OSError, InterpreterError):  # gone, or known to be too old
        return None


def _read_cache(real: str, key: Tuple[str, int, int], path: str) -> Optional[PythonInfo]:
    from burrow import store

    try:
        record = store.load(_cache_file(real))
    except (OSError, dirs.UntrustedCache) as exc:  # unusable cache: learn the facts again
        log.debug("%s", exc)
        return None
    if not isinstance(record, dict) or record.get("format") != PROBE_FORMAT:
        return None
    if tuple(record.get("key", ())) != key:
        return None
    if "too_old" in record:
        raise _TooOld(path, str(record["too_old"]))
    try:
        # Facts for another spelling of the same interpreter differ in `executable` only.
        return PythonInfo.from_facts({**record["facts"], "executable": path})
    except (KeyError, TypeError):
        return None


def _write_cache(real: str, key: Tuple[str, int, int], path: str, info: PythonInfo) -> None:
    _write_record(real, {"format": PROBE_FORMAT, "key": list(key), "facts": info.as_dict()})


def _write_record(real: str, record: Dict[str, Any]) -> None:
    from burrow import store

    try:
        store.dump(_cache_file(real), record)
    except (OSError, dirs.UntrustedCache) as exc:  # an unusable cache only costs speed
        log.debug("could not cache interpreter facts for %s: %s", real, exc)


class _TooOld(InterpreterError):
    """An interpreter older than MINIMUM_VERSION, e.g. Python 2.7.18."""

    def __init__(self, path: str, version: str) -> None:
        need = ".".join(str(part) for part in MINIMUM_VERSION)
        super().__init__(f"{path} is Python {version}; burrow needs Python {need} or newer")
        self.version = version


def _run_probe(path: str) -> PythonInfo:
    import json
    import subprocess

    # -E -s -S keep the user's environment and site-packages out; the probe drops the
    # current directory from sys.path itself (old interpreters lack -I).
    with open(_PROBE_SOURCE, encoding="utf-8") as handle:
        code = "import sys; del sys.path[0]\n" + handle.read()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        proc = subprocess.run(
            [path, "-E", "-s", "-S", "-c", code],
            capture_output=True,
            env=env,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except OSError as exc:
        raise InterpreterError(f"cannot run {path}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"{path} did not answer within {PROBE_TIMEOUT:.0f}s") from None
    try:
        facts = json.loads(proc.stdout.decode("utf-8", "replace"))
    except ValueError:
        facts = None
    if not isinstance(facts, dict) or "version" not in facts:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = f": {detail[-1]}" if detail else f" (exit code {proc.returncode})"
        raise InterpreterError(f"{path} is not a working Python interpreter{reason}") from None
    if facts.get("too_old") or tuple(facts["version"][:2]) < MINIMUM_VERSION:
        raise _TooOld(path, ".".join(str(part) for part in facts["version"]))
    try:
        return PythonInfo.from_facts(facts)
    except TypeError as exc:
        raise InterpreterError(f"{path} gave unexpected facts: {exc}") from None


def current() -> PythonInfo:
    """Facts about the interpreter running burrow."""
    return inspect(sys.executable)
