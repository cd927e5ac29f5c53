"""Interpreter discovery: against the real interpreters on this machine
(found at test time, never named here) and fake pyenv/uv/asdf/mise trees built in tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from burrow import discovery, interpreter, windows_registry
from burrow.discovery import Found, find_python
from burrow.errors import InterpreterError
from burrow.interpreter import PythonInfo
from burrow.spec import parse_name

POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="POSIX install layouts and shims")


@pytest.fixture(scope="module")
def _module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interpreter-cache")


@pytest.fixture(autouse=True)
def _scratch_cache(_module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Facts learnt here go to a scratch cache, shared by this module's tests only."""
    monkeypatch.setenv("BURROW_CACHE_DIR", str(_module_cache))


@pytest.fixture(scope="module")
def real() -> PythonInfo:
    """The (base) interpreter running the tests, with its facts."""
    base = os.path.realpath(interpreter.current().base_executable)
    return interpreter.inspect(base)


def minor(info: PythonInfo) -> str:
    return "{}.{}".format(*info.version[:2])


def link(target: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def script(path: Path, text: str, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def canary_script(canary: Path, extra: str = "") -> str:
    """A shim stand-in that leaves a file behind if anything ever runs it."""
    return f'#!/bin/sh\n{extra}echo ran >> "{canary}"\nexit 3\n'


def fake_env(home: Path, *path: Path, **extra: str) -> Dict[str, str]:
    """An environment that sees only what the test built: no real PATH, HOME or managers."""
    env = {"HOME": str(home), "PATH": os.pathsep.join(str(p) for p in path)}
    env.update(extra)
    return env


def by_path(found: List[Found]) -> Dict[str, Found]:
    return {f.path: f for f in found}


def real_paths(found: List[Found]) -> List[str]:
    return [os.path.realpath(f.path) for f in found]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home; the working directory moves there so no .python-version leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    return home


def test_py_launcher_output() -> None:
    modern = (
        " -V:3.13t         C:\\Python313\\python3.13t.exe\n"
        " -V:3.12 *        C:\\Program Files\\Python312\\python.exe\n"
        " -V:ContinuumAnalytics/Anaconda39-64 C:\\Anaconda3\\python.exe\n"
        "  *               C:\\work\\.venv\\Scripts\\python.exe\n"
    )
    assert windows_registry.parse_py_list_paths(modern) == [
        ("C:\\Python313\\python3.13t.exe", "3.13t"),
        ("C:\\Program Files\\Python312\\python.exe", "3.12"),
        ("C:\\Anaconda3\\python.exe", None),
    ]
    legacy = (
        "Installed Pythons found by py Launcher for Windows\n -3.9-64 *  C:\\Py39\\python.exe\n"
    )
    assert windows_registry.parse_py_list_paths(legacy) == [("C:\\Py39\\python.exe", "3.9-64")]
    guess = parse_name("3.9-64", "cpython")
    assert guess is not None and guess.version == (3, 9)


@pytest.mark.skipif(sys.platform == "win32", reason="finds nothing only off Windows")
def test_windows_sources_are_empty_elsewhere() -> None:
    assert windows_registry.registry_pythons() == []
    assert windows_registry.py_launcher_pythons(os.environ) == []


# --- the real interpreters of this machine -----------------------------------------------


def test_default_is_the_running_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BURROW_PYTHON", raising=False)
    assert find_python(None) == interpreter.current()
    assert find_python(None, environ={}) == interpreter.current()


def test_burrow_python_is_the_default_spec(real: PythonInfo, home: Path) -> None:
    env = fake_env(home, BURROW_PYTHON=real.executable)
    assert find_python(None, env).version == real.version


def test_finds_the_interpreter_running_the_tests(real: PythonInfo, home: Path) -> None:
    env = fake_env(home, Path(real.executable).parent)
    found = discovery.discover(env)
    assert os.path.realpath(real.executable) in real_paths(found)
    mine = [f for f in found if os.path.realpath(f.path) == os.path.realpath(real.executable)]
    assert mine[0].source == "PATH"
    assert mine[0].info is not None and mine[0].info.version == real.version
    assert find_python(minor(real), env).version == real.version


def _pyenv_root() -> Optional[Path]:
    """This machine's pyenv, read here independently of discovery."""
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = out.stdout.strip()
    return Path(root) if root and (Path(root) / "versions").is_dir() else None


def _real_pyenv_versions() -> Dict[str, Path]:
    """{'3.12.1': <its python>, ...} for this machine's plain X.Y.Z pyenv versions."""
    root = _pyenv_root()
    found = {}
    if root is not None:
        for version in sorted(os.listdir(root / "versions")):
            executable = root / "versions" / version / "bin" / "python"
            parts = version.split(".")
            if len(parts) == 3 and all(p.isdigit() for p in parts) and executable.exists():
                found[version] = executable
    return found


def test_real_machine(real: PythonInfo) -> None:
    """Everything discovery reports about this machine agrees with what is on disk."""
    found = discovery.discover()
    assert found, "no interpreter at all on this machine?"
    reals = real_paths(found)
    assert len(reals) == len(set(reals)), "one entry per real interpreter"
    for item in found:
        assert (item.info is None) != (item.problem is None)
        assert item.problem is None or "\n" not in item.problem
        assert "shims" not in Path(item.path).parts, "a shim was listed instead of resolved"
    for name in ("python3", "python"):
        on_path = shutil.which(name)
        if on_path and "shims" not in Path(on_path).parts:
            assert os.path.realpath(on_path) in reals
    for version, executable in _real_pyenv_versions().items():
        hits = [f for f in found if os.path.realpath(f.path) == os.path.realpath(executable)]
        assert hits, f"pyenv {version} not found"
        assert hits[0].source == "pyenv"
        if tuple(map(int, version.split("."))) >= interpreter.MINIMUM_VERSION:
            assert hits[0].info is not None and hits[0].info.version_str == version
        else:
            assert hits[0].problem is not None and "needs Python 3.8" in hits[0].problem


def test_real_newest_wins() -> None:
    usable = [
        f.info
        for f in discovery.discover()
        if f.info and not f.info.free_threaded and f.info.release[0] == "final"
    ]
    newest = max(usable, key=lambda info: info.version)
    assert find_python("3").version == newest.version
    same_minor = max(
        (i for i in usable if i.version[:2] == newest.version[:2]), key=lambda i: i.version
    )
    assert find_python(minor(newest)).version == same_minor.version
    assert find_python(f"cpython{minor(newest)}").version == same_minor.version


def test_warm_version_spec_starts_no_process(
    real: PythonInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = minor(real)
    first = find_python(spec)

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a warm find_python started a process: {args}")

    monkeypatch.setattr(subprocess.Popen, "__init__", no_process)
    assert find_python(spec) == first


def test_real_error_lists_what_was_found() -> None:
    with pytest.raises(InterpreterError) as caught:
        find_python("3.99")
    message = str(caught.value)
    assert message.startswith("no interpreter matches '3.99' (found: ")
    usable = {f.info.version_str for f in discovery.discover() if f.info}
    assert all(version in message for version in usable)
    assert "\n" not in message


def test_python_list_rows(real: PythonInfo, home: Path) -> None:
    bin_dir = home / "bin"
    link(real.executable, bin_dir / "python3")
    script(bin_dir / "python", "#!/bin/sh\necho not python\n")
    rows = discovery.python_list_rows(fake_env(home, bin_dir))
    by = {Path(row.path).name: row for row in rows}
    assert by["python3"].usable is True
    assert by["python3"].version == real.version_str
    assert by["python3"].implementation == real.implementation
    assert by["python3"].architecture
    assert by["python3"].problem is None
    assert by["python"].usable is False
    assert "not a working Python interpreter" in str(by["python"].problem)


# --- fake install trees ------------------------------------------------------------------


@pytest.fixture
def pyenv(tmp_path: Path, real: PythonInfo) -> Path:
    """A pyenv root: versions/<real version>/bin -> the real interpreter, and shims that
    must never run."""
    root = tmp_path / "pyenv"
    bin_dir = root / "versions" / real.version_str / "bin"
    for name in ("python", "python3", f"python{minor(real)}"):
        link(real.executable, bin_dir / name)
        script(root / "shims" / name, canary_script(tmp_path / "canary", 'export PYENV_ROOT="x"\n'))
    return root


@POSIX_ONLY
def test_pyenv_shims_resolved_never_run(
    pyenv: Path, real: PythonInfo, home: Path, tmp_path: Path
) -> None:
    env = fake_env(home, pyenv / "shims", PYENV_ROOT=str(pyenv), PYENV_VERSION=real.version_str)
    found = discovery.discover(env)
    assert [f.source for f in found] == ["pyenv"]
    assert Path(found[0].path).parent == pyenv / "versions" / real.version_str / "bin"
    assert found[0].info is not None and found[0].info.version == real.version
    for spec in ("python3", minor(real), "3", str(pyenv / "shims" / "python3")):
        info = find_python(spec, env)
        assert Path(info.executable).parent == pyenv / "versions" / real.version_str / "bin"
    discovery.python_list_rows(env)
    assert not (tmp_path / "canary").exists(), "a pyenv shim was executed"


@POSIX_ONLY
def test_pyenv_version_bin_on_path_is_labelled_pyenv(
    pyenv: Path, real: PythonInfo, home: Path
) -> None:
    """pyenv puts the selected version's bin on PATH for what it runs: still a pyenv install."""
    bin_dir = pyenv / "versions" / real.version_str / "bin"
    found = discovery.discover(fake_env(home, bin_dir, PYENV_ROOT=str(pyenv)))
    assert [(f.source, Path(f.path).parent) for f in found] == [("pyenv", bin_dir)]


@POSIX_ONLY
def test_pyenv_selection(pyenv: Path, real: PythonInfo, home: Path, tmp_path: Path) -> None:
    """Which version a shim means: PYENV_VERSION, .python-version, root/version, 'system'."""
    system = home / "system-bin"
    link(real.executable, system / "python3")
    env = fake_env(home, pyenv / "shims", system, PYENV_ROOT=str(pyenv))
    pyenv_bin = pyenv / "versions" / real.version_str / "bin"

    assert Path(find_python("python3", env).executable).parent == system  # no version: system
    (pyenv / "version").write_text(f"{real.version_str}\n")
    assert Path(find_python("python3", env).executable).parent == pyenv_bin
    (home / ".python-version").write_text("system\n")
    assert Path(find_python("python3", env).executable).parent == system
    env["PYENV_VERSION"] = minor(real)  # a prefix: the newest installed match
    assert Path(find_python("python3", env).executable).parent == pyenv_bin
    assert not (tmp_path / "canary").exists()


@POSIX_ONLY
def test_pyenv_shim_found_by_content(
    pyenv: Path, real: PythonInfo, home: Path, tmp_path: Path
) -> None:
    """A pyenv shim copied elsewhere on PATH is recognised by what it says, and not run."""
    elsewhere = home / "bin"
    script(
        elsewhere / "python3",
        f'#!/usr/bin/env bash\nexport PYENV_ROOT="{pyenv}"\necho ran >> "{tmp_path / "canary"}"\n'
        f'exec "{pyenv}/libexec/pyenv" exec "python3" "$@"\n',
    )
    env = fake_env(home, elsewhere, PYENV_VERSION=real.version_str)
    info = find_python("python3", env)
    assert Path(info.executable).parent == pyenv / "versions" / real.version_str / "bin"
    assert [f.source for f in discovery.discover(env)] == ["pyenv"]
    assert not (tmp_path / "canary").exists()


def test_names_only_order_the_work(real: PythonInfo, home: Path, tmp_path: Path) -> None:
    """A misnamed install is judged by what it reports once run."""
    root = tmp_path / "pyenv"
    link(real.executable, root / "versions" / "3.99.0" / "bin" / "python3")
    env = fake_env(home, PYENV_ROOT=str(root))
    (found,) = discovery.discover(env)
    assert found.info is not None and found.info.version == real.version
    with pytest.raises(InterpreterError) as caught:
        find_python("3.99", env)
    assert str(caught.value) == f"no interpreter matches '3.99' (found: {real.version_str})"


@POSIX_ONLY
def test_uv_layout(real: PythonInfo, home: Path, tmp_path: Path) -> None:
    name = f"cpython-{real.version_str}-linux-x86_64-gnu"
    uv = home / ".local" / "share" / "uv" / "python"
    link(real.executable, uv / name / "bin" / "python3")
    (uv / f"cpython-{minor(real)}-linux-x86_64-gnu").symlink_to(name)  # uv's minor link
    (uv / ".lock").write_text("")
    (uv / ".cache").mkdir()
    found = discovery.discover(fake_env(home))
    assert [(f.source, Path(f.path).parent.parent.name) for f in found] == [("uv", name)]
    assert find_python(f"cpython{minor(real)}", fake_env(home)).version == real.version

    moved = tmp_path / "uv-pythons"
    (uv).rename(moved)
    assert discovery.discover(fake_env(home)) == []
    env = fake_env(home, UV_PYTHON_INSTALL_DIR=str(moved))
    assert [f.source for f in discovery.discover(env)] == ["uv"]


@POSIX_ONLY
def test_asdf_layout(real: PythonInfo, home: Path, tmp_path: Path) -> None:
    asdf = home / ".asdf"
    link(real.executable, asdf / "installs" / "python" / real.version_str / "bin" / "python3")
    script(
        asdf / "shims" / "python3",
        f"#!/usr/bin/env bash\n# asdf-plugin: python {real.version_str}\n"
        + canary_script(tmp_path / "canary", "").split("\n", 1)[1]
        + 'exec asdf exec "python3" "$@"\n',
    )
    env = fake_env(home, asdf / "shims")
    found = discovery.discover(env)
    assert [f.source for f in found] == ["asdf"]
    assert "installs" in Path(found[0].path).parts
    info = find_python("python3", env)
    assert "installs" in Path(info.executable).parts
    assert [f.source for f in discovery.discover(fake_env(tmp_path, ASDF_DATA_DIR=str(asdf)))] == [
        "asdf"
    ]
    assert not (tmp_path / "canary").exists()


@POSIX_ONLY
def test_mise_layout(real: PythonInfo, home: Path, tmp_path: Path) -> None:
    mise = home / ".local" / "share" / "mise"
    installs = mise / "installs" / "python"
    link(real.executable, installs / real.version_str / "bin" / "python3")
    (installs / minor(real)).symlink_to(real.version_str)  # mise's short-version link
    fake_mise = script(tmp_path / "tools" / "mise", canary_script(tmp_path / "canary"))
    link(str(fake_mise), mise / "shims" / "python3")
    link(str(fake_mise), home / "bin" / "python3")  # a shim is a link to mise, wherever it is
    env = fake_env(home, mise / "shims", home / "bin")
    found = discovery.discover(env)
    assert [f.source for f in found] == ["mise"]
    assert find_python("python3", env).version == real.version
    assert find_python("python3", fake_env(home, home / "bin")).version == real.version
    env = fake_env(tmp_path, MISE_DATA_DIR=str(mise))
    assert [f.source for f in discovery.discover(env)] == ["mise"]
    assert not (tmp_path / "canary").exists()


@POSIX_ONLY
def test_source_order_and_dedup(pyenv: Path, real: PythonInfo, home: Path) -> None:
    """PATH first, then pyenv, uv, asdf, mise; one entry per real interpreter."""
    bin_dir = home / "bin"
    link(real.executable, bin_dir / "python3")
    link(real.executable, bin_dir / f"python{minor(real)}")
    uv = home / ".local" / "share" / "uv" / "python"
    link(real.executable, uv / f"cpython-{real.version_str}-linux-x86_64-gnu" / "bin" / "python3")
    env = fake_env(home, bin_dir, PYENV_ROOT=str(pyenv))
    found = discovery.discover(env)
    assert [(f.source, Path(f.path).name) for f in found] == [("PATH", "python3")]
    assert find_python(minor(real), env).executable == str(bin_dir / "python3")


# --- broken interpreters -------------------------------------------------------------------


@POSIX_ONLY
def test_broken_interpreters_have_one_line_reasons(real: PythonInfo, home: Path) -> None:
    bin_dir = home / "bin"
    script(bin_dir / "python", "#!/bin/sh\necho 'I am not Python' >&2\nexit 1\n")
    link(str(home / "nowhere" / "python3"), bin_dir / "python3")  # dangling
    script(bin_dir / "python3.99", "#!/bin/sh\n", mode=0o644)  # not executable
    link(real.executable, bin_dir / f"python{minor(real)}")
    found = by_path(discovery.discover(fake_env(home, bin_dir)))
    reasons = {
        "python": "is not a working Python interpreter: I am not Python",
        "python3": "not found",
        "python3.99": "is not an executable file",
    }
    for name, reason in reasons.items():
        item = found[str(bin_dir / name)]
        assert item.info is None and item.problem is not None
        assert reason in item.problem and "\n" not in item.problem
        with pytest.raises(InterpreterError, match=reason):
            find_python(str(bin_dir / name), fake_env(home, bin_dir))
    assert found[str(bin_dir / f"python{minor(real)}")].info is not None
    # the broken ones do not stand in the way of a version spec
    assert find_python("3", fake_env(home, bin_dir)).version == real.version


@POSIX_ONLY
def test_broken_command(home: Path) -> None:
    bin_dir = home / "bin"
    script(bin_dir / "python3", "#!/bin/sh\nexit 1\n")
    with pytest.raises(InterpreterError, match=r"not a working Python interpreter \(exit code 1\)"):
        find_python("python3", fake_env(home, bin_dir))
    with pytest.raises(InterpreterError, match="neither a command on PATH nor a Python version"):
        find_python("no-such-python", fake_env(home, bin_dir))


def _too_old() -> List[Path]:
    return [
        executable
        for version, executable in _real_pyenv_versions().items()
        if tuple(map(int, version.split(".")))[:2] < interpreter.MINIMUM_VERSION
    ]


@POSIX_ONLY
def test_too_old_python(home: Path) -> None:
    old = _too_old()
    if not old:
        pytest.skip("no Python older than 3.8 on this machine")
    bin_dir = home / "bin"
    for executable in old:
        version = os.path.basename(executable.parent.parent)
        link(str(executable), bin_dir / f"python{version.rsplit('.', 1)[0]}")
    found = discovery.discover(fake_env(home, bin_dir))
    assert len(found) == len(old)
    for item in found:
        assert item.info is None and item.problem is not None
        assert "; burrow needs Python 3.8 or newer" in item.problem

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a refusal learnt once started a process again: {args}")

    with pytest.MonkeyPatch.context() as patch:  # too old is remembered like any fact
        patch.setattr(subprocess.Popen, "__init__", no_process)
        assert discovery.discover(fake_env(home, bin_dir)) == found
        assert interpreter.cached(old[0]) is None
    first = os.path.basename(old[0].parent.parent)
    with pytest.raises(InterpreterError, match=r"burrow needs Python 3\.8"):
        find_python(first.rsplit(".", 1)[0], fake_env(home, bin_dir))


def test_error_lists_found_versions(real: PythonInfo, home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    link(real.executable, root / "versions" / real.version_str / "bin" / "python3")
    env = fake_env(home, PYENV_ROOT=str(root))
    with pytest.raises(InterpreterError) as caught:
        find_python("3.99", env)
    assert str(caught.value) == f"no interpreter matches '3.99' (found: {real.version_str})"
    with pytest.raises(InterpreterError) as caught:
        find_python("pypy3.10", fake_env(home))
    assert str(caught.value) == "no interpreter matches 'pypy3.10' (found: none)"


def test_directory_as_path(real: PythonInfo, tmp_path: Path) -> None:
    install = tmp_path / "install"
    link(real.executable, install / "bin" / "python3")
    assert find_python(str(install)).version == real.version
    with pytest.raises(InterpreterError, match="no Python interpreter in it"):
        find_python(str(install / "bin"))


def test_found_is_read_only(real: PythonInfo) -> None:
    item = Found(path="/x/python3", source="PATH", info=real, problem=None)
    with pytest.raises(AttributeError):
        item.path = "/y"
    assert item == Found(path="/x/python3", source="PATH", info=real, problem=None)
    assert "source='PATH'" in repr(item)
