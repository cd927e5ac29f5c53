"""The package cache: each wheel unpacked and byte-compiled once per interpreter.

An entry is keyed by the wheel's sha256 and the target's cache tag (``cpython-312``, with
a ``t`` for free-threaded builds): ``<cache>/packages/v1/cpython-312/<sha256>/``. It holds

- ``site/``: what goes into site-packages, bytecode included, every file read-only;
- ``scripts/``, ``data/``, ``headers/``: the wheel's ``.data`` files, placed per env;
- ``manifest``: written last (an entry without one is incomplete and never linked), it
  lists every directory and file (with size and mtime, so a damaged file is seen by the
  same stat that links it), the RECORD lines that hold in every env, the entry points,
  the ``.pth`` files (copied per env, never linked) and the scripts whose ``#!python``
  shebang names the env's interpreter.

Entries are built under a file lock, in a staging dir renamed into place; a damaged one
is renamed away and rebuilt, never linked. The warm path reads one marshal file.
"""

from __future__ import annotations

import os

from burrow import dirs, fs, store
from burrow._fast import Record, getLogger, record_hash
from burrow.errors import PackageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from burrow.interpreter import PythonInfo

__all__ = ["DamagedEntry", "Entry", "PackageError", "ensure_entry", "entry_path", "load_entry"]

log = getLogger(__name__)

#: Bump when the layout of an entry changes; entries of another format are ignored.
ENTRY_FORMAT = 1
MANIFEST = "manifest"
#: The interpreter ``installer`` writes into ``#!python`` scripts; replaced per env.
PLACEHOLDER = "/__burrow_python__"
_PLACEHOLDER_HEAD = f"#!{PLACEHOLDER}\n".encode()
#: The wheel schemes kept beside site/ (``purelib``/``platlib`` both go to site/).
SPILL_SCHEMES = ("scripts", "data", "headers")
#: Stem of an entry being removed (``fs.discard``); a staging dir's is '.build-<key>-'.
TRASH_STEM = ".trash-"


class Entry(Record):
    """An unpacked, byte-compiled package in the cache, ready to be linked."""

    path: str
    manifest: Dict[str, Any]
    #: (st_dev, st_ino) of its site dir when loaded: a rebuilt entry has another.
    ident: Tuple[int, int] = (0, 0)

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


class DamagedEntry(Exception):
    """A cache entry is incomplete or its files changed; it must be rebuilt."""


def root() -> str:
    """Where every entry lives, e.g. ~/.cache/burrow/packages/v1."""
    return os.path.join(dirs.private_cache_dir(), "packages", f"v{ENTRY_FORMAT}")


def tag_dir(info: PythonInfo) -> str:
    """Entries for one interpreter build, e.g. <root>/cpython-312 (cpython-313t free-threaded)."""
    return os.path.join(root(), info.cache_tag + ("t" if info.free_threaded else ""))


def entry_path(sha256: str, info: PythonInfo) -> str:
    return os.path.join(tag_dir(info), sha256)


def load_entry(path: str) -> Entry:
    """The entry at ``path``; DamagedEntry when it is incomplete or of another format."""
    manifest = store.load(os.path.join(path, MANIFEST))
    if not isinstance(manifest, dict) or manifest.get("format") != ENTRY_FORMAT:
        raise DamagedEntry(f"{path} has no valid manifest")
    try:
        st = os.lstat(os.path.join(path, "site"))
    except OSError:
        raise DamagedEntry(f"{path} is missing") from None
    return Entry(path=path, manifest=manifest, ident=(st.st_dev, st.st_ino))


def ensure_entry(wheel: str, sha256: str, info: PythonInfo) -> Entry:
    """The cache entry of ``wheel`` (whose sha256 the caller checked) for ``info``.

    Warm: one manifest read. Cold: unpacked and compiled under the entry's lock; an entry
    another run finished meanwhile is taken as it is, a damaged one is replaced.
    """
    path = entry_path(sha256, info)
    try:
        return load_entry(path)
    except DamagedEntry:
        pass
    return build_entry(wheel, sha256, info)


