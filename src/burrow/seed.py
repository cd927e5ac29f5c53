"""Seeding pip (and optionally setuptools, wheel) into a new environment.

Each (package, version, interpreter) is unpacked and byte-compiled once into the cache,
then hard-linked into every environment (copied where linking is impossible). The
per-environment part is tiny: console scripts, INSTALLER, REQUESTED and RECORD, which
name the environment's own paths. The warm path imports nothing heavy and starts no
process; the cold path (unpack, compile, download) may.
"""

from __future__ import annotations

import os

from burrow import dirs, fs, store
from burrow._fast import Record, getLogger, record_hash
from burrow.errors import SeedError
from burrow.scripts import write_console_script

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout

log = getLogger(__name__)

#: Bump when the layout of a cache entry changes; old entries are then ignored.
ENTRY_FORMAT = 2
MANIFEST = "manifest"
#: Stem of an entry being removed (``fs.discard``); a staging dir's is '.build-<name>-'.
TRASH_STEM = ".trash-"
SYSTEM_WHEEL_DIRS = ("/usr/share/python-wheels",)  # Debian and Fedora ship pip wheels here


class SeedRequest(Record):
    """One package to seed: version is 'bundle', 'latest' or an exact version like '24.3.1'."""

    name: str
    version: str = "bundle"


class Candidate(Record):
    """A version of a package available offline: an unpacked cache entry or a wheel file."""

    version: str
    entry: Optional[str] = None
    wheel: Optional[str] = None


# --- finding what is available offline ---------------------------------------------


def seed_root() -> str:
    return os.path.join(dirs.private_cache_dir(), "seed", f"v{ENTRY_FORMAT}")


def wheel_store() -> str:
    """Where wheels fetched from an index are kept for later offline use."""
    return os.path.join(dirs.private_cache_dir(), "wheels")


def _tag_dir(info: PythonInfo) -> str:
    suffix = "t" if info.free_threaded else ""
    return os.path.join(seed_root(), f"{info.cache_tag}{suffix}")


def wheel_dirs(info: PythonInfo, environ: Mapping[str, str]) -> List[str]:
    """Directories searched for wheels, e.g. [<stdlib>/ensurepip/_bundled, <cache>/wheels]."""
    found = [info.ensurepip_bundled, *SYSTEM_WHEEL_DIRS, wheel_store()]
    for item in environ.get("PIP_FIND_LINKS", "").split():
        if item.startswith("file://"):
            from urllib.parse import unquote, urlparse

            item = unquote(urlparse(item).path)
        if "://" not in item:
            found.append(item)
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
    leftovers = False
    try:
        with os.scandir(tag_dir) as entries:
            for item in entries:
                # A symlink is not an entry burrow made: never link from where it points.
                if item.name.startswith(prefix) and item.is_dir(follow_symlinks=False):
                    found.append(Candidate(version=item.name[len(prefix) :], entry=item.path))
                leftovers = leftovers or item.name.startswith((".build-", TRASH_STEM))
    except OSError:
        pass
    if leftovers:  # a killed run's staging or trash: cleaned on the next run
        _sweep_staging(tag_dir, ".build-")
    for folder in wheel_dirs(info, environ):
        try:
            with os.scandir(folder) as entries:
                for item in entries:
                    split = _split_wheel_name(item.name)
                    if split and split[0] == name and _is_universal(item.name):
                        found.append(Candidate(version=split[1], wheel=item.path))
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


def load_entry(path: str) -> Entry:
    manifest = store.load(os.path.join(path, MANIFEST))
    if not isinstance(manifest, dict) or manifest.get("format") != ENTRY_FORMAT:
        raise DamagedEntry(f"{path} has no valid manifest")
    return Entry(path=path, manifest=manifest, ident=_ident(os.path.join(path, "site")))


def _ident(path: str) -> Tuple[int, int]:
    try:
        st = os.lstat(path)
    except OSError:
        raise DamagedEntry(f"{path} is missing") from None
    return (st.st_dev, st.st_ino)


