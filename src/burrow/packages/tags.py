"""The wheel tags and environment markers of a target interpreter, from its cached facts.

`supported_tags(info)` equals `packaging.tags.sys_tags()` run inside that interpreter, and
`marker_environment(info)` its `packaging.markers.default_environment()`, without running
it: `burrow.interpreter.inspect` learnt what they need once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from packaging.tags import Tag

    from burrow.interpreter import PythonInfo

_SHORT_NAMES = {"cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
# Architectures whose manylinux wheels need no check of the executable's ELF flags.
_MANYLINUX_ARCHS = frozenset(
    {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64", "i686", "armv7l"}
)
# PEP 600 names the older manylinux tags by the glibc they stand for.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


#: Each interpreter's ranked tags, under the cache dir (`burrow cache`).
CACHE_FOLDER = "tag-ranks-v1"


def tag_ranks(info: PythonInfo) -> Dict[str, int]:
    """Each tag the target installs, as text, and its place in `supported_tags` (best
    first): {'cp312-cp312-manylinux_2_36_x86_64': 0, …}. Kept in the cache, keyed by the
    target's facts and the code that ranks them, so a warm run ranks the wheels it has
    without importing packaging's tags."""
    from burrow import store

    path = _ranks_path(info)
    kept = store.load(path) if path is not None else None
    if isinstance(kept, dict) and kept:
        return kept
    ranks: Dict[str, int] = {}
    for place, tag in enumerate(supported_tags(info)):
        ranks.setdefault(str(tag), place)
    if path is not None:
        try:
            store.dump(path, ranks)
        except OSError:
            pass  # ranked again next time
    return ranks


def _ranks_path(info: PythonInfo) -> Optional[str]:
    import os

    import packaging  # its version only: the package itself imports nothing

    from burrow import dirs
    from burrow._fast import sha256_hex
    from burrow.errors import BurrowError

    try:
        root = dirs.private_cache_dir()
        here = os.stat(__file__)
    except (BurrowError, OSError):
        return None
    key = repr((packaging.__version__, here.st_mtime_ns, here.st_size, info.placeless_facts))
    digest = sha256_hex(key.encode("utf-8", "surrogateescape"))
    return os.path.join(root, CACHE_FOLDER, digest[:2], digest)


def supported_tags(info: PythonInfo) -> List[Tag]:
    """The wheel tags it installs, best first: [cp312-cp312-manylinux_2_36_x86_64, …]."""
    from packaging.tags import compatible_tags, cpython_tags, generic_tags

    version = info.version[:2]
    plats = platforms(info)
    name = interpreter_name(info)
    if name == "cp":
        tags = list(cpython_tags(version, _cpython_abis(info), plats))
    else:
        tags = list(generic_tags(f"{name}{interpreter_version(info)}", _generic_abis(info), plats))
    interpreter = {"cp": f"cp{interpreter_version(info)}", "pp": "pp3"}.get(name)
    tags += compatible_tags(version, interpreter, plats)
    return tags


def interpreter_name(info: PythonInfo) -> str:
    """The short name wheel tags use: 'cp', 'pp', or the implementation's own name."""
    return _SHORT_NAMES.get(info.implementation, info.implementation)


def interpreter_version(info: PythonInfo) -> str:
    """'312' for 3.12 (sysconfig's py_version_nodot where the interpreter sets it)."""
    return info.py_version_nodot or "".join(str(part) for part in info.version[:2])


def platforms(info: PythonInfo) -> List[str]:
    """Platform tags, best first, e.g. ['manylinux_2_36_x86_64', ..., 'linux_x86_64']."""
    plat = _normalize(info.sysconfig_platform)
    if info.platform == "darwin" and info.mac_version:
        from packaging.tags import mac_platforms

        major, minor = (int(part) for part in [*info.mac_version.split("."), "0"][:2])
        return list(mac_platforms((major, minor), _mac_arch(info)))
    if not plat.startswith("linux_"):
        return [plat]
    if not info.is_64bit:  # a 32-bit interpreter on a 64-bit kernel
        plat = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(plat, plat)
    arch = plat[len("linux_") :]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    found: List[str] = []
    libc = info.libc or ("", "")
    if libc[0] == "glibc" and _MANYLINUX_ARCHS & set(archs):
        found += _manylinux(archs, _version_pair(libc[1]))
    if libc[0] == "musl":
        major, minor = _version_pair(libc[1])
        found += [f"musllinux_{major}_{m}_{a}" for a in archs for m in range(minor, -1, -1)]
    return found + [f"linux_{a}" for a in archs]


