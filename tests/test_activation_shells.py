"""End to end: each activation script in its real shell, with hand-picked and generated names.

A fake environment is built by hand: bin/python links to the real interpreter and a
pyvenv.cfg beside bin makes that a working virtual environment. Each shell activates it,
reports what it sees as NUL-terminated ``key=value`` records, deactivates, and reports again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shells import require_shell

from burrow.activation import quoting, write_activators

Report = Dict[str, str]
UNSET = "<unset>"
OLD_PROMPT = "[P]"
OLD_PYTHONHOME = "/nowhere/home"

CANARY = "CANARY"
NASTY_NAMES = [
    "plain",
    "with space",
    "it's",
    'say "hi"',
    "$HOME",
    "$(touch CANARY)",
    "`touch CANARY`",
    ";touch CANARY;",
    "a&&touch CANARY",
    "back\\slash\\",
    "#hash",
    "100%n%%",
    "bang!!x",
    "star*?[a]",
    "{a,b}",
    "-leading",
    "new\nline",
    "é ü 中文 🐍",
    "r#'x'#",
    "${x-$(touch CANARY)}",
]
NASTY_PROMPTS = [*NASTY_NAMES, "", "\\$ \\w \\u %m %{", "x\n", "${PWD}"]

# A directory name: no "/" and no NUL; no ":" either, which no PATH can hold.
NAME_ALPHABET = st.one_of(
    st.sampled_from(list("'\"$`\\;#%!*?[]{}()&|<>^~-= \n\t")),
    st.sampled_from(["$(touch CANARY)", "`touch CANARY`", ";touch CANARY"]),
    st.characters(exclude_categories=["Cs"], exclude_characters="\0/:"),
)
NAMES = st.lists(NAME_ALPHABET, min_size=1, max_size=6).map("".join)
NAMES = NAMES.filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)
PROMPTS = st.lists(NAME_ALPHABET | st.just("/"), max_size=6).map("".join)


def make_env(parent: Path, name: str, prompt: str, *, relocatable: bool = False) -> Path:
    """A working virtual environment at parent/name, with every activator written."""
    env = parent / name
    bin_dir = env / "bin"
    bin_dir.mkdir(parents=True)
    real = os.path.realpath(sys.executable)
    (bin_dir / "python").symlink_to(real)
    version = ".".join(map(str, sys.version_info[:3]))
    (env / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(real)}\ninclude-system-site-packages = false\n"
        f"version = {version}\n",
        encoding="utf-8",
    )
    site = os.path.relpath(sysconfig.get_path("purelib", vars={"base": "/x"}), "/x")
    write_activators(
        bin_dir,
        env_dir=str(env),
        prompt=prompt,
        site_packages=[site],
        relocatable=relocatable,
        names=["posix", "fish", "csh", "nushell", "xonsh", "elvish", "python"],
    )
    return env


def clean_environ(home: Path) -> dict[str, str]:
    """A small environment: no rc files, no other activation tool on PATH."""
    dirs = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not os.path.exists(os.path.join(d, "deactivate"))
    ]
    return {
        "PATH": os.pathsep.join(dirs),
        "HOME": str(home),
        "TERM": "dumb",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHOME": OLD_PYTHONHOME,
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def parse(out: bytes) -> Report:
    report: Report = {}
    for record in out.decode("utf-8").split("\0")[:-1]:
        key, _, value = record.lstrip("\n").partition("=")
        report[key] = value
    return report


# --- one driver per shell: a script that activates ACT and reports -------------------------

PY_REPORT = "import sys; sys.stdout.write('prefix=' + sys.prefix + chr(0))"

POSIX_DRIVER = r"""
PS1='[P]'
. "$ACT"
printf 've=%s\0' "$VIRTUAL_ENV"
printf 'vp=%s\0' "$VIRTUAL_ENV_PROMPT"
printf 'prompt=%s\0' "${PS1-<unset>}"
printf 'pythonhome=%s\0' "${PYTHONHOME-<unset>}"
printf 'which=%s\0' "$(command -v python)"
python -c "$PY_REPORT"
__RENDER__
deactivate
printf 'after_path=%s\0' "${PATH-<unset>}"
printf 'after_pythonhome=%s\0' "${PYTHONHOME-<unset>}"
printf 'after_prompt=%s\0' "${PS1-<unset>}"
printf 'after_ve=%s\0' "${VIRTUAL_ENV-<unset>}"
if command -v deactivate >/dev/null 2>&1; then printf 'still=yes\0'; fi
"""

FISH_DRIVER = r"""
function fish_prompt; printf '[P]'; end
source $ACT.fish
printf 've=%s\0' $VIRTUAL_ENV
printf 'vp=%s\0' $VIRTUAL_ENV_PROMPT
printf 'prompt=%s\0' (fish_prompt | string collect)
set -q PYTHONHOME; and printf 'pythonhome=%s\0' $PYTHONHOME; or printf 'pythonhome=<unset>\0'
printf 'which=%s\0' (command -v python | string collect)
python -c $PY_REPORT
deactivate
printf 'after_path=%s\0' (string join : $PATH)
printf 'after_pythonhome=%s\0' $PYTHONHOME
printf 'after_prompt=%s\0' (fish_prompt | string collect)
set -q VIRTUAL_ENV; and printf 'after_ve=%s\0' $VIRTUAL_ENV; or printf 'after_ve=<unset>\0'
functions -q deactivate; and printf 'still=yes\0'
true
"""

CSH_DRIVER = r"""
set prompt = '[P]'
source $ACT:q.csh
printf 've=%s\0' $VIRTUAL_ENV:q
printf 'vp=%s\0' $VIRTUAL_ENV_PROMPT:q
printf 'prompt=%s\0' $prompt:q
if ( $?PYTHONHOME ) then
    printf 'pythonhome=%s\0' $PYTHONHOME:q
