"""Environments that already exist: find one from what the user typed, list, describe, remove.

ENV on the command line is a path (anything with a path separator, ``.``/``..``, ``~``, or
an existing directory) or the name of an env in the named-env home. Without ENV it is
``$VIRTUAL_ENV``, else the nearest ``.venv`` in the current directory or its parents.

On the path of ``burrow list``: imports only ``os`` up front, and runs no interpreter.
"""

from __future__ import annotations

import os

from burrow import fs
from burrow._fast import Record
from burrow.environment import (
    TRASH_PREFIX,
    config_of,
    is_environment,
    same_env,
    site_packages_dirs,
    unquote_prompt,
    version_of,
)
from burrow.errors import EnvironmentNotFound, TargetError
from burrow.layout import CONFIG_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Tuple

    from burrow.health import Problem

PROJECT_ENV = ".venv"
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep, "/") if sep)
#: Packages ``pip freeze`` leaves out, as they come with the env rather than the project.
_TOOLING = frozenset(["pip", "setuptools", "wheel", "distribute"])
#: Top-level entries that mark a project folder, not an env: `python -m venv .` made in a
#: checkout must not be removed with the project's sources.
_PROJECT_MARKERS = (".git", ".hg", ".svn", "pyproject.toml", "setup.py", "setup.cfg")


# --- resolution ------------------------------------------------------------------------


def looks_like_path(text: str) -> bool:
    """'./env', 'a/b', '.', '~/envs/x' are paths; 'web-api' may be a name."""
    return any(sep in text for sep in _SEPARATORS) or text in (".", "..") or text[:1] == "~"


def looks_like_environment(path: str) -> bool:
    """A pyvenv.cfg, or (for one that lost it) an interpreter in bin/ beside a lib/ tree."""
    if is_environment(path):
        return True
    for scripts, lib in (("bin", "lib"), ("Scripts", "Lib")):
        bin_dir = os.path.join(path, scripts)
        if os.path.isdir(os.path.join(path, lib)) and any(
            os.path.lexists(os.path.join(bin_dir, n)) for n in ("python", "python.exe")
        ):
            return True
    return False


def resolve(
    env: Optional[str],
    *,
    allow_broken: bool = False,
    environ: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> str:
    """The absolute path of the env ENV names, e.g. 'web' -> '~/.local/share/burrow/envs/web'.

    ``allow_broken`` also accepts an env whose pyvenv.cfg is gone (for ``check``).
    Raises EnvironmentNotFound saying what was looked for.
    """
    environ = os.environ if environ is None else environ
    here = os.getcwd() if cwd is None else cwd
    accept = looks_like_environment if allow_broken else is_environment
    if env is None:
        return _default(environ, here, accept)
    if not env:
        raise EnvironmentNotFound("the environment name is empty")
    local = os.path.join(here, os.path.expanduser(env))
    if looks_like_path(env) or os.path.isdir(local):
        path = os.path.normpath(local)
        if accept(path):
            return path
        if not os.path.exists(path):
            raise EnvironmentNotFound(f"{path} does not exist")
        raise EnvironmentNotFound(f"{path} is not a virtual environment (it has no {CONFIG_NAME})")
    return resolve_named(env, accept=accept, also=f", and no directory {env!r} here")


def resolve_named(name: str, *, accept: Any = is_environment, also: str = "") -> str:
    """The path of the env called ``name`` in the named-env home; EnvironmentNotFound if none."""
    from burrow.named import check_name, env_home

    home = env_home()
    try:
        check_name(name)
    except TargetError as exc:
        raise EnvironmentNotFound(str(exc)) from None
    path = os.path.join(home, name)
    if accept(path):
        return path
    names = [known for known, _ in named_envs(home)]
    there = f" (there: {', '.join(names)})" if names else " (it holds none)"
    raise EnvironmentNotFound(f"no environment named {name!r} in {home}{there}{also}")


def _default(environ: Mapping[str, str], here: str, accept: Any) -> str:
    active = environ.get("VIRTUAL_ENV")
    if active:
        if accept(active):
            return os.path.abspath(active)
        raise EnvironmentNotFound(f"$VIRTUAL_ENV is {active}, which is not a virtual environment")
    found = find_project_env(here)
    if found is not None:
        return found
    raise EnvironmentNotFound(
        f"no environment given, $VIRTUAL_ENV is not set, and there is no {PROJECT_ENV} in "
        f"{here} or its parents"
    )


def find_project_env(start: str) -> Optional[str]:
    """The nearest ``.venv`` env in ``start`` or its parents, e.g. '/home/me/app/.venv'."""
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, PROJECT_ENV)
        if is_environment(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def named_envs(home: Optional[str] = None) -> List[Tuple[str, str]]:
    """(name, path) of each env in the home, sorted by name; burrow's temp dirs skipped."""
    if home is None:
        from burrow.named import env_home

        home = env_home()
    try:
        entries = sorted(os.scandir(home), key=lambda e: e.name)
    except OSError:
        return []
    return [(e.name, e.path) for e in entries if e.name[:1] != "." and is_environment(e.path)]


# --- facts about one env ------------------------------------------------------------------


def made_by(config: Mapping[str, str]) -> str:
    """Which tool wrote pyvenv.cfg: 'burrow 0.1.0', 'virtualenv 20.26.0', 'uv 0.4.1', 'venv'."""
    for tool in ("burrow", "virtualenv", "uv"):
        if tool in config:
            return f"{tool} {config[tool]}".strip()
    return "venv" if config else "unknown"


def packages(path: str) -> List[Dict[str, Any]]:
    """Installed distributions, read from their metadata (no interpreter needed).

    Each: {'name': 'requests', 'version': '2.32.3', 'url': None, 'editable': False}.
    """
    found: Dict[str, Dict[str, Any]] = {}
    for site in site_packages_dirs(path):
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        for entry in names:
            if not entry.endswith((".dist-info", ".egg-info")):
                continue
            meta = _metadata(os.path.join(site, entry))
            if meta is not None:
                found.setdefault(meta["name"].lower(), meta)
    return sorted(found.values(), key=lambda m: str(m["name"]).lower())


def _metadata(folder: str) -> Optional[Dict[str, Any]]:
    name = version = None
    for file_name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, file_name), encoding="utf-8", errors="replace") as f:
                for line in f:
                    if not line.strip():
                        break  # the headers end at the first blank line
                    key, _, value = line.partition(":")
                    if key == "Name":
                        name = value.strip()
                    elif key == "Version":
                        version = value.strip()
        except OSError:
            continue
        break
    if not name or not version:
        return None
    url, editable = direct_url(folder)
    return {"name": name, "version": version, "url": url, "editable": editable}