def entry_lock(tag_dir: str, entry_name: str) -> Any:
    """The lock held while an entry is built or removed, e.g. for 'pip-24.3.1'."""
    import filelock

    return filelock.FileLock(os.path.join(tag_dir, f".{entry_name}.lock"))


def build_entry(wheel: str, name: str, version: str, info: PythonInfo) -> Entry:
    """Unpack and byte-compile ``wheel`` into the cache (once, under a lock) and load it.

    Under the lock, an entry another run finished meanwhile is taken as it is; a damaged
    one is renamed away before it is deleted, so that nobody links from it half-deleted.
    """
    tag_dir = _tag_dir(info)
    os.makedirs(tag_dir, exist_ok=True)
    target = os.path.join(tag_dir, f"{name}-{version}")
    with entry_lock(tag_dir, f"{name}-{version}"):
        _sweep_staging(tag_dir, f".build-{name}-{version}-")
        if os.path.lexists(target):
            try:
                return load_entry(target)
            except DamagedEntry:
                fs.discard(target, TRASH_STEM)
        staging = fs.unique_dir(tag_dir, f".build-{name}-{version}-")
        try:
            _unpack(wheel, staging, name, version, info)
            os.rename(staging, target)
        except BaseException:
            fs.remove_tree(staging)
            raise
    return load_entry(target)


def _sweep_staging(tag_dir: str, prefix: str) -> None:
    """Remove what killed runs left: their staging dirs for this entry, and trash."""
    try:
        names = os.listdir(tag_dir)
    except OSError:
        return
    for name in names:
        pid = fs.owner_pid(name)
        if not name.startswith((prefix, TRASH_STEM)) or pid is None:
            continue
        if not fs.pid_alive(pid):
            try:
                fs.remove_tree(os.path.join(tag_dir, name))
            except OSError as exc:  # e.g. an orphaned compiler still writing there
                log.info("could not remove %s: %s", name, exc)


def _unpack(wheel: str, staging: str, name: str, version: str, info: PythonInfo) -> None:
    """Install ``wheel`` into ``staging``/site, compile it, and write the manifest last."""
    from pathlib import Path

    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    site = os.path.join(staging, "site")
    spill = os.path.join(staging, "spill")  # scripts/headers/data: per env, or refused
    scheme = {
        "purelib": site,
        "platlib": site,
        "scripts": os.path.join(spill, "scripts"),
        "headers": os.path.join(spill, "headers"),
        "data": os.path.join(spill, "data"),
    }
    try:
        with WheelFile.open(Path(wheel)) as source:
            if hasattr(source, "validate_record"):
                source.validate_record()
            destination = SchemeDictionaryDestination(
                scheme, interpreter="python", script_kind="posix", bytecode_optimization_levels=()
            )
            install(source, destination, additional_metadata={})
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the wheel is unusable
        raise SeedError(f"cannot unpack {os.path.basename(wheel)}: {exc}") from None
    for kind in ("headers", "data"):
        if os.path.exists(os.path.join(spill, kind)):
            raise SeedError(
                f"{os.path.basename(wheel)} installs {kind} files; burrow seeds only plain packages"
            )
    fs.remove_tree(spill)
    dist_info = next(n for n in os.listdir(site) if n.endswith(".dist-info"))
    dist_path = os.path.join(site, dist_info)
    record_lines = _base_record(dist_path)
    scripts = _entry_points(os.path.join(dist_path, "entry_points.txt"))
    _compile(site, info)
    dir_list, files = _walk(site)
    known = {line.split(",", 1)[0] for line in record_lines}
    for rel, *_ in files:
        if rel not in known and rel.endswith(".pyc"):
            record_lines.append(_record_line(os.path.join(site, rel), rel))
    for rel, *_ in files:
        _make_read_only(os.path.join(site, rel))
    manifest = {
        "format": ENTRY_FORMAT,
        "name": name,
        "version": version,
        "wheel": os.path.basename(wheel),
        "dist_info": dist_info,
        "dirs": dir_list,
        "files": files,
        "record": record_lines,
        "scripts": scripts,
    }
    # Written last: an entry without its manifest is incomplete and never linked.
    store.dump(os.path.join(staging, MANIFEST), manifest)


