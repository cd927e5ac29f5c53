"""burrow.packages.tags: a target's wheel tags and markers, equal to what it says itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import packaging
import pytest
from pythons import MATRIX, debian_python, require_python

from burrow.interpreter import PythonInfo, inspect
from burrow.packages.tags import (
    evaluate_marker,
    marker_environment,
    platforms,
    supported_tags,
)

# packaging, as burrow runs it, put on the target's path: both sides then use one version.
PACKAGING_DIR = str(Path(packaging.__file__).resolve().parent.parent)
ASK = """
import json
from packaging.markers import default_environment
from packaging.tags import sys_tags
print(json.dumps({"tags": [str(t) for t in sys_tags()], "markers": default_environment()}))
"""


def ask(python: str) -> Dict[str, Any]:
    """What the interpreter itself says, through packaging."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # A directory of its own so that nothing else in site-packages shadows the stdlib.
    environ["PYTHONPATH"] = PACKAGING_DIR
    proc = subprocess.run(
        [python, "-s", "-c", ASK], env=environ, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result: Dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize("minor", MATRIX)
def test_tags_and_markers_equal_the_interpreters_own(minor: str) -> None:
    python = require_python(minor)
    info = inspect(python)
    said = ask(python)
    assert [str(tag) for tag in supported_tags(info)] == said["tags"]
    assert marker_environment(info) == said["markers"]


def test_debian_python() -> None:
    python = debian_python()
    if python is None:
        pytest.skip("no Debian python3 in /usr/bin")
    info = inspect(python)
    said = ask(python)
    assert [str(tag) for tag in supported_tags(info)] == said["tags"]
    assert marker_environment(info) == said["markers"]


def test_running_interpreter_equals_sys_tags() -> None:
    from packaging.tags import sys_tags

    info = inspect(sys.executable)
    assert supported_tags(info) == list(sys_tags())


def facts(**changes: Any) -> PythonInfo:
    """The running interpreter's facts with some changed: a machine we do not have."""
    return inspect(sys.executable).replace(**changes)


def test_musl() -> None:
    info = facts(libc=("musl", "1.2"), sysconfig_platform="linux-aarch64", is_64bit=True)
    assert platforms(info) == ["musllinux_1_2_aarch64", "musllinux_1_1_aarch64",
                               "musllinux_1_0_aarch64", "linux_aarch64"]  # fmt: skip


def test_manylinux_floor_and_legacy_names() -> None:
    aarch64 = platforms(facts(libc=("glibc", "2.19"), sysconfig_platform="linux-aarch64"))
    assert aarch64 == [
        "manylinux_2_19_aarch64", "manylinux_2_18_aarch64", "manylinux_2_17_aarch64",
        "manylinux2014_aarch64", "linux_aarch64",
    ]  # fmt: skip
    x86 = platforms(facts(libc=("glibc", "2.6"), sysconfig_platform="linux-x86_64"))
    assert x86 == ["manylinux_2_6_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64",
                   "linux_x86_64"]  # fmt: skip


def test_32_bit_interpreter_on_64_bit_linux() -> None:
    i686 = platforms(facts(libc=("glibc", "2.5"), is_64bit=False))
    assert i686 == ["manylinux_2_5_i686", "manylinux1_i686", "linux_i686"]
    arm = platforms(facts(libc=None, is_64bit=False, sysconfig_platform="linux-aarch64"))
    assert arm == ["linux_armv8l", "linux_armv7l"]


def test_unknown_architecture_gets_no_manylinux() -> None:
    assert platforms(facts(libc=("glibc", "2.36"), sysconfig_platform="linux-sparc64")) == [
        "linux_sparc64"
    ]


def test_macos_and_windows() -> None:
    from packaging.tags import mac_platforms

    mac = facts(platform="darwin", mac_version="14.2.1", machine="arm64",
                sysconfig_platform="macosx-11.0-arm64")  # fmt: skip
    assert platforms(mac) == list(mac_platforms((14, 2), "arm64"))
    assert "macosx_11_0_arm64" in platforms(mac)
    windows = facts(platform="win32", sysconfig_platform="win-amd64", os_name="nt")
    assert platforms(windows) == ["win_amd64"]


def test_abis_debug_and_free_threaded() -> None:
    debug = [
        str(t)
        for t in supported_tags(facts(py_debug=1, version=(3, 12, 1), py_version_nodot="312"))
    ]
    assert debug[0].startswith("cp312-cp312d-")
    assert any(t.startswith("cp312-cp312-") for t in debug)
    threaded = [str(t) for t in supported_tags(facts(free_threaded=True, version=(3, 13, 0),
                                                       py_version_nodot="313"))]  # fmt: skip
    assert threaded[0].startswith("cp313-cp313t-")
    assert not any("-abi3-" in t for t in threaded)  # abi3 needs the GIL


def test_pypy_tags() -> None:
    pypy = facts(implementation="pypy", version=(3, 10, 14), py_version_nodot="310",
                 ext_suffix=".pypy310-pp73-x86_64-linux-gnu.so")  # fmt: skip
    tags = [str(t) for t in supported_tags(pypy)]
    assert tags[0].startswith("pp310-pypy310_pp73-manylinux")
    assert "pp3-none-any" in tags
    assert tags[-1] == "py30-none-any"


def test_markers_from_old_facts_and_evaluation() -> None:
    info = facts(python_full_version="", implementation_version="", python_implementation="",
                 version=(3, 13, 0), release=("candidate", 1))  # fmt: skip
    environment = marker_environment(info)
    assert environment["python_full_version"] == "3.13.0rc1"
    assert environment["python_version"] == "3.13"
    assert environment["platform_python_implementation"] == "CPython"
    assert evaluate_marker('python_version >= "3.13"', info)
    assert not evaluate_marker('python_version < "3.13"', info)
    assert evaluate_marker('extra == "socks"', info, ("security", "socks"))
    assert not evaluate_marker('extra == "socks"', info)
