"""The activation API: names, which files are written, and the text of the scripts for the
shells that cannot run here (PowerShell, cmd.exe)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from burrow.activation import ACTIVATORS, parse_activators, write_activators
from burrow.activation.scripts import render

NASTY = "a $(touch X) `x` ;x 'q\" \\ # % ! * {a,b} ^&|<>()"


def test_parse_activators_aliases() -> None:
    assert parse_activators("bash,fish") == ("posix", "fish")
    assert parse_activators("zsh, tcsh,nu,pwsh,cmd,py") == (
        "posix",
        "csh",
        "nushell",
        "powershell",
        "batch",
        "python",
    )
    assert parse_activators("all") == ACTIVATORS
    assert parse_activators("fish,fish") == ("fish",)


def test_parse_activators_unknown_is_one_line() -> None:
    with pytest.raises(ValueError, match="unknown activator 'tcl'") as error:
        parse_activators("bash,tcl")
    assert "\n" not in str(error.value)
    assert "posix" in str(error.value)


def _write(tmp_path: Path, **kwargs: object) -> list[Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    options: dict[str, object] = {
        "env_dir": "/srv/env",
        "prompt": "env",
        "site_packages": ["lib/python3.12/site-packages"],
    }
    options.update(kwargs)
    return [Path(p) for p in write_activators(bin_dir, **options)]  # type: ignore[arg-type]


def test_all_files_off_windows(tmp_path: Path) -> None:
    names = sorted(p.name for p in _write(tmp_path, windows=False))
    assert names == sorted(
        [
            "activate",
            "activate.fish",
            "activate.csh",
            "activate.nu",
            "activate.xsh",
            "activate.elv",
            "Activate.ps1",
            "activate_this.py",
        ]
    )


def test_batch_on_windows_or_when_asked(tmp_path: Path) -> None:
    names = {p.name for p in _write(tmp_path, windows=True)}
    assert {"activate.bat", "deactivate.bat"} <= names
    assert [p.name for p in _write(tmp_path, names=["cmd"], windows=False)] == [
        "activate.bat",
        "deactivate.bat",
    ]


def test_no_placeholder_left(tmp_path: Path) -> None:
    for path in _write(tmp_path, windows=True, prompt=NASTY, env_dir="/srv/" + NASTY):
        assert "__BURROW_" not in path.read_text(encoding="utf-8"), path.name


def test_render_never_rescans_a_value() -> None:
    text = render("__BURROW_A__ __BURROW_B__", {"A": "__BURROW_B__", "B": "b"})
    assert text == "__BURROW_B__ b"


def test_activate_this_is_python(tmp_path: Path) -> None:
    (path,) = _write(tmp_path, names=["python"], prompt=NASTY, env_dir="/srv/" + NASTY)
    ast.parse(path.read_text(encoding="utf-8"))


def test_powershell_text(tmp_path: Path) -> None:
    (path,) = _write(tmp_path, names=["powershell"], prompt="it's $(x)", env_dir="C:\\e\u2019v")
    text = path.read_text(encoding="utf-8")
    assert "$BurrowEnvDir = 'C:\\e\u2019\u2019v'" in text
    assert "$env:VIRTUAL_ENV_PROMPT = 'it''s $(x)'" in text
    assert "if ($false)" in text
    # The prompt prints a saved string; it never builds code from the values.
    assert "Invoke-Expression" not in text
    assert "iex " not in text


def test_powershell_relocatable(tmp_path: Path) -> None:
    (path,) = _write(tmp_path, names=["powershell"], relocatable=True)
    assert "if ($true)" in path.read_text(encoding="utf-8")


def test_batch_text(tmp_path: Path) -> None:
    paths = _write(tmp_path, names=["batch"], prompt='a&b "%x%"', env_dir="C:\\a&b %PATH% (x)")
    activate = paths[0].read_bytes().decode("utf-8")
    assert "\r\n" in activate
    assert "@set _BURROW_ENV=C:\\a^&b %%PATH%% ^(x^)\r\n" in activate
    assert '@set VIRTUAL_ENV_PROMPT=a^&b ^"%%x%%^"\r\n' in activate
    assert "set \"PROMPT=$Ca$Ab '%%x%%'$F %_BURROW_OLD_PROMPT%\"" in activate
    assert "deactivate.bat" in activate


def test_batch_refuses_newline_in_prompt(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line break"):
        _write(tmp_path, names=["batch"], prompt="a\nb")


def test_posix_script_quotes_values(tmp_path: Path) -> None:
    (path,) = _write(tmp_path, names=["posix"], env_dir="/srv/it's", prompt="p")
    text = path.read_text(encoding="utf-8")
    assert "*) _burrow_try='/srv/it'\\''s' ;;" in text
    assert "if [ -n '' ]; then" in text  # not relocatable


def test_powershell_refuses_a_path_path_cannot_name(tmp_path: Path) -> None:
    (path,) = _write(tmp_path, names=["powershell"], relocatable=True)
    text = path.read_text(encoding="utf-8")
    check = "if ($BurrowEnvDir.Contains([string][System.IO.Path]::PathSeparator)) {"
    assert check in text
    assert "    throw 'error: cannot activate this environment: its path contains " in text
    # Before anything changes: no deactivate defined, no variable saved.
    assert text.index(check) < text.index("function global:deactivate")
    assert text.index(check) < text.index("$global:_BurrowOldPath =")


def test_batch_refuses_a_path_path_cannot_name(tmp_path: Path) -> None:
    (path, _) = _write(tmp_path, names=["batch"], relocatable=True)
    text = path.read_bytes().decode("utf-8")
    check = '@if not "%_BURROW_ENV:;=%"=="%_BURROW_ENV%" ('
    assert check in text
    assert "@exit /b 1" in text
    # The message's parentheses are escaped, so they cannot end the block early.
    assert "    @echo error: cannot activate this environment: its path contains " in text
    assert text.index(check) < text.index('call "%~dp0deactivate.bat"')
    assert text.index(check) < text.index('@set "VIRTUAL_ENV=%_BURROW_ENV%"')


def test_scripts_that_check_their_place_share_one_id_per_write(tmp_path: Path) -> None:
    def first_lines(where: Path) -> set[str]:
        where.mkdir()
        paths = _write(where, names=["posix", "csh", "elvish"], env_dir="/srv/a'b\n")
        return {p.read_text(encoding="utf-8").split("\n", 1)[0] for p in paths}

    (line,) = first_lines(tmp_path / "one")
    mark, identity, where = line.rsplit(" ", 2)
    assert mark == "# burrow-environment"
    assert len(identity) == 32 and int(identity, 16) >= 0
    assert where == repr("/srv/a'b\n")
    assert first_lines(tmp_path / "two") != {line}  # another env, another id


def test_rewritten_scripts_keep_the_id_of_their_env(tmp_path: Path) -> None:
    def first_line() -> str:
        return (tmp_path / "bin" / "activate").read_text(encoding="utf-8").split("\n", 1)[0]

    _write(tmp_path, names=["posix"])
    line = first_line()
    _write(tmp_path, names=["posix"], prompt="other")  # e.g. create --upgrade
    assert first_line() == line
    _write(tmp_path, names=["posix"], env_dir="/srv/elsewhere")
    assert first_line() != line
    _write(tmp_path, names=["posix"], identity="0" * 32)
    assert first_line() == "# burrow-environment " + "0" * 32 + " '/srv/env'"
