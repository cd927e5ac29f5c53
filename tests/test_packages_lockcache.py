"""The lock as last read (packages/lockcache.py): a sync with nothing to do parses nothing,
and whatever changed since (the lock, an include, a variable, the target) is seen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
from helpers import burrow, burrow_env, make_wheel

from burrow.environment import python_of
from burrow.interpreter import PythonInfo, inspect
from burrow.packages import lockcache
from burrow.packages import sync as engine
from burrow.packages.lockfile import read_lock


@pytest.fixture
def env(tmp_path: Path, cache: Path) -> Path:
    path = tmp_path / "env"
    burrow("create", str(path), "-q", "--without-pip")
    return path


def write(path: Path, text: str, *, age: float = 60.0) -> Path:
    """``text`` at ``path``, its mtime ``age`` seconds ago: settled, so its read is kept."""
    path.write_text(text)
    when = time.time_ns() - int(age * 1e9)
    os.utime(path, ns=(when, when))
    return path


def records(cache: Path) -> List[str]:
    folder = cache / "read-locks"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def target(env: Path) -> PythonInfo:
    return inspect(python_of(str(env)))


def fresh(paths: List[str], info: PythonInfo) -> List[Tuple[Optional[str], Optional[str]]]:
    lock = read_lock(paths, [], info)
    return [(pin.name, pin.version) for pin in lock.pins]


def test_what_is_recalled_is_what_a_fresh_read_gives(
    tmp_path: Path, env: Path, cache: Path
) -> None:
    w = tmp_path / "w"
    text = f"{make_wheel(w, 'aa', '1.0')}\nbb-x @ {make_wheel(w, 'bb_x', '2.0').as_uri()}\n"
    lockfile = write(tmp_path / "lock.txt", text)
    assert engine.sync(env, lockfile).added == [("aa", "1.0"), ("bb-x", "2.0")]
    assert len(records(cache)) == 1
    recalled = lockcache.recall([str(lockfile)], [], target(env))
    assert recalled is not None and recalled[1] == []
    assert recalled[0] == fresh([str(lockfile)], target(env)) == [("aa", "1.0"), ("bb-x", "2.0")]
    assert not engine.sync(env, lockfile)


@pytest.mark.parametrize("mtime", ["same second", "restored"])
def test_an_edit_of_the_same_size_is_seen(
    tmp_path: Path, env: Path, cache: Path, mtime: str
) -> None:
    w = tmp_path / "w"
    one, two = make_wheel(w, "aa", "1.0"), make_wheel(w, "aa", "1.1")
    lockfile = write(tmp_path / "lock.txt", f"{one}\n")
    engine.sync(env, lockfile)
    assert records(cache)
    before = os.stat(lockfile).st_mtime_ns
    lockfile.write_text(f"{two}\n")  # one character differs
    assert os.stat(lockfile).st_size == len(f"{one}\n")
    # Within the same second as before; or exactly the old mtime (only ctime differs).
    after = before + 1 if mtime == "same second" else before
    os.utime(lockfile, ns=(after, after))
    assert engine.sync(env, lockfile).upgraded == [("aa", "1.0", "1.1")]
    assert lockcache.recall([str(lockfile)], [], target(env)) in (None, ([("aa", "1.1")], []))


def test_a_changed_include_is_seen(tmp_path: Path, env: Path, cache: Path) -> None:
    w = tmp_path / "w"
    inner = write(tmp_path / "inner.txt", f"{make_wheel(w, 'aa', '1.0')}\n")
    lockfile = write(tmp_path / "lock.txt", "-r inner.txt\n")  # beside the lock
    engine.sync(env, lockfile)
    assert records(cache)
    write(inner, f"{make_wheel(w, 'aa', '2.0')}\n", age=30)
    assert engine.sync(env, lockfile).upgraded == [("aa", "1.0", "2.0")]
    assert not engine.sync(env, lockfile)


def test_a_changed_variable_is_seen(
    tmp_path: Path, env: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = tmp_path / "w"
    make_wheel(w, "aa", "1.0")
    make_wheel(w, "aa", "2.0")
    lockfile = write(tmp_path / "lock.txt", f"{w}/aa-${{AA_VERSION}}-py3-none-any.whl\n")
    monkeypatch.setenv("AA_VERSION", "1.0")
    assert engine.sync(env, lockfile).added == [("aa", "1.0")]
    assert records(cache)
    monkeypatch.setenv("AA_VERSION", "2.0")
    assert engine.sync(env, lockfile).upgraded == [("aa", "1.0", "2.0")]
    monkeypatch.delenv("AA_VERSION")  # unset: the text stays as written, not a file name
    assert lockcache.recall([str(lockfile)], [], target(env)) is None


def test_a_lock_written_just_now_is_not_kept(tmp_path: Path, env: Path, cache: Path) -> None:
    # Its mtime is too recent: a change within the same timestamp tick could go unseen.
    lockfile = write(tmp_path / "lock.txt", f"{make_wheel(tmp_path / 'w', 'aa')}\n", age=-60)
    engine.sync(env, lockfile)
    assert records(cache) == []
    assert not engine.sync(env, lockfile)


def test_a_lock_with_a_project_to_build_is_not_kept(tmp_path: Path, env: Path, cache: Path) -> None:
    # Its version is known only once built: the lock alone cannot say nothing is to do.
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'proj'\nversion = '1'\n")
    lockfile = write(tmp_path / "lock.txt", f"{make_wheel(tmp_path / 'w', 'aa')}\n{project}\n")
    paths = [str(lockfile)]
    before = lockcache.stats(paths)
    lock = read_lock(paths, [], target(env))
    assert [pin.version for pin in lock.pins] == ["1.0", None]
    lockcache.remember(paths, [], target(env), lock, [], before)
    assert records(cache) == []


def test_the_header_warning_is_given_every_time(tmp_path: Path, env: Path, cache: Path) -> None:
    head = "#\n# This file is autogenerated by pip-compile with Python 3.6\n#\n"
    lockfile = write(tmp_path / "lock.txt", head + f"{make_wheel(tmp_path / 'w', 'aa')}\n")
    first = burrow("sync", "-e", str(env), str(lockfile))
    second = burrow("sync", "-e", str(env), str(lockfile))
    assert records(cache)
    assert second.stdout == "Nothing to change\n"
    assert "was made for Python 3.6" in first.stderr
    assert first.stderr == second.stderr
    # Recalled, but the env no longer matches: read afresh, and still warned once.
    for site in env.glob("lib/python*/site-packages"):
        shutil.rmtree(site / "aa-1.0.dist-info")
        shutil.rmtree(site / "aa")
    third = burrow("sync", "-e", str(env), str(lockfile))
    assert third.stdout == "+ aa==1.0\n"
    assert third.stderr == first.stderr


# Only what the sync adds counts: the test interpreter's .pth files may import plenty.
REPORT = """
import sys
before = set(sys.modules)
from burrow.cli import main
code = main(sys.argv[1:])
sys.stderr.write(" ".join(sorted(set(sys.modules) - before)))
sys.exit(code)
"""

#: Whatever a sync with nothing to do must not need: the lock parser, packaging & co.
NOT_NEEDED = {
    "argparse", "burrow.packages.lockfile", "burrow.packages.requirements", "filelock",
    "hashlib", "installer", "json", "logging", "packaging", "pathlib", "resolvelib",
    "subprocess", "typing", "urllib",
}  # fmt: skip


def test_a_sync_with_nothing_to_do_imports_no_parser(
    tmp_path: Path, env: Path, cache: Path
) -> None:
    lockfile = write(tmp_path / "lock.txt", f"{make_wheel(tmp_path / 'w', 'aa')}\n")
    burrow("sync", "-e", str(env), str(lockfile))
    proc = subprocess.run(
        [sys.executable, "-c", REPORT, "sync", "-e", str(env), str(lockfile)],
        env=burrow_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Nothing to change\n"
    modules = set(proc.stderr.split())
    assert "burrow.packages.lockcache" in modules  # it took this path
    assert not {m.split(".")[0] for m in modules} & NOT_NEEDED
    assert not modules & NOT_NEEDED


def test_a_local_file_that_became_a_project_is_seen(tmp_path: Path, env: Path, cache: Path) -> None:
    wheel = make_wheel(tmp_path / "w", "aa", "1.0")
    lockfile = write(tmp_path / "lock.txt", f"{wheel}\n")
    engine.sync(env, lockfile)
    assert lockcache.recall([str(lockfile)], [], target(env)) == ([("aa", "1.0")], [])
    wheel.unlink()  # the same path is now a project directory, which a reader builds
    wheel.mkdir()
    (wheel / "pyproject.toml").write_text("[project]\nname = 'aa'\nversion = '1.0'\n")
    assert fresh([str(lockfile)], target(env)) == [(None, "1.0")]
    assert lockcache.recall([str(lockfile)], [], target(env)) is None


@pytest.mark.parametrize("how", ["new config file", "edited constraint file"])
def test_a_configured_constraint_is_seen_after_a_no_op(
    tmp_path: Path, env: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """pip's configured constraints hold for a lock: a no-op remembered before a constraint
    appears (a new pip config file, or an edit of the configured file) must not hide it."""
    w = tmp_path / "w"
    lockfile = write(tmp_path / "lock.txt", f"{make_wheel(w, 'aa', '1.0')}\n")
    constraints = write(tmp_path / "constraints.txt", "bb<9\n")
    config = tmp_path / "xdg" / "pip" / "pip.conf"
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if how == "edited constraint file":
        config.parent.mkdir(parents=True)
        write(config, f"[global]\nconstraint = {constraints}\n")
    assert engine.sync(env, lockfile).added == [("aa", "1.0")]
    assert not engine.sync(env, lockfile)
    assert len(records(cache)) == 1
    if how == "new config file":
        config.parent.mkdir(parents=True)
        write(config, f"[global]\nconstraint = {constraints}\n")
        write(constraints, "aa<1\n")
    else:
        write(constraints, "aa<1\n", age=30.0)
    with pytest.raises(Exception, match=r"constraints\.txt:1"):
        engine.sync(env, lockfile)


def test_the_lock_recalled_is_the_lock_a_fresh_read_gives(
    tmp_path: Path, env: Path, cache: Path
) -> None:
    """Every field of every pin and the file options come back as read: what create -r
    installs from without parsing."""
    w = tmp_path / "w"
    aa, bb = make_wheel(w, "aa", "1.0"), make_wheel(w, "bb_x", "2.0")
    digest = "0" * 64
    text = (
        f"--find-links {w}\n--only-binary :all:\n--no-binary cc\n--prefer-binary\n"
        f"{aa} --hash=sha256:{digest}\n"
        f"bb-x @ {bb.as_uri()} --hash=sha256:{digest}\n"
        f"dd[one,two]==3.0 ; python_version > '3' --hash=sha256:{digest} --hash=sha384:{'1' * 96}\n"
        f"ee==4.0 ; python_version < '3' --hash=sha256:{digest}\n"
    )
    lockfile = write(tmp_path / "lock.txt", text)
    paths = [str(lockfile)]
    before = lockcache.stats(paths)
    lock = read_lock(paths, [], target(env))
    assert [pin.name for pin in lock.pins] == ["aa", "bb-x", "dd"]
    lockcache.remember(paths, [], target(env), lock, ["a warning"], before)
    recalled = lockcache.recall_lock(paths, [], target(env))
    assert recalled is not None
    assert recalled == (lock, ["a warning"])
    assert recalled[0].pins[2].extras == ("one", "two")
    assert recalled[0].options.only_binary == {":all:"}


def test_every_env_of_an_interpreter_shares_the_record(
    tmp_path: Path, env: Path, cache: Path
) -> None:
    # A new env's path is not known before it is built: its facts key the record, not it.
    lockfile = write(tmp_path / "lock.txt", f"{make_wheel(tmp_path / 'w', 'aa')}\n")
    engine.sync(env, lockfile)
    other = tmp_path / "other"
    burrow("create", str(other), "-q", "--without-pip")
    assert target(other).executable != target(env).executable
    assert lockcache.recall([str(lockfile)], [], target(other)) == ([("aa", "1.0")], [])
    assert records(cache) and len(records(cache)) == 1


def test_create_from_a_remembered_index_lock_imports_no_packaging(
    tmp_path: Path, cache: Path
) -> None:
    """Pins of an index (what `uv pip compile` writes): a warm create -r ranks the wheels
    it downloaded before by the tags kept per interpreter, with no packaging import."""
    from localindex import sha256

    w = tmp_path / "w"
    files = [make_wheel(w, "aa", "1.0"), make_wheel(w, "bb", "2.0")]
    pins = "".join(f"{f.name.split('-')[0]}=={f.name.split('-')[1]} --hash=sha256:{sha256(f)}\n"
                   for f in files)  # fmt: skip
    lockfile = write(tmp_path / "lock.txt", f"--find-links {w}\n{pins}")
    burrow("create", str(tmp_path / "one"), "-q", "--without-pip", "-r", str(lockfile))
    proc = subprocess.run(
        [sys.executable, "-c", REPORT, "create", "-q", "--without-pip", str(tmp_path / "two"),
         "-r", str(lockfile)],
        env=burrow_env(),
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    modules = set(proc.stderr.split())
    assert "burrow.packages.lockcache" in modules and "burrow.packages.fetch" in modules
    # The bare `packaging` package (its version string keys the kept ranks) imports nothing.
    assert not {m for m in modules if m.startswith(("packaging.", "resolvelib"))}
    for name in ("one", "two"):
        site = next((tmp_path / name).glob("lib/python*/site-packages"))
        assert {"aa-1.0.dist-info", "bb-2.0.dist-info"} <= {p.name for p in site.iterdir()}


def test_create_from_a_remembered_lock_parses_nothing(tmp_path: Path, cache: Path) -> None:
    """A warm create -r of an unchanged lock: no lock parser, packaging nor resolver, and
    the same env as when the lock was read."""
    w = tmp_path / "w"
    head = "#\n# This file is autogenerated by pip-compile with Python 3.6\n#\n"
    text = head + f"{make_wheel(w, 'aa', '1.0')}\n{make_wheel(w, 'bb', '2.0').as_uri()}\n"
    lockfile = write(tmp_path / "lock.txt", text)
    first = burrow("create", str(tmp_path / "one"), "-q", "-r", str(lockfile))
    assert len(records(cache)) == 1
    proc = subprocess.run(
        [sys.executable, "-c", REPORT, "create", "-q", str(tmp_path / "two"), "-r", str(lockfile)],
        env=burrow_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    warning, _, report = proc.stderr.rpartition("\n")
    assert warning + "\n" == first.stderr
    assert "was made for Python 3.6" in first.stderr
    modules = set(report.split())
    assert "burrow.packages.lockcache" in modules  # it took this path
    parsers = {"burrow.packages.lockfile", "packaging", "resolvelib", "installer"}
    assert not {m.split(".")[0] for m in modules} & parsers
    assert not modules & parsers
    installed = [
        sorted(p.name for p in site.iterdir() if p.name.startswith(("aa", "bb")))
        for site in (
            next((tmp_path / name).glob("lib/python*/site-packages")) for name in ("one", "two")
        )
    ]
    assert installed[0] == installed[1] == ["aa", "aa-1.0.dist-info", "bb", "bb-2.0.dist-info"]
