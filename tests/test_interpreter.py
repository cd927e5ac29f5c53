"""Interpreter facts: learnt by one run of the interpreter, then cached by path, size, mtime."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import burrow_env, copy_interpreter

from burrow import interpreter
from burrow.errors import InterpreterError

# Runs burrow in-process under an audit hook that records every process it starts.
WATCH = r"""
import sys
started = []
def hook(event, args):
    if event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.system", "os.fork"):
        started.append(event)
sys.addaudithook(hook)
from burrow.cli import main
code = main(["create", sys.argv[1], "-q"] + sys.argv[2:])
print(len(started))
sys.exit(code)
"""


def run_watched(target: Path, *args: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", WATCH, str(target), *args],
        env=burrow_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip())


def test_warm_create_starts_no_process(tmp_path: Path, cold_cache: Path) -> None:
    assert run_watched(tmp_path / "cold") > 0  # probe and byte-compile on a cold cache
    assert run_watched(tmp_path / "warm") == 0
    assert run_watched(tmp_path / "warm-p", "-p", sys.executable) == 0


def test_facts_match_the_interpreter(cold_cache: Path) -> None:
    info = interpreter.inspect(sys.executable)
    assert info.version == tuple(sys.version_info[:3])
    assert info.implementation == sys.implementation.name
    assert info.cache_tag == sys.implementation.cache_tag
    assert info.paths["purelib"].endswith("site-packages")
    assert interpreter.inspect(sys.executable) == info  # second time from the cache


def copy_of_running_python(tmp_path: Path) -> Path:
    return copy_interpreter(sys.executable, tmp_path / "copy")[0]


def test_changed_interpreter_is_probed_again(tmp_path: Path, cold_cache: Path) -> None:
    python = copy_of_running_python(tmp_path)
    first = interpreter.inspect(python)
    cached = list((cold_cache / "interpreters").iterdir())
    assert len(cached) == 1
    # Replace the binary by a copy (new inode, new mtime): the cached key no longer holds.
    temp = python.with_name("swap")
    shutil.copy2(python, temp)
    os.utime(temp, ns=(1, 1))
    os.replace(temp, python)
    stamp = cached[0].stat().st_mtime_ns
    again = interpreter.inspect(python)
    assert again == first
    assert cached[0].stat().st_mtime_ns != stamp  # the record was rewritten


def test_deleted_interpreter_is_an_error(tmp_path: Path, cold_cache: Path) -> None:
    python = copy_of_running_python(tmp_path)
    interpreter.inspect(python)
    python.unlink()
    with pytest.raises(InterpreterError, match="not found"):
        interpreter.inspect(python)


@pytest.mark.parametrize("kind", ["not-python", "not-executable", "dangling", "too-old"])
def test_unusable_interpreters_are_refused_with_a_reason(
    tmp_path: Path, cold_cache: Path, kind: str
) -> None:
    path = tmp_path / "python"
    if kind == "not-python":
        path.write_text("#!/bin/sh\necho hello\n")
        path.chmod(0o755)
        match = "not a working Python"
    elif kind == "not-executable":
        path.write_text("")
        match = "not an executable"
    elif kind == "dangling":
        path.symlink_to(tmp_path / "nowhere")
        match = "not found"
    else:
        from pythons import cpythons

        old = [p for v, p in cpythons().items() if v in ("3.6", "3.7")]
        if not old:
            pytest.skip("no Python older than 3.8 here")
        path.symlink_to(old[0])
        match = "needs Python 3.8"
    with pytest.raises(InterpreterError, match=match):
        interpreter.inspect(path)
