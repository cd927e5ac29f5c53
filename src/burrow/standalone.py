"""``burrow pack --standalone``: the archive carries the base interpreter too.

The interpreter's executable, standard library and shared libpython are laid out so that
the env's python IS a base interpreter whose prefix is the unpacked directory (no
``pyvenv.cfg``, whose ``home`` would have to be absolute), with its ELF run paths made
relative (``$ORIGIN/../lib``). Linux (ELF) interpreters only.
"""

from __future__ import annotations

import os

from burrow.archive import Member, walk
from burrow.environment import scripts_dir, site_packages_dirs
from burrow.errors import InterpreterError, PackError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List

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


def with_interpreter(
    env: str, config: Dict[str, str], base: str, members: List[Member]
) -> List[Member]:
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
    added: List[Member] = []
    for key in ("stdlib", "platstdlib"):
        source = os.path.join(prefix, rel(key))
        if any(m.name == rel(key) and m.kind == "dir" for m in added):
            continue
        added += walk(source, rel(key), skip=_SKIPPED_STDLIB)
    # The static libpython beside the Makefile only links programs that embed Python.
    added = [m for m in added if not (m.name.endswith(".a") and "/config-" in m.name)]
    libdir_rel = os.path.relpath(facts["libdir"], prefix) if facts["libdir"] else "lib"
    for lib in elf.needed(executable):
        if lib.startswith("libpython"):
            path = os.path.join(facts["libdir"], lib)
            if not os.path.isfile(path):
                raise PackError(f"--standalone cannot find {lib} of {base} in {facts['libdir']}")
            added.append(
                Member(os.path.join(libdir_rel, lib), "file", 0o755, data=_read_file(path))
            )
    added.append(Member(os.path.join(bin_name, exe_name), "file", 0o755, data=executable))
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
            member = Member(member.name, "link", 0o777, target=exe_name)
        kept.append(member)
    names = {m.name for m in kept}
    return kept + [m for m in added if m.name not in names]


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _is_base(env: str, member: Member, base: str) -> bool:
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


def _relative_run_path(member: Member, libdir: str, libdir_rel: str) -> None:
    """A carried ELF file whose run path names the base's lib dir gets ``$ORIGIN/<to lib>``."""
    from burrow import elf

    if member.kind != "file":
        return
    head = member.read(4)
    if not elf.is_elf(head):
        return
    data = member.read()
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
