"""What `burrow __complete` offers, walked against the parser the command line is read with:
every command and every option of every command must be offered."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterator, Tuple

from helpers import burrow

from burrow.cli import build_parser
from burrow.cli.completion import complete

PARSER = build_parser()


def commands(
    parser: argparse.ArgumentParser, path: Tuple[str, ...] = ()
) -> Iterator[Tuple[Tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def test_every_command_and_option_is_offered() -> None:
    walked = list(commands(build_parser()))
    assert len(walked) > 12  # create, python list, cache info, … all reached
    for path, parser in walked:
        words = ["burrow", *path, "-"]
        mode, offered = complete(PARSER, words, len(words) - 1)
        flags = [f for a in parser._actions for f in a.option_strings]
        assert mode == "words" and set(flags) <= set(offered), path
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                names = set(complete(PARSER, ["burrow", *path, ""], len(path) + 1)[1])
                assert set(action.choices) <= names, path


def test_values_follow_the_option(tmp_path: Path) -> None:
    assert complete(PARSER, ["burrow", "create", "-p", "/us"], 3)[0] == "files"  # a path
    assert complete(PARSER, ["burrow", "create", "-r", ""], 3)[0] == "files"
    assert complete(PARSER, ["burrow", "shell-init", ""], 2) == ("words", ["bash", "zsh", "fish"])
    # a value is never taken for a command or an option
    assert complete(PARSER, ["burrow", "create", "--prompt", "cr"], 3) == ("words", [])
    after_value = complete(PARSER, ["burrow", "create", "--prompt", "x", "--cop"], 4)
    assert after_value == ("words", ["--copies"])
    assert complete(PARSER, ["burrow", "list", "x", "y"], 3) == ("words", [])  # list takes no ENV


def test_env_names_and_cached_pythons(tmp_path: Path) -> None:
    environ = {"BURROW_HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "c"),
               "BURROW_CACHE_DIR": "", "WORKON_HOME": ""}  # fmt: skip
    burrow("create", "-q", "--without-pip", "-n", "web", "-p", sys.executable, env=environ)
    (tmp_path / "webapp").mkdir()
    tab = burrow("__complete", "2", "burrow", "info", "we", env=environ, cwd=tmp_path).stdout
    assert tab.splitlines() == ["words", "web", "webapp/"]
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    tab = burrow("__complete", "3", "burrow", "create", "-p", "", env=environ).stdout
    assert tab.splitlines() == ["words", minor, ".".join(map(str, sys.version_info[:3]))]
