"""Command-line options declared once, as data: argparse is built from them, and so is a
fast path that reads a plain ``burrow create …`` without importing argparse at all.

argparse with its formatter (shutil, lzma, bz2, gettext, locale) costs several
milliseconds before any work is done, which is a large share of a warm create. The fast
path accepts only the unambiguous forms (known options spelled in full, values that do
not look like options, at most one positional) and returns None for anything else, so
argparse still decides every unusual case, every error and all help output. A property
test checks that whenever the fast path answers, argparse answers the same.
"""

from __future__ import annotations

from burrow._fast import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

#: kinds of option, a subset of argparse's actions
FLAG_TRUE = "store_true"
FLAG_FALSE = "store_false"
COUNT = "count"
VALUE = "store"
OPTIONAL_VALUE = "optional"  # nargs="?" with a const: argparse may take the next word
#: A list, one value per use (``-r a -r b``); absent from the values until given (argparse's
#: SUPPRESS), so that a command can tell "not given" from an empty list.
APPEND = "append"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: An option's default when none is declared: False/True/0 for flags, None for values.
UNSET: Any = _Unset()


class Option(Record):
    """One option, e.g. Option(flags=('-p', '--python'), dest='python', kind=VALUE)."""

    flags: Tuple[str, ...]
    dest: str
    kind: str
    default: Any = UNSET
    const: Any = None
    metavar: Optional[str] = None
    help: str = ""
    group: Optional[str] = None  # options sharing a group are mutually exclusive


def add_to(parser: Any, options: Sequence[Option]) -> None:
    """Declare ``options`` on an argparse parser (groups become exclusive groups)."""
    groups: Dict[str, Any] = {}
    for option in options:
        target = parser
        if option.group is not None:
            if option.group not in groups:
                groups[option.group] = parser.add_mutually_exclusive_group()
            target = groups[option.group]
        kwargs: Dict[str, Any] = {"dest": option.dest, "help": option.help}
        kwargs["default"] = default_of(option)
        if option.kind in (FLAG_TRUE, FLAG_FALSE, COUNT):
            kwargs["action"] = option.kind
        elif option.kind == APPEND:
            import argparse  # loaded already: a parser is being built

            kwargs.update(action="append", metavar=option.metavar, default=argparse.SUPPRESS)
        else:
            kwargs["metavar"] = option.metavar
            if option.kind == OPTIONAL_VALUE:
                kwargs["nargs"] = "?"
                kwargs["const"] = option.const
        target.add_argument(*option.flags, **kwargs)


def default_of(option: Option) -> Any:
    if option.default is not UNSET:
        return option.default
    return {FLAG_TRUE: False, FLAG_FALSE: True, COUNT: 0}.get(option.kind)


def defaults(options: Sequence[Option]) -> Dict[str, Any]:
    """The value of every dest when no option is given; the first option of a dest wins,
    as in argparse (--copies shares --symlinks' dest, whose default is None)."""
    values: Dict[str, Any] = {}
    for option in options:
        if option.kind != APPEND:
            values.setdefault(option.dest, default_of(option))
    return values


def parse(
    argv: Sequence[str], options: Sequence[Option], positional: str
) -> Optional[Dict[str, Any]]:
    """The values argparse would give for ``argv``, or None if argparse must decide.

    >>> parse(["env", "-q"], CREATE, "path")["quiet"]  # doctest: +SKIP
    1
    """
    by_flag = {flag: option for option in options for flag in option.flags}
    values = defaults(options)
    values[positional] = None
    seen_groups: Dict[str, str] = {}
    words = iter(argv)
    for word in words:
        if not word.startswith("-") or word == "-":
            if values[positional] is not None:
                return None  # a second positional: argparse reports the error
            values[positional] = word
            continue
        option = by_flag.get(word)
        if option is None or option.kind == OPTIONAL_VALUE:
            return None  # abbreviations, -qv, --x=y, --, help, or an optional value
        first = seen_groups.setdefault(option.group or word, word)
        if first != word:
            return None  # two members of an exclusive group: argparse's error
        if option.kind == FLAG_TRUE:
            values[option.dest] = True
        elif option.kind == FLAG_FALSE:
            values[option.dest] = False
        elif option.kind == COUNT:
            values[option.dest] += 1
        else:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
            if option.kind == APPEND:
                values.setdefault(option.dest, []).append(value)
            else:
                values[option.dest] = value
    return values


def unparse(options: Sequence[Option], values: Mapping[str, Any]) -> List[str]:
    """The words that give ``values`` back, leaving out what is at its default.

    >>> unparse(CREATE, {"python": "3.12", "seed": False})  # doctest: +SKIP
    ['--python', '3.12', '--without-pip']
    """
    words: List[str] = []
    for option in options:
        value = values.get(option.dest, UNSET)
        if value is UNSET or value == default_of(option):
            continue
        if option.kind == FLAG_TRUE:
            words += [option.flags[-1]] if value is True else []
        elif option.kind == FLAG_FALSE:
            words += [option.flags[0]] if value is False else []
        elif option.kind == OPTIONAL_VALUE and value == option.const:
            words.append(option.flags[-1])
        elif option.kind == APPEND:
            for text in value:  # joined to its flag when it looks like an option
                words += (
                    [f"{option.flags[-1]}={text}"]
                    if text.startswith("-")
                    else [option.flags[-1], text]
                )
        elif option.kind in (VALUE, OPTIONAL_VALUE) and value is not None:
            text = str(value)
            # A value that looks like an option is only read right when joined to its flag.
            joined = text.startswith("-") or option.kind == OPTIONAL_VALUE
            words += [f"{option.flags[-1]}={text}"] if joined else [option.flags[-1], text]
    return words
