"""One quoting function per shell: each turns any text into a literal that shell reads back
exactly, without expanding or running any part of it.

Example: ``posix("it's $HOME")`` -> ``'it'\\''s $HOME'``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

__all__ = [
    "as_word",
    "batch",
    "csh",
    "elvish",
    "fish",
    "nushell",
    "posix",
    "powershell",
    "python",
]


# Characters every shell reads literally in a word (none of them starts an expansion).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")


def as_word(text: str, quote: Callable[[str], str]) -> str:
    """``text`` as is when every shell reads it literally, else ``quote(text)``.

    Example: ``as_word(".venv/bin/activate", posix)`` -> ``.venv/bin/activate``.
    """
    plain = bool(text) and text[0] != "-" and all(ch in _PLAIN for ch in text)
    return text if plain else quote(text)


def posix(text: str) -> str:
    """sh/bash/zsh/ksh single quotes: nothing inside is special but ``'`` itself.

    Example: ``posix("a'b")`` -> ``'a'\\''b'``.
    """
    return "'" + text.replace("'", "'\\''") + "'"


def fish(text: str) -> str:
    """fish single quotes, where only ``\\`` and ``'`` need a backslash.

    Example: ``fish("a'b")`` -> ``'a\\'b'``.
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def csh(text: str) -> str:
    """csh/tcsh single quotes; ``!`` (history) and newlines still need a backslash there.

    The result is one word when used as ``set x = WORD`` or ``setenv X WORD``; expand it
    later only as ``$x:q``, never inside double quotes (csh cannot hold a newline there).
    Example: ``csh("a!b")`` -> ``'a\\!b'``.
    """
    body = text.replace("'", "'\\''").replace("!", "\\!").replace("\n", "\\\n")
    return "'" + body + "'"


def nushell(text: str) -> str:
    """nushell raw string ``r#'…'#`` with more ``#`` than any run of them in the text.

    (More than strictly needed: nushell 0.108 misreads ``r#'#x'#``.)
    Example: ``nushell("a'#b")`` -> ``r##'a'#b'##``.
    """
    longest = 0
    while "#" * (longest + 1) in text:
        longest += 1
    hashes = "#" * (longest + 1)
    return "r" + hashes + "'" + text + "'" + hashes


def elvish(text: str) -> str:
    """elvish single quotes, where ``''`` stands for one ``'``.

    Example: ``elvish("a'b")`` -> ``'a''b'``.
    """
    return "'" + text.replace("'", "''") + "'"


def python(text: str) -> str:
    """A Python (and xonsh) string literal, ASCII-only so the file's encoding never matters.

    Example: ``python("é")`` -> ``'\\xe9'``.
    """
    return ascii(text)


# PowerShell treats the typographic single quotes as quotes too; each is escaped by doubling.
_POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"


def powershell(text: str) -> str:
    """PowerShell verbatim string: single quotes, where a doubled quote stands for one.

    Example: ``powershell("a'b$c")`` -> ``'a''b$c'``.
    """
    body = "".join(c + c if c in _POWERSHELL_QUOTES else c for c in text)
    return "'" + body + "'"


_BATCH_CARET = frozenset('^&|<>()"')


def batch(text: str) -> str:
    """cmd.exe text for an unquoted ``set NAME=…`` line in a .bat file (delayed expansion off).

    Special characters get a caret, ``%`` is doubled; cmd cannot hold a newline in a
    variable set this way, so one is refused. Example: ``batch("a&b%")`` -> ``a^&b%%``.
    """
    if "\n" in text or "\r" in text or "\0" in text:
        raise ValueError(f"cmd.exe cannot hold a line break in a variable: {text!r}")
    return "".join("^" + c if c in _BATCH_CARET else "%%" if c == "%" else c for c in text)


# Prompt strings are expanded again by some shells every time they are shown; these escape
# text so that it is shown as it is and never expanded. Each maps text to text (still to be
# quoted for the script). Found by running each shell with -i and reading its prompt.


def _escape(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in text)


def bash_ps1(text: str, *, promptvars: bool) -> str:
    """bash decodes backslash escapes, then (with ``promptvars``) expands ``$`` and backticks."""
    if promptvars:
        return _escape(text, {"\\": "\\\\\\\\", "$": "\\\\$", "`": "\\\\`"})
    return _escape(text, {"\\": "\\\\"})


def zsh_ps1(text: str, *, percent: bool, subst: bool, bang: bool) -> str:
    """zsh's prompt options each make other characters special."""
    table: dict[str, str] = {}
    if subst:
        table.update({"\\": "\\\\", "$": "\\$", "`": "\\`"})
    if percent:
        table["%"] = "%%"
    if bang:
        table["!"] = "!!"
    return _escape(text, table)


def ksh_ps1(text: str) -> str:
    """ksh93 expands PS1 like a double-quoted word with quote removal, and ``!`` is the event."""
    return _escape(text, {"\\": "\\\\", "$": "\\$", "`": "\\`", '"': '\\"', "'": "\\'", "!": "!!"})


def mksh_ps1(text: str) -> str:
    """mksh expands ``$``, backticks and backslashes in PS1, and ``!`` is the event number."""
    return _escape(text, {"\\": "\\\\", "$": "\\$", "`": "\\`", "!": "!!"})


def dash_ps1(text: str) -> str:
    """dash (and a POSIX sh we cannot name) expands ``$`` and backticks in PS1."""
    return _escape(text, {"\\": "\\\\", "$": "\\$", "`": "\\`"})


def busybox_ps1(text: str) -> str:
    """busybox ash expands PS1, then decodes backslash escapes: octal escapes survive both."""
    return _escape(text, {"\\": "\\134", "$": "\\044", "`": "\\140"})


def yash_ps1_value(text: str) -> str:
    """yash expands PS1 (a backslash does not protect ``$``), then decodes backslashes.

    So the text goes into a variable that PS1 names; only its backslashes need doubling.
    """
    return text.replace("\\", "\\\\")


def tcsh_prompt(text: str) -> str:
    """tcsh's ``prompt`` treats ``%`` sequences, ``!`` (the event number) and ``\\`` specially."""
    return _escape(text, {"%": "%%", "!": "\\!", "\\": "\\\\"})


_CMD_PROMPT_CODES = {
    "$": "$$",
    "&": "$A",
    "|": "$B",
    "(": "$C",
    ")": "$F",
    "<": "$L",
    ">": "$G",
    "=": "$Q",
    "%": "%%",
    # cmd.exe has no PROMPT code for a double quote, and one would end the quoted `set`.
    '"': "'",
}


def cmd_prompt(text: str) -> str:
    """Text for cmd.exe's PROMPT inside ``set "PROMPT=…"`` in a .bat file, via PROMPT codes.

    Example: ``cmd_prompt("(a&b) ")`` -> ``$Ca$Ab$F ``.
    """
    if "\n" in text or "\r" in text or "\0" in text:
        raise ValueError(f"cmd.exe cannot show a line break in its prompt: {text!r}")
    return "".join(_CMD_PROMPT_CODES.get(c, c) for c in text)