def _base_record(dist_info: str) -> List[str]:
    """RECORD lines that hold in every env: all but RECORD, INSTALLER and scripts."""
    import csv

    lines = []
    with open(os.path.join(dist_info, "RECORD"), newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("../") or row[0].endswith(("/RECORD", "/INSTALLER")):
                continue
            lines.append(",".join(row))
    for per_env in ("RECORD", "INSTALLER"):
        if os.path.exists(os.path.join(dist_info, per_env)):
            os.unlink(os.path.join(dist_info, per_env))
    return lines


def _entry_points(path: str) -> List[List[str]]:
    """[[name, module, attr, 'console'|'gui'], ...] from entry_points.txt."""
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise SeedError(f"bad entry points in {os.path.dirname(path)}: {exc}") from None
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
        # Not a file pip ships that does not compile (that is only a warning) but the
        # compiler killed or the disk full: an entry without its bytecode is not cached.
        why = failure or f"the compiler was stopped by signal {-proc.returncode}"
        raise SeedError(f"cannot byte-compile into the cache: {why}")
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


def _record_line(path: str, rel: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read()
    return f"{rel},{record_hash(data)},{len(data)}"


def _make_read_only(path: str) -> None:
    """Files are shared by hard link between envs: an in-place edit must not spread."""
    os.chmod(path, os.stat(path).st_mode & ~0o222)


# --- resolving a request to a cache entry ----------------------------------------------


def resolve(request: SeedRequest, info: PythonInfo, environ: Mapping[str, str]) -> Entry:
    """The cache entry to link for ``request``, building or fetching it when needed."""
    name, wanted = request.name, request.version
    if wanted == "bundle":
        candidates = offline_candidates(name, info, environ)
    elif wanted == "latest":
        candidates = [_fetch(name, info, None)]
    else:
        candidates = [
            c for c in offline_candidates(name, info, environ) if _same(c.version, wanted)
        ]
        if not candidates:
            candidates = [_fetch(name, info, wanted)]
    for candidate in candidates:
        entry = _entry_for(candidate, name, info, environ)
        if entry is not None:
            return entry
    if wanted == "bundle":
        where = ", ".join(wheel_dirs(info, environ))
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


def _entry_for(
    candidate: Candidate, name: str, info: PythonInfo, environ: Mapping[str, str]
) -> Optional[Entry]:
    if candidate.entry is not None:
        try:
            return load_entry(candidate.entry)
        except DamagedEntry as exc:
            log.info("rebuilding damaged cache entry: %s", exc)
            wheel = next(
                (
                    c.wheel
                    for c in offline_candidates(name, info, environ)
                    if c.wheel is not None and _same(c.version, candidate.version)
                ),
                None,
            )
            if wheel is None:
                return None
            return build_entry(wheel, name, candidate.version, info)
    if candidate.wheel is None or not _python_allowed(candidate.wheel, info):
        return None
    return build_entry(candidate.wheel, name, candidate.version, info)


def _python_allowed(wheel: str, info: PythonInfo) -> bool:
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
    from pathlib import Path

    from burrow.packages import download, index, pipconfig

    config = pipconfig.pip_config()
    link = index.best_wheel(name, config, python_version=info.version, version=version)
    wheels = wheel_store()
    os.makedirs(wheels, exist_ok=True)
    existing = os.path.join(wheels, link.filename)
    if not os.path.isfile(existing):
        existing = str(download.download(link, Path(wheels), config))
    return Candidate(version=link.version, wheel=existing)


# --- linking an entry into an environment ----------------------------------------------


def install(
    entry: Entry,
    build_root: str,
    layout: Layout,
    *,
    final_root: str,
    info: PythonInfo,
    relocatable: bool,
) -> None:
    """Link ``entry`` into the env being built at ``build_root`` (to live at ``final_root``)."""
    site = os.path.join(build_root, layout.purelib)
    _link_tree(entry, site)
    scripts = _write_scripts(
        entry,
        os.path.join(build_root, layout.scripts),
        os.path.join(final_root, layout.scripts),
        info,
        layout,
        relocatable,
    )
    dist_rel = entry.manifest["dist_info"]
    dist_info = os.path.join(site, dist_rel)
    lines = list(entry.manifest["record"])
    for script in scripts:
        lines.append(_record_line(script, os.path.relpath(script, site).replace(os.sep, "/")))
    for name, text in (("INSTALLER", "burrow\n"), ("REQUESTED", "")):
        path = os.path.join(dist_info, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        lines.append(_record_line(path, f"{dist_rel}/{name}"))
    lines.append(f"{dist_rel}/RECORD,,")
    with open(os.path.join(dist_info, "RECORD"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _link_tree(entry: Entry, site: str) -> None:
    """Hard-link every cached file into ``site``; copy when the filesystem refuses links."""
    source = os.path.join(entry.path, "site")
    for rel in entry.manifest["dirs"]:  # parents first: one mkdir each
        try:
            os.mkdir(os.path.join(site, rel))
        except FileExistsError:
            pass
    link: Callable[[str, str], Any] = os.link
    # Plain concatenation: os.path.join a thousand times is a measurable share of a seed.
    src_prefix, dst_prefix = source + os.sep, site + os.sep
    native = os.sep == "/"
    for rel, size, mtime in entry.manifest["files"]:
        if not native:
            rel = rel.replace("/", os.sep)
        src = src_prefix + rel
        dst = dst_prefix + rel
        try:
            st = os.stat(src)
        except FileNotFoundError:
            raise DamagedEntry(f"{src} is missing") from None
        # The same stat call shows a truncated file and one rewritten in place (files are
        # read-only, but root or a chmod can still edit them).
        if st.st_size != size or st.st_mtime_ns != mtime:
            raise DamagedEntry(f"{src} changed since it was cached")
        try:
            link(src, dst)
        except FileExistsError:
            os.unlink(dst)
            link(src, dst)
        except OSError as exc:
            if link is not os.link or not _cannot_link(exc):
                raise
            log.debug("hard links impossible (%s); copying instead", exc)
            link = _copy_writable
            link(src, dst)
    if _ident(source) != entry.ident:
        # Rebuilt while we linked: some files may come from each build.
        raise DamagedEntry(f"{entry.path} was replaced while being linked")


def _cannot_link(exc: OSError) -> bool:
    """Errors that mean 'no hard links here' (other filesystem, no support, too many)."""
    import errno

    return exc.errno in (
        errno.EXDEV,
        errno.EPERM,
        errno.EMLINK,
        errno.EACCES,
        errno.ENOTSUP,
        errno.ENOSYS,
    )


def _copy_writable(src: str, dst: str) -> None:
    """A private copy (mtime kept, so the cached .pyc stays valid) the user may edit."""
    import shutil

    shutil.copy2(src, dst)
    os.chmod(dst, os.stat(dst).st_mode | 0o200)


def _write_scripts(
    entry: Entry, bin_dir: str, final_bin: str, info: PythonInfo, layout: Layout, relocatable: bool
) -> List[str]:
    python = os.path.join(final_bin, "python.exe" if layout.windows else layout.python_names[0])
    return [
        write_console_script(
            bin_dir,
            name,
            module,
            attr,
            kind=kind,
            python=python,
            relocatable=relocatable,
            windows=layout.windows,
        )
        for name, module, attr, kind in _script_names(entry, info)
    ]


def _script_names(entry: Entry, info: PythonInfo) -> Iterator[List[str]]:
    """The entry points to write; pip's versioned name follows the target (pip3.12)."""
    major, minor, _ = info.version
    for name, module, attr, kind in entry.manifest["scripts"]:
        if entry.name == "pip" and name.startswith("pip") and "." in name:
            continue  # a pipX.Y from the machine that built the wheel
        yield [name, module, attr, kind]
        if entry.name == "pip" and name == f"pip{major}":
            yield [f"pip{major}.{minor}", module, attr, kind]
