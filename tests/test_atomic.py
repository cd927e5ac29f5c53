"""All or nothing: a create killed at any moment leaves no env or a complete, working one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, burrow, burrow_env

TRIALS = 10


def start(target: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "burrow", "create", str(target), "-q", *args],
        env=burrow_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_absent_or_complete(target: Path, seeded: bool) -> str:
    if not target.exists():
        return "absent"
    python = target / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and Path(out.stdout.strip()) == target, out.stderr
    assert (target / "bin" / "activate").is_file()
    if seeded:
        pip = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True)
        assert pip.returncode == 0, pip.stderr
    return "complete"


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".burrow-")]


def duration(tmp_path: Path, *args: str) -> float:
    began = time.perf_counter()
    burrow("create", str(tmp_path / "timing"), "-q", *args)
    return time.perf_counter() - began


@pytest.mark.parametrize("args", [["--without-pip"], []], ids=["bare", "seeded"])
def test_sigkill_at_random_moments(tmp_path: Path, args: list[str]) -> None:
    rng = random.Random(1234)
    duration(tmp_path, *args)  # warms the seed cache
    took = duration(tmp_path, *args, "--clear")  # a warm create: what the kills must hit
    outcomes = []
    for trial in range(TRIALS):
        parent = tmp_path / f"trial{trial}"
        parent.mkdir()
        target = parent / "env"
        proc = start(target, *args)
        time.sleep(rng.uniform(0, took * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes.append(assert_absent_or_complete(target, seeded=not args))
        # The next run succeeds and sweeps what the killed one left.
        burrow("create", str(target), "-q", "--clear", *args)
        assert_absent_or_complete(target, seeded=not args)
        assert leftovers(parent) == []
    assert "absent" in outcomes  # the kills really landed mid-way


def test_sigkill_during_a_cold_seed_keeps_the_cache_sound(tmp_path: Path, cold_cache: Path) -> None:
    rng = random.Random(99)
    for trial in range(4):
        target = tmp_path / f"env{trial}"
        proc = start(target)
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert_absent_or_complete(target, seeded=True)
    burrow("create", str(tmp_path / "after"))
    assert_absent_or_complete(tmp_path / "after", seeded=True)


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path: Path, cold_cache: Path) -> None:
    target = tmp_path / "env"
    proc = start(target)  # a cold cache makes the create slow enough to interrupt
    # Press Ctrl-C once burrow is building the env, never while Python itself still starts
    # (a loaded machine may take longer than any fixed sleep to get there).
    deadline = time.monotonic() + 120
    while not leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("create finished before the interrupt arrived")
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted"
    assert not target.exists()
    assert leftovers(tmp_path) == []


CTRL_C_IN_A_CALLBACK = """
import time
from burrow import cli
cli.main(["cache", "dir"])  # any run installs burrow's hook

class Dropped:
    def __del__(self):
        raise KeyboardInterrupt  # where Python can only print it and go on

try:
    Dropped()
    time.sleep(20)  # a blocking call: the Ctrl-C must wake it, as it wakes a wait for pip
    print("lost")
except KeyboardInterrupt:
    print("stopped")
"""


def test_ctrl_c_inside_a_callback_still_stops_burrow() -> None:
    # The import system drops module locks through weakref callbacks; a Ctrl-C that lands in
    # one was printed as "Exception ignored" and burrow went on to finish (seen in CI).
    proc = subprocess.run(
        [sys.executable, "-c", CTRL_C_IN_A_CALLBACK],
        env=burrow_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.stdout.splitlines()[-1] == "stopped", proc.stderr
    assert "Exception ignored" not in proc.stderr


# Both ways in, with a Ctrl-C that lands in a callback while burrow's modules are being
# imported on the way to main(): the audit hook runs at each import, before the module is
# loaded, and a Ctrl-C raised from a __del__ there is one Python can only print and ignore.
CTRL_C_WHILE_IMPORTING = """
import sys, time
entry, events_file = sys.argv.pop(1), sys.argv.pop(1)
events = []

class Dropped:
    def __del__(self):
        raise KeyboardInterrupt

def audit(event, args):
    if event != "import":
        return
    events.append(args[0])
    with open(events_file, "w") as out:
        out.write(" ".join(events))
    if args[0] == "burrow.cli":
        Dropped()
        time.sleep(20)  # the Ctrl-C must come back and stop burrow here, or soon after

sys.addaudithook(audit)
if entry == "-m":
    import runpy
    runpy.run_module("burrow", run_name="__main__", alter_sys=True)
else:  # what the installed `burrow` command runs, as pip writes it
    module, _, name = entry.partition(":")
    exec(f"from {module} import {name}")
    sys.exit(eval(name)())
"""


def _console_entry() -> str:
    """The `burrow` command's entry point as pyproject.toml declares it, e.g. 'pkg.mod:main'."""
    import re

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    scripts = text.split("[project.scripts]", 1)[1]
    found = re.search(r'^burrow\s*=\s*"([^"]+)"', scripts, re.MULTILINE)
    assert found, "no burrow entry in [project.scripts]"
    return found.group(1)


@pytest.mark.parametrize("entry", ["-m", "console"])
def test_ctrl_c_while_importing_burrow_still_stops_it(tmp_path: Path, entry: str) -> None:
    # Seen in CI: a Ctrl-C in an import lock's callback before main() had installed the hook
    # was printed as "Exception ignored" and burrow went on to create the env.
    events = tmp_path / "imports"
    target = tmp_path / "env"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CTRL_C_WHILE_IMPORTING,
            entry if entry == "-m" else _console_entry(),
            str(events),
            "create",
            str(target),
            "-q",
            "--without-pip",
        ],
        env=burrow_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (130, "interrupted\n")
    assert not target.exists()
    # The hook comes before anything else is imported, from the package on.
    imports = events.read_text().split()
    first = imports[imports.index("burrow") : imports.index("burrow._signals") + 1]
    assert set(first) <= {"burrow", "burrow.__main__", "burrow._signals"}, imports


def test_leftovers_of_live_processes_are_kept(tmp_path: Path) -> None:
    """Another burrow still building beside us must not have its work removed."""
    live = tmp_path / f".burrow-build-{os.getppid()}-deadbeef"
    live.mkdir()
    dead = tmp_path / ".burrow-build-999999999-deadbeef"
    dead.mkdir()
    burrow("create", str(tmp_path / "env"), "--without-pip")
    assert live.exists()
    assert not dead.exists()
