"""``burrow pack``: an env as a ``.tar.gz`` that runs wherever it is unpacked (e.g. Spark).

What goes into the archive differs from the env on disk in a few files only, and only in
the archive (the env is read, never changed):

- activation scripts and console scripts are in their ``--relocatable`` forms, made by the
  same code that writes them for ``create --relocatable``;
- ``.pth`` lines naming a directory inside the env become relative to their site-packages,
  and a ``direct_url.json`` URL inside the env becomes relative to the env's root;
- every member has the same owner (0), mtime and gzip header, and members are sorted, so
  the same env packs to the same bytes. Byte-code caches (timestamp-checked ``.pyc``) get
  the fixed mtime of their source written in, so they stay valid after unpacking.

By default the archive links to the base interpreter at its current path (as venv-pack
does). ``standalone=True`` carries the interpreter instead: its executable, standard
library and shared libpython, laid out so that the env's python IS a base interpreter
whose prefix is the unpacked directory (no ``pyvenv.cfg``, whose ``home`` would have to be
absolute), with its ELF run paths made relative (``$ORIGIN/../lib``).

Editable installs whose code lives outside the env are refused rather than copied: a copy
would silently freeze code the user expects to keep editing, and pull in whatever else
lives in that source tree.
"""

from __future__ import annotations

import os
import stat

from burrow import fs
from burrow._fast import Record, getLogger
from burrow.environment import (
    config_of,
    is_environment,
    scripts_dir,
    site_packages_dirs,
    unquote_prompt,
)
from burrow.errors import BurrowError, EnvironmentNotFound, InterpreterError, TargetError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterator, List, Optional, Tuple

log = getLogger(__name__)

#: Every member's mtime: 1980-01-01, the oldest a zip can hold, so tools that convert agree.
MTIME = 315532800
#: Uncompressed bytes per gzip member; members are compressed on every core.
CHUNK = 1 << 20
LEVEL = 6
_MAX_SCRIPT = 1 << 20
_BLOCK = 512


class PackError(BurrowError):
    """An env that cannot be packed as asked, or an archive that cannot be written."""


class PackResult(Record):
    """What ``pack`` wrote, e.g. PackResult(output='/tmp/env.tar.gz', members=812, ...)."""

    output: str
    members: int
    size: int  # bytes of the archive
    standalone: bool
    base_interpreter: str  # the interpreter it runs with (outside the archive unless standalone)


class _Member:
    """One archive member: its name, kind, mode and where its bytes come from."""

    __slots__ = ("data", "kind", "mode", "name", "source", "target")

    def __init__(
        self,
        name: str,
        kind: str,  # "dir", "file", "link"
        mode: int,
        source: Optional[str] = None,
        data: Optional[bytes] = None,
        target: str = "",
    ) -> None:
        self.name = name
        self.kind = kind
        self.mode = mode
        self.source = source
        self.data = data
        self.target = target


def pack(env: str, output: str, standalone: bool = False) -> PackResult:
    """Write ``env`` as the archive ``output`` (all or nothing); what was written.

    Example: ``pack(".venv", "env.tar.gz")`` -> PackResult(output='/app/env.tar.gz', ...).
    """
    env = os.path.abspath(env)
    output = os.path.abspath(output)
    if not is_environment(env):
        raise EnvironmentNotFound(f"{env} is not a virtual environment (no pyvenv.cfg)")
    real_env = os.path.realpath(env)
    real_out = os.path.join(os.path.realpath(os.path.dirname(output)), os.path.basename(output))
    if real_out == real_env or real_out.startswith(real_env.rstrip(os.sep) + os.sep):
        raise TargetError(f"the archive {output} would be inside the env it packs")
    if os.path.isdir(output):
        raise TargetError(f"{output} is a directory")
    config = config_of(env)
    base = _base_interpreter(env, config)
    _refuse_outside_code(env)
    members = _env_members(env, config)
    if standalone:
        members = _standalone_members(env, config, base, members)
    members.sort(key=lambda m: m.name)
    _write_archive(output, members)
    return PackResult(
        output=output,
        members=len(members),
        size=os.path.getsize(output),
        standalone=standalone,
        base_interpreter=base,
    )


# --- what is in the env ---------------------------------------------------------------------


