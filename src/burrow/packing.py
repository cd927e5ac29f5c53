"""``burrow pack``: an env as a ``.tar.gz`` that runs wherever it is unpacked (e.g. Spark).

What goes into the archive differs from the env on disk in a few files only, and only in
the archive (the env is read, never changed):

- activation scripts and console scripts are in their ``--relocatable`` forms, made by the
  same code that writes them for ``create --relocatable``;
- ``.pth`` lines naming a directory inside the env become relative to their site-packages,
  and a ``direct_url.json`` URL inside the env becomes relative to the env's root;
- RECORD rows of those rewritten files carry their new hashes and sizes, and bytecode rows
  none (``.pyc`` headers get the archive's fixed mtime);
- members are written in a fixed order with fixed owners and times (``archive.py``), so
  the same env packs to the same bytes.

By default the archive links to the base interpreter at its current path (as venv-pack
does). ``standalone=True`` carries the interpreter instead: its executable, standard
library and shared libpython, laid out so that the env's python IS a base interpreter
whose prefix is the unpacked directory (no ``pyvenv.cfg``, whose ``home`` would have to be
absolute), with its ELF run paths made relative (``$ORIGIN/../lib``): ``standalone.py``.

Editable installs whose code lives outside the env are refused rather than copied: a copy
would silently freeze code the user expects to keep editing, and pull in whatever else
lives in that source tree.
"""

from __future__ import annotations

import os

from burrow import archive
from burrow._fast import Record
from burrow.environment import (
    config_of,
    is_environment,
    scripts_dir,
    site_packages_dirs,
    unquote_prompt,
)
from burrow.errors import EnvironmentNotFound, InterpreterError, PackError, TargetError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional

    from burrow.archive import Member

_MAX_SCRIPT = 1 << 20


class PackResult(Record):
    """What ``pack`` wrote, e.g. PackResult(output='/tmp/env.tar.gz', members=812, ...)."""

    output: str
    members: int
    size: int  # bytes of the archive
    standalone: bool
    base_interpreter: str  # the interpreter it runs with (outside the archive unless standalone)


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
    from burrow.packages.sync import env_lock

    # Read as one state: no sync swaps the env meanwhile, and the bytecode a create or
    # sync links behind it (packages/behind.py) is all in.
    with env_lock(env):
        _refuse_outside_code(env)
        members = _env_members(env, config)
        if standalone:
            from burrow.standalone import with_interpreter

            members = with_interpreter(env, config, base, members)
        members.sort(key=lambda m: m.name)
        archive.write(output, members)
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
    from urllib.parse import unquote, urlsplit

    from burrow.envs import direct_url

    for site in site_packages_dirs(env):
        for name in sorted(os.listdir(site)):
            path = os.path.join(site, name)
            outside: List[str] = []
            if name.endswith(".dist-info"):
                url, editable = direct_url(path)
                if editable and url and url.startswith("file:"):
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


def _env_members(env: str, config: Dict[str, str]) -> List[Member]:
    members = list(archive.walk(env, ""))
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
    _rehash_records(members, env, sites)
    return members


def _rehash_records(members: List[Member], env: str, sites: List[str]) -> None:
    """RECORD rows of the files rewritten above get their new hashes, and those of bytecode,
    whose headers the archive re-stamps (``archive.py``), none; in the archive only."""
    from burrow.records import changed_key, rehashed

    changed = {
        changed_key(os.path.join(env, m.name)): m.data
        for m in members
        if m.kind == "file" and m.data is not None
    }
    for member in members:
        folder, name = os.path.split(member.name)
        if member.kind == "file" and name == "RECORD" and os.path.dirname(folder) in sites:
            site = os.path.join(env, os.path.dirname(folder))
            fixed = rehashed(member.read(), site, changed, bytecode_unhashed=True)
            member.data = fixed or member.data


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


def _relocatable_script(member: Member, bin_dir: str) -> Optional[bytes]:
    """A console script that runs the env's python, in the relocatable form; else None."""
    from burrow.scripts import repointed

    data = member.read(_MAX_SCRIPT + 1)
    if len(data) > _MAX_SCRIPT or not data.startswith(b"#!"):
        return None
    return repointed(data, bin_dir, bin_dir, relocatable=True)


def _relative_pth(member: Member, env: str) -> Optional[bytes]:
    data = member.read()
    site = os.path.join(env, os.path.dirname(member.name))
    lines = data.split(b"\n")
    changed = False
    for index, line in enumerate(lines):
        text = os.fsdecode(line.rstrip(b"\r"))
        if text.startswith(os.sep) and _inside(text, env):
            lines[index] = os.fsencode(os.path.relpath(text, site))
            changed = True
    return b"\n".join(lines) if changed else None


def _relative_direct_url(member: Member, env: str) -> Optional[bytes]:
    import json
    from urllib.parse import quote, unquote, urlsplit

    try:
        info = json.loads(member.read())
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
