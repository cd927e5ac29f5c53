"""`burrow python list`: every interpreter found, as a table or JSON."""

from __future__ import annotations

import json
import os
import sys

from helpers import burrow


def test_python_list_json_has_the_running_interpreter() -> None:
    rows = json.loads(burrow("python", "list", "--json").stdout)
    real = os.path.realpath(sys._base_executable)  # type: ignore[attr-defined]
    mine = [r for r in rows if os.path.realpath(r["path"]) == real]
    assert mine, f"{real} not among {[r['path'] for r in rows]}"
    assert mine[0]["usable"] is True
    assert mine[0]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert {"version", "implementation", "architecture", "path", "source"} <= set(mine[0])


def test_python_list_table() -> None:
    out = burrow("python", "list").stdout.splitlines()
    assert out[0].split()[:3] == ["VERSION", "IMPLEMENTATION", "ARCH"]
    assert any(".".join(map(str, sys.version_info[:3])) in line for line in out[1:])


def test_python_without_subcommand_is_a_usage_error() -> None:
    result = burrow("python", check=False)
    assert result.returncode == 2
    assert "python list" in result.stderr


def test_no_match_lists_what_was_found(tmp_path: object) -> None:
    result = burrow("create", os.path.join(str(tmp_path), "env"), "-p", "3.99", check=False)
    assert result.returncode == 1
    line = result.stderr.strip()
    assert line.startswith("error: no interpreter matches '3.99' (found: ")
    assert ".".join(map(str, sys.version_info[:2])) in line
    assert not os.path.exists(os.path.join(str(tmp_path), "env"))
