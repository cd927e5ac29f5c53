"""An env made by burrow is indistinguishable from `python -m venv`'s, to Python itself.

For each CPython 3.8 to 3.13 on the machine, make one env with each tool and compare
what the interpreter reports from inside both, with the env's own path abstracted away.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import burrow, wheel_dir_with
from pythons import MATRIX, debian_python, require_python

REPORT = r"""
import json, os, site, sys, sysconfig
env = sys.argv[1]
def rel(value):
    if isinstance(value, str):
        value = value.replace(os.path.realpath(env), "<ENV>").replace(env, "<ENV>")
    return value
scheme = sysconfig.get_default_scheme() if hasattr(sysconfig, "get_default_scheme") else None
print(json.dumps({
    "prefix": rel(sys.prefix),
    "exec_prefix": rel(sys.exec_prefix),
    "base_prefix": sys.base_prefix,
    "base_exec_prefix": sys.base_exec_prefix,
    "in_venv": sys.prefix != sys.base_prefix,
    "default_scheme": scheme,
    "paths": {k: rel(v) for k, v in sysconfig.get_paths().items()},
    "site_packages": [rel(p) for p in site.getsitepackages()],
    "user_site_enabled": site.ENABLE_USER_SITE,
    "sys_path": [rel(p) for p in sys.path],
    "executable": rel(sys.executable),
    "version": list(sys.version_info),
}, sort_keys=True))
"""


def report(env: Path) -> dict[str, object]:
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-c", REPORT, str(env)],
        capture_output=True,
        text=True,
        check=False,
        cwd=env.parent,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def tree(env: Path) -> set[str]:
    """Directories and python links, minus what only one tool writes by design."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(env):
        rel = os.path.relpath(dirpath, env)
        if "__pycache__" in rel:
            continue
        out.update(os.path.normpath(os.path.join(rel, d)) for d in dirnames)
        out.update(
            os.path.normpath(os.path.join(rel, f)) for f in filenames if f.startswith("python")
        )
    return out


def make_pair(python: str, tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    ours, theirs = tmp_path / "burrow-env", tmp_path / "venv-env"
    burrow("create", str(ours), "-p", python, "--without-pip", *extra)
    subprocess.run([python, "-m", "venv", "--without-pip", *extra, str(theirs)], check=True)
    return ours, theirs


def compare(ours: Path, theirs: Path) -> None:
    a, b = report(ours), report(theirs)
    a_paths = a.pop("sys_path")
    b_paths = b.pop("sys_path")
    assert a == b
    # The current directory differs (cwd is each env's parent): compare the rest.
    assert [p for p in a_paths if p] == [p for p in b_paths if p]


@pytest.mark.slow
@pytest.mark.parametrize("minor", MATRIX)
def test_same_as_venv(minor: str, tmp_path: Path) -> None:
    python = require_python(minor)
    ours, theirs = make_pair(python, tmp_path)
    compare(ours, theirs)
    extra = {"python" + minor}  # venv of 3.8 does not make python3.8; burrow always does
    assert tree(ours) - extra == tree(theirs) - extra


@pytest.mark.slow
@pytest.mark.parametrize("minor", ["3.8", "3.13"])
def test_same_as_venv_with_system_site_packages(minor: str, tmp_path: Path) -> None:
    python = require_python(minor)
    compare(*make_pair(python, tmp_path, "--system-site-packages"))


@pytest.mark.slow
@pytest.mark.parametrize("minor", MATRIX)
def test_pip_works_in_every_python(minor: str, tmp_path: Path) -> None:
    python = require_python(minor)
    env = tmp_path / "env"
    burrow("create", str(env), "-p", python)
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(env) in proc.stdout and f"(python {minor})" in proc.stdout
    pip3x = env / "bin" / f"pip{minor}"
    assert (
        subprocess.run([str(pip3x), "--version"], capture_output=True, check=False).returncode == 0
    )


def test_debian_system_python_if_present(tmp_path: Path) -> None:
    """Debian's python3 may have no venv or ensurepip module: burrow needs neither."""
    python = debian_python()
    if python is None:
        pytest.skip("no Debian system python3 here")
    env = tmp_path / "env"
    # A pip wheel from this machine's interpreters: the system may ship none of its own.
    links = wheel_dir_with(tmp_path)
    burrow("create", str(env), "-p", python, env={"PIP_FIND_LINKS": str(links)})
    prefix = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(prefix) == env
    proc = subprocess.run([str(env / "bin" / "pip"), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
