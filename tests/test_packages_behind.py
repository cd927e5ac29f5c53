"""Compiling behind: entries a command builds are linked without bytecode, then compiled by
one detached process once the command has committed; later envs link the .pyc.

Nothing here waits on a clock: a test waits for the compile through its job's lock
(``helpers.wait_for_compile``), and a compile stopped half-way is one that the test
itself holds still (its compiler patched to stop once the .pyc are written, before the
manifest is), then kills or lets go.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Set

import pytest
from helpers import assert_record_matches, burrow, burrow_env, make_wheel, run_in, wait_for_compile

from burrow.fs import file_digest
from burrow.packages import behind
from burrow.packages.bytecode import Compiler
from burrow.packages.cache import Entry, ensure_entries, load_entry

if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows compiles before returning")

# A compile behind that stops once its .pyc are written (the entry's lock held, the
# manifest not rewritten yet) and goes on when told to on stdin.
_HELD = r"""
import sys
import burrow.packages.bytecode as bytecode
from burrow.packages.behind_process import run

compile_tree = bytecode.compile_tree

def held(*args):
    compile_tree(*args)
    print("compiled", flush=True)
    sys.stdin.readline()

bytecode.compile_tree = held
run(sys.argv[1], int(sys.argv[2]))
"""


def demo_wheel(folder: Path, name: str = "demo") -> Path:
    return make_wheel(
        folder,
        name,
        "1.0",
        console_scripts={name: f"{name}:main"},
        files={f"{name}/sub/__init__.py": "", f"{name}/sub/mod.py": "X = 1\n"},
    )


def lock(path: Path, *wheels: Path) -> Path:
    path.write_text("".join(f"{w}\n" for w in wheels))
    return path


def create(env: Path, lockfile: Path, *args: str) -> Path:
    burrow("create", "-q", str(env), "-r", str(lockfile), *args)
    return env


def site_of(env: Path) -> Path:
    return next(env.glob("lib/python3.*/site-packages"))


def entries(cache: Path) -> List[Entry]:
    return [load_entry(str(m.parent)) for m in sorted(cache.glob("packages/*/*/*/manifest"))]


def pycs(root: Path) -> Set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.pyc")}


def demo_pycs(env: Path) -> Set[str]:
    """The .pyc in ``env`` of the test's package (pip's are there too)."""
    return {rel for rel in pycs(site_of(env)) if rel.startswith("demo/")}


def listed_pycs(entry: Entry) -> Set[str]:
    return {rel for rel, *_ in entry.manifest["files"] if rel.endswith(".pyc")}


def last_log(cache: Path) -> str:
    log = cache / behind.CACHE_FOLDER / behind.LOG
    return log.read_text() if log.exists() else ""


def uncompiled(wheel: Path, info: PythonInfo) -> Entry:
    """The wheel's entry, built without bytecode and queued nowhere (no command ran)."""
    [entry] = ensure_entries([(str(wheel), file_digest(str(wheel)))], info, bytecode=False)
    assert not entry.compiled and not pycs(Path(entry.path))
    return entry


def compile_record(info: PythonInfo, entry: Entry) -> Dict[str, Any]:
    """What a compile job of ``entry`` holds, as ``behind.start`` writes it."""
    compiler = Compiler.of(info)
    return {"python": compiler.python, "tag": compiler.tag, "entries": [entry.path]}


def held_compile(entry: Entry, info: PythonInfo) -> subprocess.Popen[str]:
    """A compile behind of ``entry`` that has written its .pyc and holds still."""
    job, fd = behind.new_job(compile_record(info, entry))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HELD, job, str(fd)],
            pass_fds=(fd,),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=burrow_env(),
        )
    finally:
        os.close(fd)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "compiled\n"
    return proc