def _base_interpreter(env: str, config: Dict[str, str]) -> str:
    """The interpreter the env runs on, e.g. '/usr/bin/python3.12'; refuses one that is gone."""
    link = os.path.join(scripts_dir(env), "python")
    candidates = []
    if os.path.islink(link):
        candidates.append(os.path.realpath(link))
    if config.get("executable"):
        candidates.append(config["executable"])
    home = config.get("home")
    if home:
        candidates += [os.path.join(home, name) for name in ("python3", "python")]
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.realpath(candidate)
    where = candidates[0] if candidates else "(pyvenv.cfg names none)"
    raise InterpreterError(
        f"the interpreter of {env} is gone ({where}): repair it with 'burrow check --fix'"
    )


def _refuse_outside_code(env: str) -> None:
    """Editable installs (and .pth/.egg-link paths) whose code is outside ``env``: refused."""
    import json
    from urllib.parse import unquote, urlsplit

    for site in site_packages_dirs(env):
        for name in sorted(os.listdir(site)):
            path = os.path.join(site, name)
            outside: List[str] = []
            if name.endswith(".dist-info"):
                try:
                    with open(os.path.join(path, "direct_url.json"), encoding="utf-8") as handle:
                        info = json.load(handle)
                except (OSError, ValueError):
                    continue
                url = info.get("url", "") if isinstance(info, dict) else ""
                editable = isinstance(info, dict) and (info.get("dir_info") or {}).get("editable")
                if editable and url.startswith("file:"):
                    outside.append(unquote(urlsplit(url).path))
            elif name.endswith(".egg-link"):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    outside.append(handle.readline().strip())
            elif name.endswith(".pth"):
                outside += [line for line in _pth_paths(path) if os.path.isdir(line)]
            for where in outside:
                if where and not _inside(where, env):
                    raise PackError(
                        f"{name} in {env} points at code outside the env ({where}): "
                        "install it without -e (pip install --no-deps PATH) before packing"
                    )


def _pth_paths(path: str) -> List[str]:
    """The absolute directory lines of a .pth file (not its ``import`` lines)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    return [
        line.rstrip()
        for line in lines
        if line.startswith(os.sep) and not line.startswith(("import ", "import\t"))
    ]


def _inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _env_members(env: str, config: Dict[str, str]) -> List[_Member]:
    members = list(_walk(env, ""))
    bin_dir = scripts_dir(env)
    bin_name = os.path.relpath(bin_dir, env)
    activators = _relocatable_activators(env, bin_name, config)
    sites = [os.path.relpath(s, env) for s in site_packages_dirs(env)]
    for member in members:
        if member.kind != "file":
            continue
        folder, name = os.path.split(member.name)
        if folder == bin_name:
            if name in activators:
                member.data = activators[name]
            else:
                member.data = _relocatable_script(member, bin_dir)
        elif folder in sites and name.endswith(".pth"):
            member.data = _relative_pth(member, env)
        elif name == "direct_url.json" and os.path.dirname(folder) in sites:
            member.data = _relative_direct_url(member, env)
    return members


def _walk(root: str, prefix: str, skip: Tuple[str, ...] = ()) -> Iterator[_Member]:
    """Every entry under ``root`` as a member named ``prefix/relative path``; links kept."""
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        rel = "" if rel == "." else rel
        dirs[:] = sorted(d for d in dirs if os.path.join(rel, d) not in skip)
        for name in dirs + sorted(files):
            path = os.path.join(folder, name)
            arcname = os.path.join(prefix, rel, name) if (prefix or rel) else name
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                yield _Member(arcname, "link", 0o777, target=os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                yield _Member(arcname, "dir", mode)
                if os.path.islink(path):
                    continue
            elif stat.S_ISREG(st.st_mode):
                yield _Member(arcname, "file", mode, source=path)
            # sockets, fifos and devices have no place in an env: left out


def _relocatable_activators(env: str, bin_name: str, config: Dict[str, str]) -> Dict[str, bytes]:
    """The env's activation scripts as ``--relocatable`` writes them: {'activate': b'...'}."""
    import hashlib

    from burrow.activation.scripts import (
        ACTIVATORS,
        activator_files,
        env_id_of,
        render_activators,
    )

    bin_dir = os.path.join(env, bin_name)
    present = [
        name
        for name in ACTIVATORS
        if all(os.path.isfile(os.path.join(bin_dir, f)) for f in activator_files()[name])
    ]
    if not present:
        return {}
    prompt = unquote_prompt(config["prompt"]) if "prompt" in config else os.path.basename(env)
    # The id on the scripts' first line is kept (or, for scripts without one, made from the
    # env's path), so the same env packs to the same bytes.
    ids = [env_id_of(os.path.join(bin_dir, activator_files()[name][0])) for name in present]
    env_id = next((i for i in ids if i), None) or hashlib.sha256(os.fsencode(env)).hexdigest()[:32]
    rendered = render_activators(
        bin_name,
        env_dir=env,
        prompt=prompt,
        site_packages=[os.path.relpath(s, env) for s in site_packages_dirs(env)],
        relocatable=True,
        names=present,
        env_id=env_id,
    )
    return dict(rendered)


