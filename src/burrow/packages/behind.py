"""Compiling behind: the bytecode of the entries a command built, once it has committed.

A ``create -r``, ``sync`` or ``install`` that must build cache entries unpacks them
without bytecode (as uv does by default), links them and commits. Then, when the command
has committed (``after_commit``), one detached process (``detach.py``) compiles those
entries with their target interpreter, at idle priority, each under its entry lock, and
rewrites each manifest (``cache.compile_entry``): later envs link the .pyc too, and the
env at hand gets its own from Python on first import. An entry it cannot compile (gone,
cleaned, the interpreter removed) is passed over quietly. An entry a killed process left
uncompiled is linked as it is and queued again by the next command that links it.

``--compile-bytecode`` (or ``BURROW_COMPILE_BYTECODE=1``) compiles before the command
returns instead; so does every run on Windows, which has no descriptor to hand over.

The work of one process is a job: ``<cache>/compile-jobs/job-<pid>-<random>.job`` holds
the interpreter and the entries. The command locks it (``flock``) before it is named so,
and the process it starts inherits that locked descriptor: the lock is held exactly as
long as the job may run, so ``wait()`` waits on it, and a job whose lock is free while
its file is still there was killed, and is swept.
"""

from __future__ import annotations

import os
import sys

from burrow.fs import try_unlink

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Dict, List, Optional, Sequence, Tuple, Type

    from burrow.interpreter import PythonInfo
    from burrow.packages.bytecode import Compiler
    from burrow.packages.cache import Entry

#: Jobs of the compile behind, under the cache dir (`burrow cache clean` sweeps dead ones).
CACHE_FOLDER = "compile-jobs"
#: Set to 1: compile before the command returns, as --compile-bytecode does.
NOW = "BURROW_COMPILE_BYTECODE"
JOB_SUFFIX = ".job"
LOG = "last.log"

# Run by the detached process: burrow from the same place as the command that started it.
_RUN = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from burrow.packages.behind import run; run(sys.argv[2], int(sys.argv[3]))"
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
        self.now = now
        self.jobs: Dict[Compiler, List[str]] = {}

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
        if kind is None:
            for compiler, paths in self.jobs.items():
                start(compiler, paths)


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


def jobs_dir(cache: Optional[str] = None) -> str:
    """Where the jobs of ``cache`` (default: burrow's) are, e.g. ~/.cache/burrow/compile-jobs."""
    if cache is None:
        from burrow import dirs

        cache = dirs.cache_dir()
    return os.path.join(cache, CACHE_FOLDER)


def start(compiler: Compiler, paths: List[str]) -> bool:
    """Start the process that compiles the entries at ``paths``; False when it could not
    be (a read-only cache, no process to spare): the entries stay as they are."""
    from burrow.errors import BurrowError

    try:
        job, fd = new_job(compiler, paths)
    except (OSError, BurrowError):  # e.g. a cache not private: the command said so already
        return False
    try:
        from burrow.detach import detach

        here = os.path.abspath(__file__)  # <src>/burrow/packages/behind.py
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(here)))
        detach([sys.executable, "-c", _RUN, package_parent, job, str(fd)], keep=fd)
    except OSError:
        try_unlink(job)
        return False
    finally:
        os.close(fd)  # the process holds the lock now, through its own descriptor
    return True


def new_job(compiler: Compiler, paths: List[str]) -> Tuple[str, int]:
    """A job file for ``paths``, and a descriptor that holds its lock (made inheritable by
    ``detach``). Locked before it is named a job, so that nobody sees it unlocked."""
    import fcntl
    import marshal

    from burrow import dirs, fs

    folder = jobs_dir(dirs.private_cache_dir())  # a cache that is not private is refused
    os.makedirs(folder, exist_ok=True)
    staging = os.path.join(folder, fs.unique_name(".job-"))
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        record = {"python": compiler.python, "tag": compiler.tag, "entries": list(paths)}
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
            if _same_file(fd, path):  # its process died before it was done
                try_unlink(path)
        finally:
            os.close(fd)
    return count


def _same_file(fd: int, path: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


# --- the detached process ----------------------------------------------------------------


def run(job: str, fd: int) -> None:
    """The job itself: compile each entry it names, then remove it. Whatever happens, no
    output (there is nobody to read it) but a line in ``<cache>/compile-jobs/last.log``."""
    import time

    from burrow import store
    from burrow.errors import BurrowError

    began = time.monotonic()
    _idle()
    done, outcome = 0, "ended"
    try:
        os.chdir(os.path.dirname(job))  # hold no directory the user may unmount or remove
        record = store.load(job)
        if not isinstance(record, dict):
            return
        from burrow.packages.bytecode import Compiler
        from burrow.packages.cache import compile_entry

        compiler = Compiler(python=str(record["python"]), tag=str(record["tag"]))
        for path in record["entries"]:
            try:
                done += compile_entry(str(path), compiler) is not None
            except (BurrowError, OSError) as exc:
                outcome = f"passed over {os.path.basename(str(path))[:12]}: {exc}"
    except (BurrowError, OSError, ValueError) as exc:
        outcome = f"failed: {exc}"
    finally:
        took = time.monotonic() - began
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = f"{when} pid {os.getpid()} {done} entries in {took:.2f} s, {outcome}\n"
        try:
            from burrow.fs import replace_file

            replace_file(os.path.join(os.path.dirname(job), LOG), line.encode(), 0o600)
        except OSError:
            pass
        try_unlink(job)
        os.close(fd)  # the lock goes with it: the job has ended


def _idle() -> None:
    """Run (and start the compilers) only when the machine has nothing else to do."""
    try:
        os.nice(19)
    except OSError:
        pass
    setscheduler = getattr(os, "sched_setscheduler", None)
    idle = getattr(os, "SCHED_IDLE", None)
    if setscheduler is not None and idle is not None:
        try:
            setscheduler(0, idle, os.sched_param(0))
        except OSError:
            pass
