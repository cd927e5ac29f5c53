"""Run *inside* a target interpreter to report the facts burrow needs, as JSON.

Passed with ``-c`` (so no file of burrow's is importable by it) and kept parseable by
old interpreters (no f-strings, no annotations) so that a too-old
Python still answers and burrow can say why it refuses it. Imports nothing that a
stripped-down distribution may lack (no venv, no ensurepip, no platform).
"""

import json
import os
import sys
import sysconfig

PLACEHOLDER = "{{burrow-env}}"
PATH_KEYS = ("purelib", "platlib", "include", "scripts", "data")


def scheme_name():
    # type: () -> str
    names = sysconfig.get_scheme_names()
    if "venv" in names:  # 3.11+: the scheme a venv of this interpreter uses
        return "venv"
    return "nt" if os.name == "nt" else "posix_prefix"


def relative_paths(scheme):
    # type: (str) -> dict[str, str]
    base_vars = {}
    for key in ("base", "platbase", "installed_base", "installed_platbase"):
        base_vars[key] = PLACEHOLDER
    paths = sysconfig.get_paths(scheme, vars=base_vars, expand=True)
    out = {}
    for key in PATH_KEYS:
        value = paths[key]
        if not value.startswith(PLACEHOLDER):
            raise SystemExit("sysconfig path %r is not inside the environment" % key)
        out[key] = value[len(PLACEHOLDER) :].lstrip("/\\")
    return out


def base_executable():
    # type: () -> str
    """The interpreter an env should be built on, even when run from inside a venv."""
    exe = getattr(sys, "_base_executable", None) or sys.executable
    base_prefix = getattr(sys, "base_prefix", sys.prefix)
    if sys.prefix != base_prefix and os.path.dirname(os.path.abspath(exe)).startswith(sys.prefix):
        # Before 3.11 a venv's _base_executable may still point into the venv.
        cfg = os.path.join(sys.prefix, "pyvenv.cfg")
        with open(cfg) as handle:
            for line in handle:
                key, _, value = line.partition("=")
                if key.strip() == "home":
                    candidate = os.path.join(value.strip(), os.path.basename(exe))
                    if os.path.exists(candidate):
                        exe = candidate
    return os.path.abspath(exe)


def libc():
    # type: () -> list[str] | None
    """["glibc", "2.36"] or ["musl", "1.2.4"] for the C library this interpreter runs on."""
    try:
        glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").split()
    except (AttributeError, OSError, ValueError):
        glibc = []
    if len(glibc) == 2:
        return glibc
    if not sys.platform.startswith("linux"):
        return None
    loader = elf_interpreter(sys.executable)
    if not loader or "musl" not in os.path.basename(loader):
        return None
    import subprocess  # only on musl systems, once per interpreter

    try:
        proc = subprocess.Popen([loader], stderr=subprocess.PIPE, stdout=subprocess.PIPE)
        err = proc.communicate()[1].decode("utf-8", "replace")
    except OSError:
        return None
    for line in err.splitlines():  # musl's loader says "Version 1.2.4" when run bare
        if line.strip().startswith("Version "):
            return ["musl", line.split()[1]]
    return None


def elf_interpreter(path):
    # type: (str) -> str | None
    """The dynamic loader an ELF executable names, e.g. /lib/ld-musl-x86_64.so.1."""
    import struct

    try:
        with open(path, "rb") as handle:
            ident = handle.read(16)
            if ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
                return None
            wide = ident[4] == 2
            order = "<" if ident[5] == 1 else ">"
            header = handle.read(48 if wide else 36)
            if wide:
                phoff, phentsize, phnum = struct.unpack(order + "16xQ14xHH", header[:42])
            else:
                phoff, phentsize, phnum = struct.unpack(order + "12xI10xHH", header[:30])
            for index in range(phnum):
                handle.seek(phoff + index * phentsize)
                entry = handle.read(phentsize)
                if wide:
                    kind, offset, size = struct.unpack(order + "I4xQ16xQ", entry[:40])
                else:
                    kind, offset, size = struct.unpack(order + "II8xI", entry[:20])
                if kind == 3:  # PT_INTERP
                    handle.seek(offset)
                    return handle.read(size).rstrip(b"\0").decode("utf-8", "replace")
    except (OSError, struct.error):
        return None
    return None


def platform_facts():
    # type: () -> dict[str, object]
    """What wheel tags and environment markers need beyond the facts above."""
    from importlib.machinery import EXTENSION_SUFFIXES

    facts = {
        "soabi": sysconfig.get_config_var("SOABI") or "",
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or "",
        "py_debug": sysconfig.get_config_var("Py_DEBUG"),
        "debug_build": hasattr(sys, "gettotalrefcount") or "_d.pyd" in EXTENSION_SUFFIXES,
        "py_version_nodot": sysconfig.get_config_var("py_version_nodot") or "",
        "libc": libc(),
        "machine": os.uname().machine if hasattr(os, "uname") else "",
        "mac_version": "",
        "python_full_version": sys.version.split()[0],
        "python_implementation": "",
    }  # type: dict[str, object]
    impl = sys.implementation.version
    full = "%d.%d.%d" % impl[:3]
    if impl.releaselevel != "final":
        full += impl.releaselevel[0] + str(impl.serial)
    facts["implementation_version"] = full
    try:
        import platform  # absent from some stripped-down distributions
    except ImportError:
        return facts
    facts["python_full_version"] = platform.python_version()
    facts["python_implementation"] = platform.python_implementation()
    facts["machine"] = platform.machine()
    if sys.platform == "darwin":
        facts["mac_version"] = platform.mac_ver()[0]
    return facts


def main():
    # type: () -> None
    if sys.version_info < (3, 8):  # too old to host burrow's envs: report just enough to say so
        sys.stdout.write(json.dumps({"version": list(sys.version_info[:3]), "too_old": True}))
        return
    scheme = scheme_name()
    stdlib = sysconfig.get_path("stdlib")
    facts = {
        "implementation": sys.implementation.name,
        "version": list(sys.version_info[:3]),
        "release": [sys.version_info[3], sys.version_info[4]],
        "executable": sys.executable,
        "base_executable": base_executable(),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "platform": sys.platform,
        "os_name": os.name,
        "is_64bit": sys.maxsize > 2**32,
        "sysconfig_platform": sysconfig.get_platform(),
        "cache_tag": sys.implementation.cache_tag,
        "abiflags": getattr(sys, "abiflags", ""),
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "scheme": scheme,
        "paths": relative_paths(scheme),
        "stdlib": stdlib,
        "ensurepip_bundled": os.path.join(stdlib, "ensurepip", "_bundled"),
        "framework": sysconfig.get_config_var("PYTHONFRAMEWORK") or "",
    }
    facts.update(platform_facts())
    sys.stdout.write(json.dumps(facts))


if __name__ == "__main__":
    main()
