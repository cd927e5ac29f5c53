"""Shared fixtures: a scratch cache per test session, nothing of the user's touched."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

# The fault suite's tally: summed over xdist workers, printed at the end of the run.
from faults import (  # noqa: F401
    guard,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo

# A runner that starts the suite in the background of a non-interactive shell (`cmd &`)
# starts it with Ctrl-C ignored, and every burrow the tests start would inherit that: the
# tests that press Ctrl-C need it to reach them, as it reaches a user's.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test shares one scratch cache: the user's real cache is never touched."""
    os.environ["BURROW_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    # A user's machine writes bytecode; the test environment may say otherwise.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("VIRTUAL_ENV", None)
    # No test starts the daily pip check in the background unless it is about that check.
    os.environ["BURROW_NO_PERIODIC_UPDATE"] = "1"


@pytest.fixture(scope="module")
def info() -> PythonInfo:
    """The facts of the interpreter running the tests, e.g. its tags and markers."""
    from burrow.interpreter import inspect

    return inspect(sys.executable)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One cache for this test, in the library (this process) and the CLI alike, no index
    reachable (it stands in for pytest's own `cache` fixture, which no test uses)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BURROW_CACHE_DIR", str(folder))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    return folder


@pytest.fixture
def cold_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cold-cache"
    monkeypatch.setenv("BURROW_CACHE_DIR", str(cache))
    return cache