else
    printf 'pythonhome=<unset>\0'
endif
python -c $PY_REPORT:q
deactivate
printf 'after_path=%s\0' $PATH:q
printf 'after_pythonhome=%s\0' $PYTHONHOME:q
printf 'after_prompt=%s\0' $prompt:q
if ( $?VIRTUAL_ENV ) then
    printf 'after_ve=%s\0' $VIRTUAL_ENV:q
else
    printf 'after_ve=<unset>\0'
endif
"""

NU_DRIVER = r"""
$env.PROMPT_COMMAND = {|| '[P]' }
def out [key: string, value: any] { print -n ($key + '=' + ($value | into string) + (char nul)) }
overlay use __ACT__
out ve $env.VIRTUAL_ENV
out vp $env.VIRTUAL_ENV_PROMPT
out prompt (do $env.PROMPT_COMMAND)
out pythonhome ($env.PYTHONHOME? | default '<unset>')
out which (which python | get 0.path)
^python -c $env.PY_REPORT
deactivate
out after_path ($env.PATH | str join (char esep))
out after_pythonhome ($env.PYTHONHOME? | default '<unset>')
out after_prompt (do $env.PROMPT_COMMAND)
out after_ve ($env.VIRTUAL_ENV? | default '<unset>')
"""

XONSH_DRIVER = r"""
import sys
def out(key, value):
    sys.stdout.write(key + '=' + str(value) + chr(0))
    sys.stdout.flush()
source @($ACT + '.xsh')
out('ve', $VIRTUAL_ENV)
out('vp', $VIRTUAL_ENV_PROMPT)
if 'PROMPT_FIELDS' in ${...} and callable($PROMPT_FIELDS.get('env_name')):
    out('prompt', $PROMPT_FIELDS['env_name']() + '[P]')
out('pythonhome', ${...}.get('PYTHONHOME', '<unset>'))
python -c $PY_REPORT
deactivate
out('after_path', ':'.join($PATH))
out('after_pythonhome', ${...}.get('PYTHONHOME', '<unset>'))
out('after_ve', ${...}.get('VIRTUAL_ENV', '<unset>'))
if 'deactivate' in aliases:
    out('still', 'yes')