def direct_url(folder: str) -> Tuple[Optional[str], bool]:
    """The PEP 610 origin of the distribution whose .dist-info is ``folder`` and whether it
    is editable, e.g. ('file:///src/app', True); (None, False) for an index install."""
    try:
        with open(os.path.join(folder, "direct_url.json"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None, False
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return None, False
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None, False
    dir_info = data.get("dir_info")
    editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
    return data["url"], editable


def requirements(path: str) -> List[str]:
    """What ``pip freeze`` would say, without running pip: ['requests==2.32.3', …].

    Works when the env's interpreter is gone, which is when it is needed most.
    """
    lines = []
    for meta in packages(path):
        if str(meta["name"]).lower() in _TOOLING:
            continue
        if meta["editable"]:
            lines.append(f"-e {meta['url']}")
        elif meta["url"]:
            lines.append(f"{meta['name']} @ {meta['url']}")
        else:
            lines.append(f"{meta['name']}=={meta['version']}")
    return lines


def disk_usage(path: str) -> Tuple[int, int]:
    """(bytes used, bytes that removing the env would free), each inode counted once.

    Files hard-linked from burrow's seed cache count in the first figure only.
    """
    inodes: Dict[Tuple[int, int], List[int]] = {}  # inode -> [size, links, links seen]
    stack = [path]
    while stack:
        try:
            scan = os.scandir(stack.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                links = st.st_nlink
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    links = 1  # a directory's link count is its subdirectories: never shared
                blocks = getattr(st, "st_blocks", None)
                size = blocks * 512 if blocks is not None else st.st_size
                record = inodes.setdefault((st.st_dev, st.st_ino), [size, links, 0])
                record[2] += 1
    used = sum(r[0] for r in inodes.values())
    own = sum(r[0] for r in inodes.values() if r[2] >= r[1])
    return used, own


class Summary(Record):
    """One row of ``burrow list``, e.g. Summary(name='web', path='/…/envs/web', python='3.12.1',
    health='ok', …); ``project`` marks the current project's ``.venv``."""

    name: Optional[str]
    path: str
    python: Optional[str]  # its version, e.g. '3.12.1'
    implementation: Optional[str]
    size: int
    own_size: int
    health: str
    problems: List[Problem]
    project: bool = False


class PythonFacts(Record):
    """The interpreter an env names in its pyvenv.cfg."""

    version: Optional[str]
    implementation: Optional[str]
    home: Optional[str]
    executable: Optional[str]


class Info(Record):
    """Everything ``burrow info`` shows about one env."""

    path: str
    python: PythonFacts
    prompt: Optional[str]
    system_site_packages: bool
    made_by: str
    command: Optional[str]
    seeded: Dict[str, str]  # {'pip': '24.3.1'}
    packages: int
    site_packages: List[str]
    size: int
    own_size: int
    health: str
    problems: List[Problem]


def summary(
    path: str, *, name: Optional[str] = None, probe: bool = False, project: bool = False
) -> Summary:
    """One row of ``burrow list``: name, path, python, version, size, health, problems."""
    from burrow import health

    config = config_of(path)
    problems = health.diagnose(path, probe=probe)
    used, own = disk_usage(path)
    return Summary(
        name=name,
        path=path,
        python=version_of(config),
        implementation=config.get("implementation", "").lower() or None,
        size=used,
        own_size=own,
        health=health.verdict(problems),
        problems=problems,
        project=project,
    )


def all_envs(cwd: Optional[str] = None) -> List[Tuple[Optional[str], str]]:
    """(name, path) of the home's named envs, then (None, path) of the current project's
    ``.venv`` unless it is one of them: what ``list`` and ``check --all`` go through."""
    found: List[Tuple[Optional[str], str]] = list(named_envs())
    project = find_project_env(os.getcwd() if cwd is None else cwd)
    if project is not None and not any(same_env(project, path) for _, path in found):
        found.append((None, project))
    return found


def list_envs(cwd: Optional[str] = None) -> List[Summary]:
    """A summary of each of ``all_envs``, without running any interpreter."""
    return [summary(path, name=name, project=name is None) for name, path in all_envs(cwd)]


def info(path: str) -> Info:
    """Everything ``burrow info`` shows about one env (runs its interpreter once, cached)."""
    from burrow import health

    config = config_of(path)
    problems = health.diagnose(path, probe=True)
    installed = packages(path)
    seeded = {
        str(m["name"]).lower(): m["version"]
        for m in installed
        if str(m["name"]).lower() in _TOOLING
    }
    used, own = disk_usage(path)
    return Info(
        path=path,
        python=PythonFacts(
            version=version_of(config),
            implementation=config.get("implementation", "").lower() or None,
            home=config.get("home") or None,
            executable=config.get("executable") or None,
        ),
        prompt=unquote_prompt(config["prompt"]) if "prompt" in config else None,
        system_site_packages=config.get("include-system-site-packages", "").lower() == "true",
        made_by=made_by(config),
        command=config.get("command"),
        seeded=seeded,
        packages=len(installed),
        site_packages=site_packages_dirs(path),
        size=used,
        own_size=own,
        health=health.verdict(problems),
        problems=problems,
    )


# --- removal ----------------------------------------------------------------------------


def remove(
    env: str, *, cwd: Optional[str] = None, environ: Optional[Mapping[str, str]] = None
) -> Dict[str, str]:
    """Remove the env ENV names; returns {'path': …, 'removed': 'environment'|'link'}.

    A symlink named as ENV is removed itself and its target kept: burrow never follows a
    link out of what it was asked to delete. Anything that is not an env is refused.
    """
    here = os.getcwd() if cwd is None else cwd
    local = os.path.join(here, os.path.expanduser(env))
    if not looks_like_path(env) and not os.path.lexists(local):
        from burrow.named import env_home_path

        try:
            local = env_home_path(env)
        except TargetError as exc:
            raise EnvironmentNotFound(str(exc)) from None
        if not os.path.lexists(local):
            resolve(env, cwd=here)  # raises, saying what was looked for
    path = os.path.normpath(local)
    if os.path.islink(path):
        if not is_environment(path):
            raise TargetError(f"{path} is a symbolic link to something that is not an env")
        target = os.path.realpath(path)
        os.unlink(path)
        return {"path": path, "removed": "link", "target": target}
    if not os.path.lexists(path):
        raise EnvironmentNotFound(f"{path} does not exist")
    if not os.path.isdir(path):
        raise TargetError(f"{path} is not a directory, let alone a virtual environment")
    if not is_environment(path) or "home" not in config_of(path):
        raise TargetError(f"{path} is not a virtual environment (no valid {CONFIG_NAME}); kept")
    markers = [m for m in _PROJECT_MARKERS if os.path.lexists(os.path.join(path, m))]
    if markers:
        raise TargetError(
            f"{path} holds a project ({', '.join(markers)}) as well as an env; remove it by hand"
        )
    active = (os.environ if environ is None else environ).get("VIRTUAL_ENV")
    if active and os.path.isdir(active) and os.path.samefile(active, path):
        raise TargetError(f"{path} is the active environment; deactivate it first")
    try:
        moved = fs.discard(path, TRASH_PREFIX, only_dir=True)
    except NotADirectoryError:
        raise TargetError(f"{path} changed while it was being removed; kept") from None
    if not moved:
        raise EnvironmentNotFound(f"{path} does not exist")
    return {"path": path, "removed": "environment"}
