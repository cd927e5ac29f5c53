"""Making a package cache entry: a wheel unpacked by ``installer``, checked as it goes.

The cold path of ``cache.build_entry``, which calls it in a staging dir under the
entry's lock: ``site/`` gets purelib and platlib; ``scripts/``, ``data/`` and
``headers/`` the wheel's ``.data`` files; every file is made read-only, since envs share
them by hard link. What it returns is the entry's manifest, bytecode not yet in it
(``bytecode.py``). Only the cold path imports this module, and ``installer`` with it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from installer.destinations import SchemeDictionaryDestination
from installer.records import RecordEntry
from installer.sources import WheelFile

from burrow._fast import getLogger
from burrow.errors import PackageError
from burrow.fs import file_digest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

log = getLogger(__name__)

#: The interpreter ``installer`` writes into ``#!python`` scripts; replaced per env.
PLACEHOLDER = "/__burrow_python__"
_PLACEHOLDER_HEAD = f"#!{PLACEHOLDER}\n".encode()
#: The wheel schemes kept beside site/ (``purelib``/``platlib`` both go to site/).
SPILL_SCHEMES = ("scripts", "data", "headers")


def unpack(wheel: str, sha256: Optional[str], staging: str) -> Dict[str, Any]:
    """Install ``wheel`` into ``staging``, without bytecode (``bytecode.py`` adds it); its
    manifest (for the caller to write last). The wheel must have the given ``sha256``
    (None: whatever it has), which the manifest records: an entry keyed by a digest holds
    that file, whoever checked it.

    The wheel is read once: hashed as a whole, then each file decompressed once, checked
    against the wheel's RECORD by the hash ``installer`` takes as it writes the file.
    """
    from installer import install

    site = os.path.join(staging, "site")
    scheme = {"purelib": site, "platlib": site}
    scheme.update({kind: os.path.join(staging, kind) for kind in SPILL_SCHEMES})
    filename = os.path.basename(wheel)
    try:
        with _open_checked(wheel, sha256) as (source, actual):
            destination = _CheckedDestination(
                scheme,
                interpreter=PLACEHOLDER,
                script_kind="posix",
                bytecode_optimization_levels=(),
            )
            destination.source = source
            destination.written, destination.folders = {}, set()
            install(source, destination, additional_metadata={})
    except PackageError:
        raise
    except OSError as exc:
        raise PackageError(f"cannot unpack {filename} into the cache: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the wheel is unusable
        raise PackageError(f"{filename} is not a valid wheel: {exc}") from None
    written = destination.written
    dist_info = next(n for n in os.listdir(site) if n.endswith(".dist-info"))
    dist_path = os.path.join(site, dist_info)
    name, version = _name_version(dist_path)
    record_lines = _base_record(dist_path)
    for per_env in _PER_ENV:
        written["site"].pop(dist_info + per_env, None)
    entry_points = _entry_points(os.path.join(dist_path, "entry_points.txt"))
    # installer wrote the entry points' scripts too: those are written per env from the
    # manifest, so only the wheel's own .data/scripts are kept.
    scripts_dir = os.path.join(staging, "scripts")
    for script, *_ in entry_points:
        if written.get("scripts", {}).pop(script, None) is not None:
            os.unlink(os.path.join(scripts_dir, script))
    dir_list, files = _listing(written["site"])
    pth = [item for item in files if "/" not in item[0] and item[0].endswith(".pth")]
    linked = [item for item in files if item not in pth]
    spill: Dict[str, Any] = {}
    for kind in SPILL_SCHEMES:
        if written.get(kind):
            kind_dirs, kind_files = _listing(written[kind])
            spill[kind] = {"dirs": kind_dirs, "files": kind_files}
    shebang = []
    for rel, *_ in spill.get("scripts", {}).get("files", []):
        with open(os.path.join(scripts_dir, rel), "rb") as handle:
            if handle.read(len(_PLACEHOLDER_HEAD)) == _PLACEHOLDER_HEAD:
                shebang.append(rel)
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
        "compiled": False,
    }


#: Wheels up to this size are read into memory whole: hashed and unpacked from the same
#: bytes, so the file cannot change between the two. Larger ones are hashed, then opened
#: (a few are built at once: their memory adds up).
IN_MEMORY = 64 << 20
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


@contextmanager
def _open_checked(wheel: str, sha256: Optional[str]) -> Iterator[Tuple[_CheckedWheel, str]]:
    """The wheel as a source for ``installer`` and its sha256, which must be ``sha256``."""
    import hashlib
    import zipfile

    with open(wheel, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read() if size <= IN_MEMORY else None
    actual = hashlib.sha256(data).hexdigest() if data is not None else file_digest(wheel)
    if sha256 is not None and actual != sha256:
        raise PackageError(
            f"hash mismatch for {wheel}: its sha256 is {actual}, not {sha256} (it changed "
            "since it was checked)"
        )
    if data is None:
        archive = zipfile.ZipFile(wheel)
    else:
        import io

        archive = zipfile.ZipFile(io.BytesIO(data))
        archive.filename = wheel  # installer reads the project's name from it
    with archive:
        yield _CheckedWheel(archive), actual


class _CheckedWheel(WheelFile):
    """A wheel that says, for each file it yields, what its RECORD promises of it."""

    #: The RECORD's entry of the file being written; None for RECORD and its signatures.
    expected: Optional[RecordEntry] = None

    def get_contents(self) -> Iterator[Any]:
        unlisted = {f"{self.dist_info_dir}/{name}" for name in ("RECORD", *_SIGNATURES)}
        for elements, stream, executable in super().get_contents():
            path = elements[0]
            if path in unlisted:
                self.expected = None
            else:
                entry = RecordEntry.from_elements(*elements)
                if entry.hash_ is None or entry.size is None:
                    raise ValueError(f"its RECORD gives no hash for {path}")
                self.expected = entry
            yield elements, stream, executable


#: Signatures of RECORD, which RECORD does not list.
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")


class _CheckedDestination(SchemeDictionaryDestination):
    """Files written as ``installer`` does; each one's hash, which it takes while writing,
    compared with what the wheel's RECORD says: the file is decompressed once.

    Each file is made read-only from its creation (envs share it by hard link) and its
    size and mtime noted as it is written: no walk over the entry afterwards. A file is
    written in a few large pieces through its bare descriptor: ``installer``'s own copy
    goes 16 KiB at a time through a buffered file object, and each of those calls lets go
    of the GIL, which the entries' builder threads then fight over (tens of thousands of
    futex calls per entry, seen with strace).
    """

    source: _CheckedWheel
    #: {'site' | 'scripts' | 'data' | 'headers': {path: [size, mtime_ns]}} of what it wrote.
    written: Dict[str, Dict[str, List[int]]]
    folders: Set[str]  # made so far

    def write_to_fs(self, scheme: Any, path: str, stream: Any, is_executable: bool) -> RecordEntry:
        from installer.records import Hash

        root = self.scheme_dict[scheme]
        target = os.path.normpath(os.path.join(root, path))
        prefix = os.path.join(root, "")
        if not target.startswith(prefix):
            raise ValueError(f"{path} would be written outside of the target directory")
        folder = os.path.dirname(target)
        if folder not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)
        mode = 0o555 if is_executable else 0o444  # the umask applies as to any new file
        digest, size, mtime = _write_new(target, stream, mode, self.hash_algorithm)
        rel = target[len(prefix) :].replace(os.sep, "/")
        self.written.setdefault(os.path.basename(root), {})[rel] = [size, mtime]
        return RecordEntry(path, Hash(self.hash_algorithm, digest), size)

    def write_file(self, scheme: Any, path: Any, stream: Any, is_executable: bool) -> RecordEntry:
        expected = self.source.expected
        if expected is None:
            return super().write_file(scheme, path, stream, is_executable)
        assert expected.hash_ is not None  # noqa: S101 - _CheckedWheel refused it otherwise
        if scheme == "scripts" or expected.hash_.name != self.hash_algorithm:
            # A script's #!python line is rewritten as it is written: the wheel's own bytes
            # are checked (scripts are small).
            import io

            data = stream.read()
            if not expected.validate(data):
                raise ValueError(f"{expected.path} does not match its RECORD")
            return super().write_file(scheme, path, io.BytesIO(data), is_executable)
        written = super().write_file(scheme, path, stream, is_executable)
        if (
            written.size != expected.size
            or written.hash_ is None
            or written.hash_.value != expected.hash_.value
        ):
            raise ValueError(f"{expected.path} does not match its RECORD")
        return written


#: Read and written at once; nearly every file of a wheel is one piece.
_PIECE = 8 << 20


def _write_new(target: str, stream: Any, mode: int, algorithm: str) -> Tuple[str, int, int]:
    """Create ``target`` (it must not exist) with ``stream``'s bytes: their hash as RECORD
    writes it (urlsafe base64, unpadded), their size, and the file's mtime_ns."""
    import base64
    import hashlib

    hasher = hashlib.new(algorithm)
    size = 0
    write = os.write
    fd = os.open(target, _CREATE, mode)
    try:
        while True:
            piece = stream.read(_PIECE)
            if not piece:
                break
            hasher.update(piece)
            size += len(piece)
            view = memoryview(piece)
            while view:
                view = view[write(fd, view) :]
        mtime = os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
    digest = base64.urlsafe_b64encode(hasher.digest()).decode("ascii").rstrip("=")
    return digest, size, mtime


