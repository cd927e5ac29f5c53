"""`burrow shell`, `workon` (with tab completion) and the `cd` hook, typed into real
interactive bash, zsh and fish running in tmux: what a user sees, not what a script says.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from helpers import burrow, burrow_env
from shells import require_shell

SHELLS = ["bash", "zsh", "fish"]
TIMEOUT = 20.0


class Pane:
    """One tmux session on a private server, driven by keystrokes."""

    def __init__(self, command: List[str], env: Dict[str, str], cwd: Path) -> None:
        self.folder = tempfile.mkdtemp(prefix="bt")  # short: sockets have a length limit
        self.socket = os.path.join(self.folder, "s")
        self.env = env
        self._tmux(
            "new-session", "-d", "-x", "200", "-y", "50", "-s", "t", "-c", str(cwd), "--", *command
        )

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, "-f", os.devnull, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def type(self, text: str, enter: bool = True) -> None:
        self._tmux("send-keys", "-t", "t", "-l", "--", text)
        if enter:
            self._tmux("send-keys", "-t", "t", "Enter")

    def key(self, name: str) -> None:
        self._tmux("send-keys", "-t", "t", name)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-200")

    def wait_for(self, pattern: str) -> str:
        """Wait until the screen matches the regular expression; return the match."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(pattern, self.screen())
            if found:
                return found.group(0)
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} never appeared on screen:\n{self.screen()}")

    def ask(self, expression: str, label: str) -> str:
        """Echo ``label=<expression>`` and read back what the shell printed."""
        marker = f"{label}{os.urandom(3).hex()}"
        self.type(f'echo "{marker}=<{expression}>"')
        # At the start of a line: the command being typed (maybe half echoed) never is.
        text = self.wait_for("(?m)^" + re.escape(marker) + r"=<[^>\n]*>$")
        return text[len(marker) + 2 : -1]

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-S", self.socket, "kill-server"], env=self.env, capture_output=True
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def pane_factory(tmp_path: Path) -> Iterator[object]:
    panes: List[Pane] = []

    def start(command: List[str], env: Dict[str, str], cwd: Path = tmp_path) -> Pane:
        pane = Pane(command, env, cwd)
        panes.append(pane)
        return pane

    if shutil.which("tmux") is None:
        require_shell("tmux")  # skips, or fails under CI
    yield start
    for pane in panes:
        pane.close()


def user_env(tmp_path: Path, shell: str) -> Dict[str, str]:
    """A user with a home of their own, rc files that leave a mark, and named envs."""
    home = tmp_path / "user"
    (home / ".config" / "fish").mkdir(parents=True, exist_ok=True)
    (home / ".bashrc").write_text("export FROM_RC=yes\nPS1='[bash] $ '\n")
    (home / ".zshenv").write_text("export FROM_ZSHENV=yes\n")
    (home / ".zshrc").write_text("export FROM_RC=yes\nPS1='[zsh] %% '\n")
    (home / ".config" / "fish" / "config.fish").write_text(
        "set -gx FROM_RC yes\nset -g fish_greeting\n"
    )
    env = burrow_env(
        {
            "HOME": str(home),
            "SHELL": require_shell(shell),
            "BURROW_HOME": str(tmp_path / "envs"),
            "BURROW_PY": sys.executable,
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TMPDIR": str(tmp_path / "tmp"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
        }
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    for name in ("VIRTUAL_ENV", "ZDOTDIR", "ENV", "PROMPT_COMMAND"):
        env.pop(name, None)
    return env


def interactive(shell: str) -> List[str]:
    """The shell as a user's terminal starts it (their rc files read)."""
    return [require_shell(shell)]


def init_line(shell: str, *flags: str) -> str:
    words = " ".join(flags)
    if shell == "fish":
        return f"$BURROW_PY -m burrow shell-init fish {words} | source"
    return f'eval "$("$BURROW_PY" -m burrow shell-init {shell} {words})"'


# --- burrow shell --------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_activates_after_rc_and_exit_returns(
    shell: str, tmp_path: Path, pane_factory: object
) -> None:
    env = user_env(tmp_path, shell)
    burrow("create", "-q", "--without-pip", "-n", "alpha", "--prompt", "alpha env", env=env)
    target = tmp_path / "envs" / "alpha"
    outer = pane_factory(  # type: ignore[operator]
        [require_shell("bash"), "--norc", "--noprofile"], {**env, "PS1": "outer$ "}
    )
    outer.type("PS1='outer$ '")
    outer.type('"$BURROW_PY" -m burrow shell alpha')
    outer.wait_for(re.escape("(alpha env) "))
    assert outer.ask("$VIRTUAL_ENV", "VE") == str(target)
    assert outer.ask("$FROM_RC", "RC") == "yes"  # the user's rc ran, activation came after
    assert outer.ask("$(command -v python)", "PY") == str(target / "bin" / "python")
    if shell == "zsh":
        assert outer.ask("$FROM_ZSHENV", "ZE") == "yes"
        assert outer.ask("${ZDOTDIR-unset}", "ZD") == "unset"  # the user's, not burrow's
    left = [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith("burrow-")]
    assert not left, "the rc files were not cleaned up"
    outer.type("deactivate")
    assert outer.ask("$VIRTUAL_ENV", "AFTER") == ""
    outer.type("exit")
    outer.wait_for("outer\\$ ")
    assert outer.ask("$VIRTUAL_ENV", "OUTER") == ""
    assert outer.ask("$FROM_RC", "OUTERRC") == ""


