"""pip's order of precedence, checked against pip itself: its config, then the command
line, then constraint files, then requirements files, line by line. Which indexes pip looks
in is read from the `Looking in indexes:` line of a real `pip install --dry-run`; binary
choices from whether it finds a wheel-only project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import helpers
import localindex
import pytest

from burrow.cli import build_parser
from burrow.cli.lock import _sources
from burrow.packages.locking import read_inputs, resolve_options
from burrow.packages.pins import Lock
from burrow.packages.pipconfig import IndexConfig, pip_config
from burrow.packages.requirements import FileOptions, binary_sets, parse_file


def url(name: str) -> str:
    """An index nobody serves: pip only says it looks there, and finds nothing."""
    return f"file:///burrow-test-nowhere/{name}/"


CONFIG = f"[global]\nindex-url = {url('cfg')}\nextra-index-url = {url('cfgextra')}\n"
NO_INDEX = f"[global]\nno-index = true\nindex-url = {url('cfg')}\n"

# (config, extra environment, command line, {file name: text}, -r files, -c files)
Case = Tuple[str, Dict[str, str], List[str], Dict[str, str], List[str], List[str]]
CASES: Dict[str, Case] = {
    "command-line -i keeps configured extras": (
        CONFIG, {}, ["-i", url("cmd")], {}, [], []),
    "a file's -i beats the command line's": (
        CONFIG, {}, ["-i", url("cmd"), "--extra-index-url", url("cmdextra")],
        {"r.txt": f"-i {url('file')}\n"}, ["r.txt"], []),
    "a file's -i drops extras read before it": (
        CONFIG, {}, [], {"r.txt": f"--extra-index-url {url('early')}\n-i {url('file')}\n"},
        ["r.txt"], []),
    "extras on the -i line stay": (
        CONFIG, {}, [], {"r.txt": f"--extra-index-url {url('same')} -i {url('file')}\n"},
        ["r.txt"], []),
    "extras add up: config, command line, files": (
        CONFIG, {"PIP_EXTRA_INDEX_URL": url("envextra")}, ["--extra-index-url", url("cmdextra")],
        {"r.txt": f"--extra-index-url {url('fileextra')}\n"}, ["r.txt"], []),
    "configured no-index beats the command line's -i": (
        NO_INDEX, {}, ["-i", url("cmd"), "--extra-index-url", url("cmdextra")], {}, [], []),
    "configured no-index beats a file's -i": (
        NO_INDEX, {}, [], {"r.txt": f"-i {url('file')}\n"}, ["r.txt"], []),
    "PIP_NO_INDEX=0 undoes it": (
        NO_INDEX, {"PIP_NO_INDEX": "0"}, ["-i", url("cmd")], {}, [], []),
    "an empty variable is skipped": (
        CONFIG, {"PIP_INDEX_URL": ""}, [], {}, [], []),
    "constraint files are read before requirements files": (
        CONFIG, {}, [], {"r.txt": f"-i {url('req')}\n", "c.txt": f"-i {url('con')}\n"},
        ["r.txt"], ["c.txt"]),
    "a later requirements file's -i wins, its extras follow": (
        CONFIG, {}, [], {"a.txt": f"-i {url('a')}\n--extra-index-url {url('x')}\n",
                         "b.txt": f"--extra-index-url {url('y')}\n"}, ["a.txt", "b.txt"], []),
}  # fmt: skip


def clean_environ(tmp_path: Path, config: str, more: Dict[str, str]) -> Dict[str, str]:
    """No PIP_* of this machine, no user or XDG config: only `config` and `more`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    (tmp_path / "pip.conf").write_text(config, "utf-8")
    env.update(PIP_CONFIG_FILE=str(tmp_path / "pip.conf"), HOME=str(tmp_path))
    env.update(XDG_CONFIG_DIRS=str(tmp_path / "no-xdg"), XDG_CONFIG_HOME=str(tmp_path / "no-xdg"))
    env.update(BURROW_CACHE_DIR=str(tmp_path / "cache"), **more)
    return env


