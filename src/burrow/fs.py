"""The file operations burrow's all-or-nothing guarantees rest on, in one place to audit.

- Every temporary name is ``<stem><pid>-<random>``: new, so nothing is ever written
  through what another run (or another user) left or planted there, and carrying the
  pid, so leftovers of a killed run can be told from the work of a live one.
- Every file or link is created exclusively under such a name, then renamed over its
  destination: readers see the old file or the whole new one, and a symlink at the
  destination is replaced, never written through.
- Trees are removed by renaming them away first (``discard``), so nobody sees one half
  deleted; ``remove_tree`` never follows a link out of the tree.

Only ``os`` is imported up front: this is on the path of every create.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_TEMP_SUFFIX = ".tmp"


# --- names that say who made them --------------------------------------------------------


def unique_name(stem: str, suffix: str = "") -> str:
    """A name no one else uses, e.g. '.burrow-build-' -> '.burrow-build-4242-9f3a1c2b'.

    A '-' goes between ``stem`` and the pid unless ``stem`` ends in '-' or '.', so that
    ``owner_pid`` can always read the pid back.
    """
    if stem[-1:] not in ("-", "."):
        stem += "-"
    return f"{stem}{os.getpid()}-{os.urandom(4).hex()}{suffix}"


def owner_pid(name: str) -> Optional[int]:
    """The pid in a ``unique_name``, e.g. '.build-pip-24.3.1-4242-9f3a1c2b' -> 4242.

    Ask only about names burrow made (callers match their stem first); None when the
    pid is not there. Temporary files of older versions ('x.facts.4242.9f3a1c2b.tmp')
    are read too, so their leftovers are still cleaned.
    """
    if name.endswith(_TEMP_SUFFIX):
        name = name[: -len(_TEMP_SUFFIX)]
    parts = name.replace(".", "-").split("-")
    if len(parts) < 3 or not parts[-1]:
        return None
    return int(parts[-2]) if parts[-2].isdigit() else None


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still run (and use what it made); True when unsure."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate it: keep anything that may be in use
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_alive(name: str) -> bool:
    """Whether the run that made ``name`` (a ``unique_name``) may still be at work."""
    pid = owner_pid(name)
    return pid is not None and pid_alive(pid)


# --- directories ---------------------------------------------------------------------------


def unique_dir(parent: str, stem: str) -> str:
    """A new, empty directory in ``parent``, e.g. '<parent>/.burrow-build-4242-9f3a1c2b'.

    Its mode is 0o777 less the umask, as for any directory the user makes; OSError when
    ``parent`` refuses it.
    """
    for _ in range(100):
        path = os.path.join(parent, unique_name(stem))
        try:
            os.mkdir(path, 0o777)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name in {parent}")


def private_dir(path: str) -> None:
    """Create ``path`` (and missing parents) with the leaf readable by its owner only.

    An existing directory is left as it is: callers check who may write to it.
    """
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            return


def remove_tree(path: str) -> None:
    """Delete ``path``; a symlink is removed itself, never followed."""
    import errno
    import shutil

    inside = os.path.join(path, "")

    def make_writable(func: Callable[..., Any], failed: str, exc: Any) -> None:
        # Only folders inside the tree (read-only cache dirs); never its parent, which
        # is the user's, and never through a link.
        folder = os.path.dirname(failed)
        if not os.path.join(folder, "").startswith(inside) or os.path.islink(folder):
            raise exc[1] if isinstance(exc, tuple) else exc
        os.chmod(folder, 0o755)
        func(failed)

    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
        return
    for attempt in range(5):
        if not os.path.exists(path):
            return
        try:
            shutil.rmtree(path, onerror=make_writable)
        except OSError as exc:
            # A folder filled while it was emptied: an env's bytecode being linked behind
            # its create (packages/behind.py) stops within moments; so does Python's own.
            if exc.errno != errno.ENOTEMPTY or attempt == 4:
                raise
        else:
            return


def discard(path: str, trash_stem: str, *, only_dir: bool = False) -> bool:
    """Rename ``path`` to a ``unique_name(trash_stem)`` beside it, then delete it.

    Whoever still reads the old path sees it whole or missing, never half deleted. False
    when nothing was there. With ``only_dir``, what turns out to have been moved is a
    link or no directory (swapped in meanwhile) is put back and NotADirectoryError raised.
    """
    trash = os.path.join(os.path.dirname(path), unique_name(trash_stem))
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return False
    if only_dir and (os.path.islink(trash) or not os.path.isdir(trash)):
        os.rename(trash, path)
        raise NotADirectoryError(path)
    remove_tree(trash)
    return True


# --- whole files replaced at once -------------------------------------------------------


def try_unlink(path: str) -> None:
    """Remove the file ``path`` if it can be: a best-effort tidy-up, never an error."""
    try:
        os.unlink(path)
    except OSError:
        pass


def replace_file(path: str, data: bytes, mode: Optional[int] = 0o644) -> None:
    """Write ``path`` whole: readers see the old file or the new one, never half of either.

    ``mode`` is applied less the umask, as ``open`` does; None keeps the exact mode of the
    file being replaced. A symlink at ``path`` is replaced, never written through.
    """
    if mode is None:
        kept = os.stat(path).st_mode & 0o7777

        def make(temp: str) -> None:
            _write_new(temp, data, kept)
            os.chmod(temp, kept)
    else:
        wanted = mode

        def make(temp: str) -> None:
            _write_new(temp, data, wanted)

    replace_with(path, make)


def replace_link(path: str, target: str) -> None:
    """Make ``path`` a symlink to ``target`` in one step, whatever was there before."""
    replace_with(path, lambda temp: os.symlink(target, temp))


def replace_copy(path: str, source: str, mode: int = 0o755) -> None:
    """Make ``path`` a copy of the file ``source`` (mode exactly ``mode``) in one step."""
    import shutil

    def make(temp: str) -> None:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, mode)
        with open(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        os.chmod(temp, mode)

    replace_with(path, make)


def _write_new(temp: str, data: bytes, mode: int) -> None:
    # O_EXCL: fails on anything already there, a symlink included.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, mode)
    with open(fd, "wb") as handle:
        handle.write(data)


def replace_with(path: str, make: Callable[[str], None]) -> None:
    """``make`` a fresh file under a unique hidden name beside ``path``, renamed over it;
    nothing of it left behind when ``make`` fails."""
    folder, name = os.path.split(path)
    temp = os.path.join(folder, unique_name(f".{name}.", _TEMP_SUFFIX))
    try:
        make(temp)
        os.replace(temp, path)
    except FileExistsError:
        raise  # from the exclusive create: what is under that name is not this run's
    except BaseException:
        try_unlink(temp)
        raise


def file_digest(path: str, algorithm: str = "sha256") -> str:
    """The hex digest of the file at `path`, read in 1 MiB blocks, e.g. of a wheel."""
    import hashlib

    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
