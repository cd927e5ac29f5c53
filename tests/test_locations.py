"""Where interpreters live, read without running any: every "interpreter" here is a script
that leaves a mark if it is ever run, in PATH/pyenv/uv/asdf/mise trees built in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from burrow import locations
from burrow.errors import InterpreterError

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX install layouts and shims")


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "canary"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home, also the working directory, so no .python-version leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    return home


def executable(path: Path, canary: Path, extra: str = "") -> Path:
    """A stand-in interpreter (or shim) that leaves a line in ``canary`` if run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\n{extra}echo "$0" >> "{canary}"\nexit 3\n', encoding="utf-8")
    path.chmod(0o755)
    return path


def environ(home: Path, *path: Path, **extra: str) -> Dict[str, str]:
    """Sees only what the test built: no real PATH, HOME or version managers."""
    return {"HOME": str(home), "PATH": os.pathsep.join(map(str, path)), **extra}


def seen(found: List[locations.Candidate]) -> List[Tuple[str, str, object]]:
    """(source, path, version its name gives) per candidate."""
    return [(c.source, c.path, c.guess.version if c.guess else None) for c in found]


def test_every_source_in_order(home: Path, tmp_path: Path, canary: Path) -> None:
    bin_dir = tmp_path / "bin"
    on_path = executable(bin_dir / "python3.12", canary)
    executable(bin_dir / "python3.12-config", canary)  # not an interpreter's name
    pyenv = executable(tmp_path / "pyenv/versions/3.11.9/bin/python3", canary)
    uv_dir = tmp_path / "uv/cpython-3.13.0-linux-x86_64-gnu"
    uv = executable(uv_dir / "bin/python3", canary)
    (tmp_path / "uv/cpython-3.13-linux-x86_64-gnu").symlink_to(uv_dir)  # uv's minor link
    asdf = executable(tmp_path / "asdf/installs/python/3.10.14/bin/python3", canary)
    mise = executable(tmp_path / "mise/installs/python/pypy3.10-7.3.15/bin/pypy3", canary)
    env = environ(
        home,
        bin_dir,
        PYENV_ROOT=str(tmp_path / "pyenv"),
        UV_PYTHON_INSTALL_DIR=str(tmp_path / "uv"),
        ASDF_DATA_DIR=str(tmp_path / "asdf"),
        MISE_DATA_DIR=str(tmp_path / "mise"),
    )
    found = locations.candidates(env)
    assert seen(found) == [
        ("PATH", str(on_path), (3, 12)),
        ("pyenv", str(pyenv), (3, 11, 9)),
        ("uv", str(uv), (3, 13, 0)),  # once: the minor link is the same install
        ("asdf", str(asdf), (3, 10, 14)),
        ("mise", str(mise), (3, 10)),
    ]
    assert found[4].guess is not None and found[4].guess.implementation == "pypy"
    assert not canary.exists(), "a candidate was run"


def test_one_candidate_per_real_file(home: Path, tmp_path: Path, canary: Path) -> None:
    """A PATH entry linking into pyenv's installs is that install, listed once, as pyenv's."""
    bin_dir = executable(tmp_path / "pyenv/versions/3.12.1/bin/python3", canary).parent
    other = tmp_path / "bin"
    other.mkdir()
    (other / "python3").symlink_to(bin_dir / "python3")
    found = locations.candidates(environ(home, bin_dir, other, PYENV_ROOT=str(tmp_path / "pyenv")))
    assert seen(found) == [("pyenv", str(bin_dir / "python3"), (3,))]
    assert not canary.exists()


def test_which_resolves_a_shim_without_running_it(home: Path, tmp_path: Path, canary: Path) -> None:
    pyenv = tmp_path / "pyenv"
    installed = executable(pyenv / "versions/3.12.1/bin/python3", canary)
    executable(pyenv / "shims/python3", canary, extra=f'export PYENV_ROOT="{pyenv}"\nexec x\n')
    env = environ(home, pyenv / "shims", PYENV_ROOT=str(pyenv), PYENV_VERSION="3.12")
    assert locations.which(env, "python3") == str(installed)
    assert locations.which(env, "python3.99") is None
    assert locations.interpreter_at(env, str(pyenv / "shims/python3")) == str(installed)
    assert not canary.exists(), "a shim or an interpreter was run"


def test_interpreter_at_a_path(home: Path, tmp_path: Path, canary: Path) -> None:
    env = environ(home)
    install = executable(home / "py/bin/python3", canary).parent.parent
    assert locations.interpreter_at(env, "~/py") == str(install / "bin/python3")
    assert locations.interpreter_at(env, str(install / "bin/python3")) == str(
        install / "bin/python3"
    )
    with pytest.raises(InterpreterError, match="a directory with no Python interpreter in it"):
        locations.interpreter_at(env, str(install / "bin"))
    assert not canary.exists()


def test_a_shim_for_nothing_installed(home: Path, tmp_path: Path, canary: Path) -> None:
    pyenv = tmp_path / "pyenv"
    shim = executable(pyenv / "shims/python3", canary, extra='export PYENV_ROOT="x"\nexec x\n')
    env = environ(home, PYENV_ROOT=str(pyenv), PYENV_VERSION="3.12")
    with pytest.raises(InterpreterError) as caught:
        locations.interpreter_at(env, str(shim))
    assert str(caught.value) == f"{shim} is a pyenv shim for no installed interpreter"
    assert not canary.exists()