def pips_indexes(tmp_path: Path, env: Dict[str, str], args: List[str]) -> Tuple[str, ...]:
    """The indexes a real `pip install` looks in, from its `Looking in indexes:` line."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--retries", "0",
         *args, "burrow-test-not-there"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "No matching distribution found for burrow-test-not-there" in proc.stderr, proc.stderr
    for line in proc.stdout.splitlines():
        if line.startswith("Looking in indexes: "):
            return tuple(line[len("Looking in indexes: ") :].split(", "))
    return ()


@pytest.mark.parametrize("case", list(CASES))
def test_indexes_are_the_ones_pip_looks_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    config, more, command_line, texts, requirements, constraints = CASES[case]
    env = clean_environ(tmp_path, config, more)
    for name, text in texts.items():
        (tmp_path / name).write_text(text, "utf-8")
    files = [*(a for r in requirements for a in ("-r", r)),
             *(a for c in constraints for a in ("-c", c))]  # fmt: skip
    expected = pips_indexes(tmp_path, env, [*command_line, *files])

    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = build_parser().parse_args(["lock", *command_line, *files])
    inputs = read_inputs(args.requirement, args.constraint)
    options, _ = resolve_options(inputs, _sources(args))
    assert options.config.index_urls == expected
    assert expected or options.config.no_index


def test_a_lock_with_an_index_url_drops_the_configured_extra_indexes(tmp_path: Path) -> None:
    base = pip_config(clean_environ(tmp_path, CONFIG, {}))
    assert base.index_urls == (url("cfg"), url("cfgextra"))
    (tmp_path / "lock.txt").write_text(
        f"--extra-index-url {url('before')}\n-i {url('lock')}\n--extra-index-url {url('x')}\n"
    )
    options = parse_file(tmp_path / "lock.txt").options
    lock = Lock(pins=[], options=options, files=[])
    assert lock.index_config(base).index_urls == (url("lock"), url("x"))
    # Without one, the lock's extra indexes follow the configured ones.
    lock = Lock(pins=[], options=FileOptions.empty(), files=[])
    lock.options.extra_index_urls.append(url("x"))
    assert lock.index_config(base).index_urls == (url("cfg"), url("cfgextra"), url("x"))
    nothing = IndexConfig(index_urls=(), find_links=(), no_index=True)
    assert parse_lock_config(tmp_path, nothing) == ()


def parse_lock_config(tmp_path: Path, base: IndexConfig) -> Tuple[str, ...]:
    options = parse_file(tmp_path / "lock.txt").options
    return Lock(pins=[], options=options, files=[]).index_config(base).index_urls


# --------------------------------------------------------------------------- binary choices


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        # Each as pip 23.2 leaves its format control: (no_binary, only_binary).
        ([("no-binary", ":all:"), ("only-binary", ":all:")], (set(), {":all:"})),
        ([("only-binary", ":all:"), ("no-binary", ":all:")], ({":all:"}, set())),
        ([("only-binary", ":all:"), ("no-binary", "foo"), ("only-binary", "foo")],
         (set(), {":all:", "foo"})),
        ([("no-binary", ":all:,foo"), ("only-binary", "bar")], ({":all:"}, {"bar"})),
        ([("no-binary", ":all:"), ("only-binary", ":none:"), ("no-binary", ":none:"),
          ("only-binary", "Foo_Bar,baz")], (set(), {"baz", "foo-bar"})),
        ([("no-binary", ":all:,:none:,x")], ({"x"}, set())),
        ([("no-binary", ":all:,foo,:none:,bar")], ({"bar"}, set())),
        ([("no-binary", ":all:,foo"), ("only-binary", "foo")], ({":all:"}, {"foo"})),
    ],
)  # fmt: skip
def test_binary_choices_apply_in_turn_as_in_pip(
    choices: List[Tuple[str, str]], expected: Tuple[Set[str], Set[str]]
) -> None:
    assert binary_sets(choices) == (frozenset(expected[0]), frozenset(expected[1]))


@pytest.fixture
def wheels_only(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    files = [localindex.wheel(src, "top", "1.0", ["leaf"]), localindex.wheel(src, "leaf", "1.0")]
    return localindex.write_index(tmp_path / "www", files)


BINARY_CASES: Dict[str, Tuple[str, Dict[str, str], List[str], bool]] = {
    # (config, environment, arguments, whether the wheels may be used)
    "files in turn: only-binary last": ("", {}, ["-r", "nb.txt", "-r", "ob.txt"], True),
    "files in turn: no-binary last": ("", {}, ["-r", "ob.txt", "-r", "nb.txt"], False),
    "constraint files first": ("", {}, ["-r", "ob.txt", "-c", "nb.txt"], True),
    "command line in turn": ("", {}, ["--no-binary", ":all:", "--only-binary", "top,leaf"], True),
    "command line before files": ("", {}, ["--only-binary", ":all:", "-r", "nb.txt"], False),
    "config, [install] after [global]": (
        "[install]\nonly-binary = :all:\n[global]\nno-binary = :all:\n", {}, [], True),
    "the environment after the config": (
        "[global]\nonly-binary = :all:\n", {"PIP_NO_BINARY": ":all:"}, [], False),
    "the command line after the environment": (
        "", {"PIP_NO_BINARY": ":all:"}, ["--only-binary", "top,leaf"], True),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BINARY_CASES))
def test_binary_choices_are_taken_in_pips_order(
    tmp_path: Path, wheels_only: Path, case: str
) -> None:
    config, more, args, usable = BINARY_CASES[case]
    env = clean_environ(tmp_path, config, more)
    (tmp_path / "nb.txt").write_text("--no-binary :all:\n", "utf-8")
    (tmp_path / "ob.txt").write_text("--only-binary :all:\n", "utf-8")
    index = ["-i", wheels_only.as_uri()]
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q",
         *index, *args, "top"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (pip.returncode == 0) is usable, pip.stderr
    locked = helpers.burrow("lock", *index, *args, "top", cwd=tmp_path, env=env, check=False)
    assert (locked.returncode == 0) is usable, locked.stderr
    if usable:
        assert "top==1.0" in locked.stdout and "leaf==1.0" in locked.stdout


def test_a_binary_value_that_is_an_option_is_refused_in_one_line(tmp_path: Path) -> None:
    env = clean_environ(tmp_path, "", {"PIP_NO_BINARY": "--pre"})
    locked = helpers.burrow("lock", "--no-index", "top", cwd=tmp_path, env=env, check=False)
    assert locked.returncode != 0
    assert locked.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "--no-binary/--only-binary need a value, got '--pre'" in locked.stderr
