"""Tab completion of burrow's own command line, for the functions `shell-init` prints.

The shell calls ``burrow __complete INDEX WORD…`` on each TAB with the words typed so far;
this walks the same argparse parser the command line is read with, so commands, options
and their values cannot drift from what burrow accepts. It prints what to offer, one per
line, after a first line that says how: ``words`` (exactly these) or ``files`` (let the
shell complete paths). Env names come from a listing of the named-env home; interpreters
for ``-p`` from the cache of interpreter facts that ``python list`` and ``create`` fill:
nothing is discovered or run on a TAB, and nothing heavy is imported (test_startup).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, List, Optional, Sequence, Tuple

#: The word the shell functions call burrow with; not listed among the commands.
COMMAND = "__complete"
#: Shells `activate --shell` and `shell-init` know (offered for a SHELL value).
_SHELLS = ("bash", "zsh", "fish", "sh", "dash", "ksh", "mksh", "yash", "tcsh", "csh", "nu",
           "xonsh", "elvish", "pwsh")  # fmt: skip


def run(argv: Sequence[str], parser: argparse.ArgumentParser) -> int:
    """``__complete INDEX WORD…``: print the mode, then the candidates for WORD[INDEX]."""
    try:
        index = int(argv[0])
    except (IndexError, ValueError):
        return 2
    mode, candidates = complete(parser, list(argv[1:]), index)
    sys.stdout.write("\n".join([mode, *candidates]) + "\n")
    return 0


def complete(
    parser: argparse.ArgumentParser, words: List[str], index: int
) -> Tuple[str, List[str]]:
    """What may stand at ``words[index]`` of a command line ``parser`` reads; ``words[0]``
    is 'burrow'.

    >>> complete(build_parser(), ["burrow", "cr"], 1)  # doctest: +SKIP
    ('words', ['create'])
    """
    current = words[index] if index < len(words) else ""
    pending: Optional[argparse.Action] = None  # an option whose value comes next
    seen = 0  # positionals given to the current (sub)command
    for word in words[1:index]:
        if pending is not None:
            pending = None
        elif word.startswith("-") and word != "-":
            action = _option(parser, word.partition("=")[0])
            if action is not None and action.nargs != 0 and "=" not in word:
                pending = action if action.nargs in (None, 1) else None
        else:
            chosen = _subcommands(parser).get(word)
            if chosen is not None:
                parser, seen = chosen, 0
            else:
                seen += 1
    if pending is not None:
        return _values(pending, current)
    if current.startswith("-"):
        flags = [f for a in parser._actions for f in a.option_strings if f.startswith(current)]
        return "words", sorted(flags)
    subcommands = _subcommands(parser)
    if subcommands:
        return "words", [name for name in subcommands if name.startswith(current)]
    positionals = [a for a in parser._actions if not a.option_strings]
    if not positionals:
        return "words", []
    action = positionals[min(seen, len(positionals) - 1)]
    if seen >= len(positionals) and action.nargs not in ("*", "+", "..."):
        return "words", []
    return _values(action, current)


def _option(parser: argparse.ArgumentParser, flag: str) -> Optional[argparse.Action]:
    for action in parser._actions:
        if flag in action.option_strings:
            return action
    return None


def _subcommands(parser: argparse.ArgumentParser) -> Any:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {n: p for n, p in action.choices.items() if not n.startswith("_")}
    return {}


def _values(action: argparse.Action, current: str) -> Tuple[str, List[str]]:
    """Candidates for an option's value or a positional, chosen by its metavar."""
    if action.choices is not None:
        return "words", [str(c) for c in action.choices if str(c).startswith(current)]
    kind = action.metavar if isinstance(action.metavar, str) else ""
    if kind in ("ENV", "NAME"):
        return "words", _env_names(current)
    if kind == "SPEC" and not (current[:1] in "./~" and current):
        return "words", [v for v in _pythons() if v.startswith(current)]
    if kind == "SHELL":
        return "words", [s for s in _SHELLS if s.startswith(current)]
    if kind in ("FILE", "PATH", "SPEC") or action.nargs == "...":
        return "files", []
    return "words", []


def _env_names(current: str) -> List[str]:
    """Named envs, then folders here (ENV may be a path), that start with ``current``."""
    from burrow.envs import named_envs

    names = [name for name, _ in named_envs() if name.startswith(current)]
    folder, _, start = current.rpartition("/")
    try:
        entries = list(os.scandir(folder or "."))
    except OSError:
        entries = []
    prefix = f"{folder}/" if folder else ""
    paths = sorted(
        prefix + entry.name + "/"
        for entry in entries
        if entry.name.startswith(start)
        and (start[:1] == "." or entry.name[:1] != ".")
        and entry.is_dir()
    )
    return names + [p for p in paths if p.rstrip("/") not in names]


def _pythons() -> List[str]:
    """'3.12', '3.12.1', … of each interpreter whose facts are cached and still exist."""
    from burrow import dirs, store

    folder = os.path.join(dirs.private_cache_dir(), "interpreters")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = set()
    for name in names:
        record = store.load(os.path.join(folder, name))
        if not isinstance(record, dict) or "facts" not in record:
            continue
        key, facts = record.get("key") or [""], record["facts"]
        version = facts.get("version") if isinstance(facts, dict) else None
        if not (isinstance(version, (list, tuple)) and os.path.exists(str(key[0]))):
            continue
        numbers = [str(part) for part in version[:3]]
        found.update([".".join(numbers[:2]), ".".join(numbers)])
    return sorted(found, key=lambda v: [int(p) if p.isdigit() else 0 for p in v.split(".")])
