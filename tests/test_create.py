"""`burrow create` end to end: every option, the on-disk layout, safety of existing dirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import burrow, run_in

PREFIX_CODE = "import sys; print(sys.prefix); print(sys.base_prefix)"


def read_cfg(env: Path) -> dict[str, str]:
    pairs = (line.partition(" = ") for line in (env / "pyvenv.cfg").read_text().splitlines())
    return {key: value for key, _, value in pairs}


def test_default_path_is_dot_venv_with_pip(tmp_path: Path) -> None:
    result = burrow("create", cwd=tmp_path, env={"SHELL": "/bin/bash"})
    env = tmp_path / ".venv"
    prefix, base = run_in(env, PREFIX_CODE).splitlines()
    assert Path(prefix) == env
    assert base == sys.base_prefix
    assert "Created .venv (CPython" in result.stdout
    assert "activate with: source .venv/bin/activate" in result.stdout
    pip = subprocess.run([env / "bin" / "pip", "--version"], capture_output=True, text=True)
    assert pip.returncode == 0 and str(env) in pip.stdout


def test_pyvenv_cfg_has_every_key(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "env"), "--without-pip")
    cfg = read_cfg(tmp_path / "env")
    assert cfg["include-system-site-packages"] == "false"
    assert cfg["version"] == ".".join(map(str, sys.version_info[:3]))
    assert Path(cfg["home"]) == Path(sys._base_executable).parent  # type: ignore[attr-defined]
    assert os.path.isfile(cfg["executable"])
    assert "burrow" in cfg and "command" in cfg
    assert "prompt" not in cfg  # venv writes it only when asked


def test_system_site_packages(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "env"), "--without-pip", "--system-site-packages")
    assert read_cfg(tmp_path / "env")["include-system-site-packages"] == "true"
    paths = run_in(tmp_path / "env", "import sys; print('\\n'.join(sys.path))").splitlines()
    assert any(p.startswith(sys.base_prefix) and p.endswith("site-packages") for p in paths)


def test_without_system_site_packages_is_isolated(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "env"), "--without-pip")
    paths = run_in(tmp_path / "env", "import sys; print('\\n'.join(sys.path))").splitlines()
    assert not any(p.startswith(sys.base_prefix) and p.endswith("site-packages") for p in paths)


def test_symlinks_and_copies(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "links"), "--without-pip", "--symlinks")
    burrow("create", str(tmp_path / "copies"), "--without-pip", "--copies")
    links_bin, copies_bin = tmp_path / "links" / "bin", tmp_path / "copies" / "bin"
    assert (links_bin / "python").is_symlink()
    assert not (copies_bin / "python").is_symlink()
    assert not (copies_bin / "python3").is_symlink()
    for env in ("links", "copies"):
        assert Path(run_in(tmp_path / env, PREFIX_CODE).splitlines()[0]) == tmp_path / env


def test_python_names_and_lib64(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "env"), "--without-pip")
    minor = "python{}.{}".format(*sys.version_info[:2])
    for name in ("python", "python3", minor):
        assert (tmp_path / "env" / "bin" / name).exists()
        assert (tmp_path / "env" / "bin" / name).is_symlink()  # symlinks by default, as venv
    if sys.platform.startswith("linux") and sys.maxsize > 2**32:
        assert os.readlink(tmp_path / "env" / "lib64") == "lib"


@pytest.mark.parametrize(
    ("args", "expected"),
    [([], "env"), (["--prompt", "my app"], "my app"), (["--prompt", "."], "project")],
)
def test_prompt(tmp_path: Path, args: list[str], expected: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    result = burrow("create", "env", "--without-pip", "--json", *args, cwd=project)
    assert json.loads(result.stdout)["prompt"] == expected
    cfg = read_cfg(project / "env")
    if args:
        assert cfg["prompt"] == repr(expected)  # Python-repr quoted, as venv writes it
    else:
        assert "prompt" not in cfg


def test_scm_ignore_files(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "with"), "--without-pip")
    burrow("create", str(tmp_path / "without"), "--without-pip", "--without-scm-ignore-files")
    assert (tmp_path / "with" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "with" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f59")
    assert not (tmp_path / "without" / ".gitignore").exists()
    assert not (tmp_path / "without" / "CACHEDIR.TAG").exists()


def test_json_summary(tmp_path: Path) -> None:
    result = burrow("create", str(tmp_path / "env"), "--json")
    data = json.loads(result.stdout)
    assert data["path"] == str(tmp_path / "env")
    assert data["python"]["implementation"] == "cpython"
    assert "pip" in data["seeded"]
    assert Path(data["site_packages"]).is_dir()


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    result = burrow("create", str(tmp_path / "env"), "-q", "--without-pip")
    assert result.stdout == "" and result.stderr == ""


def test_activators_option_selects_scripts(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "env"), "--without-pip", "--activators", "bash,fish")
    names = {p.name for p in (tmp_path / "env" / "bin").iterdir()}
    assert {"activate", "activate.fish"} <= names
    assert "activate.csh" not in names and "activate.nu" not in names


def test_unknown_activator_is_a_usage_error(tmp_path: Path) -> None:
    result = burrow("create", str(tmp_path / "env"), "--activators", "bash,cobol", check=False)
    assert result.returncode == 2
    assert "cobol" in result.stderr
    assert not (tmp_path / "env").exists()


def test_python_option_with_path(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "env"), "--without-pip", "-p", sys.executable)
    prefix, _ = run_in(tmp_path / "env", PREFIX_CODE).splitlines()
    assert Path(prefix) == tmp_path / "env"


def test_library_api_returns_environment(tmp_path: Path) -> None:
    import burrow as lib

    env = lib.create(tmp_path / "lib-env", seed=False, prompt="lib")
    assert env.path == str(tmp_path / "lib-env")
    assert env.prompt == "lib"
    assert env.python.version[:2] == sys.version_info[:2]
    assert os.path.isfile(env.executable)
    with pytest.raises(lib.TargetError):
        lib.create(tmp_path / "lib-env", clear=True, upgrade=True)


# --- existing directories: nothing lost --------------------------------------------


def test_refuses_to_fill_a_directory_that_is_not_an_env(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    result = burrow("create", str(target), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_clear_refuses_a_non_env_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    result = burrow("create", str(target), "--clear", check=False)
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert (target / "notes.txt").read_text() == "precious"


def test_clear_force_replaces_a_non_env(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("not precious after all")
    burrow("create", str(target), "--clear", "--force", "--without-pip")
    assert not (target / "notes.txt").exists()
    assert (target / "pyvenv.cfg").is_file()


def test_force_without_clear_is_a_usage_error(tmp_path: Path) -> None:
    result = burrow("create", str(tmp_path / "env"), "--force", check=False)
    assert result.returncode == 2
    assert not (tmp_path / "env").exists()


def test_clear_and_upgrade_together_is_a_usage_error(tmp_path: Path) -> None:
    result = burrow("create", str(tmp_path / "env"), "--clear", "--upgrade", check=False)
    assert result.returncode == 2
    assert not (tmp_path / "env").exists()


def test_clear_recreates_an_env_dropping_its_packages(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env), "--without-pip")
    site = Path(run_in(env, "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "stale.py").write_text("")
    burrow("create", str(env), "--clear", "--without-pip")
    assert not (site / "stale.py").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".burrow-")]


def test_existing_env_is_updated_in_place_keeping_packages(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env), "--without-pip")
    site = Path(run_in(env, "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "kept.py").write_text("")
    burrow("create", str(env), "--without-pip", "--prompt", "renamed")
    assert (site / "kept.py").exists()
    assert read_cfg(env)["prompt"] == "'renamed'"


def test_update_in_place_replaces_links_instead_of_writing_through_them(tmp_path: Path) -> None:
    # A user who links an env's scripts or pyvenv.cfg to files of their own keeps those
    # files as they were: the update puts new files where the links were.
    env = tmp_path / "env"
    burrow("create", str(env), "--without-pip")
    mine = {name: tmp_path / f"my-{name}" for name in ("activate", "activate.fish", "cfg", "pip")}
    for path in mine.values():
        path.write_text(f"the user's {path.name}\n")
    original_cfg = (env / "pyvenv.cfg").read_text()
    mine["cfg"].write_text(original_cfg)  # a valid config, or burrow refuses to touch the env
    planted = {
        env / "bin" / "activate": mine["activate"],
        env / "bin" / "activate.fish": mine["activate.fish"],
        env / "pyvenv.cfg": mine["cfg"],
        env / "bin" / "pip": mine["pip"],  # no pip yet: the seed writes this script
    }
    for link, target in planted.items():
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    burrow("create", str(env), "--prompt", "again")
    for name, path in mine.items():
        assert path.read_text() == (original_cfg if name == "cfg" else f"the user's {path.name}\n")
    for link in planted:
        assert not link.is_symlink() and link.stat().st_size > 0, link
    assert read_cfg(env)["prompt"] == "'again'"
    assert "again" in (env / "bin" / "activate").read_text()
    pip = subprocess.run([env / "bin" / "pip", "--version"], capture_output=True, text=True)
    assert pip.returncode == 0 and str(env) in pip.stdout, pip.stderr


def test_upgrade_repoints_python_and_keeps_packages(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", str(env), "--without-pip")
    site = Path(run_in(env, "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "kept.py").write_text("")
    (env / "bin" / "python").unlink()  # as if the old interpreter moved away
    burrow("create", str(env), "--upgrade", "--without-pip")
    assert (site / "kept.py").exists()
    assert Path(run_in(env, PREFIX_CODE).splitlines()[0]) == env


@pytest.mark.parametrize(
    "make",
    ["file", "symlink", "pathsep", "empty"],
)
def test_bad_targets_get_one_line_errors(tmp_path: Path, make: str) -> None:
    if make == "file":
        target = tmp_path / "a-file"
        target.write_text("data")
    elif make == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        target = tmp_path / "link"
        target.symlink_to(elsewhere)
    elif make == "pathsep":
        target = tmp_path / f"a{os.pathsep}b"
    else:
        target = Path("")
    result = burrow("create", str(target) if make != "empty" else "", check=False, cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    if make == "file":
        assert target.read_text() == "data"
    if make == "symlink":
        assert list((tmp_path / "elsewhere").iterdir()) == []
    if make == "pathsep":
        assert not target.exists()


def test_missing_parent_directories_are_made(tmp_path: Path) -> None:
    burrow("create", str(tmp_path / "a" / "b" / "env"), "--without-pip")
    assert (tmp_path / "a" / "b" / "env" / "pyvenv.cfg").is_file()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = burrow("create", "--no-such-option", check=False, cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / ".venv").exists()


def test_debug_shows_traceback(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("")
    quiet = burrow("create", str(target), check=False)
    loud = burrow("create", str(target), check=False, env={"BURROW_DEBUG": "1"})
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and loud.returncode != 0


def test_module_and_console_script_are_the_same_program(tmp_path: Path) -> None:
    from burrow.cli import main

    assert main(["create", str(tmp_path / "env"), "-q", "--without-pip"]) == 0
    assert (tmp_path / "env" / "pyvenv.cfg").is_file()


def test_library_prints_nothing(tmp_path: Path) -> None:
    """Even a warning (an unreadable wheel on the find-links path) stays in logging."""
    links = tmp_path / "links"
    links.mkdir()
    (links / "pip-999.0-py3-none-any.whl").write_bytes(b"not a zip")
    code = "import sys, burrow; burrow.create(sys.argv[1], activators=())"
    from helpers import burrow_env

    env = burrow_env({"PIP_FIND_LINKS": str(links)})
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "env")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    cli = burrow("create", str(tmp_path / "cli-env"), env={"PIP_FIND_LINKS": str(links)})
    assert cli.stderr.startswith("warning: ignoring unreadable wheel")


def test_recorded_command_makes_the_same_env_again(tmp_path: Path) -> None:
    """pyvenv.cfg's command, from a library call, read back by the CLI gives the same options."""
    import shlex

    from burrow import create
    from burrow.cli import build_parser
    from burrow.options import Options

    asked = Options(
        prompt="-my app's $x",
        symlinks=False,
        seed=False,
        relocatable=True,
        scm_ignore_files=False,
        activators=("posix", "fish"),
        system_site_packages=True,
    )
    create(tmp_path / "env", asked)
    words = shlex.split(read_cfg(tmp_path / "env")["command"])
    assert words[1:4] == ["-m", "burrow", "create"] and words[-1] == str(tmp_path / "env")
    again = Options.from_values(vars(build_parser().parse_args(words[3:])))
    assert again == asked