"""

ELVISH_DRIVER = r"""
fn out {|key value| print $key'='$value"\x00" }
var deactivate~
eval (slurp < $E:ACT.elv) &on-end={|ns| set deactivate~ = $ns[deactivate~] }
out ve $E:VIRTUAL_ENV
out vp $E:VIRTUAL_ENV_PROMPT
if (has-env PYTHONHOME) { out pythonhome $E:PYTHONHOME } else { out pythonhome '<unset>' }
out which (search-external python)
python -c $E:PY_REPORT
deactivate
out after_path $E:PATH
out after_pythonhome $E:PYTHONHOME
if (has-env VIRTUAL_ENV) { out after_ve $E:VIRTUAL_ENV } else { out after_ve '<unset>' }
"""

PYTHON_DRIVER = r"""
import os, sys
act = os.environ['ACT'] + '_this.py'
exec(open(act, encoding='utf-8').read(), {'__file__': act})
def out(key, value):
    sys.stdout.write(key + '=' + value + chr(0))
out('ve', os.environ['VIRTUAL_ENV'])
out('vp', os.environ['VIRTUAL_ENV_PROMPT'])
out('prefix', sys.prefix)
out('path0', os.environ['PATH'].split(os.pathsep)[0])
"""

RENDER = {
    # bash can expand its own prompt: ${PS1@P} shows what the user would see.
    "bash": """printf 'rendered=%s\\0' "${PS1@P}" """,
}


def _posix(shell: str, flags: list[str], prelude: str = "set -eu") -> Callable[..., list[str]]:
    def argv(path: str, script: Path) -> list[str]:
        text = POSIX_DRIVER.replace("__RENDER__", RENDER.get(shell, ""))
        script.write_text(prelude + "\n" + text, encoding="utf-8")
        return [path, *flags, str(script)]

    return argv


def _file(text: str, flags: list[str]) -> Callable[..., list[str]]:
    def argv(path: str, script: Path) -> list[str]:
        script.write_text(text, encoding="utf-8")
        return [path, *flags, str(script)]

    return argv


DRIVERS: dict[str, tuple[str, Callable[..., list[str]]]] = {
    "bash": ("bash", _posix("bash", ["--norc", "--noprofile"], "set -euo pipefail; set +h")),
    "zsh": ("zsh", _posix("zsh", ["-f"], "set -euo pipefail")),
    "dash": ("dash", _posix("dash", [])),
    "ksh": ("ksh", _posix("ksh", [])),
    "mksh": ("mksh", _posix("mksh", [])),
    "yash": ("yash", _posix("yash", ["--norcfile"])),
    "busybox": ("busybox", _posix("busybox", ["sh"])),
    "fish": ("fish", _file(FISH_DRIVER, ["--no-config"])),
    "tcsh": ("tcsh", _file(CSH_DRIVER, ["-f"])),
    "nushell": ("nu", _file(NU_DRIVER, ["-n"])),
    "xonsh": ("xonsh", _file(XONSH_DRIVER, ["--no-rc"])),
    "elvish": ("elvish", _file(ELVISH_DRIVER, ["-norc"])),
    "python": (sys.executable, _file(PYTHON_DRIVER, [])),
}
POSIX_SHELLS = {"bash", "zsh", "dash", "ksh", "mksh", "yash", "busybox"}
# Shells that can tell where a sourced file is, and so follow an environment that moved.
RELOCATING = {"bash", "zsh", "ksh", "fish", "nushell", "xonsh", "python"}


def run(shell: str, env: Path, workdir: Path) -> Report:
    command, make_argv = DRIVERS[shell]
    path = command if shell == "python" else require_shell(command)
    script = workdir / "driver"
    argv = make_argv(path, script)
    if shell == "nushell":
        act = quoting.nushell(str(env / "bin" / "activate.nu"))
        script.write_text(NU_DRIVER.replace("__ACT__", act), encoding="utf-8")
    environ = clean_environ(workdir)
    environ["ACT"] = str(env / "bin" / "activate")
    environ["PY_REPORT"] = PY_REPORT
    if shell in ("xonsh", "python"):
        del environ["PYTHONHOME"]  # they are Python themselves
    done = subprocess.run(argv, cwd=workdir, env=environ, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    report = parse(done.stdout)
    report["_before_path"] = environ["PATH"]
    report["_before_pythonhome"] = environ.get("PYTHONHOME", UNSET)
    return report


def check(shell: str, env: Path, prompt: str, report: Report) -> None:
    """What every activation must show, in any shell."""
    expected_env = str(env)
    assert report["ve"] == expected_env
    assert report["vp"] == prompt
    if shell == "python":
        assert report["prefix"] == expected_env
        assert report["path0"] == os.path.join(expected_env, "bin")
        return
    assert report["pythonhome"] == UNSET
    # ksh quotes what `command -v` prints when it looks odd.
    if "which" in report and shell != "ksh":
        assert report["which"] == os.path.join(expected_env, "bin", "python")
    assert report["prefix"] == expected_env
    if "prompt" in report:
        assert report["prompt"].endswith(OLD_PROMPT)
    if shell in ("fish", "nushell", "xonsh"):
        assert report["prompt"] == f"({prompt}) {OLD_PROMPT}"
    if "rendered" in report:
        assert report["rendered"] == f"({prompt}) {OLD_PROMPT}"
    # deactivate puts everything back and removes itself.
    assert report["after_path"] == report["_before_path"]
    assert report["after_pythonhome"] == report["_before_pythonhome"]
    assert report["after_ve"] == UNSET
    if "after_prompt" in report:
        assert report["after_prompt"] == OLD_PROMPT
    assert "still" not in report


def activate_and_check(shell: str, parent: Path, name: str, prompt: str) -> None:
    from test_activation_moved import refuse, xonsh_expands  # it builds on this module

    env = make_env(parent, name, prompt)
    if shell == "xonsh" and xonsh_expands(str(env)):
        # xonsh expands $NAME in every PATH entry: it refuses such a path, changing nothing.
        message = refuse("xonsh", env, parent)
        assert message.startswith("error: cannot activate this environment in xonsh")
    else:
        check(shell, env, prompt, run(shell, env, parent))
    assert not (parent / CANARY).exists(), "a value was executed"


ALL_SHELLS = sorted(DRIVERS)
FAST = ["bash", "zsh", "dash", "fish", "tcsh", "python"]


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_activate_plain(shell: str, tmp_path: Path) -> None:
    activate_and_check(shell, tmp_path, "env", "env")


@pytest.mark.parametrize("shell", FAST)
def test_activate_nasty_fast(shell: str, tmp_path: Path) -> None:
    name = "a $(touch CANARY) `touch CANARY` ;touch CANARY 'q\" \\ # % ! * {a,b} -x\nz é"
    activate_and_check(shell, tmp_path, name, name + "%n\\$")


@pytest.mark.slow
@pytest.mark.parametrize("name", NASTY_NAMES)
@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_nasty_env_names(shell: str, name: str, tmp_path: Path) -> None:
    activate_and_check(shell, tmp_path, name, "p")


@pytest.mark.slow
@pytest.mark.parametrize("prompt", NASTY_PROMPTS)
@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_nasty_prompts(shell: str, prompt: str, tmp_path: Path) -> None:
    activate_and_check(shell, tmp_path, "env", prompt)


GENERATED = settings(
    max_examples=int(os.environ.get("BURROW_SHELL_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.slow
@pytest.mark.parametrize("shell", ALL_SHELLS)
@GENERATED
@given(name=NAMES, prompt=PROMPTS)
def test_generated_names(shell: str, name: str, prompt: str, tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as parent:
        activate_and_check(shell, Path(parent), name, prompt)


# A moved environment: see test_activation_moved.py.


@pytest.mark.parametrize("shell", sorted(POSIX_SHELLS))
def test_second_activation_deactivates_first(shell: str, tmp_path: Path) -> None:
    path = require_shell(DRIVERS[shell][0])
    first = make_env(tmp_path, "one", "one")
    second = make_env(tmp_path, "two", "two")
    script = tmp_path / "driver"
    script.write_text(
        'set -eu\nPS1=\'[P]\'\n. "$ONE"\n. "$TWO"\n'
        'printf \'ve=%s\\0path=%s\\0\' "$VIRTUAL_ENV" "$PATH"\n'
        'deactivate\nprintf \'after_path=%s\\0after_prompt=%s\\0\' "$PATH" "$PS1"\n',
        encoding="utf-8",
    )
    environ = clean_environ(tmp_path)
    environ.update(ONE=str(first / "bin/activate"), TWO=str(second / "bin/activate"))
    argv = [path, "sh", str(script)] if shell == "busybox" else [path, str(script)]
    done = subprocess.run(argv, env=environ, capture_output=True, check=True)
    report = parse(done.stdout)
    assert report["ve"] == str(second)
    assert report["path"] == f"{second}/bin{os.pathsep}{environ['PATH']}"
    assert report["after_path"] == environ["PATH"]
    assert report["after_prompt"] == OLD_PROMPT


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash", "ksh", "mksh", "yash"])
def test_executed_instead_of_sourced_says_how(shell: str, tmp_path: Path) -> None:
    path = require_shell(shell)
    env = make_env(tmp_path, "env", "env")
    done = subprocess.run(
        [path, str(env / "bin" / "activate")],
        env=clean_environ(tmp_path),
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "must be sourced" in done.stderr


def test_disable_prompt_leaves_prompt(tmp_path: Path) -> None:
    path = require_shell("bash")
    env = make_env(tmp_path, "env", "env")
    environ = clean_environ(tmp_path)
    environ.update(ACT=str(env / "bin/activate"), VIRTUAL_ENV_DISABLE_PROMPT="1")
    done = subprocess.run(
        [path, "--norc", "-c", 'PS1="[P]"; . "$ACT"; printf %s "$PS1"'],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == OLD_PROMPT


@pytest.mark.parametrize("shell", sorted(POSIX_SHELLS))
def test_unset_and_empty_prompt_restored(shell: str, tmp_path: Path) -> None:
    path = require_shell(DRIVERS[shell][0])
    env = make_env(tmp_path, "env", "env")
    script = tmp_path / "driver"
    script.write_text(
        'set -u\nunset PS1\n. "$ACT"\nprintf "during=%s\\0" "$PS1"\ndeactivate\n'
        'printf "unset=%s\\0" "${PS1-<unset>}"\n'
        'PS1=\n. "$ACT"\ndeactivate\nprintf "empty=%s\\0" "${PS1-<unset>}"\n',
        encoding="utf-8",
    )
    environ = clean_environ(tmp_path)
    environ["ACT"] = str(env / "bin/activate")
    argv = [path, "sh", str(script)] if shell == "busybox" else [path, str(script)]
    report = parse(subprocess.run(argv, env=environ, capture_output=True, check=True).stdout)
    assert report["during"].startswith("(") or report["during"].startswith("${")
    assert report["unset"] == UNSET
    assert report["empty"] == ""


# --- what an interactive shell really shows ---------------------------------------------------
# Run with -i and commands on stdin, a shell prints its expanded prompt before each line it
# reads (to stderr); no terminal needed.

INTERACTIVE = {
    "bash": ["--norc", "--noprofile", "-i"],
    "zsh": ["-f", "-i"],
    "zsh-subst": ["-f", "-i"],
    "dash": ["-i"],
    "ksh": ["-i"],
    "mksh": ["-i"],
    "yash": ["--norcfile", "-i"],
    "busybox": ["sh", "-i"],
    "tcsh": ["-f", "-i"],
}
RENDER_PROMPTS = [
    "$(touch CANARY) `touch CANARY` ${HOME} \\$ \\w \\\\ %n %% ! !! ' \" # * é",
    "plain",
]


@pytest.mark.parametrize("prompt", RENDER_PROMPTS)
@pytest.mark.parametrize("shell", sorted(INTERACTIVE))
def test_interactive_prompt_shows_text_as_is(shell: str, prompt: str, tmp_path: Path) -> None:
    path = require_shell(shell.split("-")[0])
    env = make_env(tmp_path, "env", prompt)
    if shell == "tcsh":
        lines = ["set prompt = '[P]'", "source $ACT:q.csh", "echo", "deactivate", "echo"]
    else:
        lines = ["PS1='[P]'", '. "$ACT"', ":", "deactivate", ":"]
        if shell == "zsh-subst":
            lines.insert(0, "setopt promptsubst promptbang")
    environ = clean_environ(tmp_path)
    environ.update(ACT=str(env / "bin" / "activate"), ENV="/dev/null")
    del environ["PYTHONHOME"]
    process = subprocess.Popen(
        [path, *INTERACTIVE[shell]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env=environ,
    )
    assert process.stdin is not None
    for line in lines:
        # tcsh prints a prompt only once it has read all it was given: feed it line by line.
        process.stdin.write(line.encode() + b"\n")
        process.stdin.flush()
        if shell == "tcsh":
            time.sleep(0.3)
    shown = process.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert f"({prompt}) [P]" in shown
    assert not (tmp_path / CANARY).exists(), "the prompt ran a command"
