"""Keeping a current pip in the cache: the index is checked at most once a day, out of band.

An interpreter's bundled pip can be years old. After a ``create`` that seeded pip from
what is on disk (``--pip bundle``, the default), the command line calls
``start_if_due(info)``. When the last check for that kind of interpreter (e.g.
cpython-312) is more than a day old, it starts a detached process (a session of its own,
stdio on /dev/null, outliving the command) and returns at once. That process asks the
index pip is configured for which pip is newest for the interpreter, downloads it with
its hash checked, and unpacks and byte-compiles it into the cache: the next ``create``
seeds it, offline like any cached pip. Offline, the check fails quietly and is tried
again a day later. ``BURROW_NO_PERIODIC_UPDATE=1`` turns it off.

Files in ``<cache>/periodic``: ``pip-<tag>`` (its mtime is when the last check ended),
``pip-<tag>.claim`` (held while a check runs: two creates start one check), and
``pip-<tag>.log`` (what the last check found, e.g. 'pip 24.3.1 ready').
"""

from __future__ import annotations

import os
import sys
import time

from burrow import dirs
from burrow.errors import BurrowError
from burrow.fs import try_unlink

#: Stamps of the daily pip check, under the cache dir (`burrow cache`).
CACHE_FOLDER = "periodic"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo

OFF = "BURROW_NO_PERIODIC_UPDATE"
INTERVAL = 24 * 3600  # seconds between two checks for one kind of interpreter
#: A claim older than this is taken over even if its pid lives (a pid can be reused).
STALE_CLAIM = 3600

# Run by the detached process: burrow from the same place as the create that started it.
_RUN = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from burrow.periodic import run; run(sys.argv[2], sys.argv[3])"
)


def stamp_path(info: PythonInfo) -> str:
    """The stamp of ``info``'s kind, e.g. ~/.cache/burrow/periodic/pip-cpython-312."""
    tag = info.cache_tag + ("t" if info.free_threaded else "")
    return os.path.join(dirs.private_cache_dir(), CACHE_FOLDER, f"pip-{tag}")


def start_if_due(info: PythonInfo) -> bool:
    """Start the check for ``info`` in the background if none ran today; True if started."""
    if os.environ.get(OFF, "") not in ("", "0") or not sys.executable:
        return False
    try:
        stamp = stamp_path(info)
    except (OSError, BurrowError):  # a cache burrow may not use: the create said so already
        return False
    if not _due(stamp):
        return False  # the path of nearly every create: one stat
    claim = stamp + ".claim"
    try:
        os.makedirs(os.path.dirname(claim), exist_ok=True)
    except OSError:
        return False
    if not _claim(claim):
        return False
    if not _due(stamp):  # a check that ended between our look and our claim
        try_unlink(claim)
        return False
    from burrow.detach import detach

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        detach([sys.executable, "-c", _RUN, package_parent, info.executable, stamp])
    except OSError:
        try_unlink(claim)
        return False
    return True


def _due(stamp: str) -> bool:
    try:
        age = time.time() - os.stat(stamp).st_mtime
    except OSError:
        return True
    return not 0 <= age < INTERVAL  # a stamp from the future (clock moved back) is stale too


def _claim(claim: str) -> bool:
    """Create ``claim`` exclusively; take it over once if the check that holds it is dead."""
    for _attempt in range(2):
        try:
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if not _abandoned(claim):
                return False
            try:  # renamed away first: of two runs taking over, only one succeeds
                stale = f"{claim}.{os.getpid()}.stale"
                os.rename(claim, stale)
                os.unlink(stale)
            except OSError:
                return False
            continue
        except OSError:  # e.g. a read-only cache: no check, and no error for the create
            return False
        os.close(fd)  # the check writes its pid in it once it runs
        return True
    return False


def _abandoned(claim: str) -> bool:
    """Whether the check holding ``claim`` is gone: its process has exited, or it is old."""
    from burrow.fs import pid_alive

    try:
        with open(claim, "rb") as handle:
            holder = handle.read()
        age = time.time() - os.stat(claim).st_mtime
    except OSError:
        return False
    if holder.isdigit() and not pid_alive(int(holder)):
        return True
    return not 0 <= age < STALE_CLAIM


# --- the detached process ----------------------------------------------------------------


def run(executable: str, stamp: str) -> None:
    """The check itself: fetch and cache the newest pip for ``executable``.

    Whatever happens, the stamp is renewed and the claim given back: a check that fails
    (offline, an index that refuses) is tried again tomorrow, not on the next create.
    """
    from burrow.fs import replace_file

    outcome = "failed: unexpected error"
    try:
        os.chdir(os.path.dirname(stamp))  # hold no directory the user may unmount or remove
        replace_file(stamp + ".claim", str(os.getpid()).encode(), 0o600)  # whose claim it is
        outcome = refresh(executable)
    except (BurrowError, OSError, ValueError) as exc:
        outcome = f"failed: {exc}"
    finally:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        try:
            replace_file(stamp + ".log", f"{when} pid {os.getpid()} {outcome}\n".encode(), 0o600)
            replace_file(stamp, b"", 0o600)  # its mtime says when: no check before tomorrow
        finally:
            try_unlink(stamp + ".claim")


def refresh(executable: str) -> str:
    """Cache the newest pip that ``executable`` can run; e.g. 'pip 24.3.1 ready'."""
    from burrow import seed
    from burrow.interpreter import inspect

    info = inspect(executable)
    entry = seed.resolve(seed.SeedRequest(name="pip", version="latest"), info, os.environ)
    return f"pip {entry.version} ready"
