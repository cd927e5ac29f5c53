"""Faults during ``burrow sync``: whatever happens, the env is exactly as it was before or
exactly as the lock says (every file's content and mode compared), the package cache is
sound, and the next run finishes the job and leaves nothing behind.

Interruptions land at each named step of a sync (deterministically: the run stops itself
there) and at random moments; the seed of the random ones is printed (replay with
BURROW_FAULT_SEED).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from faults import SIGNALS, Guard, count, interrupt, rng, spawn, tmpfs
from helpers import burrow, burrow_env, make_wheel, wait_for_compile

State = Dict[str, Tuple[str, int]]

#: Each named step of a sync, and how often a sync from lock A to lock B reaches it.
STEPS = [
    ("planned", 1),
    ("cached", 1),
    ("cloned", 1),
    ("removed", 1),
    ("removed", 3),
    ("linked", 1),
    ("linked", 3),
    ("built", 1),
    ("swapped", 1),
    ("carried", 1),
]

_STOP_AT = r"""
import os, sys
import burrow.packages.sync as engine
step, nth, sig = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = [0]
def reached(name):
    if name == step:
        seen[0] += 1
        if seen[0] == nth:
            os.kill(os.getpid(), sig)
engine._reached = reached
from burrow.cli import main
sys.exit(main(sys.argv[4:]))
"""


def state(root: Path) -> State:
    """Every file, link and dir under ``root``: content hash (or link target) and mode."""
    found: State = {}
    for current, dirs, files in os.walk(root):
        for name in dirs:
            path = os.path.join(current, name)
            mode = os.lstat(path).st_mode
            what = "link:" + os.readlink(path) if stat.S_ISLNK(mode) else "dir"
            found[os.path.relpath(path, root)] = (what, mode)
        for name in files:
            path = os.path.join(current, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                what = "link:" + os.readlink(path)
            else:
                what = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            found[os.path.relpath(path, root)] = (what, mode)
    return found


def _bytecode(rel: str) -> bool:
    return "__pycache__" in rel.split(os.sep)


def check_package_cache(cache: Path) -> int:
    """Every entry with a manifest is whole: each file there at its size and mtime."""
    entries = 0
    for manifest in cache.glob("packages/*/*/*/manifest"):
        entry = manifest.parent
        if entry.name.startswith("."):
            continue
        data = marshal.loads(manifest.read_bytes())  # noqa: S302 - the test's own cache
        for rel, size, mtime in data["files"]:
            st = (entry / "site" / rel).stat()
            assert (st.st_size, st.st_mtime_ns) == (size, mtime), f"corrupt cache: {entry}/{rel}"
        entries += 1
    return entries


class Scene:
    """An env, two locks A and B, and the exact trees that syncing to each gives."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = root / "cache"
        self.environ = {"BURROW_CACHE_DIR": str(self.cache), "PIP_NO_INDEX": "1"}
        w = root / "wheels"
        files = {"gone/data.txt": "x" * 5000, "gone.pth": "import os\n"}
        self.a = self._lock(
            "a.txt",
            make_wheel(w, "aa", "1.0", console_scripts={"aa": "aa:main"}),
            make_wheel(w, "gone", "1.0", files=files),
            make_wheel(w, "keep", "1.0"),
            make_wheel(w, "old", "1.0"),
        )
        self.b = self._lock(
            "b.txt",
            make_wheel(w, "aa", "2.0", console_scripts={"aa": "aa:main", "aa2": "aa:main"}),
            make_wheel(w, "keep", "1.0"),
            make_wheel(w, "old", "0.9"),
            make_wheel(w, "fresh", "1.0", files={"fresh-1.0.data/scripts/t": "#!python\n"}),
        )
        self.env = root / "parent" / "env"
        burrow("create", str(self.env), "-q", env=self.environ)
        self.sync(self.b)
        self.after = state(self.env)
        self.sync(self.a)
        self.before = state(self.env)
        assert self.before != self.after

    def _lock(self, name: str, *wheels: Path) -> Path:
        path = self.root / name
        path.write_text("".join(f"{w}\n" for w in wheels))
        return path

    def sync(self, lockfile: Path) -> None:
        # Entries compiled before it returns, not behind: each later sync links the same
        # files (.pyc included), whenever it runs, so the env's trees compare exactly.
        args = ["sync", "-q", "--compile-bytecode", "-e", str(self.env), str(lockfile)]
        burrow(*args, env=self.environ)

    def args(self) -> List[str]:
        return ["sync", "-q", "-e", str(self.env), str(self.b)]

    def _same(self, expected: State) -> None:
        now = self._settled()
        changed = sorted(k for k in now if now[k] != expected.get(k))
        gone = sorted(k for k in set(expected) - set(now) if not _bytecode(k))
        detail = {k: (self.env / k).read_text()[:3000] for k in changed[:2] if k.endswith("RECORD")}
        assert not changed and not gone, f"changed {changed[:6]}, gone {gone[:6]}: {detail}"

    def outcome(self) -> str:
        """'before' or 'after'; fails on anything else."""
        now = self._settled()
        if now == self.before:
            return "before"
        extra = sorted(k for k in set(now) ^ set(self.after) if not _bytecode(k))[:5]
        changed = sorted(k for k in now if now[k] != self.after.get(k))[:5]
        assert not extra and not changed, f"env is neither before nor after: {extra} {changed}"
        return "after"

    def _settled(self) -> State:
        """The env once the bytecode linked behind the last sync is there. A sync killed
        after its swap never started that, so some .pyc of what it linked may be missing
        (Python writes them on import): the tree is compared without those, and what
        bytecode there is must be exactly what a whole sync links."""
        wait_for_compile(self.cache)
        return state(self.env)

    def finish(self) -> None:
        """The next runs finish the job, then go back, leaving nothing beside the env."""
        self.sync(self.b)
        self._same(self.after)
        self.sync(self.a)
        self._same(self.before)
        left = [n for n in os.listdir(self.env.parent) if n != "env"]
        assert not left, left
        check_package_cache(self.cache)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return Scene(tmp_path)


