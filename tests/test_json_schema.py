"""docs/json.md is the one schema of every command's --json: each command documented there
is run, and its JSON must carry exactly the keys listed; each command with --json must
have a section. The keys are read from the document itself, so the two cannot drift."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from helpers import ROOT, burrow

from burrow.cli import build_parser

DOC = ROOT / "docs" / "json.md"
PLACEHOLDERS = {"ENV", "PATH", "FILE", "OUT"}


def documented() -> Dict[str, List[str]]:
    """{'burrow list --json': ['name', 'path', …], …} from the document's headings and tables."""
    sections: Dict[str, List[str]] = {}
    keys: List[str] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"## `(burrow [^`]*)`", line)
        if heading:
            keys = sections.setdefault(heading.group(1), [])
            continue
        row = re.match(r"\| `([^`]+)` \|", line)
        if row and sections:
            keys.append(row.group(1))
    return sections


def command_of(line: str) -> str:
    """'burrow sync -e ENV FILE --json' -> 'burrow sync': the words naming the command."""
    return " ".join(w for w in line.split() if w not in PLACEHOLDERS and not w.startswith("-"))


def json_commands(parser: argparse.ArgumentParser, words: str = "burrow") -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from json_commands(sub, f"{words} {name}")
        elif "--json" in action.option_strings:
            yield words


def test_every_command_with_json_is_documented() -> None:
    commands = set(json_commands(build_parser()))
    described = {command_of(line) for line in documented()}
    assert "burrow list" in commands and "burrow create" in commands  # the walk works
    assert commands - described == set(), "add a section to docs/json.md"
    assert described - commands == set(), "docs/json.md documents a command without --json"


def heads(keys: List[str]) -> Dict[str, List[str]]:
    """['a', 'b.c', 'd[].e'] -> {'a': [], 'b': ['c'], 'd[]': ['e']}."""
    tree: Dict[str, List[str]] = {}
    for key in keys:
        head, _, rest = key.partition(".")
        if "[]" in head and not rest:
            head, _, rest = key.partition("[].")
            head += "[]"
        tree.setdefault(head, [])
        if rest:
            tree[head].append(rest)
    return tree


def check_keys(data: Any, keys: List[str], where: str) -> None:
    assert isinstance(data, dict), f"{where}: expected an object, got {data!r}"
    tree = heads(keys)
    assert set(data) == {h.removesuffix("[]") for h in tree}, where
    for head, rest in tree.items():
        if not rest:
            continue
        value = data[head.removesuffix("[]")]
        items = value if head.endswith("[]") else [value]
        assert isinstance(items, list), f"{where}.{head}: expected a list"
        for item in items:
            check_keys(item, rest, f"{where}.{head}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """A named-env home with an env, a cache with pip in it, and an empty lock file."""
    base = tmp_path_factory.mktemp("json")
    environ = {
        "BURROW_HOME": str(base / "home"),
        "WORKON_HOME": "",
        "BURROW_CACHE_DIR": str(base / "cache"),
        "BURROW_NO_PERIODIC_UPDATE": "1",
    }
    burrow("create", "-q", "-n", "listed", env=environ)  # seeds pip into the cache
    (base / "empty.txt").write_text("")
    return {"base": base, "environ": environ}


@pytest.mark.parametrize("line", sorted(documented()))
def test_json_carries_the_documented_keys(line: str, world: Dict[str, Any]) -> None:
    base: Path = world["base"]
    slot = re.sub(r"\W+", "-", line)
    env = base / f"env-{slot}"
    if "ENV" in line.split():
        burrow("create", "-q", "--without-pip", str(env), env=world["environ"])
    values = {"ENV": str(env), "PATH": str(base / f"new-{slot}"),
              "FILE": str(base / "empty.txt"), "OUT": str(base / f"{slot}.tar.gz")}  # fmt: skip
    words = [values.get(w, w) for w in line.split()[1:]]
    result = burrow(*words, env=world["environ"], cwd=base)
    data = json.loads(result.stdout)
    keys = documented()[line]
    assert keys, f"no keys documented for {line}"
    if isinstance(data, list):
        assert data, f"{line} printed an empty list: nothing to check"
        for item in data:
            check_keys(item, keys, line)
    else:
        check_keys(data, keys, line)
