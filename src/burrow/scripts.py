"""Console scripts: the lines that make a script run with the env's python, and the files.

Every console script burrow writes (the seeded pip's, and any package's) is written by
``write_console_script``; scripts another installer wrote for a place that moved are
re-pointed with ``repointed``.
"""

from __future__ import annotations

import os

from burrow import fs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple

# Shebang lines cannot hold spaces and are cut at 127 bytes; past that, sh runs python.
# The second line is an sh command to sh and the start of a string to Python.
_SH_HEAD = "#!/bin/sh\n'''exec' %s \"$0\" \"$@\"\n' '''\n"
_RELOCATABLE_PYTHON = '"$(dirname -- "$0")/python"'


def script_head(python: str, relocatable: bool) -> str:
    """The lines that make a Python script run with ``python``: '#!/env/bin/python\\n'."""
    if relocatable:
        return _SH_HEAD % _RELOCATABLE_PYTHON  # the env may move: python is beside the script
    if _plain_shebang_ok(python):
        return f"#!{python}\n"
    return _SH_HEAD % ("'" + python.replace("'", "'\"'\"'") + "'")


def _plain_shebang_ok(python: str) -> bool:
    return (
        len(python.encode("utf-8")) <= 125
        and not any(ch.isspace() for ch in python)
        and python.isprintable()
    )


def posix_script(python: str, module: str, attr: str, relocatable: bool) -> bytes:
    """The POSIX console script that calls ``module:attr`` with ``python``."""
    head = script_head(python, relocatable)
    top = attr.split(".")[0]
    # argv[0] loses a '-script.pyw' or '.exe' ending as pip's template has it do, without
    # its regular expression: importing `re` costs every start of the script.
    body = (
        "import sys\n"
        f"from {module} import {top}\n"
        "if __name__ == '__main__':\n"
        "    if sys.argv[0].endswith('-script.pyw'):\n"
        "        sys.argv[0] = sys.argv[0][:-11]\n"
        "    elif sys.argv[0].endswith('.exe'):\n"
        "        sys.argv[0] = sys.argv[0][:-4]\n"
        f"    sys.exit({attr}())\n"
    )
    return (head + body).encode("utf-8")


def windows_launcher(
    name: str, module: str, attr: str, kind: str, python: str
) -> Tuple[str, bytes]:
    """('pip.exe', launcher bytes): ``installer``'s .exe launcher, as pip makes on Windows.

    ``kind`` is 'console' or 'gui'.
    """
    from installer.scripts import Script

    machine = os.environ.get("PROCESSOR_ARCHITECTURE", "").lower()
    launcher = "win-arm64" if "arm" in machine else "win-amd64"
    script = Script(name, module, attr, section=kind)  # type: ignore[arg-type]
    filename, data = script.generate(python, launcher)  # type: ignore[arg-type]
    return filename, data


def write_console_script(
    bin_dir: str,
    name: str,
    module: str,
    attr: str,
    *,
    kind: str,
    python: str,
    relocatable: bool,
    windows: bool,
) -> str:
    """Write the script ``name`` (``pip.exe`` on Windows) into ``bin_dir``; its path.

    Replaced, not rewritten: writing into an existing env never goes through a link.
    """
    if windows:
        filename, data = windows_launcher(name, module, attr, kind, python)
    else:
        filename, data = name, posix_script(python, module, attr, relocatable)
    path = os.path.join(bin_dir, filename)
    fs.replace_file(path, data, 0o755)
    return path


def repointed(data: bytes, old_bin: str, new_bin: str, relocatable: bool) -> Optional[bytes]:
    """``data`` made to run its python from ``new_bin`` instead of ``old_bin``; None when
    its first lines do not run a python from ``old_bin``.

    Handles both headers installers write: ``#!/old/bin/python`` and, for paths a shebang
    cannot hold, the ``#!/bin/sh`` + ``'''exec' "/old/bin/python" "$0" "$@"`` form.
    """
    old = os.fsencode(old_bin) + os.sep.encode()
    lines = data.split(b"\n", 3)
    if lines[0].startswith(b"#!" + old):
        program, rest = lines[0][2 + len(old) :].rstrip(b"\r"), data.split(b"\n", 1)[1:]
        body = rest[0] if rest else b""
    elif (
        lines[0].rstrip(b"\r") == b"#!/bin/sh"
        and len(lines) >= 3
        and lines[1].startswith(b"'''exec' ")
        and old in lines[1]
        and lines[2].rstrip(b"\r") == b"' '''"
    ):
        after = lines[1][lines[1].index(old) + len(old) :]
        program = after.split(b'"', 1)[0].split(b"'", 1)[0]
        body = lines[3] if len(lines) > 3 else b""
    else:
        return None
    name = os.fsdecode(program.split(b" ", 1)[0])
    if not name or os.sep in name:
        return None
    return script_head(os.path.join(new_bin, name), relocatable).encode() + body
