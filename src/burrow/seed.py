"""Seeding pip (and optionally setuptools, wheel) into a new environment.

Each (package, version, interpreter) is unpacked and byte-compiled once into the cache,
then hard-linked into every environment (copied where linking is impossible). The
per-environment part is tiny: console scripts, INSTALLER, REQUESTED and RECORD, which
name the environment's own paths. The warm path imports nothing heavy and starts no
process; the cold path (unpack, compile, download) may.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from burrow import dirs
from burrow.errors import SeedError
from burrow.interpreter import PythonInfo
from burrow.layout import Layout

log = logging.getLogger(__name__)

#: Bump when the layout of a cache entry changes; old entries are then ignored.
ENTRY_FORMAT = 1
MANIFEST = "manifest.json"
SYSTEM_WHEEL_DIRS = ("/usr/share/python-wheels",)  # Debian and Fedora ship pip wheels here


@dataclass(frozen=True)
class SeedRequest:
    """One package to seed: version is 'bundle', 'latest' or an exact version like '24.3.1'."""

    name: str
    version: str = "bundle"


@dataclass(frozen=True)
class Candidate:
    """A version of a package available offline: an unpacked cache entry or a wheel file."""

    version: str
    entry: Optional[Path] = None
    wheel: Optional[Path] = None


# --- finding what is available offline ---------------------------------------------


def seed_root() -> Path:
    return dirs.cache_dir() / "seed" / f"v{ENTRY_FORMAT}"


def wheel_store() -> Path:
    """Where wheels fetched from an index are kept for later offline use."""
    return dirs.cache_dir() / "wheels"


def _tag_dir(info: PythonInfo) -> Path:
    suffix = "t" if info.free_threaded else ""
    return seed_root() / f"{info.cache_tag}{suffix}"


def wheel_dirs(info: PythonInfo, environ: Mapping[str, str]) -> List[Path]:
    """Directories searched for wheels, e.g. [<stdlib>/ensurepip/_bundled, <cache>/wheels]."""
    found = [Path(info.ensurepip_bundled), *map(Path, SYSTEM_WHEEL_DIRS), wheel_store()]
    for item in environ.get("PIP_FIND_LINKS", "").split():
        if item.startswith("file://"):
            from urllib.parse import unquote, urlparse

            item = unquote(urlparse(item).path)
        if "://" not in item:
            found.append(Path(item))
    return found


def _split_wheel_name(filename: str) -> Optional[Tuple[str, str]]:
    """'pip-24.3.1-py3-none-any.whl' -> ('pip', '24.3.1'); None for anything else."""
    if not filename.endswith(".whl"):
        return None
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return None
    return parts[0].lower().replace("_", "-").replace(".", "-"), parts[1]


def _is_universal(filename: str) -> bool:
    """Pure-Python wheels for Python 3 only: seed packages are never compiled."""
    python_tags, abi, platform = filename[:-4].split("-")[-3:]
    return "py3" in python_tags.split(".") and abi == "none" and platform == "any"


def offline_candidates(name: str, info: PythonInfo, environ: Mapping[str, str]) -> List[Candidate]:
    """Every version of ``name`` usable offline, newest first; cache entries before wheels."""
    found: List[Candidate] = []
    tag_dir = _tag_dir(info)
    prefix = f"{name}-"
    try:
        with os.scandir(tag_dir) as entries:
            for item in entries:
                if item.name.startswith(prefix) and item.is_dir():
                    found.append(Candidate(item.name[len(prefix) :], entry=Path(item.path)))
    except OSError:
        pass
    for folder in wheel_dirs(info, environ):
        try:
            with os.scandir(folder) as entries:
                for item in entries:
                    split = _split_wheel_name(item.name)
                    if split and split[0] == name and _is_universal(item.name):
                        found.append(Candidate(split[1], wheel=Path(item.path)))
        except OSError:
            continue
    keys = _version_keys([c.version for c in found])
    # Newest first; for one version, a ready cache entry before a wheel to unpack.
    found.sort(key=lambda c: (keys[c.version], c.entry is not None), reverse=True)
    return found


def _version_keys(versions: Sequence[str]) -> Dict[str, Any]:
    """Sort keys for versions: plain int tuples when all are releases (no import needed)."""
    if all(part.isdigit() for v in versions for part in v.split(".")):
        return {v: tuple(int(part) for part in v.split(".")) for v in versions}
    from packaging.version import InvalidVersion, Version

    keys: Dict[str, Any] = {}
    for v in versions:
        try:
            keys[v] = (1, Version(v))
        except InvalidVersion:
            keys[v] = (0, Version("0"))
    return keys


# --- the cache entry -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """An unpacked, byte-compiled package in the cache, ready to be linked."""

    path: Path
    manifest: Dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


class DamagedEntry(Exception):
    """A cache entry is incomplete or its files changed; it must be rebuilt."""


def load_entry(path: Path) -> Entry:
    import json

    try:
        with open(path / MANIFEST, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if manifest.get("format") != ENTRY_FORMAT:
            raise DamagedEntry(f"{path}: old format")
    except (OSError, ValueError) as exc:
        raise DamagedEntry(f"{path}: {exc}") from None
    return Entry(path, manifest)


def build_entry(wheel: Path, name: str, version: str, info: PythonInfo, *, replace: bool) -> Entry:
    """Unpack and byte-compile ``wheel`` into the cache (once, under a lock) and load it."""
    import filelock

    tag_dir = _tag_dir(info)
    tag_dir.mkdir(parents=True, exist_ok=True)
    target = tag_dir / f"{name}-{version}"
    with filelock.FileLock(str(tag_dir / f".{name}-{version}.lock")):
        if target.exists():
            try:
                if not replace:
                    return load_entry(target)
            except DamagedEntry:
                pass
            _remove_tree(target)
        staging = Path(_unique_dir(tag_dir, f".build-{name}-{version}"))
        try:
            _unpack(wheel, staging, name, version, info)
            os.rename(staging, target)
        except BaseException:
            _remove_tree(staging)
            raise
    return load_entry(target)


def _unique_dir(parent: Path, stem: str) -> str:
    import secrets

    path = parent / f"{stem}-{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(path)
    return str(path)


def _remove_tree(path: Path) -> None:
    def make_writable(func: Callable[..., Any], failed: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(failed), 0o755)
        func(failed)

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=make_writable)  # noqa: PTH - 3.8 has no onexc


def _unpack(wheel: Path, staging: Path, name: str, version: str, info: PythonInfo) -> None:
    import json

    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    site = staging / "site"
    spill = staging / "spill"  # scripts/headers/data: regenerated per env or refused
    scheme = {
        "purelib": str(site),
        "platlib": str(site),
        "scripts": str(spill / "scripts"),
        "headers": str(spill / "headers"),
        "data": str(spill / "data"),
    }
    try:
        with WheelFile.open(wheel) as source:
            if hasattr(source, "validate_record"):
                source.validate_record()
            destination = SchemeDictionaryDestination(
                scheme, interpreter="python", script_kind="posix", bytecode_optimization_levels=()
            )
            install(source, destination, additional_metadata={})
    except Exception as exc:  # noqa: BLE001 - any failure here means a bad wheel
        raise SeedError(f"cannot unpack {wheel.name}: {exc}") from None
    for kind in ("headers", "data"):
        if (spill / kind).exists():
            raise SeedError(f"{wheel.name} installs {kind} files; burrow seeds only plain packages")
    dist_info = next(site.glob("*.dist-info")).name
    record_lines = _base_record(site / dist_info)
    scripts = _entry_points(site / dist_info / "entry_points.txt")
    requires_python = _requires_python(site / dist_info / "METADATA")
    _compile(site, info)
    dirs_list, files = _walk(site)
    known = {line.split(",", 1)[0] for line in record_lines}
    for rel, _ in files:
        if rel not in known and rel.endswith(".pyc"):
            record_lines.append(_record_line(site / rel, rel))
    for rel, _ in files:
        _make_read_only(site / rel)
    manifest = {
        "format": ENTRY_FORMAT,
        "name": name,
        "version": version,
        "wheel": wheel.name,
        "dist_info": dist_info,
        "requires_python": requires_python,
        "dirs": dirs_list,
        "files": files,
        "record": record_lines,
        "scripts": scripts,
    }
    # Written last: an entry without its manifest is incomplete and never linked.
    (staging / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _base_record(dist_info: Path) -> List[str]:
    """RECORD lines that hold in every env: all but RECORD, INSTALLER and scripts."""
    import csv

    lines = []
    with open(dist_info / "RECORD", newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("../") or row[0].endswith(("/RECORD", "/INSTALLER")):
                continue
            lines.append(",".join(row))
    for per_env in ("RECORD", "INSTALLER"):
        (dist_info / per_env).unlink(missing_ok=True)
    return lines


def _entry_points(path: Path) -> List[List[str]]:
    """[[name, module, attr, 'console'|'gui'], ...] from entry_points.txt."""
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise SeedError(f"bad entry points in {path.parent.name}: {exc}") from None
    found = []
    for section, kind in (("console_scripts", "console"), ("gui_scripts", "gui")):
        if parser.has_section(section):
            for script, target in parser.items(section):
                module, _, attr = target.partition(":")
                found.append([script, module.strip(), attr.split("[")[0].strip(), kind])
    return found


def _requires_python(metadata: Path) -> Optional[str]:
    with open(metadata, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key.lower() == "requires-python":
                return value.strip()
    return None


def _compile(site: Path, info: PythonInfo) -> None:
    """Byte-compile with the target interpreter itself, so the .pyc magic matches."""
    import subprocess

    code = (
        "import compileall, sys\n"
        "ok = compileall.compile_dir(sys.argv[1], quiet=1)\n"
        "sys.exit(0 if ok else 1)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [info.base_executable, "-E", "-s", "-c", code, str(site)],
        capture_output=True,
        env=env,
        check=False,
    )
    if proc.returncode:
        detail = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-3:]
        log.warning("byte-compiling %s reported errors: %s", site, " / ".join(detail))


def _walk(root: Path) -> Tuple[List[str], List[List[Any]]]:
    """Directories (parents first) and [file, size] pairs under root, '/'-separated."""
    dir_list: List[str] = []
    files: List[List[Any]] = []
    for current, subdirs, names in os.walk(root):
        rel = os.path.relpath(current, root).replace(os.sep, "/")
        subdirs.sort()
        if rel != ".":
            dir_list.append(rel)
        for name in sorted(names):
            path = os.path.join(current, name)
            relname = name if rel == "." else f"{rel}/{name}"
            files.append([relname, os.path.getsize(path)])
    return dir_list, files


def _record_line(path: Path, rel: str) -> str:
    import base64
    import hashlib

    data = path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{rel},sha256={digest},{len(data)}"


def _make_read_only(path: Path) -> None:
    """Files are shared by hard link between envs: an in-place edit must not spread."""
    mode = os.stat(path).st_mode
    os.chmod(path, mode & ~0o222)


# --- resolving a request to a cache entry ----------------------------------------------


def resolve(request: SeedRequest, info: PythonInfo, environ: Mapping[str, str]) -> Entry:
    """The cache entry to link for ``request``, building or fetching it when needed."""
    name, wanted = request.name, request.version
    if wanted == "bundle":
        candidates = offline_candidates(name, info, environ)
    elif wanted == "latest":
        candidates = [_fetch(name, info, None)]
    else:
        candidates = [c for c in offline_candidates(name, info, environ) if _same(c.version, wanted)]
        if not candidates:
            candidates = [_fetch(name, info, wanted)]
    for candidate in candidates:
        entry = _entry_for(candidate, name, info)
        if entry is not None:
            return entry
    if wanted == "bundle":
        where = ", ".join(str(d) for d in wheel_dirs(info, environ))
        raise SeedError(
            f"no {name} wheel for {info.name} found offline (looked in {where}); "
            f"use --{name} latest to fetch one, or --without-pip"
        )
    raise SeedError(f"{name} {wanted} cannot be installed into {info.name}")


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def _entry_for(candidate: Candidate, name: str, info: PythonInfo) -> Optional[Entry]:
    if candidate.entry is not None:
        try:
            return load_entry(candidate.entry)
        except DamagedEntry as exc:
            log.info("rebuilding damaged cache entry: %s", exc)
            wheel = _find_wheel_for(name, candidate.version, info)
            if wheel is None:
                return None
            return build_entry(wheel, name, candidate.version, info, replace=True)
    assert candidate.wheel is not None
    if not _python_allowed(candidate.wheel, info):
        return None
    return build_entry(candidate.wheel, name, candidate.version, info, replace=False)


def _find_wheel_for(name: str, version: str, info: PythonInfo) -> Optional[Path]:
    for candidate in offline_candidates(name, info, os.environ):
        if candidate.wheel is not None and _same(candidate.version, version):
            return candidate.wheel
    return None


def _python_allowed(wheel: Path, info: PythonInfo) -> bool:
    """Whether the wheel's Requires-Python admits the target (read from the wheel)."""
    import zipfile

    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            header = archive.read(name).decode("utf-8", "replace").split("\n\n", 1)[0]
    except (OSError, zipfile.BadZipFile, StopIteration):
        log.warning("ignoring unreadable wheel %s", wheel)
        return False
    for line in header.splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "requires-python":
            try:
                return SpecifierSet(value.strip()).contains(info.version_str, prereleases=True)
            except InvalidSpecifier:
                return False
    return True


