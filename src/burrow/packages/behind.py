"""Bytecode behind the command: compiled into the entries a command built, linked into
the env from the entries it found compiled, once the command has committed.

A ``create -r``, ``sync`` or ``install`` that must build cache entries unpacks them
without bytecode (as uv does by default), links them and commits. Then, when the command
has committed (``after_commit``), one detached process (``detach.py``) compiles those
entries with their target interpreter, at idle priority, each under its entry lock, and
rewrites each manifest (``cache.compile_entry``): later envs link the .pyc too, and the
env at hand gets its own from Python on first import. An entry it cannot compile (gone,
cleaned, the interpreter removed) is passed over quietly. An entry a killed process left
uncompiled is linked as it is and queued again by the next command that links it.

The compile behind writes into the cache only: nothing writes into an env once its
command has returned. By default the bytecode of entries found compiled is linked into
the env before the command returns. With ``BURROW_LINK_BYTECODE_BEHIND=1`` a warm
``create -r``, ``sync`` or ``install`` links the modules and leaves their ``__pycache__``
folders (a third of the links and of the folders: new inodes, the dearest part of a warm
create) to one detached process started once it has committed. That process holds the
env's sync lock and the env's site-packages by descriptor: an env swapped or removed
meanwhile is left alone, it never replaces a file that is there (Python may have written
it on an import in between), and it links a module's bytecode only while its source is
there. Until it is done, moments after the command returns, the env works, but it is
still being written: a user's own ``rm -rf`` of it at once may find a folder filled while
it empties it ("Directory not empty"), which is why this is not the default.

``--compile-bytecode`` (or ``BURROW_COMPILE_BYTECODE=1``) compiles and links the bytecode
before the command returns instead; so does every run on Windows, which has no
descriptor to hand over.

The work of one process (``behind_process.py``) is a job:
``<cache>/compile-jobs/job-<pid>-<random>.job`` holds the interpreter and the entries to
compile, or the envs and the entries to link. The command locks it (``flock``) before it
is named so, and the process it starts inherits that locked descriptor: the lock is held
exactly as long as the job may run, so ``wait()`` waits on it, and a job whose lock is
free while its file is still there was killed, and is swept.
"""

from __future__ import annotations

import os
import sys

from burrow.fs import try_unlink

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

    from burrow.interpreter import PythonInfo
    from burrow.packages.bytecode import Compiler
    from burrow.packages.cache import Entry

#: Jobs of the compile behind, under the cache dir (`burrow cache clean` sweeps dead ones).
CACHE_FOLDER = "compile-jobs"
#: Set to 1: compile before the command returns, as --compile-bytecode does.
NOW = "BURROW_COMPILE_BYTECODE"
#: Set to 1: link the bytecode of compiled entries into the env after the command returns.
LINK_LATER = "BURROW_LINK_BYTECODE_BEHIND"
JOB_SUFFIX = ".job"
LOG = "last.log"

# Run by the detached process: burrow from the same place as the command that started it.
_RUN = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from burrow.packages.behind_process import run; run(sys.argv[2], int(sys.argv[3]))"
)


def compile_now(asked: bool) -> bool:
    """Whether a command compiles the entries it builds before it returns: when asked to
    (``--compile-bytecode``, ``BURROW_COMPILE_BYTECODE=1``), or where nothing can be
    compiled behind it."""
    return asked or os.environ.get(NOW, "") not in ("", "0") or os.name == "nt"


class after_commit:  # a lower-case name: it reads as a statement, `with after_commit():`
    """The entries ``later`` is told of inside this block are compiled behind once the
    block ends without an exception; an exception starts nothing (they stay uncompiled
    until a command links them again). With ``now``, the command compiles what it builds
    itself (``compile_now``): ``queueing()`` says so to the builders."""

    def __init__(self, now: bool = False) -> None:
        import threading

        self.now = now
        #: Whether the bytecode of compiled entries is left to a process after the block.
        self.link_later = not now and os.environ.get(LINK_LATER, "") not in ("", "0")
        self.jobs: Dict[Compiler, List[str]] = {}
        #: site-packages being built -> [its descriptor, env (final path), site-packages
        #: in it, [[entry, st_dev, st_ino], ...]]: the bytecode to link once committed.
        self.links: Dict[str, List[Any]] = {}
        self.devices: Dict[str, int] = {}  # site-packages being built -> its st_dev
        self.lock = threading.Lock()  # entries are linked by two threads

    def __enter__(self) -> after_commit:
        _active.append(self)
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        _active.remove(self)
        try:
            if kind is None:
                for compiler, paths in self.jobs.items():
                    start(compiler, paths)
                if self.links:
                    start_links(list(self.links.values()))
        finally:
            for fd, *_ in self.links.values():
                os.close(fd)  # the process has its own, inherited


_active: List[after_commit] = []


def queueing() -> bool:
    """Whether an entry built now may leave its bytecode to the compile behind."""
    return bool(_active) and not _active[-1].now