def _read(member: _Member, limit: int = -1) -> bytes:
    if member.data is not None:
        return member.data
    with open(member.source or "", "rb") as handle:
        return handle.read(limit)


def _relocatable_script(member: _Member, bin_dir: str) -> Optional[bytes]:
    """A console script that runs the env's python, in the relocatable form; else None."""
    from burrow.scripts import repointed

    data = _read(member, _MAX_SCRIPT + 1)
    if len(data) > _MAX_SCRIPT or not data.startswith(b"#!"):
        return None
    return repointed(data, bin_dir, bin_dir, relocatable=True)


def _relative_pth(member: _Member, env: str) -> Optional[bytes]:
    data = _read(member)
    site = os.path.join(env, os.path.dirname(member.name))
    lines = data.split(b"\n")
    changed = False
    for index, line in enumerate(lines):
        text = os.fsdecode(line.rstrip(b"\r"))
        if text.startswith(os.sep) and _inside(text, env):
            lines[index] = os.fsencode(os.path.relpath(text, site))
            changed = True
    return b"\n".join(lines) if changed else None


def _relative_direct_url(member: _Member, env: str) -> Optional[bytes]:
    import json
    from urllib.parse import quote, unquote, urlsplit

    try:
        info = json.loads(_read(member))
        url = info["url"]
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(url, str) and url.startswith("file:")):
        return None
    path = unquote(urlsplit(url).path)
    if not _inside(path, env):
        return None
    info["url"] = "file:" + quote(os.path.relpath(path, env))
    return json.dumps(info, sort_keys=True).encode("utf-8")


# --- --standalone ---------------------------------------------------------------------------

_PROBE = """\
import json, os, sys, sysconfig
at = {"base": "/@", "platbase": "/@", "installed_base": "/@", "installed_platbase": "/@"}
paths = sysconfig.get_paths(vars=at)
print(json.dumps({
    "prefix": sys.base_prefix, "stdlib": paths["stdlib"], "platstdlib": paths["platstdlib"],
    "purelib": paths["purelib"], "platlib": paths["platlib"],
    "libdir": sysconfig.get_config_var("LIBDIR") or "",
    "version": "%d.%d" % sys.version_info[:2],
}))
"""
#: CPython's own regression tests: a quarter of its standard library, never needed to run.
_SKIPPED_STDLIB = ("test", "site-packages", "dist-packages")