def _fetch(name: str, info: PythonInfo, version: Optional[str]) -> Candidate:
    """Download ``name`` (newest, or ``version``) from the configured index, hash checked."""
    from burrow import index

    config = index.pip_config()
    link = index.best_wheel(name, config, python_version=info.version, version=version)
    store = wheel_store()
    store.mkdir(parents=True, exist_ok=True)
    existing = store / link.filename
    wheel = existing if existing.is_file() else index.download(link, store, config)
    return Candidate(link.version, wheel=wheel)


# --- linking an entry into an environment ----------------------------------------------


def install(
    entry: Entry,
    build_root: Path,
    layout: Layout,
    *,
    final_root: Path,
    info: PythonInfo,
    relocatable: bool,
) -> None:
    """Link ``entry`` into the env being built at ``build_root`` (to live at ``final_root``)."""
    site = build_root / layout.purelib
    _link_tree(entry, site)
    scripts = _write_scripts(entry, build_root / layout.scripts, final_root / layout.scripts,
                             info, layout, relocatable)
    dist_info = site / entry.manifest["dist_info"]
    (dist_info / "INSTALLER").write_text("burrow\n", encoding="utf-8")
    (dist_info / "REQUESTED").write_text("", encoding="utf-8")
    lines = list(entry.manifest["record"])
    for script in scripts:
        rel = os.path.relpath(script, site).replace(os.sep, "/")
        lines.append(_record_line(script, rel))
    info_rel = entry.manifest["dist_info"]
    lines.append(_record_line(dist_info / "INSTALLER", f"{info_rel}/INSTALLER"))
    lines.append(_record_line(dist_info / "REQUESTED", f"{info_rel}/REQUESTED"))
    lines.append(f"{info_rel}/RECORD,,")
    (dist_info / "RECORD").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _link_tree(entry: Entry, site: Path) -> None:
    source = entry.path / "site"
    for rel in entry.manifest["dirs"]:
        os.makedirs(site / rel, exist_ok=True)
    link: Callable[[str, str], Any] = os.link
    for rel, size in entry.manifest["files"]:
        src = os.path.join(source, rel)
        dst = os.path.join(site, rel)
        try:
            if os.stat(src).st_size != size:
                raise DamagedEntry(f"{src} changed size")
        except FileNotFoundError:
            raise DamagedEntry(f"{src} is missing") from None
        try:
            link(src, dst)
        except FileExistsError:
            os.unlink(dst)
            link(src, dst)
        except OSError as exc:
            if link is not os.link or exc.errno not in _NO_LINK_ERRNOS:
                raise
            log.debug("hard links impossible (%s); copying instead", exc)
            link = _copy_writable
            link(src, dst)


