"""``-p`` values and interpreter names read without running anything; matching and
ranking checked against the real facts of the interpreter running the tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import pytest

from burrow import interpreter
from burrow.errors import InterpreterError
from burrow.interpreter import PythonInfo
from burrow.spec import is_command_name, parse_name, parse_spec


@pytest.fixture(scope="module")
def _module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interpreter-cache")


@pytest.fixture(autouse=True)
def _scratch_cache(_module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Facts learnt here go to a scratch cache, shared by this module's tests only."""
    monkeypatch.setenv("BURROW_CACHE_DIR", str(_module_cache))


@pytest.fixture(scope="module")
def real() -> PythonInfo:
    """The (base) interpreter running the tests, with its facts."""
    base = os.path.realpath(interpreter.current().base_executable)
    return interpreter.inspect(base)


# --- names and specs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "implementation", "version", "release", "free_threaded", "exact"),
    [
        ("3.12.1", "cpython", (3, 12, 1), ("final", 0), False, True),
        ("3.13.0rc1", "cpython", (3, 13, 0), ("candidate", 1), False, True),
        ("3.13.0t", "cpython", (3, 13, 0), ("final", 0), True, True),
        ("3.12-dev", "cpython", (3, 12), None, False, False),
        ("pypy3.10-7.3.15", "pypy", (3, 10), None, False, False),
        ("cpython-3.12.1-linux-x86_64-gnu", "cpython", (3, 12, 1), ("final", 0), False, True),
        (
            "cpython-3.13.0+freethreaded-linux-x86_64-gnu",
            "cpython",
            (3, 13, 0),
            ("final", 0),
            True,
            True,
        ),
        ("pypy-3.10.14-macos-aarch64-none", "pypy", (3, 10, 14), ("final", 0), False, True),
        ("python3.12", None, (3, 12), None, False, False),
        ("python3.13t", None, (3, 13), None, True, False),
        ("python3", None, (3,), None, False, False),
        ("python", None, (), None, None, False),
        ("pypy3", "pypy", (3,), None, False, False),
        ("graalpy-24.0.0", "graalpy", (), None, None, False),
    ],
)
def test_parse_name(
    name: str,
    implementation: Optional[str],
    version: tuple,  # type: ignore[type-arg]
    release: Optional[tuple],  # type: ignore[type-arg]
    free_threaded: Optional[bool],
    exact: bool,
) -> None:
    guess = parse_name(name, "cpython" if name[0].isdigit() else None)
    assert guess is not None
    assert guess.implementation == implementation
    assert guess.version == version
    assert guess.release == release
    assert guess.free_threaded == free_threaded
    assert guess.exact == exact


@pytest.mark.parametrize("name", ["miniconda3-latest", "anaconda3-2023.09", "system", "3.x"])
def test_parse_name_that_says_nothing(name: str) -> None:
    assert parse_name(name) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("python", True),
        ("python3", True),
        ("python3.12", True),
        ("python3.13t", True),
        ("pypy3", True),
        ("pypy3.10", True),
        ("graalpy", True),
        ("python3.12-config", False),
        ("python3.12-gdb.py", False),
        ("python3-dbg", False),
        ("pythonw", False),
        ("ipython", False),
    ],
)
def test_command_names(name: str, expected: bool) -> None:
    suffix = ".exe" if os.name == "nt" else ""
    assert is_command_name(name + suffix) is expected


@pytest.mark.parametrize(
    ("text", "kind", "implementation", "version", "fallback"),
    [
        ("3", "version", None, (3,), False),
        ("3.12", "version", None, (3, 12), False),
        ("3.12.1", "version", None, (3, 12, 1), False),
        ("cpython3.12", "version", "cpython", (3, 12), False),
        ("cpython-3.12", "version", "cpython", (3, 12), False),
        ("CPython@3.12", "version", "cpython", (3, 12), False),
        ("cpython", "version", "cpython", (), False),
        ("cp312", "version", "cpython", (3, 12), False),
        ("cp3.12", "version", "cpython", (3, 12), False),
        ("pp310", "version", "pypy", (3, 10), False),
        ("graalpy3.11", "command", "graalpy", (3, 11), True),
        ("pypy3.10", "command", "pypy", (3, 10), True),
        ("pypy3", "command", "pypy", (3,), True),
        ("pypy", "command", "pypy", (), True),
        ("python3.12", "command", None, (3, 12), True),
        ("python3", "command", None, (3,), True),
        ("python", "command", None, (), True),
        ("python3-dbg", "command", None, (), False),
        ("my-python", "command", None, (), False),
        ("./bin/python", "path", None, (), False),
        ("bin/python", "path", None, (), False),
        ("/usr/bin/python3", "path", None, (), False),
        ("~/.pyenv/versions/3.12.1", "path", None, (), False),
        ("..", "path", None, (), False),
    ],
)
def test_parse_spec(
    text: str,
    kind: str,
    implementation: Optional[str],
    version: tuple,  # type: ignore[type-arg]
    fallback: bool,
) -> None:
    spec = parse_spec(text)
    assert (spec.kind, spec.implementation, spec.version, spec.fallback) == (
        kind,
        implementation,
        version,
        fallback,
    )
    assert spec.specifier is None
    assert spec.free_threaded is False


