"""`burrow run`, `burrow activate` and `burrow create -r/--install`, end to end."""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from helpers import assert_record_matches, burrow, burrow_env, make_wheel, run_in
from shells import require_shell

from burrow import running
from burrow.activation import quoting


@pytest.fixture
def home(tmp_path: Path) -> Dict[str, str]:
    return {"BURROW_HOME": str(tmp_path / "home"), "WORKON_HOME": ""}


@pytest.fixture
def env(tmp_path: Path) -> Path:
    path = tmp_path / "env"
    burrow("create", "-q", "--without-pip", str(path))
    return path


# --- run ---------------------------------------------------------------------------------


def test_run_sets_the_environment(env: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    code = (
        "import os, sys; print(sys.prefix); print(os.environ['VIRTUAL_ENV']);"
        "print(os.environ.get('PYTHONHOME', '<unset>')); print(os.environ['PATH'])"
    )
    outside = {
        "PYTHONHOME": sys.base_prefix,  # valid for burrow itself, gone for the command
        "VIRTUAL_ENV": str(other),
        "PATH": f"{other}/bin{os.pathsep}{os.environ['PATH']}",
    }
    result = burrow("run", "-e", str(env), "python", "-c", code, env=outside)
    prefix, virtual_env, pythonhome, path = result.stdout.splitlines()
    assert prefix == virtual_env == str(env)
    assert pythonhome == "<unset>"
    entries = path.split(os.pathsep)
    assert entries[0] == str(env / "bin")
    assert f"{other}/bin" not in entries  # the env that was active is taken off


def test_run_passes_arguments_through_untouched(env: Path) -> None:
    args = ["-q", "--json", "--", "$HOME", "a b", ""]
    code = "import sys, json; print(json.dumps(sys.argv[1:]))"
    result = burrow("run", "-e", str(env), "--", "python", "-c", code, *args)
    assert json.loads(result.stdout) == args


def test_run_exit_code_passes_through(env: Path) -> None:
    result = burrow("run", "-e", str(env), "python", "-c", "raise SystemExit(7)", check=False)
    assert result.returncode == 7
    missing = burrow("run", "-e", str(env), "no-such-command-xyz", check=False)
    assert missing.returncode == 127
    assert missing.stderr.strip() == "error: no-such-command-xyz: command not found"


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_run_signal_passes_through(env: Path) -> None:
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    result = burrow("run", "-e", str(env), "python", "-c", kill_self, check=False)
    assert result.returncode == -signal.SIGTERM  # burrow itself died of the signal


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_run_signal_from_outside_reaches_the_command(env: Path, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    code = (
        "import signal, sys, time, pathlib\n"
        "signal.signal(signal.SIGINT, lambda *a: sys.exit(42))\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "burrow", "run", "-e", str(env), "python", "-c", code],
        env=burrow_env(),
    )
    for _ in range(300):
        if ready.exists():
            break
        proc.poll()
        assert proc.returncode is None
        import time

        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)  # the pid is the command's own: burrow exec'd it
    assert proc.wait(timeout=30) == 42


def test_run_needs_a_command(env: Path) -> None:
    result = burrow("run", "-e", str(env), check=False)
    assert result.returncode == 2


# --- activate --------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash", "fish", "tcsh"])
def test_activate_output_evals_in_the_shell(shell: str, tmp_path: Path) -> None:
    program = require_shell(shell)
    path = tmp_path / "it's $(touch CANARY) `x` env"
    burrow("create", "-q", "--without-pip", str(path))
    line = burrow("activate", str(path), "--shell", shell, cwd=tmp_path).stdout.strip()
    if shell == "fish":
        script = f"{line}\nprintf '%s\\n' $VIRTUAL_ENV\n"
    elif shell == "tcsh":
        script = f"{line}\nprintf '%s\\n' $VIRTUAL_ENV:q\n"
    else:
        script = f'eval {quoting.posix(line)}\nprintf "%s\\n" "$VIRTUAL_ENV"\n'
    done = subprocess.run(
        [program], input=script, capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.stdout.strip() == str(path), done.stderr
    assert not (tmp_path / "CANARY").exists()


def test_activate_defaults_to_the_user_shell(env: Path) -> None:
    out = burrow("activate", str(env), env={"SHELL": "/usr/bin/fish"}).stdout
    script = str(env / "bin" / "activate.fish")
    plain = all(ch.isalnum() or ch in "_./-" for ch in script)
    assert out.strip() == f"source {script if plain else quoting.fish(script)}"


def test_activate_without_shell_variable_uses_the_login_shell(env: Path) -> None:
    # cron, CI runners and `env -i` start programs with no $SHELL; the passwd entry still says.
    login = pwd.getpwuid(os.getuid()).pw_shell
    out = burrow("activate", str(env), env={"SHELL": ""}).stdout.strip()
    expected = running.source_command(str(env / "bin" / running.script_name(login)), login)
    assert out == expected


def test_activate_names_a_missing_script(tmp_path: Path) -> None:
    path = tmp_path / "env"
    burrow("create", "-q", "--without-pip", "--activators", "bash", str(path))
    result = burrow("activate", str(path), "--shell", "fish", check=False)
    assert result.returncode == 1 and "no activation script for fish" in result.stderr


# --- create -r / --install -------------------------------------------------------------------


OFFLINE = {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def test_install_and_requirements(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels", "demo_pkg", "1.0")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"{wheel}\n")
    env = tmp_path / "env"
    result = burrow("create", str(env), "-r", str(reqs), env=OFFLINE)
    assert "Created" in result.stdout  # a lock of wheel files: burrow's engine installs it
    assert run_in(env, "import demo_pkg; print(demo_pkg.VALUE)").strip() == "1.0"
    frozen = burrow("info", str(env), "--requirements").stdout.splitlines()
    assert frozen == [f"demo_pkg @ {wheel.as_uri()}"]
    # --json keeps stdout for the JSON; pip talks on stderr.
    other = tmp_path / "other"
    out = burrow("create", str(other), "--json", "--install", str(wheel), env=OFFLINE)
    assert json.loads(out.stdout)["path"] == str(other)


def test_failed_install_leaves_no_env(tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"{tmp_path / 'does-not-exist'}\n")
    env = tmp_path / "env"
    result = burrow("create", str(env), "-r", str(reqs), env=OFFLINE, check=False)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    # Resolved in burrow's process now: the error names the line, and no pip ran.
    assert last.startswith(f"error: {reqs}:1: invalid requirement") and "was not created" in last
    assert not env.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]
    # A named env too.
    home = {**OFFLINE, "BURROW_HOME": str(tmp_path / "home")}
    bad = burrow("create", "-n", "x", "--install", "no-such-package", env=home, check=False)
    assert bad.returncode == 1 and not (tmp_path / "home" / "x").exists()


def test_failed_install_keeps_an_env_that_existed(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", str(env))
    (env / "mine.txt").write_text("keep")
    result = burrow("create", str(env), "--install", "no-such-package", env=OFFLINE, check=False)
    assert result.returncode == 1 and "existed before" in result.stderr
    assert (env / "mine.txt").read_text() == "keep"


def test_install_refusals(tmp_path: Path) -> None:
    missing = burrow("create", str(tmp_path / "env"), "-r", str(tmp_path / "x.txt"), check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert not (tmp_path / "env").exists()
    from burrow.errors import OptionError
    from burrow.installing import InstallRequest

    with pytest.raises(OptionError, match="--no-deps needs pip in the env: drop --without-pip"):
        InstallRequest(packages=("x",), pip_args=("--no-deps",)).check(seed=False)


def test_without_pip_installs_through_burrows_engine(tmp_path: Path) -> None:
    """burrow's engine needs no pip in the env: `--without-pip --install` gives an env
    with the package and no pip, as `uv venv && uv pip install` does."""
    wheel = make_wheel(tmp_path / "w", "pkg_a", "1.0", console_scripts={"hello": "pkg_a:main"})
    env = tmp_path / "env"
    burrow("create", "-q", str(env), "--without-pip", "--install", str(wheel), env=OFFLINE)
    code = "import importlib.util as u; print(bool(u.find_spec('pkg_a')), bool(u.find_spec('pip')))"
    assert run_in(env, code).split() == ["True", "False"]
    assert (env / "bin" / "hello").is_file()


@pytest.mark.parametrize(
    "order",
    [
        ["--install", "A", "env"],  # options, then PATH: the order the issue was found with
        ["env", "--install", "A", "--install", "B"],
        ["--install", "A", "env", "--install", "B"],
        ["--install", "A", "--install", "B", "env"],
        ["--install=A", "env", "--install=B"],
        ["-p", sys.executable, "--install", "A", "-q", "env", "--install", "B"],
    ],
    ids=["issue", "path-first", "path-between", "path-last", "equals", "mixed"],
)
def test_install_takes_one_package_and_never_the_path(tmp_path: Path, order: list[str]) -> None:
    wheels = {
        "A": str(make_wheel(tmp_path / "w", "pkg_a", "1.0")),
        "B": str(make_wheel(tmp_path / "w", "pkg_b", "2.0")),
    }
    words = [wheels.get(w, w).replace("=A", "=" + wheels["A"]).replace("=B", "=" + wheels["B"])
             for w in order]  # fmt: skip
    burrow("create", "-q", *words, cwd=tmp_path, env=OFFLINE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env", "w"]  # no .venv made
    wanted = ["pkg_a"] + (["pkg_b"] if "B" in "".join(order) else [])
    code = "import importlib.util; print(' '.join(m for m in ('pkg_a', 'pkg_b') if "
    code += "importlib.util.find_spec(m)))"
    assert run_in(tmp_path / "env", code).split() == wanted


@pytest.mark.parametrize(
    "words, says",
    [
        (["--install", "A", "pkg_b>=1"], "repeat it (--install A --install 'pkg_b>=1')"),
        (["--install", "A", "rich[jupyter]"], "looks like a package, not the env's path"),
        (["--install", "A", "env", "more"], "unrecognized arguments: more"),
        (["--install", "A", "--install", "env"], "--install env: a directory, not a project"),
        (["--install", "./new-env"], "--install ./new-env: looks like a path, and nothing"),
        (["--install", "~/nowhere/x"], "looks like a path"),
    ],
    ids=["range", "extras", "three-words", "existing-dir", "dot-path", "home-path"],
)
def test_install_refuses_what_is_not_one_package(
    tmp_path: Path, words: list[str], says: str
) -> None:
    wheel = str(make_wheel(tmp_path / "w", "pkg_a", "1.0"))
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "notes.txt").write_text("mine")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    args = [wheel if w == "A" else w for w in words]
    result = burrow("create", *args, cwd=tmp_path, env=OFFLINE, check=False)
    assert result.returncode == 2, result.stderr
    assert says.replace("A", wheel, 1) in result.stderr or says in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(("usage error:", "burrow: error:"))
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing made, nothing lost


def test_install_accepts_archives_urls_and_project_folders(tmp_path: Path) -> None:
    from burrow.installing import InstallRequest

    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    wheel = make_wheel(tmp_path / "w", "pkg_a", "1.0")
    words = ("requests>=2", str(wheel), str(project), "app @ https://example.invalid/app.whl")
    InstallRequest(packages=words).check(True)  # raises if it refuses one


DEMO_SCRIPT = {"demo": "demo_tool:main"}


def test_install_scripts_name_the_final_path(tmp_path: Path) -> None:
    """pip runs before the env is moved into place; its scripts must not name the build dir."""
    wheel = make_wheel(
        tmp_path / "w", "demo_tool", "2.0", console_scripts={"demo": "demo_tool:main"}
    )
    for env in (tmp_path / "env", tmp_path / ("long " + "x" * 140) / "env"):
        burrow("create", "-q", str(env), "--install", str(wheel), env=OFFLINE)
        script = env / "bin" / "demo"
        head = script.read_bytes().split(b"\n", 2)
        assert b".burrow-build-" not in script.read_bytes()
        assert str(env).encode() in head[0] + head[1]
        ran = subprocess.run([str(script)], capture_output=True, text=True, check=False)
        assert ran.stdout.strip() == "demo_tool ran", ran.stderr
        assert_record_matches(env, "demo_tool")
        uninstall = subprocess.run(
            [str(env / "bin" / "python"), "-m", "pip", "uninstall", "-y", "demo_tool"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert uninstall.returncode == 0 and not script.exists()
    assert list(tmp_path.rglob(".burrow-*")) == []


def test_failed_install_with_clear_keeps_the_old_env(tmp_path: Path) -> None:
    env = tmp_path / "env"
    burrow("create", "-q", str(env))
    site = Path(run_in(env, "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "old_module.py").write_text("")
    result = burrow(
        "create",
        str(env),
        "--clear",
        "--install",
        "no-such-package",
        env=OFFLINE,
        check=False,
    )
    assert result.returncode == 1 and "is unchanged" in result.stderr
    assert (site / "old_module.py").exists()


def test_relocatable_install_scripts_survive_a_move(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "w", "demo_tool", "2.0", console_scripts={"demo": "demo_tool:main"}
    )
    env = tmp_path / "env"
    burrow("create", "-q", "--relocatable", str(env), "--install", str(wheel), env=OFFLINE)
    moved = tmp_path / "moved"
    env.rename(moved)
    ran = subprocess.run([str(moved / "bin" / "demo")], capture_output=True, text=True)
    assert ran.stdout.strip() == "demo_tool ran", ran.stderr