_NO_LINK_ERRNOS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES, errno.ENOTSUP, errno.ENOSYS}


def _copy_writable(src: str, dst: str) -> None:
    """A private copy (mtime kept, so the cached .pyc stays valid) the user may edit."""
    shutil.copy2(src, dst)
    os.chmod(dst, os.stat(dst).st_mode | 0o200)


def _write_scripts(
    entry: Entry,
    bin_dir: Path,
    final_bin: Path,
    info: PythonInfo,
    layout: Layout,
    relocatable: bool,
) -> List[Path]:
    written = []
    python = str(final_bin / layout.python_names[0]) if not layout.windows else str(
        final_bin / "python.exe"
    )
    for name, module, attr, kind in _script_names(entry, info):
        if layout.windows:
            written.extend(_windows_script(bin_dir, name, module, attr, kind, python))
            continue
        path = bin_dir / name
        path.write_bytes(_posix_script(python, module, attr, relocatable))
        os.chmod(path, 0o755)
        written.append(path)
    return written


def _script_names(entry: Entry, info: PythonInfo) -> Iterator[List[str]]:
    """The entry points to write; pip's versioned name follows the target (pip3.12)."""
    major, minor, _ = info.version
    for name, module, attr, kind in entry.manifest["scripts"]:
        if entry.name == "pip" and name.startswith("pip") and "." in name:
            continue  # a pipX.Y from the machine that built the wheel
        yield [name, module, attr, kind]
        if entry.name == "pip" and name == f"pip{major}":
            yield [f"pip{major}.{minor}", module, attr, kind]


