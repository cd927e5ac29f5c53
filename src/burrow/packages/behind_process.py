"""The detached process of ``behind.py``: compile the entries a job names, or link their
bytecode into the envs it holds; a line in the job folder's log, and nothing else, says
how it went. Apart from ``behind`` so that the command side imports none of this (and
``linking``, which this uses, can ask ``behind`` what to leave for it).
"""

from __future__ import annotations

import os

from burrow.fs import try_unlink
from burrow.packages.behind import LOG, same_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Tuple


def run(job: str, fd: int) -> None:
    """The job itself: compile each entry it names, or link the bytecode of each into its
    env; then remove it. Whatever happens, no output (there is nobody to read it) but a
    line in ``<cache>/compile-jobs/last.log``."""
    import time

    from burrow import store
    from burrow.errors import BurrowError

    began = time.monotonic()
    done, what, outcome = 0, "compiled", "ended"
    try:
        os.chdir(os.path.dirname(job))  # hold no directory the user may unmount or remove
        record = store.load(job)
        if not isinstance(record, dict):
            return
        if "links" in record:
            _nice(10)  # moments of work, not starved: an env's sync waits for its lock
            what = "linked into envs"
            done, outcome = _link_all(record["links"])
            return
        _idle()
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
        line = f"{when} pid {os.getpid()} {done} entries {what} in {took:.2f} s, {outcome}\n"
        try:
            from burrow.fs import replace_file

            replace_file(os.path.join(os.path.dirname(job), LOG), line.encode(), 0o600)
        except OSError:
            pass
        try_unlink(job)
        os.close(fd)  # the lock goes with it: the job has ended


def _link_all(links: List[List[Any]]) -> Tuple[int, str]:
    """Link the bytecode of each env's entries, under the env's sync lock, into the
    site-packages the job holds by descriptor, if it is still the env's: (entries linked,
    outcome)."""
    from burrow.packages.linking import link_side_by_side
    from burrow.packages.sync import env_lock

    done, outcome = 0, "ended"
    for fd, env, site_rel, entries in links:
        with env_lock(str(env)):
            # Two threads, as the command links: the sooner done, the shorter the moment
            # in which a user's own `rm -rf` or `tar` of the env meets it.
            linked: List[bool] = []
            gone: List[bool] = []
            site = os.path.join(str(env), str(site_rel))
            link_side_by_side(
                [
                    _linker(str(path), (dev, ino), fd, site, linked, gone)
                    for path, dev, ino in entries
                ]
            )
            done += sum(linked)
            if gone:
                outcome = f"passed over {env}: replaced or removed"
    return done, outcome


def _linker(
    path: str, ident: Tuple[int, int], fd: int, site: str, linked: List[bool], gone: List[bool]
) -> Callable[[], None]:
    """The task that links one entry's bytecode, while ``site`` is still the folder the job
    holds as ``fd``; it notes in ``linked`` whether it did, in ``gone`` that it was not."""
    from burrow.packages.linking import link_bytecode

    def task() -> None:
        if gone or not same_file(fd, site):
            gone.append(True)
            return
        linked.append(link_bytecode(path, ident, fd))

    return task


def _nice(increment: int) -> None:
    try:
        os.nice(increment)
    except OSError:
        pass


def _idle() -> None:
    """Run (and start the compilers) only when the machine has nothing else to do."""
    _nice(19)
    setscheduler = getattr(os, "sched_setscheduler", None)
    idle = getattr(os, "SCHED_IDLE", None)
    if setscheduler is not None and idle is not None:
        try:
            setscheduler(0, idle, os.sched_param(0))
        except OSError:
            pass
