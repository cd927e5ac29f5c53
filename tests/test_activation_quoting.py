"""Each quoting function, and round trips through the real shells where they are installed."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shells import require_shell

from burrow.activation import quoting

NASTY = [
    "",
    "plain",
    "two words",
    "it's",
    'say "hi"',
    "$HOME",
    "$(touch CANARY)",
    "`touch CANARY`",
    ";touch CANARY",
    "back\\slash",
    "trailing\\",
    "#hash",
    "100%",
    "%n%~",
    "bang!",
    "!!",
    "\\!",
    "star*?[a]",
    "{a,b}",
    "-leading",
    "new\nline",
    "trailing newline\n",
    "\n",
    "tab\there",
    "é ü 中文 🐍",
    "'\"'\"",
    "r#'x'#",
    "'##",
    "^&|<>()",
]

# Text any shell can hold: no NUL, no surrogates (not encodable in a script).
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("'\"$`\\;#%!*?[]{}()&|<>^~-= \n\t")),
        st.characters(exclude_categories=["Cs"], exclude_characters="\0"),
    ),
    max_size=20,
)
SHELL_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_posix_examples() -> None:
    assert quoting.posix("it's $HOME") == "'it'\\''s $HOME'"
    assert quoting.posix("") == "''"


def test_fish_examples() -> None:
    assert quoting.fish("a'b\\c") == "'a\\'b\\\\c'"


def test_csh_examples() -> None:
    assert quoting.csh("a!b") == "'a\\!b'"
    assert quoting.csh("a\nb") == "'a\\\nb'"


def test_nushell_uses_enough_hashes() -> None:
    assert quoting.nushell("plain") == "r#'plain'#"
    assert quoting.nushell("a'#b") == "r##'a'#b'##"
    assert quoting.nushell("#x") == "r##'#x'##"


def test_elvish_examples() -> None:
    assert quoting.elvish("a'b") == "'a''b'"


@given(TEXT)
def test_python_round_trip(text: str) -> None:
    literal = quoting.python(text)
    assert literal.isascii()
    assert eval(literal) == text  # noqa: S307 - the literal under test


def test_powershell_doubles_every_kind_of_single_quote() -> None:
    assert quoting.powershell("a'b") == "'a''b'"
    assert quoting.powershell('$(x) `n "') == "'$(x) `n \"'"
    assert (
        quoting.powershell("\u2018\u2019\u201a\u201b")
        == "'" + "".join(c + c for c in "\u2018\u2019\u201a\u201b") + "'"
    )


@given(TEXT)
def test_powershell_literal_has_no_lone_quote(text: str) -> None:
    body = quoting.powershell(text)[1:-1]
    # Reading it back as PowerShell does: a doubled quote is one quote, a lone one ends.
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c in "'\u2018\u2019\u201a\u201b":
            assert body[i + 1] == c
            i += 1
        out.append(c)
        i += 1
    assert "".join(out) == text


def test_batch_escapes_specials_and_percent() -> None:
    assert quoting.batch('a&b|c<d>e^f(g)h"i%j!k') == 'a^&b^|c^<d^>e^^f^(g^)h^"i%%j!k'


def test_batch_refuses_line_breaks() -> None:
    with pytest.raises(ValueError, match="line break"):
        quoting.batch("a\nb")


@given(TEXT.filter(lambda t: "\n" not in t and "\r" not in t))
def test_batch_leaves_no_bare_special(text: str) -> None:
    quoted = quoting.batch(text)
    i = 0
    while i < len(quoted):
        c = quoted[i]
        if c == "^":
            assert quoted[i + 1] in '^&|<>()"'
            i += 2
            continue
        if c == "%":
            assert quoted[i + 1] == "%"
            i += 2
            continue
        assert c not in '&|<>()"'
        i += 1


def test_cmd_prompt_uses_prompt_codes() -> None:
    assert quoting.cmd_prompt("(a&b) $") == "$Ca$Ab$F $$"
    assert '"' not in quoting.cmd_prompt('say "x"')


def test_prompt_escapes() -> None:
    assert quoting.bash_ps1("$x", promptvars=True) == "\\\\$x"
    assert quoting.zsh_ps1("%!", percent=True, subst=False, bang=True) == "%%!!"
    assert quoting.tcsh_prompt("%!\\") == "%%\\!\\\\"


def _printed(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


@pytest.mark.parametrize("text", NASTY)
@pytest.mark.parametrize("shell", ["sh", "bash", "zsh", "dash", "ksh", "mksh", "yash"])
def test_posix_round_trip_nasty(shell: str, text: str, tmp_path: object) -> None:
    path = require_shell(shell)
    assert _printed([path, "-c", "printf %s " + quoting.posix(text)]) == text


@SHELL_SETTINGS
@given(text=TEXT)
def test_posix_round_trip_generated(text: str) -> None:
    path = require_shell("sh")
    assert _printed([path, "-c", "printf %s " + quoting.posix(text)]) == text


@pytest.mark.parametrize("text", NASTY)
def test_fish_round_trip_nasty(text: str) -> None:
    path = require_shell("fish")
    assert _printed([path, "--no-config", "-c", "printf %s " + quoting.fish(text)]) == text


@SHELL_SETTINGS
@given(text=TEXT)
def test_fish_round_trip_generated(text: str) -> None:
    path = require_shell("fish")
    assert _printed([path, "--no-config", "-c", "printf %s " + quoting.fish(text)]) == text


def _csh_round_trip(path: str, text: str, tmp: str) -> str:
    # A file, not -c: csh reads a sourced file line by line, as activate.csh is read.
    import pathlib
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csh", dir=tmp, delete=False) as script:
        script.write("set v = " + quoting.csh(text) + "\nprintf %s $v:q\n")
    try:
        return _printed([path, "-f", script.name])
    finally:
        pathlib.Path(script.name).unlink()


@pytest.mark.parametrize("text", NASTY)
def test_csh_round_trip_nasty(text: str, tmp_path: object) -> None:
    path = require_shell("tcsh")
    assert _csh_round_trip(path, text, str(tmp_path)) == text


@SHELL_SETTINGS
@given(text=TEXT)
def test_csh_round_trip_generated(text: str) -> None:
    import tempfile

    path = require_shell("tcsh")
    with tempfile.TemporaryDirectory() as tmp:
        assert _csh_round_trip(path, text, tmp) == text


@pytest.mark.parametrize("text", NASTY)
def test_nushell_round_trip_nasty(text: str) -> None:
    path = require_shell("nu")
    assert _printed([path, "-n", "-c", "print -n " + quoting.nushell(text)]) == text


@settings(max_examples=25, deadline=None)
@given(text=TEXT)
def test_nushell_round_trip_generated(text: str) -> None:
    path = require_shell("nu")
    assert _printed([path, "-n", "-c", "print -n " + quoting.nushell(text)]) == text


@pytest.mark.parametrize("text", NASTY)
def test_elvish_round_trip_nasty(text: str) -> None:
    path = require_shell("elvish")
    assert _printed([path, "-norc", "-c", "print " + quoting.elvish(text)]) == text


@SHELL_SETTINGS
@given(text=TEXT)
def test_elvish_round_trip_generated(text: str) -> None:
    path = require_shell("elvish")
    assert _printed([path, "-norc", "-c", "print " + quoting.elvish(text)]) == text
