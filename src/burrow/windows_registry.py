"""Pythons that Windows knows of: the PEP 514 registry and the ``py`` launcher.

Imported by discovery on Windows only; elsewhere every function finds nothing. Each
returns ``(path, tag)`` pairs, the tag being what the install calls its version
('3.12', '3.12-32', '3.13t'), or None.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Mapping, Optional, Tuple

    Registered = List[Tuple[str, Optional[str]]]

#: Companies whose tags are CPython versions (PEP 514: "PythonCore" is python.org's).
_CPYTHON_COMPANY = "PythonCore"
_PY_TIMEOUT = 10.0


def registry_pythons() -> Registered:
    """Interpreters registered under Software\\Python in HKCU and HKLM (64- and 32-bit views)."""
    if sys.platform != "win32":
        return []
    import winreg

    views = [
        (winreg.HKEY_CURRENT_USER, 0),
        (winreg.HKEY_LOCAL_MACHINE, winreg.KEY_WOW64_64KEY),
        (winreg.HKEY_LOCAL_MACHINE, winreg.KEY_WOW64_32KEY),
    ]
    found: Registered = []
    for hive, view in views:
        try:
            root = winreg.OpenKey(hive, "Software\\Python", 0, winreg.KEY_READ | view)
        except OSError:
            continue
        with root:
            for company in _subkeys(root):
                if company == "PyLauncher":  # the launcher's own settings, not a Python
                    continue
                with winreg.OpenKey(root, company) as company_key:
                    for tag in _subkeys(company_key):
                        executable = _executable(company_key, tag)
                        if executable:
                            version = tag if company == _CPYTHON_COMPANY else None
                            found.append((executable, version))
    return found


def _subkeys(key: Any) -> List[str]:
    if sys.platform != "win32":
        return []
    import winreg

    names = []
    index = 0
    while True:
        try:
            names.append(winreg.EnumKey(key, index))
        except OSError:
            return names
        index += 1


def _executable(company_key: Any, tag: str) -> str | None:
    """InstallPath's ExecutablePath, else python.exe in its default value (PEP 514)."""
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(company_key, f"{tag}\\InstallPath") as key:
            try:
                value = winreg.QueryValueEx(key, "ExecutablePath")[0]
                if isinstance(value, str) and value:
                    return value
            except OSError:
                pass
            home = winreg.QueryValueEx(key, "")[0]
    except OSError:
        return None
    return os.path.join(home, "python.exe") if isinstance(home, str) and home else None


def py_launcher_pythons(environ: Mapping[str, str]) -> Registered:
    """What ``py --list-paths`` reports; nothing when there is no launcher or it fails."""
    if sys.platform != "win32":
        return []
    import shutil
    import subprocess

    launcher = shutil.which("py", path=environ.get("PATH"))
    if launcher is None:
        return []
    try:
        proc = subprocess.run(
            [launcher, "--list-paths"],
            capture_output=True,
            timeout=_PY_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_py_list_paths(proc.stdout.decode("utf-8", "replace"))


def parse_py_list_paths(output: str) -> Registered:
    """Read ``py --list-paths`` (or the older ``py -0p``) output.

    ' -V:3.12 *        C:\\Python312\\python.exe' -> ('C:\\Python312\\python.exe', '3.12');
    ' -3.9-64          C:\\Python39\\python.exe' -> (..., '3.9-64'). Tags of other
    companies ('-V:ContinuumAnalytics/Anaconda39-64') give no version.
    """
    found: Registered = []
    for line in output.splitlines():
        text = line.strip()
        if not text.startswith("-"):
            continue  # a header, or the active venv's unnamed row
        tag, _, rest = text[1:].partition(" ")
        if tag.startswith("V:"):
            tag = tag[2:]
        path = rest.strip()
        if path.startswith("*"):  # marks the default
            path = path[1:].strip()
        if not path.lower().endswith(".exe"):
            continue
        found.append((path, None if "/" in tag else tag))
    return found
