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
    sys.stdout.write(json.dumps(facts))


if __name__ == "__main__":
    main()