def _name_version(dist_path: str) -> tuple[str, str]:
    """Name and version from METADATA's header, e.g. ('Flask', '3.0.3')."""
    from email.parser import BytesHeaderParser

    with open(os.path.join(dist_path, "METADATA"), "rb") as handle:
        headers = BytesHeaderParser().parse(handle)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise PackageError(f"{os.path.basename(dist_path)} has no Name or Version in METADATA")
    return str(name).strip(), str(version).strip()


#: Files of a dist-info that each env writes for itself.
_PER_ENV = ("/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json")


def _base_record(dist_info: str) -> List[str]:
    """RECORD lines that hold in every env: those of site-packages files, minus RECORD,
    INSTALLER and the like, which each env writes for itself."""
    import csv

    per_env = _PER_ENV
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


def _listing(written: Dict[str, List[int]]) -> Tuple[List[str], List[List[Any]]]:
    """Directories (parents first) and [file, size, mtime_ns], '/'-separated, of files
    written: a wheel has no empty directory (a zip lists files; installer makes their
    folders)."""
    folders = set()
    for rel in written:
        head = rel.rpartition("/")[0]
        while head and head not in folders:
            folders.add(head)
            head = head.rpartition("/")[0]
    return sorted(folders), [[rel, *written[rel]] for rel in sorted(written)]