def test_parse_spec_pre_release_and_free_threaded() -> None:
    spec = parse_spec("3.13.0rc1")
    assert (spec.version, spec.release) == ((3, 13, 0), ("candidate", 1))
    spec = parse_spec("3.13t")
    assert (spec.version, spec.free_threaded) == ((3, 13), True)
    spec = parse_spec("python3.13t")
    assert (spec.kind, spec.version, spec.free_threaded) == ("command", (3, 13), True)


@pytest.mark.parametrize(
    ("text", "implementation", "specifier"),
    [
        (">=3.10,<3.13", None, ">=3.10,<3.13"),
        ("==3.12.*", None, "==3.12.*"),
        ("~=3.11.2", None, "~=3.11.2"),
        ("!=3.9.*", None, "!=3.9.*"),
        ("cpython>=3.10", "cpython", ">=3.10"),
        ("pypy>=3.9", "pypy", ">=3.9"),
    ],
)
def test_parse_spec_ranges(text: str, implementation: Optional[str], specifier: str) -> None:
    spec = parse_spec(text)
    assert (spec.kind, spec.implementation, spec.specifier) == (
        "version",
        implementation,
        specifier,
    )


@pytest.mark.parametrize("text", ["", "  ", ">=3.x", "<<3"])
def test_parse_spec_refuses(text: str) -> None:
    with pytest.raises(InterpreterError) as caught:
        parse_spec(text)
    assert "\n" not in str(caught.value)


def facts(real: PythonInfo, version: str, **changes: object) -> PythonInfo:
    """``real`` pretending to be another version, e.g. '3.13.0rc1'."""
    spec = parse_spec(version)
    release = spec.release or ("final", 0)
    return real.replace(version=spec.version, release=release, **changes)


def test_spec_matches(real: PythonInfo) -> None:
    final, rc = facts(real, "3.13.0"), facts(real, "3.13.0rc1")
    free = facts(real, "3.13.0", free_threaded=True)
    pypy = facts(real, "3.10.14", implementation="pypy")
    assert parse_spec("3").matches(final)
    assert parse_spec("3.13").matches(final) and parse_spec("3.13").matches(rc)
    assert parse_spec("3.13.0").matches(final) and not parse_spec("3.13.0").matches(rc)
    assert parse_spec("3.13.0rc1").matches(rc) and not parse_spec("3.13.0rc1").matches(final)
    assert not parse_spec("3.13").matches(free) and parse_spec("3.13t").matches(free)
    assert not parse_spec("3.12").matches(final)
    assert parse_spec("pypy3.10").matches(pypy) and not parse_spec("cpython3.10").matches(pypy)
    assert parse_spec("3.10").matches(pypy)  # no implementation named: any
    assert parse_spec(">=3.10,<3.14").matches(final)
    assert not parse_spec(">=3.10,<3.13").matches(final)
    assert not parse_spec("<3.13").matches(rc)  # PEP 440: not a pre-release of 3.13 itself
    assert parse_spec("cp313").matches(final)


def test_spec_ranks_finals_above_pre_releases(real: PythonInfo) -> None:
    spec = parse_spec("3")
    final, rc = facts(real, "3.12.1"), facts(real, "3.13.0rc1")
    assert spec.rank_info(final) > spec.rank_info(rc)
    assert parse_spec("3.13.0rc1").rank_info(rc) > parse_spec("3.13.0rc1").rank_info(final)
    # a name's guess is never ranked below what the interpreter could turn out to be
    assert spec.rank_guess(parse_name("python3.12")) > spec.rank_info(final)
    assert spec.rank_guess(parse_name("3.12.1", "cpython")) == spec.rank_info(final)


def test_spec_excludes_by_name_without_running() -> None:
    spec = parse_spec(">=3.10,<3.13")
    assert not spec.could_match(parse_name("python2.7"))
    assert not spec.could_match(parse_name("3.9.18", "cpython"))
    assert spec.could_match(parse_name("python3"))
    assert spec.could_match(parse_name("python3.12"))
    assert parse_spec(">3.12.5").could_match(parse_name("python3.12"))
    assert not parse_spec("!=3.12.*").could_match(parse_name("python3.12"))
    assert spec.could_match(parse_name("python"))
    assert not parse_spec("pypy3.10").could_match(parse_name("3.10.13", "cpython"))
    assert not parse_spec("3.12").could_match(parse_name("python3.12t"))