def later(entries: Sequence[Entry], info: PythonInfo) -> None:
    """Queue the uncompiled ``entries`` with the innermost ``after_commit`` (if any)."""
    paths = [entry.path for entry in entries if not entry.compiled]
    if not paths or not _active:
        return
    from burrow.packages.bytecode import Compiler

    queued = _active[-1].jobs.setdefault(Compiler.of(info), [])
    queued += [path for path in paths if path not in queued]


def bytecode_later(entry: Entry, site: str, env: str, site_rel: str) -> bool:
    """Whether the bytecode of ``entry`` is to be linked into ``site`` (of the env being
    built that will be ``env``) once the command has committed (``LINK_LATER``): then the
    caller leaves its ``__pycache__`` folders out. Only a compiled entry on the env's
    filesystem (the caller asks only where links are made by descriptor)."""
    if not _active or not _active[-1].link_later or not entry.compiled:
        return False
    block = _active[-1]
    with block.lock:
        links = block.links.get(site)
        if links is None:
            fd = os.open(site, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            links = block.links[site] = [fd, os.path.abspath(env), site_rel, []]
            block.devices[site] = os.fstat(fd).st_dev
        if block.devices[site] != entry.ident[0]:
            return False  # copies, not links: made now, as the rest of the entry
        links[3].append([entry.path, *entry.ident])
    return True


def jobs_dir(cache: Optional[str] = None) -> str:
    """Where the jobs of ``cache`` (default: burrow's) are, e.g. ~/.cache/burrow/compile-jobs."""
    if cache is None:
        from burrow import dirs

        cache = dirs.cache_dir()
    return os.path.join(cache, CACHE_FOLDER)


def start(compiler: Compiler, paths: List[str]) -> bool:
    """Start the process that compiles the entries at ``paths``; False when it could not
    be (a read-only cache, no process to spare): the entries stay as they are."""
    record = {"python": compiler.python, "tag": compiler.tag, "entries": list(paths)}
    return _start(record, ())


def start_links(links: List[List[Any]]) -> bool:
    """Start the process that links the bytecode ``bytecode_later`` set aside; False when
    it could not be (the envs then work without it: Python compiles on import)."""
    return _start({"links": links}, [fd for fd, *_ in links])


def _start(record: Dict[str, Any], fds: Sequence[int]) -> bool:
    from burrow.errors import BurrowError

    try:
        job, fd = new_job(record)
    except (OSError, BurrowError):  # e.g. a cache not private: the command said so already
        return False
    try:
        from burrow.detach import detach

        here = os.path.abspath(__file__)  # <src>/burrow/packages/behind.py
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(here)))
        argv = [sys.executable, "-c", _RUN, package_parent, job, str(fd)]
        detach(argv, keep=[fd, *fds])
    except OSError:
        try_unlink(job)
        return False
    finally:
        os.close(fd)  # the process holds the lock now, through its own descriptor
    return True


def new_job(record: Dict[str, Any]) -> Tuple[str, int]:
    """A job file holding ``record``, and a descriptor that holds its lock (made
    inheritable by ``detach``). Locked before it is named a job, so that nobody sees it
    unlocked."""
    import fcntl
    import marshal

    from burrow import dirs, fs

    folder = jobs_dir(dirs.private_cache_dir())  # a cache that is not private is refused
    os.makedirs(folder, exist_ok=True)
    staging = os.path.join(folder, fs.unique_name(".job-"))
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, marshal.dumps(record, 4))
        job = os.path.join(folder, os.path.basename(staging)[1:] + JOB_SUFFIX)
        os.rename(staging, job)
    except BaseException:
        os.close(fd)
        try_unlink(staging)
        raise
    return job, fd


def wait(cache: Optional[str] = None) -> int:
    """Until every job of ``cache`` (default: burrow's) that runs now has ended; how many
    there were (a job a killed process left is swept and counted). For tests and
    benchmarks: a command never waits for one."""
    return _each_job(jobs_dir(cache), blocking=True)


def sweep(cache: Optional[str] = None) -> int:
    """Remove the jobs whose process is gone, what a killed command left, and the log of
    the last job (``cache clean``); how many jobs."""
    try_unlink(os.path.join(jobs_dir(cache), LOG))
    return _each_job(jobs_dir(cache), blocking=False)


def _each_job(folder: str, blocking: bool) -> int:
    import fcntl

    from burrow import fs

    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return 0
    count = 0
    for name in names:
        path = os.path.join(folder, name)
        if name.startswith(".job-"):  # a command killed before it named its job
            if not blocking and not fs.owner_alive(name):
                try_unlink(path)
            continue
        if not name.endswith(JOB_SUFFIX):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # ended meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # running
            count += 1
            if same_file(fd, path):  # its process died before it was done
                try_unlink(path)
        finally:
            os.close(fd)
    return count


def same_file(fd: int, path: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)
