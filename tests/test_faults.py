"""Faults and abuse: interruptions, races, full or read-only disks, other users, bad input.

Whatever happens, PATH is absent or a complete working env, the seed cache is sound, the
next run succeeds, and no file the user had changes (checked by the ``guard`` fixture).
Counts go to the tally printed at the end of the run (see faults.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import pytest
from faults import (
    SIGNALS,
    Guard,
    absent_or_complete,
    as_nobody,
    assert_one_line_error,
    check_cache,
    check_env,
    count,
    interrupt,
    leftovers,
    remount,
    rng,
    spawn,
    tmpfs,
    world_dir,
)
from helpers import SRC, burrow
from pythons import in_ci

# --- interruption ---------------------------------------------------------------------

#: scenario -> (extra create arguments, cache state, trials per signal)
SCENARIOS = {
    "bare": (["--without-pip"], "warm", 30),
    "seeded-warm": ([], "warm", 30),
    "seeded-cold": ([], "cold", 8),
    "requirement": (["-r", "REQUIREMENTS"], "warm", 8),
}


def _has_option(option: str) -> bool:
    return option in burrow("create", "--help").stdout


def _requirements(tmp_path: Path) -> Path:
    """A requirements file naming a tiny wheel built by hand, installable offline."""
    import base64
    import hashlib
    import zipfile

    wheel = tmp_path / "tinypkg-1.0-py3-none-any.whl"
    files = {
        "tinypkg/__init__.py": b"VALUE = 42\n",
        "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        "tinypkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("tinypkg-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("tinypkg-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{wheel}\n")
    return requirements


@pytest.mark.slow
@pytest.mark.parametrize("sig", sorted(SIGNALS))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_interrupted_create_leaves_nothing_or_a_working_env(
    tmp_path: Path, guard: Guard, scenario: str, sig: str
) -> None:
    args, cache_state, trials = SCENARIOS[scenario]
    environ: Dict[str, str] = {"PIP_NO_INDEX": "1"}
    if "-r" in args:
        if not _has_option("--requirement"):
            pytest.skip("burrow create has no -r/--requirement yet")
        args = ["-r", str(_requirements(tmp_path))]
    seeded = "--without-pip" not in args
    random = rng(f"{scenario}/{sig}")

    def cache_for(trial: int) -> Path:
        return tmp_path / (f"cache{trial}" if cache_state == "cold" else "cache")

    # How long an undisturbed run takes, so that kills land all along it.
    began = time.perf_counter()
    burrow(
        "create",
        str(tmp_path / "timing"),
        "-q",
        *args,
        env={**environ, "BURROW_CACHE_DIR": str(tmp_path / "cache-timing")},
    )
    if cache_state == "warm":
        burrow(
            "create",
            str(tmp_path / "warming"),
            "-q",
            *args,
            env={**environ, "BURROW_CACHE_DIR": str(cache_for(0))},
        )
    took = time.perf_counter() - began if cache_state == "cold" else _time(tmp_path, args, environ)

    outcomes: List[str] = []
    for trial in range(trials):
        parent = guard.plant(tmp_path / f"trial{trial}")
        target = parent / "env"
        env = {**environ, "BURROW_CACHE_DIR": str(cache_for(trial))}
        proc = spawn("create", str(target), "-q", *args, env=env)
        # Stratified: trial i kills somewhere in the i-th of equal slices of the run (and a
        # little past its end), so the kills cover all of it whatever the dice say, and the
        # first slice, inside the interpreter's start-up, always finds no env.
        time.sleep(took * 1.1 * (trial + random.random()) / trials)
        # A Ctrl-C reaches the whole foreground job; a kill -9 (or the OOM killer) may hit
        # burrow alone and orphan its byte-compiler.
        interrupt(proc, SIGNALS[sig], whole_group=sig == "SIGINT" or random.random() < 0.5)
        _out, err = proc.communicate(timeout=120)
        count("trials")
        if proc.returncode != 0:
            count("interruptions")
        if sig == "SIGINT":
            _assert_ctrl_c_outcome(proc.returncode, err, pip_runs="-r" in args)
        outcomes.append(absent_or_complete(target, seeded))
        if "-r" in args and outcomes[-1] == "complete":
            # pip runs before the rename: an env in place has its requirements, always.
            assert _imports(target, "tinypkg"), "an env without its requirements is in place"
        check_cache(cache_for(trial))
        # The next run succeeds and sweeps what the interrupted one left.
        burrow("create", str(target), "-q", "--clear", *args, env=env)
        check_env(target, seeded)
        assert leftovers(parent) == []
        check_cache(cache_for(trial))
    assert "absent" in outcomes, "no interruption landed before the env was complete"


def _imports(target: Path, module: str) -> bool:
    python = str(target / "bin" / "python")
    return subprocess.run([python, "-c", f"import {module}"], check=False).returncode == 0


def _assert_ctrl_c_outcome(code: int, err: str, pip_runs: bool) -> None:
    """Finished first; or 'interrupted' and 130; or stopped before burrow's main() began;
    or lost by Python in its start-up, before burrow's own code ran, and finished.

    Python's start-up (runpy, the import system, and the imports that lead to main())
    cannot catch the signal. pip, when it runs for -r, gets the Ctrl-C too and speaks for itself
    before burrow's last line.
    """
    lines = err.strip().splitlines()
    if code == 0 and lines:
        # Python itself swallowed the Ctrl-C before burrow's hook was in place (see
        # _signals): raised in a module lock's weakref callback during start-up, printed as
        # "Exception ignored" and dropped. The run then finished, and the env is checked.
        assert lines[0].startswith("Exception ignored in: "), err
        assert lines[-1].strip() in ("KeyboardInterrupt", "KeyboardInterrupt:"), err
        frames = [line for line in lines if line.lstrip().startswith("File ")]
        assert frames and all('File "<frozen ' in line for line in frames), err
        count("startup_interrupts")
    elif code == 0:
        assert lines == [], err
    elif code == 130:
        assert lines[-1:] == ["interrupted"], err
        assert pip_runs or len(lines) == 1, err
    else:  # -SIGINT, or 1 with "Could not import runpy module" or "Fatal Python error"
        # Interrupted in the interpreter's start-up: the import system, site and the .pth
        # files of site-packages (which may import packages of their own), runpy, and the
        # import of burrow's own modules on the way to main() (`in <module>` frames). No
        # burrow function may be among the frames: from main() on, Ctrl-C is burrow's.
        frames = [line for line in lines if line.lstrip().startswith("File ")]
        package = str(SRC / "burrow")
        ours = [line for line in frames if package in line]
        assert all(line.endswith(", in <module>") for line in ours), err
        count("startup_interrupts")


def _time(tmp_path: Path, args: List[str], environ: Dict[str, str]) -> float:
    """How long a warm run takes, timed as the trials run (a new path, no ``--clear``, whose
    removal of the old env would stretch the timing): the fastest of three, so that one run
    slowed by a busy machine does not stretch the kills past the end of every trial."""
    took = []
    for run in range(3):
        began = time.perf_counter()
        burrow(
            "create",
            str(tmp_path / f"timing-warm{run}"),
            "-q",
            *args,
            env={**environ, "BURROW_CACHE_DIR": str(tmp_path / "cache")},
        )
        took.append(time.perf_counter() - began)
    return min(took)


# --- concurrency ----------------------------------------------------------------------


def test_many_creates_share_one_cold_cache(tmp_path: Path, cold_cache: Path) -> None:
    procs = [spawn("create", str(tmp_path / f"env{i}"), "-q") for i in range(8)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        count("trials")
    for i in range(8):
        check_env(tmp_path / f"env{i}", seeded=True)
    assert check_cache(cold_cache) == 1
    assert not list(cold_cache.glob("seed/*/*/.build-*"))


@pytest.mark.parametrize("clear", [False, True], ids=["plain", "clear"])
def test_simultaneous_creates_of_one_path(tmp_path: Path, guard: Guard, clear: bool) -> None:
    guard.plant(tmp_path)
    extra = ["--clear"] if clear else []
    for round_ in range(8):  # --clear lost a trash dir in about one round of ten
        target = tmp_path / f"env{round_ // 2}"  # odd rounds replace what even ones made
        procs = [spawn("create", str(target), "-q", *extra) for _ in range(6)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        for proc in procs:
            proc.stdout.close()  # type: ignore[union-attr]
            proc.stderr.close()  # type: ignore[union-attr]
        count("trials", len(procs))
        assert any(code == 0 for code, _ in results), results
        for code, err in results:
            assert code == 0 or (code == 1 and err.count("\n") == 1 and err.startswith("error:"))
        check_env(target, seeded=True)
        assert leftovers(tmp_path) == []


def test_create_while_cache_clean_runs(tmp_path: Path, cold_cache: Path) -> None:
    stop = threading.Event()
    cleans: List[subprocess.CompletedProcess[str]] = []

    def clean_repeatedly() -> None:
        while not stop.is_set():
            cleans.append(burrow("cache", "clean", "-q", check=False))

    cleaner = threading.Thread(target=clean_repeatedly)
    cleaner.start()
    try:

        def make(i: int) -> subprocess.CompletedProcess[str]:
            return burrow("create", str(tmp_path / f"env{i}"), "-q", check=False)

        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(make, range(12)))
    finally:
        stop.set()
        cleaner.join()
    count("trials", len(results))
    assert all(c.returncode == 0 for c in cleans), [c.stderr for c in cleans if c.returncode]
    for i, result in enumerate(results):
        if result.returncode == 0:
            check_env(tmp_path / f"env{i}", seeded=True)
        else:  # allowed, but only as one clean line and with nothing left behind
            assert_one_line_error(result)
            assert not (tmp_path / f"env{i}").exists()
    assert sum(r.returncode == 0 for r in results) >= len(results) // 2, [r.stderr for r in results]
    check_cache(cold_cache)
    burrow("create", str(tmp_path / "after"), "-q")
    check_env(tmp_path / "after", seeded=True)
    assert leftovers(tmp_path) == []


# --- resources ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("size", ["64k", "512k", "2m", "6m", "10m", "13m"])
def test_env_on_a_filesystem_that_fills_up(tmp_path: Path, guard: Guard, size: str) -> None:
    """The cache is elsewhere, so pip is copied in and fills the disk at some point."""
    burrow("create", str(tmp_path / "warm"), "-q")
    with tmpfs(tmp_path / "small", size, guard=guard) as small:
        guard.plant(small / "mine")
        target = small / "env"
        result = burrow("create", str(target), check=False)
        count("trials")
        if result.returncode:
            count("bad_inputs")
            assert_one_line_error(result)
            assert "No space left" in result.stderr, result.stderr
            assert not target.exists()
        else:
            check_env(target, seeded=True)
        assert leftovers(small) == []


@pytest.mark.slow
@pytest.mark.parametrize("size", ["256k", "3m", "9m"])
def test_cache_on_a_filesystem_that_fills_up(tmp_path: Path, guard: Guard, size: str) -> None:
    with tmpfs(tmp_path / "small", size, guard=guard) as small:
        cache = small / "cache"
        guard.plant(small / "mine")
        env = {"BURROW_CACHE_DIR": str(cache)}
        result = burrow("create", str(tmp_path / "env"), env=env, check=False)
        count("trials")
        count("bad_inputs")
        assert_one_line_error(result)
        assert not (tmp_path / "env").exists()
        assert leftovers(tmp_path) == []
        check_cache(cache)
        remount(small, "size=64m")  # room again: the next run succeeds
        burrow("create", str(tmp_path / "env"), env=env)
        check_env(tmp_path / "env", seeded=True)
        assert check_cache(cache) == 1
        assert not list(cache.glob("seed/*/*/.build-*"))


def test_read_only_filesystem(tmp_path: Path, guard: Guard) -> None:
    with tmpfs(tmp_path / "ro", "32m", guard=guard) as mount:
        burrow("create", str(mount / "existing"), "-q")
        guard.plant(mount / "mine")
        guard.watch(mount / "existing")
        remount(mount, "ro")
        for args in (
            [str(mount / "new")],
            [str(mount / "existing"), "--clear"],
            [str(mount / "existing")],
            [str(mount / "mine"), "--clear", "--force"],
        ):
            result = burrow("create", "-q", *args, check=False)
            count("bad_inputs")
            assert_one_line_error(result)
            assert "Read-only file system" in result.stderr, result.stderr
        assert not (mount / "new").exists()
        check_env(mount / "existing", seeded=True)


def test_env_on_another_filesystem_than_the_cache(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "warm"), "-q")
    with tmpfs(tmp_path / "other", "64m") as other:
        target = other / "env"
        burrow("create", str(target), "-q")
        count("trials")
        check_env(target, seeded=True)
        init = next(target.glob("lib/python*/site-packages/pip/__init__.py"))
        assert init.stat().st_nlink == 1 and os.access(init, os.W_OK)


def _python_for_nobody(shared: Path) -> List[str]:
    """An interpreter 'nobody' may run, and a PYTHONPATH giving it burrow and its deps.

    burrow and its dependencies are copied into ``shared``: where they are installed (a
    home directory, a checkout under /root) the user 'nobody' may not be able to read.
    """
    import importlib.util

    packages = shared / "python-path"
    for name in ("burrow", "filelock", "installer", "packaging", "platformdirs"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, name
        shutil.copytree(next(iter(spec.submodule_search_locations)), packages / name)
    for folder, _, files in os.walk(packages):
        os.chmod(folder, 0o755)
        for file in files:
            os.chmod(os.path.join(folder, file), 0o644)
    candidates = [sys.executable, shutil.which("python3") or "", *sorted(_system_pythons())]
    for python in filter(None, candidates):
        probe = as_nobody(python, [], {"PYTHONPATH": str(packages)}, timeout=30)
        if "usage" in (probe.stdout + probe.stderr):  # `burrow` with no command: its help
            return [python, str(packages)]
    message = "no interpreter that the user 'nobody' may run"
    if in_ci():
        pytest.fail(f"{message}; CI=true: this test must run")
    pytest.skip(message)
    raise AssertionError("unreachable")


def _system_pythons() -> List[str]:
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(folder, "python3")
        if os.path.isfile(candidate) and "shims" not in folder:
            found.append(os.path.realpath(candidate))
    return found


def test_unprivileged_user_without_permission(guard: Guard) -> None:
    from faults import require_root

    require_root("switching to the user 'nobody'")
    with world_dir(guard) as shared:
        python, path = _python_for_nobody(shared)
        locked = guard.plant(shared / "root-owned")  # 0o755, owned by root
        own = shared / "own"
        own.mkdir()
        shutil.chown(own, "nobody")
        base = {"PYTHONPATH": path, "HOME": str(own), "BURROW_CACHE_DIR": str(own / "cache")}
        cases = [
            (["create", str(locked / "env"), "--without-pip"], base),
            (["create", str(locked / "env")], base),
            (["create", str(locked), "--clear", "--force"], base),
            # A cache that belongs to someone else is refused, never trusted.
            (["create", str(own / "env")], {**base, "BURROW_CACHE_DIR": str(locked)}),
            (["cache", "clean"], {**base, "BURROW_CACHE_DIR": str(locked)}),
        ]
        for args, env in cases:
            result = as_nobody(python, args, env)
            count("bad_inputs")
            assert_one_line_error(result)
        assert not (own / "env").exists()
        # Its own places work, with a private cache.
        result = as_nobody(python, ["create", str(own / "env"), "-q"], base)
        assert result.returncode == 0, result.stderr
        assert (own / "cache").stat().st_mode & 0o777 == 0o700
        check_env(own / "env", seeded=True)
        readonly = own / "readonly"
        readonly.mkdir(mode=0o555)
        shutil.chown(readonly, "nobody")
        result = as_nobody(python, ["create", str(readonly / "env")], base)
        count("bad_inputs")
        assert_one_line_error(result)
        assert list(readonly.iterdir()) == []


# --- bad input ------------------------------------------------------------------------


def _script(path: Path, text: str, mode: int = 0o755) -> str:
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def _setup_bad(kind: str, tmp_path: Path, guard: Guard) -> List[str]:
    """The arguments of a bad ``burrow create``, with what it points at made in tmp_path."""
    mine = guard.plant(tmp_path / "mine")
    target = str(tmp_path / "env")
    if kind == "python-missing":
        return [target, "-p", str(tmp_path / "no" / "python3")]
    if kind == "python-not-executable":
        return [target, "-p", _script(tmp_path / "python3", "#!/bin/sh\n", 0o644)]
    if kind == "python-not-python":
        return [target, "-p", _script(tmp_path / "python3", "#!/bin/sh\necho hello\n")]
    if kind == "python-crashes":
        return [target, "-p", _script(tmp_path / "python3", "#!/bin/sh\nkill -SEGV $$\n")]
    if kind == "python-too-old":
        fake = '#!/bin/sh\necho \'{"version": [2, 7, 18], "too_old": true}\'\n'
        return [target, "-p", _script(tmp_path / "python2.7", fake)]
    if kind == "python-spec-unmatched":
        return [target, "-p", "2.1"]
    if kind == "target-is-file":
        return [str(mine / "precious.txt")]
    if kind == "target-is-file-clear":
        return [str(mine / "precious.txt"), "--clear", "--force"]
    if kind == "target-symlink-elsewhere":
        link = tmp_path / "link"
        link.symlink_to(mine)
        guard.watch(link)
        return [str(link)]
    if kind == "target-symlink-elsewhere-clear":
        link = tmp_path / "link"
        link.symlink_to(mine)
        guard.watch(link)
        return [str(link), "--clear", "--force"]
    if kind == "target-not-env":
        return [str(mine)]
    if kind == "target-not-env-clear":
        return [str(mine), "--clear"]
    if kind == "target-has-pathsep":
        return [str(tmp_path / f"a{os.pathsep}b")]
    if kind == "target-empty":
        return [""]
    if kind == "upgrade-and-clear":
        return [target, "--upgrade", "--clear"]
    if kind == "force-without-clear":
        return [str(mine), "--force"]
    if kind == "unknown-option":
        return [target, "--frobnicate"]
    if kind == "bad-name":
        return ["-n", "../escape"]
    if kind == "path-and-name":
        return [target, "-n", "x"]
    if kind == "bad-activators":
        return [target, "--activators", "bash,nosuchshell"]
    if kind == "pip-version-absent":
        return [target, "--pip", "0.0.1"]
    if kind in ("malformed-pyvenv-cfg", "malformed-pyvenv-cfg-upgrade"):
        (mine / "pyvenv.cfg").write_bytes(b"\xff\xfe not = utf-8 \x00\n[[[\nhome\n")
        guard.watch(mine)
        return [str(mine), "--upgrade"] if kind.endswith("upgrade") else [str(mine)]
    raise AssertionError(kind)


BAD_INPUTS = [
    "python-missing",
    "python-not-executable",
    "python-not-python",
    "python-crashes",
    "python-too-old",
    "python-spec-unmatched",
    "target-is-file",
    "target-is-file-clear",
    "target-symlink-elsewhere",
    "target-symlink-elsewhere-clear",
    "target-not-env",
    "target-not-env-clear",
    "target-has-pathsep",
    "target-empty",
    "upgrade-and-clear",
    "force-without-clear",
    "unknown-option",
    "bad-name",
    "path-and-name",
    "bad-activators",
    "pip-version-absent",
    "malformed-pyvenv-cfg",
    "malformed-pyvenv-cfg-upgrade",
]


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_is_one_line_and_loses_nothing(tmp_path: Path, guard: Guard, kind: str) -> None:
    args = _setup_bad(kind, tmp_path, guard)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = burrow("create", *args, cwd=tmp_path, env={"PIP_NO_INDEX": "1"}, check=False)
    count("bad_inputs")
    assert_one_line_error(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made, nothing gone


# --- damaged cache --------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("pristine-cache")
    burrow(
        "create",
        str(cache.parent / f"{cache.name}-env"),
        "-q",
        env={"BURROW_CACHE_DIR": str(cache)},
    )
    return cache


def _entry(cache: Path) -> Path:
    return next(p for p in cache.glob("seed/*/*/pip-*") if not p.name.startswith("."))


def _truncate(path: Path) -> None:
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _damage(kind: str, cache: Path, tmp_path: Path, guard: Guard) -> Dict[str, str]:
    entry = _entry(cache)
    site = entry / "site"
    if kind == "truncated-file":
        _truncate(site / "pip" / "__init__.py")
    elif kind == "truncated-pyc":
        _truncate(next(site.glob("pip/__pycache__/__init__.*.pyc")))
    elif kind == "missing-file":
        (site / "pip" / "__main__.py").unlink()
    elif kind == "missing-dir":
        shutil.rmtree(site / "pip" / "_internal" / "commands")
    elif kind == "missing-site":
        shutil.rmtree(site)
    elif kind == "missing-manifest":
        (entry / "manifest").unlink()
    elif kind == "garbage-manifest":
        (entry / "manifest").write_bytes(os.urandom(300))
    elif kind == "truncated-manifest":
        _truncate(entry / "manifest")
    elif kind == "symlinked-entry":
        # An entry that is a link to somewhere else: never linked from, never deleted.
        outside = tmp_path / "outside-entry"
        shutil.copytree(entry, outside, symlinks=True)
        (outside / "site" / "pip" / "__init__.py").chmod(0o644)
        (outside / "site" / "pip" / "__init__.py").write_text("raise SystemExit('linked!')\n")
        newer = entry.parent / "pip-999.0"
        newer.symlink_to(outside)
        guard.watch(outside)
    elif kind in ("truncated-wheel-find-links", "truncated-wheel-store"):
        wheel = next(Path(p) for p in _bundled_wheels())
        folder = tmp_path / "links" if kind.endswith("links") else cache / "wheels"
        folder.mkdir(exist_ok=True)
        broken = folder / "pip-999.0-py3-none-any.whl"
        broken.write_bytes(wheel.read_bytes()[: wheel.stat().st_size // 3])
        if kind.endswith("links"):
            guard.watch(folder)
            return {"PIP_FIND_LINKS": str(folder)}
    elif kind == "stale-staging":
        stale = entry.parent / f".build-{entry.name}-999999999-abcd1234"
        shutil.copytree(entry, stale, symlinks=True)
    else:
        raise AssertionError(kind)
    return {}


def _bundled_wheels() -> List[str]:
    out = subprocess.run(
        [sys.executable, "-c", "import ensurepip, os; print(os.path.dirname(ensurepip.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(str(p) for p in Path(out.stdout.strip(), "_bundled").glob("pip-*.whl"))


DAMAGE = [
    "truncated-file",
    "truncated-pyc",
    "missing-file",
    "missing-dir",
    "missing-site",
    "missing-manifest",
    "garbage-manifest",
    "truncated-manifest",
    "symlinked-entry",
    "truncated-wheel-find-links",
    "truncated-wheel-store",
    "stale-staging",
]


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_cache_is_rebuilt_never_linked(
    tmp_path: Path, guard: Guard, pristine_cache: Path, kind: str
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(pristine_cache, cache, symlinks=True)
    extra = _damage(kind, cache, tmp_path, guard)
    env = {"BURROW_CACHE_DIR": str(cache), "PIP_NO_INDEX": "1", **extra}
    result = burrow("create", str(tmp_path / "env"), "--json", env=env)
    count("bad_inputs")
    check_env(tmp_path / "env", seeded=True)
    assert '"pip": "999.0"' not in result.stdout
    assert check_cache(cache) >= 1
    assert not list(cache.glob("seed/*/*/.build-*")), "a dead run's staging dir was kept"
    # And again, warm: the rebuilt entry is linked as it is.
    burrow("create", str(tmp_path / "again"), "-q", env=env)
    check_env(tmp_path / "again", seeded=True)
