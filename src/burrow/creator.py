"""``burrow create``: resolve the interpreter, plan the layout, build beside the target,
seed, write activators, and rename into place — all or nothing.
"""

from __future__ import annotations

import os

from burrow import __version__, fs, staging
from burrow._fast import getLogger
from burrow.environment import (
    BUILD_PREFIX,
    TRASH_PREFIX,
    Environment,
    is_environment,
    render_config,
)
from burrow.errors import BurrowError, TargetError
from burrow.layout import CONFIG_NAME, plan
from burrow.options import Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Mapping, Optional

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout

log = getLogger(__name__)

GITIGNORE = "# Created by burrow: nothing in a virtual environment belongs in git.\n*\n"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file marks a virtual environment made by burrow as disposable.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def create(
    path: str | os.PathLike[str] = ".venv", options: Optional[Options] = None, **changes: Any
) -> Environment:
    """Create a virtual environment at ``path`` and return it.

    >>> create(".venv", python="3.12", prompt="app", seed=True)  # doctest: +SKIP
    """
    opts = (options or Options()).replace(**changes)
    opts.validate()
    target = _check_target(path)
    info = _resolve_python(opts.python)
    layout = plan(info)
    prompt = os.path.basename(os.getcwd()) if opts.prompt == "." else opts.prompt
    staging.clean_leftovers(os.path.dirname(target))
    existing_env = is_environment(target)
    if existing_env and not opts.clear:
        _check_config(target)
        return _update_in_place(target, info, layout, opts, prompt)
    if not existing_env and _is_nonempty_dir(target) and not opts.force:
        hint = (
            "use --clear --force to replace its contents" if opts.clear else "choose another path"
        )
        raise TargetError(f"{target} exists and is not a virtual environment; {hint}")
    return _build_and_swap(target, info, layout, opts, prompt)


