"""Starting a process that outlives the command: the daily pip check, the compile behind.

``detach(argv)`` starts ``argv`` in a session of its own with stdio on /dev/null and
returns at once; nothing of the command's terminal or pipes is kept. ``keep`` names the
descriptors the new process inherits (POSIX only), e.g. a locked file that says, for as
long as the process lives, that its work is not done, or the folder it works in.

Only ``os`` is imported up front: a warm create may call this.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Sequence


def detach(argv: List[str], keep: Sequence[int] = ()) -> None:
    """Start ``argv`` in a session of its own, stdio on /dev/null; return at once."""
    if os.name == "nt":
        if keep:
            raise OSError("passing a descriptor to a detached process needs POSIX")
        _detach_windows(argv)
        return
    null = os.devnull
    for fd in keep:
        os.set_inheritable(fd, True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_DUP2, 1, 2),  # nothing of the command's terminal or pipes is kept
        *((os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited_fds() if fd not in keep),
    ]
    try:
        # posix_spawn, not fork: forking a Python process costs milliseconds, and importing
        # subprocess costs a warm create more than that. The process is our child only
        # until this command exits, moments later (its own start-up alone takes longer),
        # and is then adopted by init, which reaps it.
        os.posix_spawn(argv[0], argv, os.environ, file_actions=actions, setsid=True)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID (older libc): daemon-style forks
        _double_fork(argv, keep)


def _inherited_fds() -> List[int]:
    """Descriptors above 2 that a new program would inherit (Python's own never are)."""
    try:
        candidates = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        candidates = list(range(3, 256))
    found = []
    for fd in candidates:
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # not open (e.g. the one listdir used)
            continue
    return found


def _double_fork(argv: List[str], keep: Sequence[int]) -> None:
    """The first child starts a session, forks the real process and exits at once."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                low = 3
                for fd in sorted(keep):
                    os.closerange(low, fd)
                    low = fd + 1
                os.closerange(low, 256)
                os.execv(argv[0], argv)  # noqa: S606 - our own interpreter, arguments made here
        finally:
            os._exit(0)  # never return into burrow's code in a child
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # SIGCHLD ignored: the system reaped it already
        pass


def _detach_windows(argv: List[str]) -> None:
    import subprocess

    detached_process, new_process_group, breakaway_from_job = 0x8, 0x200, 0x1000000
    flags = detached_process | new_process_group
    for extra in (breakaway_from_job, 0):  # a job that forbids breaking away refuses the first
        try:
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                cwd=os.path.dirname(argv[0]) or None,
                creationflags=flags | extra,
            )
        except OSError:
            if extra == 0:
                raise
            continue
        return