def _posix_script(python: str, module: str, attr: str, relocatable: bool) -> bytes:
    if relocatable:
        # The env may move: find python next to this script at run time.
        head = "#!/bin/sh\n'''exec' \"$(dirname -- \"$0\")/python\" \"$0\" \"$@\"\n' '''\n"
    elif _plain_shebang_ok(python):
        head = f"#!{python}\n"
    else:
        # Kernels split a shebang at spaces and cut it at 127 bytes: go through sh instead.
        quoted = "'" + python.replace("'", "'\"'\"'") + "'"
        head = f"#!/bin/sh\n'''exec' {quoted} \"$0\" \"$@\"\n' '''\n"
    top = attr.split(".")[0]
    body = (
        f"import sys\n"
        f"from {module} import {top}\n"
        f"if __name__ == '__main__':\n"
        f"    if sys.argv[0].endswith('.exe'):\n"
        f"        sys.argv[0] = sys.argv[0][:-4]\n"
        f"    sys.exit({attr}())\n"
    )
    return (head + body).encode("utf-8")


def _plain_shebang_ok(python: str) -> bool:
    return (
        len(python.encode("utf-8")) <= 125
        and not any(ch.isspace() for ch in python)
        and "'" not in python
        and python.isprintable()
    )


def _windows_script(
    bin_dir: Path, name: str, module: str, attr: str, kind: str, python: str
) -> List[Path]:
    from installer.scripts import Script

    launcher = "win-arm64" if "arm" in os.environ.get("PROCESSOR_ARCHITECTURE", "").lower() else (
        "win-amd64"
    )
    script = Script(name, module, attr, section=kind)  # type: ignore[arg-type]
    filename, data = script.generate(python, launcher)  # type: ignore[arg-type]
    path = bin_dir / filename
    path.write_bytes(data)
    return [path]
