"""ENV resolution, list, info and remove, end to end through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict

import pytest
from helpers import burrow


@pytest.fixture
def home(tmp_path: Path) -> Dict[str, str]:
    """A private named-env home; the user's $WORKON_HOME never leaks in."""
    folder = tmp_path / "home"
    return {"BURROW_HOME": str(folder), "WORKON_HOME": str(tmp_path / "unused")}


def make(env: Dict[str, str], *args: str, cwd: Path | None = None) -> None:
    burrow("create", "-q", "--without-pip", *args, env=env, cwd=cwd)


# --- resolution ------------------------------------------------------------------------


def test_name_path_and_defaults(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "alpha")
    project = tmp_path / "project"
    (project / "src" / "deep").mkdir(parents=True)
    make(home, cwd=project)
    where = "import sys; print(sys.prefix)"
    named = burrow("run", "-e", "alpha", "python", "-c", where, env=home, cwd=tmp_path)
    assert named.stdout.strip() == str(tmp_path / "home" / "alpha")
    # No ENV: the nearest .venv from a subdirectory of the project.
    nearest = burrow("run", "python", "-c", where, env=home, cwd=project / "src" / "deep")
    assert nearest.stdout.strip() == str(project / ".venv")
    # $VIRTUAL_ENV wins over the .venv around.
    active = {**home, "VIRTUAL_ENV": str(tmp_path / "home" / "alpha")}
    assert burrow("run", "python", "-c", where, env=active, cwd=project).stdout.strip() == str(
        tmp_path / "home" / "alpha"
    )
    # A path (here relative, with a separator) is a path, not a name.
    info = burrow("info", "--json", "project/.venv", env=home, cwd=tmp_path)
    assert json.loads(info.stdout)["path"] == str(project / ".venv")


