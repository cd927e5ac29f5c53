"""Bytecode of a cache entry: compiled by the target interpreter, then added to its manifest.

An entry is built without bytecode (``unpack.py``) and compiled either before the
command returns (``--compile-bytecode``, and the pip seed) or behind it (``behind.py``).
Either way ``compile_tree`` writes ``__pycache__/<module>.<cache tag>.pyc`` beside each
module of ``site/``, and ``with_bytecode`` gives the manifest that lists them: their
folders, each file with its size and mtime (the damaged-entry check covers them too),
and RECORD lines without hash or size, as the spec on recording installed projects
allows for bytecode (nobody reads a .pyc just to hash it).
"""

from __future__ import annotations

import os

from burrow._fast import Record, getLogger
from burrow.errors import PackageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List

    from burrow.interpreter import PythonInfo

log = getLogger(__name__)


class Compiler(Record, frozen=True):
    """What compiles for a target: Compiler(python='/usr/bin/python3.12', tag='cpython-312')
    (its base interpreter, and the cache tag in the names of the .pyc it writes)."""

    python: str
    tag: str

    @classmethod
    def of(cls, info: PythonInfo) -> Compiler:
        return cls(python=info.base_executable, tag=info.cache_tag)


# Run by the target interpreter: compileall, ended at once when the command is gone. Its
# worker processes too: forked, they would otherwise wait for good on queues whose other
# ends they hold themselves, so each forked one watches the pipe as well.
_COMPILE = """\
import compileall, os, sys, threading

def watch():
    def orphaned():
        while os.read(ALIVE, 512):
            pass
        os._exit(1)
    threading.Thread(target=orphaned, daemon=True).start()

ALIVE = int(sys.argv[3])
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=watch)
watch()
sys.exit(not compileall.compile_dir(sys.argv[1], quiet=1, workers=int(sys.argv[2])))
"""

#: Sources from which compileall gets worker processes (one per core): below it, starting
#: them costs more than they save.
MANY_SOURCES = 400


def compile_tree(site: str, compiler: Compiler, sources: int) -> None:
    """Byte-compile ``site`` with the target interpreter itself, so the .pyc magic matches;
    with worker processes when there are ``MANY_SOURCES`` (each .pyc is the same either way).

    PackageError when the compiler is killed or the disk is full; a module of the wheel
    that does not compile is only a warning (Python reports it on import, as ever).
    """
    import subprocess

    workers = 0 if sources >= MANY_SOURCES and (os.cpu_count() or 1) > 1 else 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # The compiler holds the read end of a pipe whose write end only this process has: at
    # its end of file (this process ended, even by SIGKILL) the compiler ends too, rather
    # than go on in a folder the next run sweeps (its worker processes then hung, orphaned).
    alive, alive_end = os.pipe()
    try:
        proc = subprocess.run(
            [compiler.python, "-E", "-s", "-c", _COMPILE, site, str(workers), str(alive)],
            capture_output=True,
            env=env,
            check=False,
            pass_fds=(alive,),
        )
    finally:
        os.close(alive)
        os.close(alive_end)
    if not proc.returncode:
        return
    output = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    failure = next((line for line in output if line.startswith("OSError")), None)
    if proc.returncode < 0 or failure:
        why = failure or f"the compiler was stopped by signal {-proc.returncode}"
        raise PackageError(f"cannot byte-compile into the cache: {why}")
    log.warning("byte-compiling %s reported errors: %s", site, " / ".join(output[-3:]))


def sources(manifest: Dict[str, Any]) -> int:
    """How many modules an entry's site/ has, e.g. 1200 for numpy."""
    return sum(rel.endswith(".py") for rel, *_ in manifest["files"])


def with_bytecode(manifest: Dict[str, Any], site: str, tag: str) -> Dict[str, Any]:
    """``manifest`` once ``compile_tree(site)`` has run: each module's .pyc (named with
    ``tag``, e.g. 'cpython-312') listed and made read-only, and ``compiled`` set."""
    files: List[List[Any]] = list(manifest["files"])
    known = {item[0] for item in files}
    dirs: List[str] = list(manifest["dirs"])
    folders = set(dirs)
    record: List[str] = list(manifest["record"])
    for rel, *_ in manifest["files"]:
        if not rel.endswith(".py"):
            continue
        head, _, name = rel.rpartition("/")
        folder = f"{head}/__pycache__" if head else "__pycache__"
        pyc = f"{folder}/{name[:-3]}.{tag}.pyc"
        if pyc in known:
            continue
        path = os.path.join(site, pyc)
        try:
            st = os.stat(path)
        except FileNotFoundError:  # a module that does not compile: Python says so on import
            continue
        os.chmod(path, st.st_mode & ~0o222)
        if folder not in folders:  # after its parent, which the manifest lists already
            folders.add(folder)
            dirs.append(folder)
        files.append([pyc, st.st_size, st.st_mtime_ns])
        record.append(_record_line(pyc))
    return {**manifest, "dirs": dirs, "files": files, "record": record, "compiled": True}


def _record_line(rel: str) -> str:
    """A RECORD line with no hash or size, quoted as csv would quote it."""
    if any(c in rel for c in ',"\n'):
        rel = '"' + rel.replace('"', '""') + '"'
    return f"{rel},,"


def leftovers(manifest: Dict[str, Any], site: str) -> List[str]:
    """Files in the entry's ``__pycache__`` folders its manifest does not list: what a
    compiler killed half-way wrote (a temporary file, a .pyc not yet listed)."""
    listed = {item[0] for item in manifest["files"]}
    found = []
    for folder in manifest["dirs"]:
        if folder.rpartition("/")[2] != "__pycache__":
            continue
        try:
            names = os.listdir(os.path.join(site, folder))
        except OSError:
            continue
        found += [f"{folder}/{n}" for n in names if f"{folder}/{n}" not in listed]
    return found
