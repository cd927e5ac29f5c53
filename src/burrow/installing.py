"""``burrow create -r FILE`` / ``--install PKG…``: install with the env's own pip, all or nothing.

For a new env, pip runs while the env is still being built beside its target. The
scripts pip writes name that temporary place, so they are re-pointed at the env's final
path (their RECORD lines updated to match) before the env is renamed into place. A pip
that fails, is interrupted or is killed therefore leaves no env at all, and ``--clear``
keeps the old env until the new one is complete. An existing env updated in place gets
pip's work directly, as ``pip install`` would.
"""

from __future__ import annotations

import os

from burrow._fast import Record, record_hash
from burrow.errors import BurrowError, OptionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple

    from burrow.layout import Layout

#: Scripts pip writes are small; anything larger in bin/ is not one of them.
_MAX_SCRIPT = 1 << 20


class InstallFailed(BurrowError):
    """pip could not install what was asked into the env."""


class InstallRequest(Record):
    """What to install after seeding, e.g. InstallRequest(requirements=('req.txt',))."""

    requirements: Tuple[str, ...] = ()
    packages: Tuple[str, ...] = ()
    pip_args: Tuple[str, ...] = ()  # e.g. ('-q',)
    stdout: Any = None  # where pip's progress goes; None: burrow's own stdout

    def check(self, seed: bool) -> None:
        """Refuse before anything is built: no pip to run, or a requirements file missing."""
        if not seed:
            raise OptionError("-r/--install need pip: drop --without-pip")
        for name in self.requirements:
            if not os.path.isfile(name):
                raise InstallFailed(f"requirements file {name} not found")


def pip_install(env_dir: str, request: InstallRequest) -> None:
    """Run ``ENV/bin/python -m pip install -r … PKG…`` with the env active."""
    import subprocess

    from burrow.health import env_python
    from burrow.running import active_environ

    command = [env_python(env_dir), "-m", "pip", "install", "--disable-pip-version-check"]
    command += list(request.pip_args)
    for name in request.requirements:
        command += ["-r", os.path.abspath(name)]
    command += list(request.packages)
    try:
        code = subprocess.call(command, env=active_environ(env_dir), stdout=request.stdout)
    except OSError as exc:
        raise InstallFailed(f"cannot run pip in {env_dir}: {exc.strerror or exc}") from None
    if code:
        raise InstallFailed(f"pip could not install the requirements (exit code {code})")


def install_before_rename(
    build: str, final: str, layout: Layout, relocatable: bool, request: InstallRequest
) -> None:
    """pip into the env being built at ``build``, then make what it wrote name ``final``."""
    pip_install(build, request)
    repoint_scripts(build, final, layout, relocatable)


def repoint_scripts(build: str, final: str, layout: Layout, relocatable: bool) -> None:
    """Scripts in bin/ that run a python of ``build`` are made to run ``final``'s."""
    old_bin = os.path.join(build, layout.scripts)
    new_bin = os.path.join(final, layout.scripts)
    changed: Dict[str, bytes] = {}
    for name in sorted(os.listdir(old_bin)):
        path = os.path.join(old_bin, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read(_MAX_SCRIPT + 1)
        fixed = None if len(data) > _MAX_SCRIPT else repointed(data, old_bin, new_bin, relocatable)
        if fixed is not None:
            _replace_file(path, fixed)
            changed[os.path.normcase(path)] = fixed
    if changed:
        _update_records(build, layout, changed)


def repointed(data: bytes, old_bin: str, new_bin: str, relocatable: bool) -> Optional[bytes]:
    """``data`` made to run its python from ``new_bin`` instead of ``old_bin``; None when
    its first lines do not run a python from ``old_bin``.

    Handles both headers installers write: ``#!/old/bin/python`` and, for paths a shebang
    cannot hold, the ``#!/bin/sh`` + ``'''exec' "/old/bin/python" "$0" "$@"`` form.
    """
    from burrow.seed import script_head

    old = os.fsencode(old_bin) + os.sep.encode()
    lines = data.split(b"\n", 3)
    if lines[0].startswith(b"#!" + old):
        program, rest = lines[0][2 + len(old) :].rstrip(b"\r"), data.split(b"\n", 1)[1:]
        body = rest[0] if rest else b""
    elif (
        lines[0].rstrip(b"\r") == b"#!/bin/sh"
        and len(lines) >= 3
        and lines[1].startswith(b"'''exec' ")
        and old in lines[1]
        and lines[2].rstrip(b"\r") == b"' '''"
    ):
        after = lines[1][lines[1].index(old) + len(old) :]
        program = after.split(b'"', 1)[0].split(b"'", 1)[0]
        body = lines[3] if len(lines) > 3 else b""
    else:
        return None
    name = os.fsdecode(program.split(b" ", 1)[0])
    if not name or os.sep in name:
        return None
    return script_head(os.path.join(new_bin, name), relocatable).encode() + body


def _replace_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a new file renamed over it, keeping the mode."""
    mode = os.stat(path).st_mode & 0o7777
    temp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise


def _update_records(build: str, layout: Layout, changed: Dict[str, bytes]) -> None:
    """Give the rewritten scripts their new hash and size in every RECORD listing them."""
    import csv
    import io

    for site_rel in layout.site_packages():
        site = os.path.join(build, site_rel)
        for name in sorted(os.listdir(site)):
            record = os.path.join(site, name, "RECORD")
            if not name.endswith(".dist-info") or not os.path.isfile(record):
                continue
            with open(record, encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
            touched = False
            for row in rows:
                full = os.path.normcase(os.path.normpath(os.path.join(site, row[0]))) if row else ""
                if full in changed:
                    data = changed[full]
                    row[1:] = [record_hash(data), str(len(data))]
                    touched = True
            if touched:
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(rows)
                _replace_file(record, out.getvalue().encode("utf-8"))