def test_existing_directory_is_a_path_before_a_name(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "web")
    (tmp_path / "web").mkdir()  # a project folder that happens to share the name
    result = burrow("info", "web", env=home, cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert "is not a virtual environment" in result.stderr
    # activate --name always means the home (what workon uses).
    assert "home/web/bin/activate" in burrow("activate", "--name", "web", env=home).stdout


def test_errors_say_what_was_looked_for(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "alpha")
    missing = burrow("info", "nope", env=home, cwd=tmp_path, check=False)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert "no environment named 'nope'" in missing.stderr
    assert str(tmp_path / "home") in missing.stderr and "alpha" in missing.stderr
    nothing = burrow("info", env=home, cwd=tmp_path, check=False)
    assert nothing.returncode == 1
    assert "$VIRTUAL_ENV is not set" in nothing.stderr and ".venv" in nothing.stderr
    stale = burrow(
        "info", env={**home, "VIRTUAL_ENV": str(tmp_path / "gone")}, cwd=tmp_path, check=False
    )
    assert "$VIRTUAL_ENV is" in stale.stderr and "gone" in stale.stderr


# --- list and info -----------------------------------------------------------------------


def test_list_named_and_project(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "beta")
    make(home, "-n", "alpha")
    (tmp_path / "home" / ".burrow-build-1-abcd").mkdir()  # a leftover: not an env
    project = tmp_path / "project"
    project.mkdir()
    make(home, cwd=project)
    rows = json.loads(burrow("list", "--json", env=home, cwd=project).stdout)
    assert [r["name"] for r in rows] == ["alpha", "beta", None]
    assert rows[2]["path"] == str(project / ".venv") and rows[2]["project"]
    for row in rows:
        assert row["health"] == "ok" and row["problems"] == []
        assert row["python"].count(".") == 2
        assert row["size"] >= row["own_size"] > 0
    text = burrow("list", env=home, cwd=project).stdout.splitlines()
    assert text[0].split() == ["NAME", "PYTHON", "SIZE", "HEALTH", "PATH"]
    assert text[1].startswith("alpha") and text[3].startswith(".venv")
    # WORKON_HOME alone is the home, so virtualenvwrapper's envs just appear.
    wrapper = {"WORKON_HOME": str(tmp_path / "home"), "BURROW_HOME": ""}
    names = burrow("list", "-q", env=wrapper, cwd=tmp_path).stdout.split()
    assert names == ["alpha", "beta"]


def test_list_shows_a_broken_env(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "broken")
    (tmp_path / "home" / "broken" / "bin" / "python").unlink()
    rows = json.loads(burrow("list", "--json", env=home, cwd=tmp_path).stdout)
    assert rows[0]["health"] == "no-python"


def test_info(tmp_path: Path, home: Dict[str, str]) -> None:
    burrow("create", "-q", "-n", "app", "--prompt", "my app", "--system-site-packages", env=home)
    data = json.loads(burrow("info", "app", "--json", env=home).stdout)
    assert data["prompt"] == "my app"
    assert data["system_site_packages"] is True
    assert "pip" in data["seeded"] and data["made_by"].startswith("burrow ")
    assert data["health"] == "ok" and data["python"]["version"]
    # Seeded pip is hard-linked from the cache: most of the size is not the env's own.
    assert data["size"] > data["own_size"]
    text = burrow("info", "app", env=home).stdout
    assert "prompt:" in text and "my app" in text and "health:" in text


# --- remove ---------------------------------------------------------------------------------


def test_remove_named_and_path(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "alpha")
    make(home, str(tmp_path / "env"))
    out = burrow("remove", "alpha", str(tmp_path / "env"), env=home).stdout
    assert "Removed" in out
    assert not (tmp_path / "home" / "alpha").exists()
    assert not (tmp_path / "env").exists()
    assert not list((tmp_path / "home").iterdir())  # no trash left behind


def test_remove_refuses_what_is_not_an_env(tmp_path: Path, home: Dict[str, str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "precious.txt").write_text("keep me")
    result = burrow("remove", str(plain), env=home, check=False)
    assert result.returncode == 1 and "not a virtual environment" in result.stderr
    assert (plain / "precious.txt").read_text() == "keep me"
    # `python -m venv .` inside a checkout: the project must survive.
    make(home, str(tmp_path / "checkout"))
    (tmp_path / "checkout" / ".git").mkdir()
    result = burrow("remove", str(tmp_path / "checkout"), env=home, check=False)
    assert result.returncode == 1 and "holds a project" in result.stderr
    assert (tmp_path / "checkout" / ".git").is_dir()
    missing = burrow("remove", "nope", env=home, check=False)
    assert missing.returncode == 1 and "no environment named 'nope'" in missing.stderr


def test_remove_never_follows_a_link_out(tmp_path: Path, home: Dict[str, str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    env = tmp_path / "env"
    make(home, str(env))
    (env / "escape").symlink_to(outside)
    (env / "lib" / "escape-file").symlink_to(outside / "precious.txt")
    burrow("remove", str(env), env=home)
    assert not env.exists()
    assert (outside / "precious.txt").read_text() == "keep me"


def test_remove_a_link_to_an_env_removes_the_link_only(
    tmp_path: Path, home: Dict[str, str]
) -> None:
    real = tmp_path / "real-env"
    make(home, str(real))
    (tmp_path / "home").mkdir(exist_ok=True)
    link = tmp_path / "home" / "linked"
    link.symlink_to(real)
    out = burrow("remove", "linked", env=home).stdout
    assert "Removed the link" in out and str(real) in out
    assert not os.path.lexists(link)
    assert (real / "pyvenv.cfg").is_file()
    # A link to something that is not an env is refused, and kept.
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "to-other").symlink_to(other)
    result = burrow("remove", str(tmp_path / "to-other"), env=home, check=False)
    assert result.returncode == 1 and os.path.lexists(tmp_path / "to-other")


def test_remove_refuses_the_active_env(tmp_path: Path, home: Dict[str, str]) -> None:
    make(home, "-n", "alpha")
    active = {**home, "VIRTUAL_ENV": str(tmp_path / "home" / "alpha")}
    result = burrow("remove", "alpha", env=active, check=False)
    assert result.returncode == 1 and "deactivate it first" in result.stderr
    assert (tmp_path / "home" / "alpha").is_dir()
