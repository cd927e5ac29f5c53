"""End to end: activating an environment after it was moved, in every real shell.

A relocatable environment is built by hand (as in test_activation_shells), then moved to a
hostile name. Shells that can learn where a sourced file is (bash, zsh, ksh93, fish,
nushell, xonsh) activate it at its new place; the others (dash, mksh, yash, busybox sh,
tcsh, elvish) refuse: a non-zero status, one line on stderr, and nothing in the shell
changed. ``burrow activate NEW --shell X`` activates it at its new place in every shell.
A path that PATH cannot name (with ``:``, or for xonsh a ``$NAME``) is refused everywhere.
An env made without --relocatable is refused after a move by every shell but fish, nushell
and xonsh, which activate it where their script now is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from helpers import burrow
from shells import require_shell
from test_activation_shells import (
    CANARY,
    DRIVERS,
    NASTY_NAMES,
    POSIX_SHELLS,
    RELOCATING,
    check,
    clean_environ,
    make_env,
    parse,
)
from test_activation_shells import run as run_driver

from burrow import running
from burrow.activation import quoting
from burrow.activation.scripts import shown, written_for

OLD_NAME = "old $(touch CANARY) `touch CANARY` 'q' \\ é\nx"
# Every shell but these refuses a moved env it cannot locate.
LOCATING = RELOCATING - {"python"}
REFUSING = {"dash", "mksh", "yash", "busybox", "tcsh", "elvish"}
ALL = sorted(LOCATING | REFUSING)
# The name the refusal tells a POSIX shell to pass to `burrow activate --shell`.
SHELL_WORD = {"busybox": "sh", "tcsh": "tcsh", "elvish": "elvish"}


def xonsh_expands(path: str) -> bool:
    """Whether xonsh (EXPAND_ENV_VARS) would read this PATH entry as another directory."""
    return bool(re.search(r"\$[\w{]", path)) or path.partition("=")[2].startswith("~")


def moved_env(tmp_path: Path, new_name: str) -> Tuple[Path, Path]:
    """A relocatable env made at tmp_path/OLD_NAME, then moved to tmp_path/new/new_name."""
    old = make_env(tmp_path, OLD_NAME, "p", relocatable=True)
    (tmp_path / "new").mkdir()
    new = tmp_path / "new" / new_name
    shutil.move(str(old), str(new))
    return old, new


# --- refusal: each driver records the shell's state before and after a refused activation ---

POSIX_STATE = '{ set; set +o; alias; command -v deactivate || :; } >"$W/__F__" 2>&1'
POSIX_REFUSAL = (
    "PS1='[P]'\nalias burrowtest='echo hi'\n"
    + POSIX_STATE.replace("__F__", "before")
    + "\n__HINT__\n"
    + 'if . "$ACT" 2>"$W/err"; then echo 0 >"$W/status"; else echo "$?" >"$W/status"; fi\n'
    + POSIX_STATE.replace("__F__", "after")
    + "\n"
)
CSH_STATE = "( set; alias; printenv ) >& $W:q/__F__"
CSH_REFUSAL = (
    "set prompt = '[P]'\nalias burrowtest 'echo hi'\n"
    + CSH_STATE.replace("__F__", "before")
    + "\n__HINT__\nsource $ACT:q.csh >& $W:q/err\necho $status > $W:q/status\n"
    + CSH_STATE.replace("__F__", "after")
    + "\n"
)
ELVISH_REFUSAL = r"""
fn dump {|file| e:env > $file; repr $paths >> $file }
dump $E:W/before
__HINT__
try {
    eval (slurp < $E:ACT.elv)
    echo 0 > $E:W/status
} catch e {
    echo 1 > $E:W/status
    print $e[reason][content] > $E:W/err
}
dump $E:W/after
"""
FISH_REFUSAL = r"""
function fish_prompt; printf '[P]'; end
function dump; set -g; set -gx; functions -a; end
dump >$W/before
__HINT__
source $ACT.fish 2>$W/err
echo $status >$W/status
dump >$W/after
"""
XONSH_REFUSAL = r"""
import os
def t_dump(name):
    names = sorted(k for k in globals() if not k.startswith('t_'))
    state = (${...}.detype(), sorted(aliases), names)
    with open(os.path.join($W, name), 'w') as f:
        f.write(repr(state))
