"""`burrow check [--fix]` on envs broken the way upgrades break them, with real interpreters."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from helpers import burrow, copy_interpreter, run_in

MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture
def home(tmp_path: Path) -> Dict[str, str]:
    return {"BURROW_HOME": str(tmp_path / "home"), "WORKON_HOME": ""}


@pytest.fixture
def python_copy(tmp_path: Path) -> Path:
    """A private copy (hard links) of the running interpreter's installation."""
    return copy_interpreter(sys.executable, tmp_path / "python-copy")[0]


def site_packages(env: Path) -> Path:
    return next((env / "lib").glob("python*/site-packages"))


def check(env: Path, *args: str, home: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    return burrow("check", str(env), *args, env=home, check=False)


def test_healthy(tmp_path: Path, home: Dict[str, str]) -> None:
    burrow("create", "-q", "--without-pip", str(tmp_path / "env"))
    result = check(tmp_path / "env", home=home)
    assert result.returncode == 0 and result.stdout.strip().endswith(": ok")


def test_interpreter_gone_is_relinked_keeping_packages(
    tmp_path: Path, python_copy: Path, home: Dict[str, str]
) -> None:
    env = tmp_path / "project" / ".venv"
    burrow("create", "-q", "--without-pip", "-p", str(python_copy), str(env))
    (site_packages(env) / "kept_module.py").write_text("VALUE = 42\n")
    shutil.move(str(python_copy.parent.parent), str(tmp_path / "python-moved"))

    broken = check(env, "--json", home=home)
    assert broken.returncode == 1
    codes = [p["code"] for p in json.loads(broken.stdout)[0]["problems"]]
    assert "interpreter-gone" in codes and "dangling-links" in codes
    listed = json.loads(burrow("list", "--json", env=home, cwd=env.parent).stdout)
    assert listed[0]["health"] == "interpreter-gone"

    fixed = check(env, "--fix", home=home)
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed" in fixed.stdout and "re-linked to CPython" in fixed.stdout
    assert run_in(env, "import kept_module; print(kept_module.VALUE)").strip() == "42"
    cfg = dict(line.split(" = ", 1) for line in (env / "pyvenv.cfg").read_text().splitlines())
    assert "python-copy" not in cfg["home"] and "python-copy" not in cfg["executable"]
    assert "python-copy" in cfg["command"]  # how it was made is still on record
    assert check(env, home=home).returncode == 0


def test_patch_version_change_is_rewritten(tmp_path: Path, home: Dict[str, str]) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", "--without-pip", "--prompt", "keep me", str(env))
    cfg = env / "pyvenv.cfg"
    real = ".".join(map(str, sys.version_info[:3]))
    cfg.write_text(cfg.read_text().replace(f"version = {real}", f"version = {MINOR}.0rc9"))
    before = check(env, home=home)
    assert before.returncode == 1 and "version-changed" in before.stdout
    assert check(env, "--fix", home=home).returncode == 0
    text = cfg.read_text()
    assert f"version = {real}" in text and "prompt = 'keep me'" in text


def test_fix_keeps_keys_other_tools_wrote(tmp_path: Path, home: Dict[str, str]) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", "--without-pip", str(env))
    cfg = env / "pyvenv.cfg"
    real = ".".join(map(str, sys.version_info[:3]))
    text = cfg.read_text().replace(f"version = {real}", f"version = {MINOR}.0rc9")
    cfg.write_text(text + f"uv = 0.4.0\nversion_info = {MINOR}.0rc9\n")
    assert check(env, "--fix", home=home).returncode == 0
    lines = cfg.read_text().splitlines()
    assert "uv = 0.4.0" in lines
    assert f"version_info = {real}" in lines
    assert f"version = {real}" in lines


def test_missing_config_is_rewritten(tmp_path: Path, home: Dict[str, str]) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", "--without-pip", str(env))
    (env / "pyvenv.cfg").unlink()
    refused = burrow("run", "-e", str(env), "python", check=False)
    assert refused.returncode == 1 and "is not a virtual environment" in refused.stderr
    assert "health:               no-config" in burrow("info", str(env)).stdout
    before = check(env, home=home)
    assert before.returncode == 1 and "no-config" in before.stdout
    assert check(env, "--fix", home=home).returncode == 0
    assert run_in(env, "import sys; print(sys.prefix != sys.base_prefix)").strip() == "True"


def test_malformed_config(tmp_path: Path, home: Dict[str, str]) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", "--without-pip", str(env))
    (env / "pyvenv.cfg").write_text("this is not a config\n")
    result = check(env, home=home)
    assert result.returncode == 1 and "bad-config" in result.stdout


def test_minor_change_without_match_says_how_to_recreate(
    tmp_path: Path, home: Dict[str, str]
) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", "--without-pip", str(env))
    cfg = env / "pyvenv.cfg"
    real = ".".join(map(str, sys.version_info[:3]))
    cfg.write_text(cfg.read_text().replace(f"version = {real}", "version = 3.99.0"))
    site_packages(env).parent.rename(env / "lib" / "python3.99")
    result = check(env, "--fix", home=home)
    assert result.returncode == 1
    assert "version-changed" in result.stdout
    assert "cannot fix" in result.stderr
    assert "--requirements > requirements.txt" in result.stderr
    assert "burrow create --clear" in result.stderr
    assert "version = 3.99.0" in cfg.read_text()  # nothing was changed


def test_check_all(tmp_path: Path, home: Dict[str, str]) -> None:
    burrow("create", "-q", "--without-pip", "-n", "good", env=home)
    burrow("create", "-q", "--without-pip", "-n", "bad", env=home)
    (tmp_path / "home" / "bad" / "bin" / "python").unlink()
    result = burrow("check", "--all", env=home, cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert "good: ok" in result.stdout and "bad: no-python" in result.stdout


def test_check_all_and_list_see_the_same_envs_once(tmp_path: Path, home: Dict[str, str]) -> None:
    """A project's .venv that is a link to a named env is that env, for list and check alike."""
    burrow("create", "-q", "--without-pip", "-n", "web", env=home)
    burrow("create", "-q", "--without-pip", "-n", "other", env=home)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".venv").symlink_to(tmp_path / "home" / "web")
    listed = json.loads(burrow("list", "--json", env=home, cwd=project).stdout)
    checked = json.loads(burrow("check", "--all", "--json", env=home, cwd=project).stdout)
    assert [r["path"] for r in listed] == [r["path"] for r in checked]
    assert [r["name"] for r in listed] == ["other", "web"]
    assert all(r["health"] == "ok" and r["problems"] == [] for r in checked)
    # a project env of its own is the last row of both
    (project / ".venv").unlink()
    burrow("create", "-q", "--without-pip", str(project / ".venv"), env=home)
    listed = json.loads(burrow("list", "--json", env=home, cwd=project).stdout)
    checked = json.loads(burrow("check", "--all", "--json", env=home, cwd=project).stdout)
    assert [r["path"] for r in listed] == [r["path"] for r in checked]
    assert listed[-1]["path"] == str(project / ".venv") and listed[-1]["project"] is True
