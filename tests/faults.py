"""Tools of the fault-and-abuse suite: a tally of what it tried, guarded user files,
and checks that an env is complete and the seed cache sound.

The tally is summed over xdist workers and printed at the end of the run, e.g.
``fault suite: 212 trials, 131 interruptions survived, 47 bad inputs, 0 files lost``.
"""

from __future__ import annotations

import collections
import hashlib
import marshal
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import pytest
from helpers import burrow_env
from pythons import in_ci

COUNTS: collections.Counter[str] = collections.Counter()


def count(kind: str, n: int = 1) -> None:
    COUNTS[kind] += n


def rng(name: str) -> random.Random:
    """A random source whose seed is printed on failure; BURROW_FAULT_SEED replays it."""
    seed = int(os.environ.get("BURROW_FAULT_SEED") or random.randrange(1 << 30))
    print(f"{name}: BURROW_FAULT_SEED={seed}")
    return random.Random(seed)


# --- the tally across xdist workers (hooks imported by conftest) ------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fault_counts"] = dict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    COUNTS.update(getattr(node, "workeroutput", {}).get("fault_counts", {}))


def pytest_terminal_summary(terminalreporter: object) -> None:
    if not COUNTS:
        return
    line = (
        f"fault suite: {COUNTS['trials']} trials run, "
        f"{COUNTS['interruptions']} interruptions survived, "
        f"{COUNTS['bad_inputs']} bad inputs tried, "
        f"{COUNTS['guarded']} user files checksummed, {COUNTS['lost']} lost"
    )
    if COUNTS["startup_interrupts"]:
        line += f" ({COUNTS['startup_interrupts']} Ctrl-C before burrow's main() began)"
    terminalreporter.write_sep("=", line)  # type: ignore[attr-defined]


# --- the user's files: checksummed before, compared after --------------------------------


class Guard:
    """Files a user owns around the places burrow works; none may change or vanish."""

    def __init__(self) -> None:
        self.sums: Dict[Path, str] = {}
        self.lost: List[str] = []

    def plant(self, folder: Path, stem: str = "precious") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in (f"{stem}.txt", f"{stem} with space.py", f".{stem}rc"):
            (folder / name).write_bytes(os.urandom(64) + name.encode())
        self.watch(folder)
        return folder

    def watch(self, root: Path) -> None:
        """Record every file (and link) under ``root`` as it is now."""
        paths = [root] if not root.is_dir() or root.is_symlink() else _walk(root)
        for path in paths:
            self.sums[path] = _digest(path)

    def settle(self) -> None:
        """Check now (e.g. before a mount goes away), count, and forget what was checked."""
        lost = self.verify()
        count("guarded", len(self.sums))
        count("lost", len(lost))
        self.sums.clear()
        self.lost += lost

    def assert_nothing_lost(self) -> None:
        self.settle()
        lost = self.lost
        assert not lost, f"{len(lost)} user files changed or lost, e.g. {lost[:5]}"

    def verify(self) -> List[str]:
        lost = []
        for path, digest in self.sums.items():
            try:
                now = _digest(path)
            except OSError:
                now = "missing"
            if now != digest:
                lost.append(f"{path}: {now}")
        return lost


def _walk(root: Path) -> List[Path]:
    found = []
    for current, dirs, files in os.walk(root):
        found += [Path(current, n) for n in files]
        found += [Path(current, n) for n in dirs if os.path.islink(os.path.join(current, n))]
    return found