@pytest.mark.parametrize("sig", sorted(SIGNALS))
def test_interrupted_at_each_step(scene: Scene, guard: Guard, sig: str) -> None:
    guard.plant(scene.env.parent.parent / "mine")
    outcomes = []
    for step, nth in STEPS:
        proc = subprocess.run(
            [sys.executable, "-c", _STOP_AT, step, str(nth), str(int(SIGNALS[sig])), *scene.args()],
            env=burrow_env(scene.environ),
            capture_output=True,
            text=True,
            check=False,
        )
        expected = -signal.SIGKILL if sig == "SIGKILL" else 130
        assert proc.returncode == expected, (step, nth, proc.returncode, proc.stderr)
        outcome = scene.outcome()
        # Up to the swap nothing shows; from the swap on, everything does.
        assert outcome == ("after" if step in ("swapped", "carried") else "before"), step
        outcomes.append(outcome)
        count("trials")
        count("interruptions")
        scene.finish()
    assert set(outcomes) == {"before", "after"}


@pytest.mark.slow
@pytest.mark.parametrize("sig", sorted(SIGNALS))
def test_interrupted_at_random_moments(scene: Scene, guard: Guard, sig: str) -> None:
    random = rng(f"sync/{sig}")
    began = time.perf_counter()
    scene.sync(scene.b)
    took = time.perf_counter() - began
    scene.sync(scene.a)
    outcomes = []
    for _trial in range(12):
        proc = spawn(*scene.args(), env=scene.environ)
        time.sleep(random.uniform(0, took))
        interrupt(proc, SIGNALS[sig])
        proc.communicate(timeout=120)
        outcomes.append(scene.outcome())
        count("trials")
        count("interruptions", proc.returncode != 0)
        scene.finish()
    print("outcomes:", outcomes)


def test_a_broken_wheel_leaves_the_env_as_it_was(scene: Scene) -> None:
    bad = scene.root / "w2" / "zz-1.0-py3-none-any.whl"
    bad.parent.mkdir()
    bad.write_bytes(b"PK\x03\x04 truncated")
    lockfile = scene.root / "bad.txt"
    lockfile.write_text(scene.b.read_text() + f"{bad}\n")
    proc = burrow("sync", "-e", str(scene.env), str(lockfile), env=scene.environ, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "zz" in proc.stderr
    assert scene.outcome() == "before"
    scene.finish()


def _pages(root: Path) -> Tuple[int, int]:
    """(4 KiB pages, inodes) that ``root`` takes on a tmpfs."""
    pages, inodes = 0, 1
    for current, dirs, files in os.walk(root):
        inodes += len(dirs) + len(files)
        for name in files:
            st = os.lstat(os.path.join(current, name))
            pages += -(-st.st_size // 4096) if stat.S_ISREG(st.st_mode) else 0
    return pages, inodes


@pytest.mark.parametrize("full", ["blocks", "inodes", "cache"])
def test_a_full_disk_leaves_the_env_as_it_was(tmp_path: Path, guard: Guard, full: str) -> None:
    scene = Scene(tmp_path)
    small = tmp_path / "small"
    pages, inodes = _pages(scene.env)
    if full == "blocks":  # room for the env and two pages more: the new files do not fit
        size, options = f"{(pages + 2) * 4}k", f"nr_inodes={inodes * 3}"
    elif full == "inodes":  # room for the env's inodes and a few: the clone's dirs do not fit
        size, options = f"{(pages + 64) * 4}k", f"nr_inodes={inodes + 8}"
    else:  # the env where it is, a cold cache on a small disk
        size, options = "24k", ""
    with tmpfs(small, size, options, guard=guard):
        if full == "cache":
            environ = {**scene.environ, "BURROW_CACHE_DIR": str(small / "cache")}
        else:
            moved = small / "env"
            subprocess.run(["cp", "-a", str(scene.env), str(moved)], check=True)
            scene.env = moved
            scene.before = state(moved)
            environ = scene.environ
        proc = burrow("sync", "-e", str(scene.env), str(scene.b), env=environ, check=False)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert "No space left" in proc.stderr, proc.stderr
        assert scene.outcome() == "before"
        assert [n for n in os.listdir(scene.env.parent) if n.startswith(".burrow-")] == []


def test_a_hash_mismatch_leaves_the_env_as_it_was(scene: Scene) -> None:
    lines = [
        f"{line} --hash=sha256:{hashlib.sha256(Path(line).read_bytes()).hexdigest()}"
        for line in scene.b.read_text().splitlines()
    ]
    lines[-1] = lines[-1][:-64] + "0" * 64  # 'fresh', which the env does not have yet
    lockfile = scene.root / "wrong-hash.txt"
    lockfile.write_text("\n".join(lines) + "\n")
    proc = burrow("sync", "-e", str(scene.env), str(lockfile), env=scene.environ, check=False)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "fresh" in proc.stderr and "hash" in proc.stderr and "wrong-hash.txt:4" in proc.stderr
    assert scene.outcome() == "before"
    scene.finish()