t_dump('before')
__HINT__
t_result = ![source @($ACT + '.xsh')]
t_status = t_result.returncode
t_dump('after')
with open(os.path.join($W, 'status'), 'w') as f:
    f.write(str(t_status))
"""

# Lines of `set` that change by themselves between two commands. (mksh keeps the text of
# the last `case` match in KSH_MATCH; ksh93 sets _AST_FEATURES once it first runs `pwd`.)
VOLATILE = re.compile(
    r"^(_|LINENO|RANDOM|SRANDOM|SECONDS|EPOCHREALTIME|EPOCHSECONDS|PIPESTATUS|BASH_\w+|"
    r"status|pipestatus|'\?'|\?|argv|ZSH_\w+|TTYIDLE|funcfiletrace|funcsourcetrace|"
    r"funcstack|functrace|KSH_MATCH|_AST_FEATURES|CMD_DURATION|command|fish_pid|history|PPID)[=\s]"
)


def _state(path: Path) -> List[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.split("\n") if not VOLATILE.match(line)]


def refuse(shell: str, env: Path, workdir: Path, prelude: str = "set -u", hint: str = "") -> str:
    """Activate env in shell, which must refuse: returns what it said; asserts nothing changed.

    ``hint`` is shell code run just before sourcing (what `burrow activate` would print).
    """
    command = DRIVERS[shell][0]
    path = require_shell(command)
    script = workdir / "refusal"
    if shell in POSIX_SHELLS:
        script.write_text(prelude + "\n" + POSIX_REFUSAL.replace("__HINT__", hint), "utf-8")
    else:
        text = {
            "tcsh": CSH_REFUSAL,
            "elvish": ELVISH_REFUSAL,
            "fish": FISH_REFUSAL,
            "xonsh": XONSH_REFUSAL,
        }[shell]
        script.write_text(text.replace("__HINT__", hint), encoding="utf-8")
    flags = {"busybox": ["sh"], "tcsh": ["-f"], "fish": ["--no-config"], "xonsh": ["--no-rc"]}
    flags["elvish"] = ["-norc"]
    flags["yash"] = ["--norcfile"]
    environ = clean_environ(workdir)
    environ.update(ACT=str(env / "bin" / "activate"), W=str(workdir))
    if shell == "xonsh":
        del environ["PYTHONHOME"]  # it is Python itself
    done = subprocess.run(
        [path, *flags.get(shell, []), str(script)],
        cwd=workdir,
        env=environ,
        capture_output=True,
        timeout=60,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert (workdir / "status").read_text().strip() not in ("", "0")
    before = _state(workdir / "before")
    assert any("PATH" in line for line in before), before  # the state was really read
    if shell in POSIX_SHELLS or shell == "tcsh":
        assert any("burrowtest" in line for line in before), before
        assert any("[P]" in line for line in before), before
    assert _state(workdir / "after") == before
    if shell == "xonsh":  # xonsh reports a failed `source` as the exception it raised
        said = [line for line in stderr.splitlines() if "error: " in line]
        assert len(said) == 1, stderr
        return said[0].split("Error: ", 1)[1]
    message = (workdir / "err").read_text(encoding="utf-8")
    assert message.endswith("\n") or shell == "elvish"
    assert "\n" not in message.rstrip("\n"), message
    return message.rstrip("\n")


# --- the matrix: every shell, every hostile name as the new place ---------------------------


def check_moved(shell: str, tmp_path: Path, new_name: str) -> None:
    old, new = moved_env(tmp_path, new_name)
    if shell in LOCATING and not (shell == "xonsh" and xonsh_expands(str(new))):
        check(shell, new, "p", run_driver(shell, new, tmp_path))
    elif shell in LOCATING:
        message = refuse(shell, new, tmp_path)
        assert "xonsh expands" in message
    else:
        message = refuse(shell, new, tmp_path)
        assert message.startswith(f"error: this environment was moved from '{shown(str(old))}'")
        assert f"burrow activate NEW_PATH --shell {SHELL_WORD.get(shell, shell)}" in message
        assert "activate it in bash, zsh, ksh or fish" in message
    assert not (tmp_path / CANARY).exists(), "a value was executed"
    assert not (tmp_path / "new" / CANARY).exists(), "a value was executed"


@pytest.mark.parametrize("shell", ALL)
def test_moved_env(shell: str, tmp_path: Path) -> None:
    check_moved(shell, tmp_path, "new 'place' `touch CANARY` $(touch CANARY)\nx")


@pytest.mark.slow
@pytest.mark.parametrize("name", NASTY_NAMES)
@pytest.mark.parametrize("shell", ALL)
def test_moved_env_nasty_names(shell: str, name: str, tmp_path: Path) -> None:
    check_moved(shell, tmp_path, name)


# --- burrow activate NEW --shell X: the moved env, activated where it is now ----------------

ACTIVATE_DRIVERS = {
    "posix": "set -u\n__LINE__\n"
    'printf "ve=%s\\0which=%s\\0" "$VIRTUAL_ENV" "$(command -v python)"\n'
    'python -c "$PY"\ndeactivate\nprintf "after=%s\\0" "${VIRTUAL_ENV-<unset>}"\n',
    "posix-eval": 'set -u\neval "$LINE"\nprintf "ve=%s\\0" "$VIRTUAL_ENV"\npython -c "$PY"\n',
    "fish": "__LINE__\nprintf 've=%s\\0' $VIRTUAL_ENV\npython -c $PY\n",
    "tcsh": "__LINE__\nprintf 've=%s\\0' $VIRTUAL_ENV:q\npython -c $PY:q\n",
    "elvish": "eval $E:LINE\nprint 've='$E:VIRTUAL_ENV\"\\x00\"\npython -c $E:PY\n",
    "nushell": "__LINE__\nprint -n ('ve=' + $env.VIRTUAL_ENV + (char nul))\n^python -c $env.PY\n",
    "xonsh": "import sys\n__LINE__\nsys.stdout.write('ve=' + $VIRTUAL_ENV + chr(0))\n"
    "sys.stdout.flush()\npython -c $PY\n",
}
PY = "import sys; sys.stdout.write('prefix=' + sys.prefix + chr(0))"


def activate_with_burrow(shell: str, env: Path, workdir: Path, driver: str) -> Dict[str, str]:
    """Run `burrow activate ENV --shell shell` and what it prints in the real shell."""
    line = burrow("activate", str(env), "--shell", shell, cwd=workdir).stdout.rstrip("\n")
    command = DRIVERS[shell][0]
    path = require_shell(command)
    script = workdir / "driver"
    script.write_text(ACTIVATE_DRIVERS[driver].replace("__LINE__", line), encoding="utf-8")
    flags = {"busybox": ["sh"], "tcsh": ["-f"], "fish": ["--no-config"], "xonsh": ["--no-rc"]}
    flags.update(elvish=["-norc"], yash=["--norcfile"], nushell=["-n"], zsh=["-f"])
    environ = clean_environ(workdir)
    environ.update(LINE=line, PY=PY)
    del environ["PYTHONHOME"]
    done = subprocess.run(
        [path, *flags.get(shell, []), str(script)],
        cwd=workdir,
        env=environ,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return parse(done.stdout)


def check_burrow_activate(shell: str, tmp_path: Path, new_name: str) -> None:
    _, new = moved_env(tmp_path, new_name)
    family = shell if shell in ACTIVATE_DRIVERS else "posix"
    if shell == "xonsh" and xonsh_expands(str(new)):
        return  # refused by the script itself: see test_xonsh_refuses_names_it_expands
    report = activate_with_burrow(shell, new, tmp_path, family)
    assert report["ve"] == str(new)
    assert report["prefix"] == str(new)
    if family == "posix":
        if shell != "ksh":  # ksh quotes what `command -v` prints when it looks odd
            assert report["which"] == str(new / "bin" / "python")
        assert report["after"] == "<unset>"
        report = activate_with_burrow(shell, new, tmp_path, "posix-eval")
        assert report["ve"] == str(new)
        assert report["prefix"] == str(new)
    assert not (tmp_path / CANARY).exists(), "a value was executed"
    assert not (tmp_path / "new" / CANARY).exists(), "a value was executed"


ACTIVATE_SHELLS = sorted(ALL)


@pytest.mark.parametrize("shell", ACTIVATE_SHELLS)
def test_burrow_activate_moved_env(shell: str, tmp_path: Path) -> None:
    check_burrow_activate(shell, tmp_path, "new 'place' `touch CANARY` $(touch CANARY)\nx")


@pytest.mark.slow
@pytest.mark.parametrize("name", NASTY_NAMES)
@pytest.mark.parametrize("shell", ACTIVATE_SHELLS)
def test_burrow_activate_moved_env_nasty_names(shell: str, name: str, tmp_path: Path) -> None:
    check_burrow_activate(shell, tmp_path, name)


# --- paths PATH cannot name --------------------------------------------------------------------


@pytest.mark.parametrize("shell", sorted(LOCATING - {"nushell"}))
def test_path_with_pathsep_refused(shell: str, tmp_path: Path) -> None:
    _, new = moved_env(tmp_path, "a:b $(touch CANARY)")
    message = refuse(shell, new, tmp_path)
    assert message.startswith("error: cannot activate this environment: its path contains ':'")
    assert not (tmp_path / "new" / CANARY).exists()


def test_nushell_refuses_path_with_pathsep(tmp_path: Path) -> None:
    path = require_shell("nu")
    _, new = moved_env(tmp_path, "a:b")
    script = tmp_path / "driver.nu"
    act = quoting.nushell(str(new / "bin" / "activate.nu"))
    script.write_text(f"print before\noverlay use {act}\nprint after\n", encoding="utf-8")
    done = subprocess.run(
        [path, "-n", str(script)], env=clean_environ(tmp_path), capture_output=True, text=True
    )
    # The error ends the script there: nothing after it runs (in a session, the prompt comes
    # back with no overlay added).
    assert done.returncode != 0
    assert done.stdout == "before\n"
    said = " ".join(done.stderr.replace("|", " ").split())  # nushell wraps it in a box
    assert "its path contains ':', which no PATH entry can hold" in said


HINTS = {
    "posix": "_burrow_env_dir=__Q__",
    "tcsh": "set _burrow_env_dir = __Q__",
    "elvish": "set-env _BURROW_ENV_DIR __Q__",
}
QUOTES = {"posix": quoting.posix, "tcsh": quoting.csh, "elvish": quoting.elvish}


@pytest.mark.parametrize("shell", sorted(REFUSING))
def test_told_a_place_with_pathsep_refuses(shell: str, tmp_path: Path) -> None:
    _, new = moved_env(tmp_path, "a:b")
    family = shell if shell in HINTS else "posix"
    hint = HINTS[family].replace("__Q__", QUOTES[family](str(new)))
    message = refuse(shell, new, tmp_path, hint=hint)
    assert message.startswith("error: cannot activate this environment: its path contains ':'")


def test_burrow_activate_refuses_path_with_pathsep(tmp_path: Path) -> None:
    _, new = moved_env(tmp_path, "a:b")
    done = burrow("activate", str(new), "--shell", "dash", check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot activate ")
    assert "no PATH entry can hold" in done.stderr and len(done.stderr.splitlines()) == 1


EXPANDED = ["a$HOME", "${'HOME'}", "$x", "a$_b", "x=~", "é$é"]
VERBATIM = ["a$", "$ x", "a$-b", "$(x)", "a~b=c", "=x~"]


@pytest.mark.parametrize("name", EXPANDED + VERBATIM)
def test_xonsh_refuses_names_it_expands(name: str, tmp_path: Path) -> None:
    _, new = moved_env(tmp_path, name)
    assert xonsh_expands(str(new)) == (name in EXPANDED)
    if name in EXPANDED:
        message = refuse("xonsh", new, tmp_path)
        assert message.startswith("error: cannot activate this environment in xonsh")
    else:
        check("xonsh", new, "p", run_driver("xonsh", new, tmp_path))


# --- what the check cannot be fooled by ------------------------------------------------------


@pytest.mark.parametrize("shell", ["dash", "tcsh", "elvish"])
def test_another_env_at_the_old_place_is_not_activated(shell: str, tmp_path: Path) -> None:
    old, new = moved_env(tmp_path, "new")
    make_env(tmp_path, OLD_NAME, "p", relocatable=True)  # the same path, its own id
    message = refuse(shell, new, tmp_path)
    assert message.startswith(f"error: this environment was moved from '{shown(str(old))}'")


def test_a_fifo_at_the_old_place_is_not_read(tmp_path: Path) -> None:
    old, new = moved_env(tmp_path, "new")
    (old / "bin").mkdir(parents=True)
    os.mkfifo(old / "bin" / "activate")  # reading it would wait for a writer forever
    message = refuse("dash", new, tmp_path)
    assert message.startswith("error: this environment was moved from ")


@pytest.mark.parametrize("shell", ["bash", "zsh", "ksh", "dash"])
def test_moved_env_not_relocatable_refused(shell: str, tmp_path: Path) -> None:
    old = make_env(tmp_path, OLD_NAME, "p")
    new = tmp_path / "new 'x'"
    shutil.move(str(old), str(new))
    # (dash and busybox leave the shell under set -e on any sourced file's `return 1`.)
    prelude = {"bash": "set -euo pipefail", "zsh": "set -euo pipefail", "ksh": "set -eu"}
    prelude = prelude.get(shell, "set -u")
    message = refuse(shell, new, tmp_path, prelude=prelude)
    assert message.startswith(f"error: this environment was moved from '{shown(str(old))}'")
    assert "activate it in bash" not in message  # they would refuse it too
    # burrow activate still activates it where it is now.
    report = activate_with_burrow(shell, new, tmp_path, "posix")
    assert report["ve"] == str(new) and report["prefix"] == str(new)


def test_refusal_under_errexit_stops_the_script_as_any_failing_source(tmp_path: Path) -> None:
    path = require_shell("bash")
    _, new = moved_env(tmp_path, "a:b")
    environ = clean_environ(tmp_path)
    environ["ACT"] = str(new / "bin" / "activate")
    stop = 'set -euo pipefail; . "$ACT"; echo after'
    done = subprocess.run([path, "-c", stop], env=environ, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (1, "")
    assert len(done.stderr.splitlines()) == 1
    go_on = 'set -euo pipefail; . "$ACT" || echo "refused $?"; echo "${VIRTUAL_ENV-unset}"'
    done = subprocess.run([path, "-c", go_on], env=environ, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "refused 1\nunset\n")


# --- the Python side ----------------------------------------------------------------------------


def test_written_for_reads_the_first_line(tmp_path: Path) -> None:
    env = make_env(tmp_path, OLD_NAME, "p")
    for name in ("activate", "activate.csh", "activate.elv"):
        assert written_for(str(env / "bin" / name)) == str(env)
    (tmp_path / "other").write_text("# burrow-environment x '/a'\n", encoding="utf-8")
    assert written_for(str(tmp_path / "other")) == "/a"
    (tmp_path / "old").write_text("# Activate this virtual environment\n", encoding="utf-8")
    assert written_for(str(tmp_path / "old")) is None
    assert written_for(str(tmp_path / "missing")) is None


def test_activation_command_tells_only_a_moved_env(tmp_path: Path) -> None:
    env = make_env(tmp_path, "env", "p", relocatable=True)
    assert running.activation_command(str(env), "dash") == f". {env}/bin/activate"
    new = tmp_path / "new"
    shutil.move(str(env), str(new))
    assert running.activation_command(str(new), "dash") == (
        f"_burrow_env_dir={new}; . {new}/bin/activate"
    )
    assert running.activation_command(str(new), "tcsh").startswith(
        f"set _burrow_env_dir = {new}; source "
    )
    assert running.activation_command(str(new), "elvish").startswith(
        f"set-env _BURROW_ENV_DIR {new}; eval "
    )
    # These find their script's place themselves.
    assert running.activation_command(str(new), "fish") == f"source {new}/bin/activate.fish"


@pytest.mark.parametrize("shell", ["dash", "mksh", "yash"])
def test_burrow_shell_starts_a_moved_env(shell: str, tmp_path: Path) -> None:
    path = require_shell(shell)
    _, new = moved_env(tmp_path, "new 'place' $(touch CANARY)")
    environ = clean_environ(tmp_path)
    del environ["PYTHONHOME"]
    argv, env, _, full = running.shell_plan(str(new), path, environ)
    assert full
    done = subprocess.run(
        argv,
        input=b'printf "ve=%s\\0" "$VIRTUAL_ENV"\nexit\n',
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert parse(done.stdout)["ve"] == str(new), done.stderr
    assert not (tmp_path / "new" / CANARY).exists()


# --- an env made without --relocatable ------------------------------------------------------

# Shells whose script knows where it is: they activate the env there, never a stale place.
FOLLOWING = {"fish", "nushell", "xonsh"}


@pytest.mark.parametrize("shell", ALL)
def test_moved_env_not_relocatable(shell: str, tmp_path: Path) -> None:
    """Made without --relocatable and then moved: fish, nushell and xonsh activate it where
    it is now (the place it was written for is gone); every other shell refuses, as for a
    relocatable env, without suggesting a shell that would follow."""
    old = make_env(tmp_path, "old", "p")
    (tmp_path / "new").mkdir()
    new = tmp_path / "new" / "env"
    shutil.move(str(old), str(new))
    if shell in FOLLOWING:
        check(shell, new, "p", run_driver(shell, new, tmp_path))
        return
    message = refuse(shell, new, tmp_path)
    assert message.startswith(f"error: this environment was moved from '{shown(str(old))}'")
    assert "activate it in bash" not in message


@pytest.mark.parametrize("shell", sorted(FOLLOWING))
def test_not_relocatable_env_through_a_symlink_keeps_its_path(shell: str, tmp_path: Path) -> None:
    """Sourced through a symlink to the env, a script keeps the path it was written for:
    the same directory, reached another way."""
    env = make_env(tmp_path, "real", "p")
    (tmp_path / "link").symlink_to(env)
    assert run_driver(shell, tmp_path / "link", tmp_path)["ve"] == str(env)


@pytest.mark.parametrize("shell", sorted(FOLLOWING))
def test_moved_env_not_relocatable_ignores_another_env_at_the_old_place(
    shell: str, tmp_path: Path
) -> None:
    """A new env made where the moved one was is not the one activated."""
    old = make_env(tmp_path, "old", "p")
    (tmp_path / "new").mkdir()
    new = tmp_path / "new" / "env"
    shutil.move(str(old), str(new))
    make_env(tmp_path, "old", "other")
    check(shell, new, "p", run_driver(shell, new, tmp_path))