def _manylinux(archs: List[str], glibc: Tuple[int, int]) -> List[str]:
    """PEP 600 tags from the running glibc down to the oldest one manylinux knows."""
    # Wheels for glibc older than 2.17 (2.5 on x86) were never built: the tags stop there.
    oldest = 5 if {"x86_64", "i686"} & set(archs) else 17
    found = []
    for arch in archs:
        for minor in range(glibc[1], oldest - 1, -1):
            found.append(f"manylinux_{glibc[0]}_{minor}_{arch}")
            legacy = _LEGACY_MANYLINUX.get((glibc[0], minor))
            if legacy:
                found.append(f"{legacy}_{arch}")
    return found


def _version_pair(text: str) -> Tuple[int, int]:
    """(2, 36) from '2.36' (or '2.36.9'); (0, 0) when unreadable."""
    parts = text.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return 0, 0


def _mac_arch(info: PythonInfo) -> str:
    if info.is_64bit:
        return info.machine
    return "ppc" if info.machine.startswith("ppc") else "i386"


def _cpython_abis(info: PythonInfo) -> List[str]:
    """['cp312'], ['cp313t'], or ['cp312d', 'cp312'] for a debug build."""
    version = interpreter_version(info)
    threading = "t" if info.version >= (3, 13) and info.free_threaded else ""
    debug = info.py_debug or (info.py_debug is None and info.debug_build)
    if debug:
        # A debug build also loads ordinary extension modules.
        return [f"cp{version}{threading}d", f"cp{version}{threading}"]
    return [f"cp{version}{threading}"]


def _generic_abis(info: PythonInfo) -> List[str]:
    """The ABI EXT_SUFFIX names: ['pypy310_pp73'] from '.pypy310-pp73-x86_64-linux-gnu.so'."""
    parts = info.ext_suffix.split(".")
    if len(parts) < 3:  # '.pyd' names no ABI
        return _cpython_abis(info)
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [_normalize(abi)]


def _normalize(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def marker_environment(info: PythonInfo) -> Dict[str, str]:
    """PEP 508 marker values for the interpreter, e.g. {'python_version': '3.12', ...}.

    The machine's own values (platform_release, ...) are read here rather than cached, so
    a kernel upgrade is seen.
    """
    import platform

    major, minor = info.version[:2]
    implementation = info.python_implementation or {
        "cpython": "CPython",
        "pypy": "PyPy",
        "ironpython": "IronPython",
        "jython": "Jython",
    }.get(info.implementation, info.implementation)
    return {
        "implementation_name": info.implementation,
        "implementation_version": info.implementation_version or _full_version(info),
        "os_name": info.os_name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": info.python_full_version or _full_version(info),
        "platform_python_implementation": implementation,
        "python_version": f"{major}.{minor}",
        "sys_platform": info.platform,
    }


def _full_version(info: PythonInfo) -> str:
    """'3.13.0rc1' from the version and release level (for facts cached without it)."""
    return info.version_str


def evaluate_marker(
    marker: str, info: PythonInfo, extras: Optional[Tuple[str, ...]] = None
) -> bool:
    """Whether `marker` holds for the interpreter (with `extra` set to each of `extras`)."""
    from packaging.markers import Marker

    environment = marker_environment(info)
    parsed = Marker(marker)
    if not extras:
        return parsed.evaluate({**environment, "extra": ""})
    return any(parsed.evaluate({**environment, "extra": extra}) for extra in extras)
