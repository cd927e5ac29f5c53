"""SPEC §7: `burrow --help`, `burrow list` and a plain create import nothing heavy.

Timing is left to benchmarks/; what is checked here is which modules get imported,
which does not depend on how busy the machine is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import burrow_env, wait_for_check

# Modules that cost milliseconds each, or pull in many others.
HEAVY = {
    "bz2", "dataclasses", "email", "filelock", "hashlib", "inspect", "installer", "json",
    "logging", "lzma", "packaging", "pathlib", "platformdirs", "shutil", "subprocess",
    "tempfile", "typing", "urllib", "zipfile",
}  # fmt: skip

CHECK = "BURROW_NO_PERIODIC_UPDATE"

# Only what burrow adds counts: site-packages' .pth files may import plenty at start-up.
REPORT = """
import sys
before = set(sys.modules)
from burrow.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write(" ".join(sorted(set(sys.modules) - before)))
"""


def imported(*args: str, cwd: Path, env: dict[str, str] | None = None) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", REPORT, *args],
        env=burrow_env({"BURROW_HOME": str(cwd / "home"), **(env or {})}),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(proc.stderr.split())


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list"],
        ["create", "--help"],
        ["create", "-q", "--without-pip", "env"],
        ["__complete", "2", "burrow", "create", "--"],  # a TAB: options
        ["__complete", "3", "burrow", "create", "-p", "3"],  # a TAB: cached interpreters
        ["__complete", "2", "burrow", "info", ""],  # a TAB: env names
    ],
    ids=["help", "list", "create-help", "create", "tab-option", "tab-python", "tab-env"],
)
def test_no_heavy_import(tmp_path: Path, args: list[str]) -> None:
    imported("create", "-q", "--without-pip", "warm-up", cwd=tmp_path)  # learns the facts
    assert not HEAVY & imported(*args, cwd=tmp_path)


def test_plain_create_needs_neither_argparse_nor_re(tmp_path: Path) -> None:
    imported("create", "-q", "--without-pip", "warm-up", cwd=tmp_path)
    modules = imported("create", "-q", "--without-pip", "env", cwd=tmp_path)
    assert (tmp_path / "env" / "pyvenv.cfg").is_file()
    assert not {"argparse", "re"} & modules


def test_starting_the_daily_pip_check_imports_nothing_heavy(tmp_path: Path) -> None:
    # Its own cache, and an index with nothing: the check it starts finds nothing to fetch.
    offline = {
        "BURROW_CACHE_DIR": str(tmp_path / "cache"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
    }
    imported("create", "-q", "warm-up", cwd=tmp_path, env=offline)
    modules = imported("create", "-q", "env", cwd=tmp_path, env={**offline, CHECK: ""})
    assert "burrow.periodic" in modules
    assert "failed" in wait_for_check(tmp_path / "cache")  # it was started, and has ended
    assert not HEAVY & modules
