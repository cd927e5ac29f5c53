"""Making a package cache entry: a wheel unpacked (by ``installer``) and byte-compiled.

The cold path of ``cache.build_entry``, which calls it in a staging dir under the
entry's lock: ``site/`` gets purelib and platlib, bytecode included; ``scripts/``,
``data/`` and ``headers/`` the wheel's ``.data`` files; every file is made read-only,
since envs share them by hard link. What it returns is the entry's manifest.
"""

from __future__ import annotations

import os

from burrow._fast import getLogger, record_line
from burrow.errors import PackageError
from burrow.fs import file_digest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from burrow.interpreter import PythonInfo

log = getLogger(__name__)

#: The interpreter ``installer`` writes into ``#!python`` scripts; replaced per env.
PLACEHOLDER = "/__burrow_python__"
_PLACEHOLDER_HEAD = f"#!{PLACEHOLDER}\n".encode()
#: The wheel schemes kept beside site/ (``purelib``/``platlib`` both go to site/).
SPILL_SCHEMES = ("scripts", "data", "headers")


def unpack(wheel: str, sha256: Optional[str], staging: str, info: PythonInfo) -> Dict[str, Any]:
    """Install ``wheel`` into ``staging`` and compile it; its manifest (for the caller to
    write last). The wheel must have the given ``sha256`` (None: whatever it has), which
    the manifest records: an entry keyed by a digest holds that file, whoever checked it."""
    from pathlib import Path

    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    site = os.path.join(staging, "site")
    scheme = {"purelib": site, "platlib": site}
    scheme.update({kind: os.path.join(staging, kind) for kind in SPILL_SCHEMES})
    filename = os.path.basename(wheel)
    actual = file_digest(wheel)
    if sha256 is not None and actual != sha256:
        raise PackageError(
            f"hash mismatch for {wheel}: its sha256 is {actual}, not {sha256} (it changed "
            "since it was checked)"
        )
    try:
        with WheelFile.open(Path(wheel)) as source:
            if hasattr(source, "validate_record"):
                source.validate_record()
            destination = SchemeDictionaryDestination(
                scheme,
                interpreter=PLACEHOLDER,
                script_kind="posix",
                bytecode_optimization_levels=(),
            )
            install(source, destination, additional_metadata={})
    except OSError as exc:
        raise PackageError(f"cannot unpack {filename} into the cache: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the wheel is unusable
        raise PackageError(f"{filename} is not a valid wheel: {exc}") from None
    dist_info = next(n for n in os.listdir(site) if n.endswith(".dist-info"))
    dist_path = os.path.join(site, dist_info)
    name, version = _name_version(dist_path)
    record_lines = _base_record(dist_path)
    entry_points = _entry_points(os.path.join(dist_path, "entry_points.txt"))
    # installer wrote the entry points' scripts too: those are written per env from the
    # manifest, so only the wheel's own .data/scripts are kept.
    generated = {script[0] for script in entry_points}
    scripts_dir = os.path.join(staging, "scripts")
    if os.path.isdir(scripts_dir):
        for script in generated:
            if os.path.exists(os.path.join(scripts_dir, script)):
                os.unlink(os.path.join(scripts_dir, script))
    _compile(site, info, sum(line.split(",", 1)[0].endswith(".py") for line in record_lines))
    dir_list, files = _walk(site)
    known = {line.split(",", 1)[0] for line in record_lines}
    for rel, *_ in files:
        if rel not in known and rel.endswith(".pyc"):
            record_lines.append(record_line(os.path.join(site, rel), rel))
    pth = [item for item in files if "/" not in item[0] and item[0].endswith(".pth")]
    linked = [item for item in files if item not in pth]
    spill: Dict[str, Any] = {}
    for kind in SPILL_SCHEMES:
        folder = os.path.join(staging, kind)
        if os.path.isdir(folder):
            kind_dirs, kind_files = _walk(folder)
            spill[kind] = {"dirs": kind_dirs, "files": kind_files}
    shebang = []
    for rel, *_ in spill.get("scripts", {}).get("files", []):
        with open(os.path.join(scripts_dir, rel), "rb") as handle:
            if handle.read(len(_PLACEHOLDER_HEAD)) == _PLACEHOLDER_HEAD:
                shebang.append(rel)
    for folder in ("site", *spill):
        for current, _subdirs, names in os.walk(os.path.join(staging, folder)):
            for item in names:
                _make_read_only(os.path.join(current, item))
    return {
        "name": name,
        "version": version,
        "sha256": actual,
        "wheel": filename,
        "dist_info": dist_info,
        "dirs": dir_list,
        "files": linked,
        "pth": [item[0] for item in pth],
        "record": record_lines,
        "scripts": entry_points,
        "spill": spill,
        "shebang": shebang,
    }


def _name_version(dist_path: str) -> tuple[str, str]:
    """Name and version from METADATA's header, e.g. ('Flask', '3.0.3')."""
    from email.parser import BytesHeaderParser

    with open(os.path.join(dist_path, "METADATA"), "rb") as handle:
        headers = BytesHeaderParser().parse(handle)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise PackageError(f"{os.path.basename(dist_path)} has no Name or Version in METADATA")
    return str(name).strip(), str(version).strip()


def _base_record(dist_info: str) -> List[str]:
    """RECORD lines that hold in every env: those of site-packages files, minus RECORD,
    INSTALLER and the like, which each env writes for itself."""
    import csv

    per_env = ("/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json")
    lines = []
    with open(os.path.join(dist_info, "RECORD"), newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("../") or row[0].endswith(per_env):
                continue
            lines.append(_csv_line(row))
    for name in per_env:
        path = dist_info + name
        if os.path.exists(path):
            os.unlink(path)
    return lines


def _csv_line(row: List[str]) -> str:
    """One RECORD row as csv writes it (a path with a comma or quote is quoted)."""
    return ",".join(
        f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in ',"\n') else cell
        for cell in row
    )


def _entry_points(path: str) -> List[List[str]]:
    """[[name, module, attr, 'console'|'gui'], ...] from entry_points.txt."""
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise PackageError(f"bad entry points in {os.path.dirname(path)}: {exc}") from None
    found = []
    for section, kind in (("console_scripts", "console"), ("gui_scripts", "gui")):
        if parser.has_section(section):
            for script, target in parser.items(section):
                module, _, attr = target.partition(":")
                found.append([script, module.strip(), attr.split("[")[0].strip(), kind])
    return found


#: Sources from which compileall gets worker processes (one per core): below it, starting
#: them costs more than they save.
MANY_SOURCES = 400


def _compile(site: str, info: PythonInfo, sources: int) -> None:
    """Byte-compile with the target interpreter itself, so the .pyc magic matches; with
    worker processes when there are ``MANY_SOURCES`` (each .pyc is the same either way)."""
    import subprocess

    workers = 0 if sources >= MANY_SOURCES and (os.cpu_count() or 1) > 1 else 1
    code = (
        "import compileall, sys\n"
        "sys.exit(not compileall.compile_dir(sys.argv[1], quiet=1, workers=int(sys.argv[2])))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [info.base_executable, "-E", "-s", "-c", code, site, str(workers)],
        capture_output=True,
        env=env,
        check=False,
    )
    if not proc.returncode:
        return
    output = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    failure = next((line for line in output if line.startswith("OSError")), None)
    if proc.returncode < 0 or failure:
        # Not a file the wheel ships that does not compile (that is only a warning) but the
        # compiler killed or the disk full: an entry without its bytecode is not cached.
        why = failure or f"the compiler was stopped by signal {-proc.returncode}"
        raise PackageError(f"cannot byte-compile into the cache: {why}")
    log.warning("byte-compiling %s reported errors: %s", site, " / ".join(output[-3:]))


def _walk(root: str) -> Tuple[List[str], List[List[Any]]]:
    """Directories (parents first) and [file, size, mtime_ns] under root, '/'-separated."""
    dir_list: List[str] = []
    files: List[List[Any]] = []
    for current, subdirs, names in os.walk(root):
        rel = os.path.relpath(current, root).replace(os.sep, "/")
        subdirs.sort()
        if rel != ".":
            dir_list.append(rel)
        for name in sorted(names):
            relname = name if rel == "." else f"{rel}/{name}"
            st = os.stat(os.path.join(current, name))
            files.append([relname, st.st_size, st.st_mtime_ns])
    return dir_list, files


def _make_read_only(path: str) -> None:
    """Files are shared by hard link between envs: an in-place edit must not spread."""
    os.chmod(path, os.stat(path).st_mode & ~0o222)