def _digest(path: Path) -> str:
    if path.is_symlink():
        return "link:" + os.readlink(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def guard() -> Iterator[Guard]:
    keeper = Guard()
    yield keeper
    keeper.assert_nothing_lost()


# --- running burrow ---------------------------------------------------------------------


def spawn(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.Popen[str]:
    """``burrow ARGS`` in its own process group, as a shell runs a foreground job."""
    return subprocess.Popen(
        [sys.executable, "-m", "burrow", *args],
        env=burrow_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def interrupt(proc: subprocess.Popen[str], sig: int, whole_group: bool = True) -> None:
    try:
        if whole_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    except ProcessLookupError:
        pass


def assert_one_line_error(proc: subprocess.CompletedProcess[str]) -> None:
    """Non-zero exit with ``error: …`` on one line (usage errors: argparse's usage, then one)."""
    assert proc.returncode != 0, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode == 2:
        assert lines and "error" in lines[-1], proc.stderr
    else:
        assert proc.returncode == 1, (proc.returncode, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr


def leftovers(parent: Path) -> List[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".burrow-"))


# --- what a finished env and a sound cache look like --------------------------------------

_CHECK_ENV = r"""
import base64, hashlib, os, sys, sysconfig
print(sys.prefix)
if sys.argv[1] == "seeded":
    import pip
    site = sysconfig.get_paths()["purelib"]
    record = next(
        os.path.join(site, d, "RECORD") for d in os.listdir(site)
        if d.startswith("pip-") and d.endswith(".dist-info")
    )
    bad = []
    for line in open(record, encoding="utf-8"):
        path, digest, _size = line.rstrip("\n").rsplit(",", 2)
        if not digest:
            continue
        full = os.path.normpath(os.path.join(site, path))
        try:
            data = open(full, "rb").read()
        except OSError:
            bad.append(path + " missing")
            continue
        got = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if "sha256=" + got != digest:
            bad.append(path + " differs")
    print("bad:" + ";".join(bad[:5]) if bad else "ok")
"""


def check_env(target: Path, seeded: bool) -> None:
    """A complete, working env: its python runs as the env, pip's files match RECORD."""
    python = target / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-c", _CHECK_ENV, "seeded" if seeded else "bare"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"{target}: {proc.stderr}"
    lines = proc.stdout.splitlines()
    assert Path(lines[0]) == target, lines
    if seeded:
        assert lines[1] == "ok", f"{target}: pip differs from its RECORD: {lines[1]}"
        assert os.access(target / "bin" / "pip", os.X_OK)
    config = (target / "pyvenv.cfg").read_text(encoding="utf-8")
    for key in ("home", "include-system-site-packages", "version"):
        assert f"\n{key} = " in "\n" + config, config
    assert (target / "bin" / "activate").is_file()


def absent_or_complete(target: Path, seeded: bool) -> str:
    if not os.path.lexists(target):
        return "absent"
    check_env(target, seeded)
    return "complete"


def check_cache(cache: Path) -> int:
    """Every entry that has a manifest is whole (each file there, at its size)."""
    entries = 0
    for manifest in cache.glob("seed/*/*/*/manifest"):
        entry = manifest.parent
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        data = marshal.loads(manifest.read_bytes())  # noqa: S302 - the test's own scratch cache
        for rel, size, _mtime in data["files"]:
            path = entry / "site" / rel
            assert path.is_file() and path.stat().st_size == size, f"corrupt cache: {path}"
        entries += 1
    return entries


# --- privileges and filesystems -----------------------------------------------------------


def require_root(what: str) -> None:
    if os.geteuid() == 0:
        return
    message = f"{what} needs root (to mount a tmpfs or switch users)"
    if in_ci():
        pytest.fail(f"{message}; CI=true: this test must run")
    pytest.skip(message)


@contextmanager
def tmpfs(
    mountpoint: Path, size: str, options: str = "", guard: Optional[Guard] = None
) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` (e.g. '512k') at ``mountpoint``; needs root.

    ``guard`` checks the user's files on it before it goes away."""
    require_root("a tmpfs")
    mountpoint.mkdir(parents=True, exist_ok=True)
    opts = f"size={size},mode=755" + (f",{options}" if options else "")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        message = f"cannot mount a tmpfs: {proc.stderr.strip()}"
        if in_ci():
            pytest.fail(f"{message}; CI=true: this test must run")
        pytest.skip(message)
    try:
        yield mountpoint
    finally:
        if guard is not None:
            guard.settle()
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def remount(mountpoint: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mountpoint)], check=True)


@contextmanager
def world_dir(guard: Guard) -> Iterator[Path]:
    """A scratch dir other users can reach (pytest's own tmp dirs are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="burrow-faults-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        guard.settle()
        shutil.rmtree(path, ignore_errors=True)


def as_nobody(
    python: str, args: Sequence[str], env: Dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m burrow ARGS`` as the unprivileged user 'nobody'."""
    import pwd

    user = pwd.getpwnam("nobody")
    command = [
        "setpriv",
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--clear-groups",
        "env",
        "-i",
        *(f"{k}={v}" for k, v in env.items()),
        python,
        "-m",
        "burrow",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}