def _check_target(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    if not text:
        raise TargetError("the environment path is empty")
    target = os.path.abspath(text)
    if os.pathsep in target:
        raise TargetError(
            f"{target} contains {os.pathsep!r}, the PATH separator: activation could not work"
        )
    if os.path.islink(target):
        raise TargetError(f"{target} is a symbolic link; give the real directory instead")
    if os.path.exists(target) and not os.path.isdir(target):
        raise TargetError(f"{target} exists and is not a directory")
    return target


def _check_config(target: str) -> None:
    """Refuse to update an env whose pyvenv.cfg is unreadable or names no base ``home``:
    it may not be an env at all, and rewriting it would lose what the user had there."""
    from burrow.environment import read_config

    try:
        config = read_config(target)
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or "not UTF-8 text"
    else:
        if config.get("home"):
            return
        problem = "no 'home' line"
    raise TargetError(
        f"{os.path.join(target, CONFIG_NAME)} is malformed ({problem}); "
        "fix it, or use --clear to replace the environment"
    )


def _is_nonempty_dir(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return any(True for _ in entries)
    except OSError:
        return False


def _resolve_python(spec: Optional[str]) -> PythonInfo:
    if spec is None and not os.environ.get("BURROW_PYTHON"):
        # The usual case, burrow's own interpreter, needs none of discovery's machinery
        # (whose import alone is a millisecond of a warm create).
        from burrow.interpreter import current

        return current()
    from burrow.discovery import find_python

    return find_python(spec)


# --- building a new environment --------------------------------------------------------


def _build_and_swap(
    target: str, info: PythonInfo, layout: Layout, opts: Options, prompt: Optional[str]
) -> Environment:
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    build = staging.dir_beside(parent, BUILD_PREFIX)
    try:
        with _compile_behind(opts):
            env = _populate(build, target, info, layout, opts, prompt)
            _move_into_place(build, target, replace=opts.clear)
        if opts.install is not None and layout.windows:
            # Windows' .exe launchers name their python inside a binary, which cannot be
            # re-pointed after the fact: pip runs once the env is in place, and a failure
            # removes the env again (not all or nothing against a kill, as on POSIX).
            from burrow.installing import pip_install

            try:
                pip_install(target, opts.install)
            except BaseException:
                staging.remove_quietly(target)
                raise
    except BaseException as exc:
        staging.remove_quietly(build)
        if opts.install is not None:
            from burrow.installing import InstallFailed

            if isinstance(exc, InstallFailed):  # pip failed before the env was in place
                kept = "is unchanged" if os.path.lexists(target) else "was not created"
                raise InstallFailed(f"{exc}; {target} {kept}") from None
        raise
    return env


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


def _compile_behind(opts: Options) -> Any:
    """The block after which the cache entries ``-r`` built are compiled behind the command
    (``packages/behind.py``): the env is in place by then. A plain create builds none."""
    if opts.install is None:
        return _Nothing()
    from burrow.packages.behind import after_commit, compile_now

    return after_commit(now=compile_now(opts.compile_bytecode))


def _move_into_place(build: str, target: str, *, replace: bool) -> None:
    """Rename the finished env onto ``target``; a replaced env goes to the trash first.

    Without ``replace`` (--clear), whatever appeared at ``target`` since it was checked
    (another run's env, the user's files) is never moved aside: the rename fails instead.
    With it, only what was there when the rename began is: something that lands in between
    (another --clear run of the same path) is kept, and this run fails.
    """
    trash = _move_to_trash(target) if replace else None
    try:
        os.rename(build, target)  # onto nothing or an empty dir only
    except OSError as exc:
        if trash is not None:
            try:
                os.rename(trash, target)  # put the old env back
            except OSError:  # another run put its env there meanwhile: keep that one
                staging.remove_quietly(trash)
        raise _taken(target, exc) from None
    if trash is not None:
        staging.remove_quietly(trash)


def _move_to_trash(target: str) -> Optional[str]:
    """Move the env at ``target`` out of the way; its trash dir, or None if there was none.

    Other runs of --clear on the same path race for it: whichever moves it first owns it,
    and the others find nothing there, which is not an error.
    """
    if not _is_nonempty_dir(target):
        try:
            os.rmdir(target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _taken(target, exc) from None
        return None
    trash = staging.dir_beside(os.path.dirname(target), TRASH_PREFIX)
    try:
        os.replace(target, trash)  # onto the empty dir just made: atomic on POSIX
    except OSError as exc:
        os.rmdir(trash)
        if isinstance(exc, FileNotFoundError):  # another run moved it away first
            return None
        raise _taken(target, exc) from None
    return trash


def _taken(target: str, exc: OSError) -> TargetError:
    """The error for a failed move onto ``target``: most often, something else is there now."""
    import errno

    if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
        return TargetError(
            f"{target} was created by something else while burrow built it; left as it is"
        )
    return TargetError(f"cannot move the new environment to {target}: {exc.strerror}")


def _populate(
    root: str, final: str, info: PythonInfo, layout: Layout, opts: Options, prompt: Optional[str]
) -> Environment:
    """Write a complete env into ``root`` that will live at ``final``."""
    bin_dir = os.path.join(root, layout.scripts)
    os.makedirs(bin_dir)
    for rel in {layout.purelib, layout.platlib, layout.include}:
        os.makedirs(os.path.join(root, rel), exist_ok=True)
    if layout.lib64_link:
        os.symlink("lib", os.path.join(root, "lib64"))
    _link_python(bin_dir, info, layout, _use_symlinks(opts, info))
    _write_text(
        os.path.join(root, CONFIG_NAME),
        render_config(
            info,
            system_site_packages=opts.system_site_packages,
            prompt=prompt,
            command=opts.command or opts.command_line(final),
            version=__version__,
        ),
    )
    if opts.scm_ignore_files:  # both tell tools (git, backups) to leave the env out
        _write_text(os.path.join(root, ".gitignore"), GITIGNORE)
        _write_text(os.path.join(root, "CACHEDIR.TAG"), CACHEDIR_TAG)
    env = Environment(
        path=final, layout=layout, python=info, prompt=prompt or os.path.basename(final), seeded={}
    )
    if opts.seed:
        env.seeded = _seed(root, final, info, layout, opts)
    _write_activators(bin_dir, final, layout, env.prompt, opts)
    if opts.install is not None and not layout.windows:
        from burrow.installing import install_before_rename

        install_before_rename(
            root, final, layout, opts.relocatable, opts.install, opts.compile_bytecode
        )
    return env


def _use_symlinks(opts: Options, info: PythonInfo) -> bool:
    return (not info.windows) if opts.symlinks is None else opts.symlinks


def _link_python(bin_dir: str, info: PythonInfo, layout: Layout, symlinks: bool) -> None:
    """bin/python3.12 -> the base interpreter; python, python3 -> it, as venv does."""
    first, *others = layout.python_names
    base = info.base_executable
    if layout.windows:
        _copy_windows_python(bin_dir, info, layout)
        return
    _place(base, os.path.join(bin_dir, first), symlinks)
    for name in others:
        _place(first if symlinks else base, os.path.join(bin_dir, name), symlinks)


def _place(source: str, dest: str, symlinks: bool) -> None:
    """Make ``dest`` a symlink to (or copy of) ``source``, replacing it atomically."""
    if symlinks:
        fs.replace_link(dest, source)
    else:  # the join keeps an absolute source, and finds a relative one beside dest
        fs.replace_copy(dest, os.path.join(os.path.dirname(dest), source), 0o755)


def _copy_windows_python(bin_dir: str, info: PythonInfo, layout: Layout) -> None:
    """Windows: venv's redirector launchers where the interpreter has them, else copies."""
    import shutil

    launchers = os.path.join(info.stdlib, "venv", "scripts", "nt")
    base_dir = os.path.dirname(info.base_executable)
    for name in layout.python_names:
        source_name = {"python.exe": "venvlauncher.exe", "pythonw.exe": "venvwlauncher.exe"}.get(
            name
        )
        candidates = [os.path.join(launchers, name), os.path.join(base_dir, name)]
        if source_name:
            candidates.insert(0, os.path.join(launchers, source_name))
        source = next((c for c in candidates if os.path.isfile(c)), None)
        if source is not None:
            shutil.copyfile(source, os.path.join(bin_dir, name))


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _seed(root: str, final: str, info: PythonInfo, layout: Layout, opts: Options) -> Dict[str, str]:
    from burrow import seed

    requests = [seed.SeedRequest(name="pip", version="latest" if opts.upgrade_deps else opts.pip)]
    for name in ("setuptools", "wheel"):
        wanted = getattr(opts, name)
        if wanted is not None:
            requests.append(
                seed.SeedRequest(name=name, version="latest" if opts.upgrade_deps else wanted)
            )
    seeded = {}
    for request in requests:
        entry = _seed_one(seed, request, root, final, info, layout, opts)
        seeded[entry.name] = entry.version
    return seeded


def _seed_one(
    seed: Any, request: Any, root: str, final: str, info: PythonInfo, layout: Layout, opts: Options
) -> Any:
    from burrow.packages.cache import mark_damaged

    for attempt in (1, 2):
        entry = seed.resolve(request, info, os.environ)
        try:
            seed.install(
                entry, root, layout, final_root=final, info=info, relocatable=opts.relocatable
            )
        except seed.DamagedEntry as exc:
            if attempt == 2:
                raise BurrowError(f"the seed cache keeps changing under burrow: {exc}") from None
            log.info("cache entry damaged (%s): rebuilding it", exc)
            mark_damaged(entry)  # the next resolve rebuilds it instead of linking it
            continue
        return entry
    raise AssertionError("unreachable")


def _write_activators(bin_dir: str, final: str, layout: Layout, prompt: str, opts: Options) -> None:
    if opts.activators == ():
        return
    from burrow.activation import write_activators

    try:
        write_activators(
            bin_dir,
            env_dir=final,
            prompt=prompt,
            site_packages=layout.site_packages(),
            relocatable=opts.relocatable,
            names=opts.activators,
            windows=layout.windows,
        )
    except ValueError as exc:  # a value one shell cannot hold (a line break for cmd.exe)
        raise TargetError(str(exc)) from None


# --- updating an existing environment ----------------------------------------------------


def repoint(
    target: str,
    info: PythonInfo,
    options: Options,
    prompt: Optional[str],
    extra_config: Optional[Mapping[str, str]] = None,
) -> Environment:
    """Re-link an existing env to ``info`` in place, keeping its packages and activators.

    What ``check --fix`` does after an interpreter moved or was upgraded; keys other tools
    wrote into pyvenv.cfg (``extra_config``) are kept.
    """
    opts = options.replace(upgrade=True, seed=False)
    return _update_in_place(target, info, plan(info), opts, prompt, extra_config)


def _update_in_place(
    target: str,
    info: PythonInfo,
    layout: Layout,
    opts: Options,
    prompt: Optional[str],
    extra_config: Optional[Mapping[str, str]] = None,
) -> Environment:
    """venv's behaviour on an existing env: re-point it at the interpreter, keep packages.

    Every file is replaced atomically, so the env works at each moment; nothing outside
    what a creator writes (links, pyvenv.cfg, activators, seed when missing) is touched.
    """
    bin_dir = os.path.join(target, layout.scripts)
    for rel in {layout.scripts, layout.purelib, layout.platlib, layout.include}:
        os.makedirs(os.path.join(target, rel), exist_ok=True)
    _link_python(bin_dir, info, layout, _use_symlinks(opts, info))
    config = render_config(
        info,
        system_site_packages=opts.system_site_packages,
        prompt=prompt,
        command=opts.command or opts.command_line(target),
        version=__version__,
        extra=extra_config,
    )
    fs.replace_file(os.path.join(target, CONFIG_NAME), config.encode("utf-8"))
    env = Environment(
        path=target,
        layout=layout,
        python=info,
        prompt=prompt or os.path.basename(target),
        seeded={},
    )
    site = os.path.join(target, layout.purelib)
    if opts.seed and not any(
        n.startswith("pip-") and n.endswith(".dist-info") for n in os.listdir(site)
    ):
        env.seeded = _seed(target, target, info, layout, opts)
    elif opts.upgrade_deps:
        _upgrade_deps(env)
    if not opts.upgrade:
        _write_activators(bin_dir, target, layout, env.prompt, opts)
    if opts.install is not None:  # the env was there already: pip works on it in place
        from burrow.installing import InstallFailed, install_in_place

        try:
            install_in_place(target, opts.install, opts.compile_bytecode)
        except InstallFailed as exc:
            raise InstallFailed(f"{exc}; {target} existed before this run and is kept") from None
    return env


def _upgrade_deps(env: Environment) -> None:
    """--upgrade-deps on an existing env: what venv does, the env's own pip upgrades pip."""
    import subprocess

    proc = subprocess.run([env.executable, "-m", "pip", "install", "--upgrade", "pip"], check=False)
    if proc.returncode:
        raise BurrowError(f"pip could not upgrade itself in {env.path} (exit {proc.returncode})")