def build_entry(wheel: str, sha256: str, info: PythonInfo, *, at: Optional[str] = None) -> Entry:
    """(Re)build the entry of ``wheel``: what a damaged or missing entry needs.

    ``at`` is where the entry goes when not ``entry_path(sha256, info)``: the pip seed
    keeps its entries by name and version (``<cache>/seed/v3/cpython-312/pip-24.3.1``).
    Under the entry's lock, an entry another run finished meanwhile is taken as it is; a
    damaged one is renamed away before it is deleted, so nobody links from it half-deleted.
    """
    target = at or entry_path(sha256, info)
    folder, key = os.path.split(target)
    os.makedirs(folder, exist_ok=True)
    stem = f".build-{key[:32]}-"
    with entry_lock(folder, key):
        sweep_staging(folder, stem)
        if os.path.lexists(target):
            try:
                return load_entry(target)
            except DamagedEntry:
                log.info("rebuilding the damaged cache entry of %s", os.path.basename(wheel))
                fs.discard(target, TRASH_STEM)
        staging = fs.unique_dir(folder, stem)
        try:
            _unpack(wheel, staging, sha256, info)
            os.rename(staging, target)
        except BaseException:
            fs.remove_tree(staging)
            raise
    return load_entry(target)


def entry_lock(folder: str, key: str) -> Any:
    """The lock held while an entry is built or removed, e.g. for 'pip-24.3.1'."""
    import filelock

    return filelock.FileLock(os.path.join(folder, f".{key}.lock"))


def sweep_staging(folder: str, prefix: str) -> None:
    """Remove what killed runs left: their staging dirs starting with ``prefix``, and trash."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid = fs.owner_pid(name)
        if not name.startswith((prefix, TRASH_STEM)) or pid is None:
            continue
        if not fs.pid_alive(pid):
            try:
                fs.remove_tree(os.path.join(folder, name))
            except OSError as exc:  # e.g. an orphaned compiler still writing there
                log.info("could not remove %s: %s", name, exc)


def mark_damaged(entry: Entry) -> None:
    """Drop the manifest of an entry found damaged while linking, so it is rebuilt.

    Only when the entry there is still that one: one already rebuilt by another run, or
    removed by ``cache clean``, is left alone.
    """
    try:
        if load_entry(entry.path).ident != entry.ident:
            return
        os.unlink(os.path.join(entry.path, MANIFEST))
    except (DamagedEntry, FileNotFoundError):
        pass


def _unpack(wheel: str, staging: str, sha256: str, info: PythonInfo) -> None:
    """Install ``wheel`` into ``staging``, compile it, and write the manifest last."""
    from pathlib import Path

    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    site = os.path.join(staging, "site")
    scheme = {"purelib": site, "platlib": site}
    scheme.update({kind: os.path.join(staging, kind) for kind in SPILL_SCHEMES})
    filename = os.path.basename(wheel)
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
    _compile(site, info)
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
    manifest = {
        "format": ENTRY_FORMAT,
        "name": name,
        "version": version,
        "sha256": sha256,
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
    # Written last: an entry without its manifest is incomplete and never linked.
    store.dump(os.path.join(staging, MANIFEST), manifest)


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


def _compile(site: str, info: PythonInfo) -> None:
    """Byte-compile with the target interpreter itself, so the .pyc magic matches."""
    import subprocess

    code = "import compileall, sys\nsys.exit(not compileall.compile_dir(sys.argv[1], quiet=1))\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [info.base_executable, "-E", "-s", "-c", code, site],
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


def record_line(path: str, rel: str) -> str:
    """The RECORD line of the file at ``path``, e.g. 'pip/__init__.py,sha256=...,357'."""
    with open(path, "rb") as handle:
        data = handle.read()
    return f"{rel},{record_hash(data)},{len(data)}"


def _make_read_only(path: str) -> None:
    """Files are shared by hard link between envs: an in-place edit must not spread."""
    os.chmod(path, os.stat(path).st_mode & ~0o222)