# --- workon ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_workon_with_tab_completion(shell: str, tmp_path: Path, pane_factory: object) -> None:
    env = user_env(tmp_path, shell)
    for name in ("alpha", "beta"):
        burrow("create", "-q", "--without-pip", "-n", name, env=env)
    pane = pane_factory(interactive(shell), env)  # type: ignore[operator]
    if shell == "zsh":
        pane.type("autoload -Uz compinit && compinit -u")
    pane.type(init_line(shell))
    pane.type("workon al", enter=False)
    pane.key("Tab")
    pane.wait_for("workon alpha")
    pane.type("")
    pane.wait_for(re.escape("(alpha) "))
    assert pane.ask("$VIRTUAL_ENV", "VE") == str(tmp_path / "envs" / "alpha")
    pane.type("workon beta")
    assert pane.ask("$VIRTUAL_ENV", "VE2") == str(tmp_path / "envs" / "beta")
    pane.type("workon nope")
    pane.wait_for("error: no environment named 'nope'")
    assert pane.ask("$VIRTUAL_ENV", "VE3") == str(tmp_path / "envs" / "beta")
    pane.type("workon")
    pane.wait_for(r"NAME +PYTHON[^\n]*\n(alpha)")
    pane.type("deactivate")
    assert pane.ask("$VIRTUAL_ENV", "OFF") == ""


# --- the cd hook --------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_cd_hook_activates_and_deactivates(
    shell: str, tmp_path: Path, pane_factory: object
) -> None:
    env = user_env(tmp_path, shell)
    project = tmp_path / "project"
    (project / "src" / "deep").mkdir(parents=True)
    burrow("create", "-q", "--without-pip", cwd=project)
    burrow("create", "-q", "--without-pip", "-n", "other", env=env)
    pane = pane_factory(interactive(shell), env, tmp_path)  # type: ignore[operator]
    path_before = pane.ask("$PATH", "P0")
    # Without --auto nothing happens on cd.
    pane.type(init_line(shell))
    pane.type(f"cd {project}")
    assert pane.ask("$VIRTUAL_ENV", "NOAUTO") == ""
    pane.type("cd ..")
    pane.type(init_line(shell, "--auto"))
    pane.type("cd project/src/deep")
    pane.wait_for(re.escape("(.venv) "))  # venv's default prompt: the env folder's name
    assert pane.ask("$VIRTUAL_ENV", "IN") == str(project / ".venv")
    pane.type("cd ..")  # moving inside the project keeps it
    assert pane.ask("$VIRTUAL_ENV", "STILL") == str(project / ".venv")
    pane.type(f"cd {tmp_path}")
    assert pane.ask("$VIRTUAL_ENV", "OUT") == ""
    assert pane.ask("$PATH", "P1") == path_before
    # An env the user chose is left alone on entering and leaving a project.
    pane.type("workon other")
    pane.wait_for(re.escape("(other) "))
    pane.type("cd project")
    assert pane.ask("$VIRTUAL_ENV", "MINE") == str(tmp_path / "envs" / "other")
    pane.type("cd ..")
    assert pane.ask("$VIRTUAL_ENV", "MINE2") == str(tmp_path / "envs" / "other")


# --- completion of burrow itself --------------------------------------------------------------


def burrow_on_path(tmp_path: Path, env: Dict[str, str]) -> None:
    """A `burrow` command, as installing burrow gives one, running this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "burrow"
    script.write_text('#!/bin/sh\nexec "$BURROW_PY" -m burrow "$@"\n')
    script.chmod(0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"


@pytest.mark.parametrize("shell", SHELLS)
def test_burrow_tab_completion(shell: str, tmp_path: Path, pane_factory: object) -> None:
    env = user_env(tmp_path, shell)
    burrow_on_path(tmp_path, env)
    # A cache of its own: the suite's shared one holds every interpreter other tests met,
    # and two of them may share the version prefix typed below (3.11.2 and 3.11.7).
    env["BURROW_CACHE_DIR"] = str(tmp_path / "cache")
    # -p with a path: its facts are learnt and cached, which is what -p TAB offers
    burrow("create", "-q", "--without-pip", "-n", "alpha", "-p", sys.executable, env=env)
    version = ".".join(map(str, sys.version_info[:3]))
    pane = pane_factory(interactive(shell), env)  # type: ignore[operator]
    if shell == "zsh":
        pane.type("autoload -Uz compinit && compinit -u")
    pane.type(init_line(shell))
    steps = [
        ("burrow cre", "burrow create "),  # a command
        ("--system-s", "burrow create --system-site-packages "),  # an option
        (f"-p {version[:-1]}", f"--system-site-packages -p {version} "),  # a cached python
    ]
    for typed, shown in steps:
        pane.type(typed, enter=False)
        pane.key("Tab")
        pane.wait_for(re.escape(shown))
    pane.key("C-u")
    for typed, shown in [
        ("burrow info al", "burrow info alpha "),  # an env name for a positional ENV
        ("burrow run -e al", "burrow run -e alpha "),  # and for -e
        ("burrow python l", "burrow python list "),  # a nested command
        ("burrow activate alpha --shell fi", "burrow activate alpha --shell fish "),
    ]:
        pane.type(typed, enter=False)
        pane.key("Tab")
        pane.wait_for(re.escape(shown))
        pane.key("C-u")
    assert pane.ask("ok", "DONE") == "ok"  # the shell is still answering
