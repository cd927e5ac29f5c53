"""Where things go inside an environment, taken from the target interpreter's sysconfig."""

from __future__ import annotations

import os

from burrow._fast import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Tuple

    from burrow.interpreter import PythonInfo

CONFIG_NAME = "pyvenv.cfg"


class Layout(Record):
    """Relative paths inside one env, e.g. purelib='lib/python3.12/site-packages'."""

    scripts: str
    purelib: str
    platlib: str
    include: str
    lib64_link: bool  # venv adds lib64 -> lib on 64-bit Linux-like systems
    python_names: Tuple[str, ...]  # first one links to the base interpreter, others to it
    windows: bool

    def site_packages(self) -> Tuple[str, ...]:
        """('lib/python3.12/site-packages',), two entries where purelib and platlib differ."""
        if self.platlib == self.purelib:
            return (self.purelib,)
        return (self.purelib, self.platlib)


def plan(info: PythonInfo) -> Layout:
    """The layout ``python -m venv`` of ``info`` would make."""
    paths = info.paths
    if info.scheme == "venv":
        include = paths["include"]
    else:
        # Before the "venv" scheme existed, venv made a bare include dir.
        include = "Include" if info.windows else "include"
    major, minor, _ = info.version
    if info.windows:
        stem = os.path.splitext(os.path.basename(info.base_executable))[0]
        exe = ["python.exe", "pythonw.exe"]
        if info.implementation != "cpython":
            exe.insert(0, f"{stem}.exe")
        names: Tuple[str, ...] = tuple(dict.fromkeys(exe))
    else:
        stem = os.path.basename(info.base_executable)
        names = tuple(dict.fromkeys([stem, "python", f"python{major}", f"python{major}.{minor}"]))
    lib64 = (
        info.is_64bit
        and info.os_name == "posix"
        and info.platform != "darwin"
        and paths["purelib"].startswith("lib/")
    )
    return Layout(
        scripts=paths["scripts"],
        purelib=paths["purelib"],
        platlib=paths["platlib"],
        include=include,
        lib64_link=lib64,
        python_names=names,
        windows=info.windows,
    )
