"""The real interpreters on this machine, found independently of burrow's own discovery.

Tests must not trust the code they test to find their matrix. Under ``CI=true`` a
missing CPython 3.8 to 3.13 fails the run instead of skipping it.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

import pytest

MATRIX = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _pyenv_root() -> Optional[str]:
    root = os.environ.get("PYENV_ROOT")
    if root and os.path.isdir(root):
        return root
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and os.path.isdir(out.stdout.strip()):
            return out.stdout.strip()
    default = os.path.expanduser("~/.pyenv")
    return default if os.path.isdir(default) else None


def _candidates() -> List[str]:
    found = []
    root = _pyenv_root()
    if root:
        found += sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3.*")))
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if "shims" in folder:  # pyenv/asdf shims are slow scripts, not interpreters
            continue
        found += sorted(glob.glob(os.path.join(folder, "python3.*")))
    found += sorted(glob.glob("/usr/bin/python3.*"))
    return [p for p in found if re.search(r"python3\.\d+$", p) and os.access(p, os.X_OK)]


@functools.lru_cache(maxsize=None)
def cpythons() -> Dict[str, str]:
    """{'3.12': '/path/to/python3.12', …}: one real CPython per minor version."""
    found: Dict[str, str] = {}
    for path in _candidates():
        minor = re.search(r"python(3\.\d+)$", path).group(1)  # type: ignore[union-attr]
        if minor in found:
            continue
        out = subprocess.run(
            [path, "-c", "import sys; print(sys.implementation.name)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip() == "cpython":
            found[minor] = os.path.realpath(path)
    return found


def require_python(minor: str) -> str:
    """The interpreter for ``minor``; skip without it, or fail under CI=true."""
    path = cpythons().get(minor)
    if path is None:
        message = f"no CPython {minor} on this machine"
        if in_ci():
            pytest.fail(f"{message} (CI=true: the interpreter matrix must be complete)")
        pytest.skip(message)
    return path


def debian_python() -> Optional[str]:
    """Debian's own python3 in /usr/bin, which may lack ensurepip and venv."""
    for path in sorted(glob.glob("/usr/bin/python3.*")):
        if re.search(r"python3\.\d+$", path):
            return path
    return None


def host() -> str:
    return sys.executable