def _standalone_members(
    env: str, config: Dict[str, str], base: str, members: List[_Member]
) -> List[_Member]:
    """The env's members laid out over a copy of ``base``: the env's python becomes a base
    interpreter whose prefix is wherever the archive is unpacked."""
    import json
    import subprocess

    if config.get("include-system-site-packages", "false").lower() == "true":
        raise PackError("--standalone cannot carry an env that uses the system site-packages")
    try:
        out = subprocess.run(
            [base, "-I", "-S", "-c", _PROBE], capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterError(f"cannot run the base interpreter {base}: {exc}") from None
    facts = json.loads(out)
    with open(base, "rb") as handle:
        executable = handle.read()
    from burrow import elf

    if not elf.is_elf(executable):
        raise PackError(f"--standalone carries Linux (ELF) interpreters only, not {base}")

    def rel(key: str) -> str:
        value: str = facts[key]
        if not value.startswith("/@/"):
            raise PackError(f"--standalone cannot carry {base}: its {key} is not under its prefix")
        return value[3:]

    sites = {os.path.relpath(s, env) for s in site_packages_dirs(env)}
    if rel("purelib") not in sites:
        raise PackError(
            f"--standalone cannot carry {base}: it looks for packages in {rel('purelib')}, "
            f"not in the env's {', '.join(sorted(sites)) or 'site-packages'}"
        )
    prefix = facts["prefix"]
    version = facts["version"]
    exe_name = f"python{version}"
    bin_name = os.path.relpath(scripts_dir(env), env)
    added: List[_Member] = []
    for key in ("stdlib", "platstdlib"):
        source = os.path.join(prefix, rel(key))
        if any(m.name == rel(key) and m.kind == "dir" for m in added):
            continue
        added += _walk(source, rel(key), skip=_SKIPPED_STDLIB)
    # The static libpython beside the Makefile only links programs that embed Python.
    added = [m for m in added if not (m.name.endswith(".a") and "/config-" in m.name)]
    libdir_rel = os.path.relpath(facts["libdir"], prefix) if facts["libdir"] else "lib"
    for lib in elf.needed(executable):
        if lib.startswith("libpython"):
            path = os.path.join(facts["libdir"], lib)
            if not os.path.isfile(path):
                raise PackError(f"--standalone cannot find {lib} of {base} in {facts['libdir']}")
            added.append(
                _Member(os.path.join(libdir_rel, lib), "file", 0o755, data=_read_file(path))
            )
    added.append(_Member(os.path.join(bin_name, exe_name), "file", 0o755, data=executable))
    for member in added:
        _relative_run_path(member, facts["libdir"], libdir_rel)
    # The env's links (or copies) of the base interpreter become links to the carried one.
    replaced = {m.name for m in added}
    kept = []
    for member in members:
        folder = os.path.dirname(member.name)
        if member.name == "pyvenv.cfg" or member.name in replaced:
            continue
        if folder == bin_name and _is_base(env, member, base):
            member = _Member(member.name, "link", 0o777, target=exe_name)
        kept.append(member)
    names = {m.name for m in kept}
    return kept + [m for m in added if m.name not in names]


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _is_base(env: str, member: _Member, base: str) -> bool:
    path = os.path.join(env, member.name)
    if member.kind == "link":
        return os.path.realpath(path) == base
    return (
        member.kind == "file"
        and member.name.rsplit("/", 1)[-1].startswith("python")
        and (
            os.path.getsize(path) == os.path.getsize(base) and _read_file(path) == _read_file(base)
        )
    )


def _relative_run_path(member: _Member, libdir: str, libdir_rel: str) -> None:
    """A carried ELF file whose run path names the base's lib dir gets ``$ORIGIN/<to lib>``."""
    from burrow import elf

    if member.kind != "file":
        return
    head = _read(member, 4)
    if not elf.is_elf(head):
        return
    data = _read(member)
    old = elf.run_path(data)
    if old is None:
        return
    parts = old.split(":")
    if not any(os.path.normpath(p) == os.path.normpath(libdir) for p in parts):
        return
    to_lib = os.path.relpath(libdir_rel, os.path.dirname(member.name))
    new = ":".join(
        "$ORIGIN/" + to_lib if os.path.normpath(p) == os.path.normpath(libdir) else p for p in parts
    )
    try:
        member.data = elf.with_run_path(data, new)
    except elf.ElfError as exc:
        message = f"--standalone cannot make {member.name} find its libraries: {exc}"
        raise PackError(message) from None


# --- the archive ----------------------------------------------------------------------------


def _write_archive(output: str, members: List[_Member]) -> None:
    """The members as a deterministic ``.tar.gz``: written beside ``output``, then renamed.

    The tar stream is cut into gzip members (which concatenate into one valid stream) and
    compressed on every core. Each package in a site-packages whose files are unchanged
    (the same inode, size and times as when it was last packed: a cache entry's links stay
    so) is its own run of gzip members, kept in burrow's cache and reused as they are.
    """
    import itertools
    from concurrent.futures import Future, ThreadPoolExecutor

    folder = os.path.dirname(output)
    temp = os.path.join(folder, fs.unique_name("." + os.path.basename(output) + "-", ".tmp"))
    workers = max(1, min(8, os.cpu_count() or 1))
    store = _member_store()
    total = 0
    try:
        with open(temp, "xb") as handle, ThreadPoolExecutor(workers) as pool:
            pending: List[Future[bytes]] = []

            def compress(data: bytes) -> List[Future[bytes]]:
                pieces = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
                return [pool.submit(_gzip_member, piece) for piece in pieces]

            def drain(limit: int) -> None:
                while len(pending) > limit:
                    handle.write(pending.pop(0).result())

            buffer: List[bytes] = []
            buffered = 0
            for group, run in itertools.groupby(members, key=_package_of):
                run_members = list(run)
                key = _run_key(run_members) if group else None
                if key is None:
                    for member in run_members:
                        pieces = _tar_member(member)
                        buffer += pieces
                        buffered += sum(map(len, pieces))
                        if buffered >= CHUNK:
                            total += buffered
                            pending += compress(b"".join(buffer))
                            buffer, buffered = [], 0
                    drain(2 * workers)
                    continue
                if buffer:  # what came before this package is compressed apart from it
                    total += buffered
                    pending += compress(b"".join(buffer))
                    buffer, buffered = [], 0
                cached = _load_run(store, key) if store else None
                if cached is None:
                    data = b"".join(p for m in run_members for p in _tar_member(m))
                    futures = compress(data)
                    compressed = b"".join(f.result() for f in futures)
                    if store:
                        _save_run(store, key, len(data), compressed)
                    cached = (len(data), compressed)
                drain(0)
                handle.write(cached[1])
                total += cached[0]
            total += buffered + 2 * _BLOCK
            buffer.append(b"\0" * (2 * _BLOCK + -total % (20 * _BLOCK)))  # tar's end, a record
            pending += compress(b"".join(buffer))
            drain(0)
        os.replace(temp, output)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _package_of(member: _Member) -> str:
    """'lib/python3.12/site-packages/numpy' for every member of that package; '' otherwise."""
    parts = member.name.split("/")
    if "site-packages" in parts[:-1]:
        at = parts.index("site-packages")
        return "/".join(parts[: at + 2])
    return ""


def _run_key(members: List[_Member]) -> Optional[str]:
    """A name for the archive bytes of these members, from what they are on disk; None
    when one of them was rewritten for the archive (its bytes are not the file's)."""
    import hashlib

    digest = hashlib.sha256(f"{_FORMAT} {MTIME} {LEVEL} {CHUNK}".encode())
    for member in members:
        if member.data is not None:
            return None
        digest.update(f"\0{member.name}\0{member.kind}\0{member.mode}\0{member.target}".encode())
        if member.kind == "file":
            st = os.stat(member.source or "")
            # Not ctime: linking a cache entry into one more env changes it.
            stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            digest.update(repr(stamp).encode())
    return digest.hexdigest()


_FORMAT = 1  # bump when what a run's bytes are made of changes


def _member_store() -> Optional[str]:
    from burrow import dirs

    try:
        return os.path.join(dirs.private_cache_dir(), "pack")
    except (BurrowError, OSError):
        return None  # packing works without it, only slower


def _load_run(store: str, key: str) -> Optional[Tuple[int, bytes]]:
    try:
        with open(os.path.join(store, key[:2], key), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if len(data) < 8:
        return None
    return int.from_bytes(data[:8], "big"), data[8:]


def _save_run(store: str, key: str, size: int, compressed: bytes) -> None:
    folder = os.path.join(store, key[:2])
    try:
        os.makedirs(folder, exist_ok=True)
        fs.replace_file(os.path.join(folder, key), size.to_bytes(8, "big") + compressed)
    except OSError as exc:
        log.info("could not keep a packed run in the cache: %s", exc)


def _tar_member(member: _Member) -> List[bytes]:
    import tarfile

    info = tarfile.TarInfo(member.name)
    info.mtime = MTIME
    info.mode = member.mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    data = b""
    if member.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif member.kind == "link":
        info.type = tarfile.SYMTYPE
        info.linkname = member.target
    else:
        data = _read(member)
        data = _fixed_pyc(member, data)
        info.size = len(data)
    header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    return [header, data, b"\0" * (-len(data) % _BLOCK)]


def _fixed_pyc(member: _Member, data: bytes) -> bytes:
    """A timestamp-checked .pyc of an unchanged source, given the archive's mtime for it."""
    if not member.name.endswith(".pyc") or member.source is None or len(data) < 16:
        return data
    folder, name = os.path.split(member.source)
    if os.path.basename(folder) != "__pycache__" or data[4:8] != b"\0\0\0\0":
        return data
    source = os.path.join(os.path.dirname(folder), name.split(".", 1)[0] + ".py")
    try:
        st = os.stat(source)
    except OSError:
        return data
    stamp = (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    size = (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    if data[8:12] != stamp or data[12:16] != size:
        return data
    return data[:8] + MTIME.to_bytes(4, "little") + data[12:]


def _gzip_member(chunk: bytes) -> bytes:
    """One gzip member with no name and no timestamp (RFC 1952); members concatenate."""
    import zlib

    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(chunk) + compressor.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = (zlib.crc32(chunk) & 0xFFFFFFFF).to_bytes(4, "little") + (
        len(chunk) & 0xFFFFFFFF
    ).to_bytes(4, "little")
    return header + body + trailer