def test_the_first_env_imports_and_later_envs_link_the_bytecode(
    tmp_path: Path, cache: Path
) -> None:
    lockfile = lock(tmp_path / "lock.txt", demo_wheel(tmp_path / "wheels"))
    one = create(tmp_path / "one", lockfile)
    assert run_in(one, "import demo.sub.mod; print(demo.sub.mod.X)") == "1\n"
    assert subprocess.run([one / "bin" / "demo"], capture_output=True, text=True).stdout == (
        "demo ran\n"
    )
    wait_for_compile(cache)
    [entry] = entries(cache)
    site = Path(entry.path) / "site"
    assert entry.compiled
    assert (
        listed_pycs(entry)
        == pycs(site)
        == {
            f"demo/__pycache__/__init__.{sys.implementation.cache_tag}.pyc",
            f"demo/sub/__pycache__/__init__.{sys.implementation.cache_tag}.pyc",
            f"demo/sub/__pycache__/mod.{sys.implementation.cache_tag}.pyc",
        }
    )
    assert not any(os.stat(site / rel).st_mode & 0o222 for rel in pycs(site))
    assert not list((cache / behind.CACHE_FOLDER).glob("*.job"))

    two = create(tmp_path / "two", lockfile)
    two_site = site_of(two)
    # The modules and their bytecode are linked before the command returns.
    for rel in pycs(site):
        assert os.path.samefile(two_site / rel, site / rel), rel
    wait_for_compile(cache)
    assert " entries linked into envs in " not in last_log(cache), last_log(cache)
    for rel in pycs(site):
        assert os.path.samefile(two_site / rel, site / rel), rel
    before = {p: p.stat().st_mtime_ns for p in two_site.rglob("*.pyc")}
    assert run_in(two, "import demo.sub.mod; print(demo.sub.mod.X)") == "1\n"
    assert {p: p.stat().st_mtime_ns for p in two_site.rglob("*.pyc")} == before
    listed = assert_record_matches(two, "demo")
    assert {os.path.normpath(two_site / rel) for rel in pycs(site)} <= listed
    # pip uninstalls what burrow linked, bytecode and all, in this env only.
    proc = subprocess.run(
        [two / "bin" / "python", "-m", "pip", "uninstall", "-y", "-q", "demo"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (two_site / "demo").exists()
    assert pycs(site) == listed_pycs(entry)

    # A warm create -r of compiled entries compiles nothing: it links their bytecode.
    manifest = (Path(entry.path) / "manifest").read_bytes()
    (cache / behind.CACHE_FOLDER / behind.LOG).unlink()
    three = create(tmp_path / "three", lockfile)
    assert demo_pycs(three) == pycs(site)
    wait_for_compile(cache)
    assert last_log(cache) == ""  # no process was started at all
    assert (Path(entry.path) / "manifest").read_bytes() == manifest


def test_an_env_is_complete_and_still_when_its_create_returns(tmp_path: Path, cache: Path) -> None:
    """Nothing writes into an env once its command has returned: an `rm -rf` of it at
    once succeeds (with the bytecode linked behind, it failed nearly every time)."""
    import shutil

    lockfile = lock(tmp_path / "lock.txt", demo_wheel(tmp_path / "wheels"))
    create(tmp_path / "warm", lockfile, "--compile-bytecode")
    wait_for_compile(cache)
    for n in range(5):
        env = create(tmp_path / f"env{n}", lockfile)
        assert demo_pycs(env) == demo_pycs(tmp_path / "warm")
        shutil.rmtree(env)
    assert not list((cache / behind.CACHE_FOLDER).glob("*.job"))


@pytest.fixture
def link_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytecode linked by a process after the command, as BURROW_LINK_BYTECODE_BEHIND asks."""
    monkeypatch.setenv(behind.LINK_LATER, "1")


def test_bytecode_linked_behind_when_asked(tmp_path: Path, cache: Path, link_behind: None) -> None:
    lockfile = lock(tmp_path / "lock.txt", demo_wheel(tmp_path / "wheels"))
    warm = create(tmp_path / "warm", lockfile, "--compile-bytecode")
    wait_for_compile(cache)
    env = create(tmp_path / "env", lockfile)
    wait_for_compile(cache)
    assert " entries linked into envs in " in last_log(cache), last_log(cache)
    assert demo_pycs(env) == demo_pycs(warm) != set()
    for rel in demo_pycs(env):
        assert os.path.samefile(site_of(env) / rel, site_of(warm) / rel), rel


def test_compile_bytecode_compiles_before_returning(
    tmp_path: Path, cache: Path, info: PythonInfo
) -> None:
    wheels = tmp_path / "wheels"
    lockfile = lock(tmp_path / "lock.txt", demo_wheel(wheels))
    env = create(tmp_path / "env", lockfile, "--compile-bytecode")
    [entry] = entries(cache)
    assert entry.compiled and len(listed_pycs(entry)) == 3
    site = site_of(env)
    for rel in listed_pycs(entry):
        assert os.path.samefile(site / rel, Path(entry.path) / "site" / rel)
    # An entry already there without bytecode is compiled then too: by `burrow sync`, and
    # by burrow.sync() called from Python.
    from burrow.packages.sync import sync

    for way in ("cli", "api"):
        wheel = demo_wheel(wheels, f"other_{way}")
        built = uncompiled(wheel, info)
        target = tmp_path / f"env-{way}"
        burrow("create", "-q", str(target))
        lockfile = lock(tmp_path / f"{way}.txt", wheel)
        if way == "cli":
            burrow("sync", "-q", "--compile-bytecode", "-e", str(target), str(lockfile))
        else:
            sync(target, lockfile, compile_bytecode=True)
        now = load_entry(built.path)
        assert now.compiled and len(listed_pycs(now)) == 3
        for rel in listed_pycs(now):
            assert os.path.samefile(site_of(target) / rel, Path(now.path) / "site" / rel)
    assert wait_for_compile(cache) == 0
    assert last_log(cache) == ""  # no compile was ever started behind a command


def test_a_killed_compile_leaves_a_usable_entry(
    tmp_path: Path, cache: Path, info: PythonInfo
) -> None:
    wheel = demo_wheel(tmp_path / "wheels")
    entry = uncompiled(wheel, info)
    site = Path(entry.path) / "site"
    held = held_compile(entry, info)
    held.kill()
    held.communicate()
    # Its .pyc are there, its manifest the one before: nothing of them is linked.
    assert pycs(site) and load_entry(entry.path).manifest == entry.manifest
    lockfile = lock(tmp_path / "lock.txt", wheel)
    one = create(tmp_path / "one", lockfile)
    assert not demo_pycs(one)
    assert run_in(one, "import demo.sub.mod; print(demo.sub.mod.X)") == "1\n"
    # The killed job is swept; the create queued the entry again, and it is compiled.
    assert wait_for_compile(cache) >= 1
    assert not list((cache / behind.CACHE_FOLDER).glob("*.job"))
    now = load_entry(entry.path)
    assert now.compiled and listed_pycs(now) == pycs(site)
    assert {p.name for p in site.rglob("__pycache__/*")} == {
        Path(rel).name for rel in listed_pycs(now)
    }  # nothing else that the killed compiler wrote is left
    two = create(tmp_path / "two", lockfile)
    wait_for_compile(cache)  # its bytecode, linked behind it
    assert demo_pycs(two) == listed_pycs(now)


def test_cache_clean_while_a_compile_runs(tmp_path: Path, cache: Path, info: PythonInfo) -> None:
    wheel = demo_wheel(tmp_path / "wheels")
    entry = uncompiled(wheel, info)
    held = held_compile(entry, info)  # it holds the entry's lock
    clean = subprocess.Popen(
        [sys.executable, "-m", "burrow", "cache", "clean", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=burrow_env(),
    )
    assert held.stdin is not None
    held.stdin.write("\n")
    held.stdin.flush()
    out, err = held.communicate()
    assert held.returncode == 0 and out == "" and err is None
    cleaned = clean.communicate()
    assert clean.returncode == 0, cleaned
    # Whichever took the lock first, the entry is gone whole, and nothing is left.
    assert not os.path.exists(entry.path)
    assert not list(cache.glob("packages/*/*/.trash-*"))
    assert not list((cache / behind.CACHE_FOLDER).glob("*.job"))
    env = create(tmp_path / "env", lock(tmp_path / "lock.txt", wheel))
    assert run_in(env, "import demo.sub.mod; print(demo.sub.mod.X)") == "1\n"


def test_a_compile_whose_entries_were_cleaned_ends_quietly(
    tmp_path: Path, cache: Path, info: PythonInfo
) -> None:
    entry = uncompiled(demo_wheel(tmp_path / "wheels"), info)
    job, fd = behind.new_job(compile_record(info, entry))
    try:
        burrow("cache", "clean", "-q")  # a job that is not over yet is left alone
        assert os.path.exists(job) and not os.path.exists(entry.path)
        proc = subprocess.run(
            [sys.executable, "-c", behind._RUN, str(Path(behind.__file__).parents[2]), job,
             str(fd)],
            pass_fds=(fd,),
            capture_output=True,
            text=True,
            env=burrow_env(),
            check=False,
        )  # fmt: skip
    finally:
        os.close(fd)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert not os.path.exists(job) and not os.path.exists(entry.path)
    assert " 0 entries " in last_log(cache)


def test_a_killed_command_leaves_no_job(tmp_path: Path, cache: Path, info: PythonInfo) -> None:
    """A job is locked before it is named one, so a waiter never takes it for dead; what a
    command killed between the two left is swept by ``cache clean``."""
    folder = cache / behind.CACHE_FOLDER
    folder.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (folder / f".job-{dead}-0123abcd").write_bytes(b"")
    orphan = folder / f"job-{dead}-4567abcd.job"
    orphan.write_bytes(b"")  # its process died: its lock is free
    assert wait_for_compile(cache) == 1
    assert not orphan.exists() and (folder / f".job-{dead}-0123abcd").exists()
    burrow("cache", "clean", "-q")
    assert not list(folder.iterdir())


def test_bytecode_is_not_linked_into_an_env_moved_or_replaced_meanwhile(
    tmp_path: Path, cache: Path, link_behind: None
) -> None:
    from burrow.packages.sync import env_lock

    lockfile = lock(tmp_path / "lock.txt", demo_wheel(tmp_path / "wheels"))
    create(tmp_path / "warm", lockfile, "--compile-bytecode")  # entries with their bytecode
    env, moved = tmp_path / "env", tmp_path / "moved"
    with env_lock(str(env)):  # held, as a sync holds it: the bytecode waits for it
        create(env, lockfile)
        site = site_of(env).relative_to(env)
        env.rename(moved)
        (env / site / "demo" / "sub").mkdir(parents=True)  # the user's own folders there now
        assert list((cache / behind.CACHE_FOLDER).glob("*.job"))  # waiting for the lock
    wait_for_compile(cache)
    assert "passed over" in last_log(cache), last_log(cache)
    assert not list(env.rglob("*.pyc")) and not demo_pycs(moved)
    assert run_in(moved, "import demo.sub.mod; print(demo.sub.mod.X)") == "1\n"


def test_bytecode_goes_only_where_its_module_still_is(
    tmp_path: Path, cache: Path, link_behind: None
) -> None:
    """A module removed before the bytecode is linked (pip uninstall, or `rm -rf` of the
    env right after the create) gets none: no __pycache__ is made again in a folder that
    was just emptied, which would make its removal fail with "Directory not empty"."""
    from burrow.packages.sync import env_lock

    lockfile = lock(tmp_path / "lock.txt", demo_wheel(tmp_path / "wheels"))
    create(tmp_path / "warm", lockfile, "--compile-bytecode")
    env = tmp_path / "env"
    with env_lock(str(env)):  # held: the bytecode waits for it
        create(env, lockfile)
        package = site_of(env) / "demo"
        (package / "sub" / "mod.py").unlink()  # emptied as rm -rf empties it, then...
        (package / "sub" / "__init__.py").unlink()
        assert list((cache / behind.CACHE_FOLDER).glob("*.job"))
    wait_for_compile(cache)
    (package / "sub").rmdir()  # ... removed: nothing was put back in it
    assert run_in(env, "import demo; print(demo.__name__)") == "demo\n"
    assert demo_pycs(env) == {f"demo/__pycache__/__init__.{sys.implementation.cache_tag}.pyc"}


def test_an_env_removed_while_its_bytecode_is_linked(
    tmp_path: Path, cache: Path, link_behind: None
) -> None:
    """`remove` (and `--clear`) at once after a create: the folders the bytecode goes into
    may fill while they are emptied; the removal still succeeds, whole."""
    lockfile = lock(tmp_path / "lock.txt", demo_wheel(tmp_path / "wheels"))
    create(tmp_path / "warm", lockfile, "--compile-bytecode")
    env = tmp_path / "env"
    for _ in range(4):
        create(env, lockfile)
        burrow("create", "-q", "--clear", str(env), "-r", str(lockfile))
        burrow("remove", "-q", str(env))
        assert not env.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    wait_for_compile(cache)


def _processes_naming(text: str) -> List[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(int(pid))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_compiler_ends_with_the_command_that_started_it(tmp_path: Path) -> None:
    """A command killed with SIGKILL (or by the OOM killer) while it byte-compiles: the
    compiler it started ends too, worker processes and all, rather than work on in a folder
    the next run sweeps (forked workers used to hang there for good)."""
    site = tmp_path / "site"
    site.mkdir()
    body = "".join(f"def f{i}(x):\n    return [x * {i} for _ in range({i})]\n" for i in range(150))
    modules = 3000  # seconds of compiling in one process: far longer than the kill takes
    for i in range(modules):
        (site / f"m{i}.py").write_text(body)
    code = (  # with worker processes, where there are two cores or more
        "import sys\n"
        "from burrow.packages.bytecode import Compiler, compile_tree\n"
        f"compile_tree(sys.argv[1], Compiler(python=sys.executable, tag='x'), {modules})\n"
    )
    command = subprocess.Popen([sys.executable, "-c", code, str(site)], env=burrow_env())
    try:
        deadline = time.monotonic() + 120
        # The compiler and, with two cores or more, its first worker: killed mid-work.
        wanted = 2 if (os.cpu_count() or 1) > 1 else 1
        while len([p for p in _processes_naming(str(site)) if p != command.pid]) < wanted:
            assert time.monotonic() < deadline, "the compiler never started"
            assert command.poll() is None, "the command ended before its compiler began"
            time.sleep(0.01)
        command.kill()
        command.wait()
        while _processes_naming(str(site)):
            assert time.monotonic() < deadline, "the compiler outlived the command"
            time.sleep(0.01)
        assert len(list(site.glob("__pycache__/*.pyc"))) < modules, "it went on to the end"
    finally:
        command.kill()
        command.wait()
