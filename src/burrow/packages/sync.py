"""``burrow sync``: make an env's packages exactly a lock's, all or nothing.

The data path: the lock as last read (``lockcache``; else read afresh) -> diff against
what the env has (one listdir) -> nothing to do: return -> fetch the missing wheels ->
ensure their cache entries -> clone the env beside itself as hard links -> remove and
link in the clone -> swap clone and env in one atomic exchange -> carry over what the
user changed in the env meanwhile -> delete the old tree (``swap.py`` does those tree
steps). A kill at any moment leaves the env as it was or as the lock says; what a killed
run left beside the env is removed by the next run.
"""

from __future__ import annotations

import os

from burrow._fast import Record, getLogger
from burrow.environment import BUILD_PREFIX, is_environment, python_of, read_config
from burrow.errors import BurrowError, TargetError
from burrow.fs import file_digest
from burrow.packages.swap import carry_over, clone_tree, recover, swap, swapped_aside
from burrow.packages.versions import same_version
from burrow.staging import clean_leftovers, dir_beside, remove_quietly

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

    from burrow.interpreter import PythonInfo
    from burrow.layout import Layout
    from burrow.packages.cache import Entry
    from burrow.packages.installed import Dist
    from burrow.packages.locking import Sources
    from burrow.packages.pins import Lock

log = getLogger(__name__)

#: Installed by seeding, not by a lock: kept unless the lock pins them.
SEEDED = ("pip", "setuptools", "wheel")


class Wheel(Record):
    """A wheel file to install, e.g. Wheel(name='requests', version='2.32.3', path=..., ...)."""

    name: str
    version: str
    path: str
    sha256: str = ""  # '' until needed: a sync with nothing to add hashes nothing
    direct_url: Optional[Dict[str, Any]] = None
    requested: bool = True


class Changes(Record):
    """What a sync changed: added [(name, version)], upgraded [(name, old, new)], …"""

    added: List[Tuple[str, str]]
    upgraded: List[Tuple[str, str, str]]
    downgraded: List[Tuple[str, str, str]]
    removed: List[Tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.added or self.upgraded or self.downgraded or self.removed)


class SyncError(BurrowError):
    """A sync could not finish; the env is unchanged."""


def _reached(step: str) -> None:
    """A named point of a sync ('cloned', 'swapped', …): where the fault suite stops runs."""


def sync(
    env: str | os.PathLike[str],
    lockfile: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    constraints: Sequence[str | os.PathLike[str]] = (),
    *,
    sources: Optional[Sources] = None,
    compile_bytecode: bool = False,
    dry_run: bool = False,
) -> Changes:
    """Make ``env``'s packages exactly ``lockfile``'s (or those of several lock files taken
    together, as pip-sync takes them), all or nothing.

    >>> sync(".venv", "requirements.lock")  # doctest: +SKIP
    Changes(added=[('requests', '2.32.3')], upgraded=[], downgraded=[], removed=[])

    Only what the env lacks is fetched: an env that already matches costs one listdir.
    Cache entries it builds are byte-compiled behind it (``behind.py``), or before it
    returns with ``compile_bytecode``. ``sources`` are the command line's index options
    (`-i`, `-f`, ...), between pip's config and the lock's own; ``dry_run`` returns what
    would change and changes nothing (a pin given as a URL or path is still fetched, to
    learn its name and version).
    """
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed
    from burrow.packages.lockcache import recall

    target = _check_env(env)
    recover(target)
    info = inspect(python_of(target))
    site = os.path.join(target, plan(info).purelib)
    if isinstance(lockfile, (str, os.PathLike)):
        lockfile = [lockfile]
    paths, constraint_paths = [os.fspath(p) for p in lockfile], [os.fspath(c) for c in constraints]
    known = recall(paths, constraint_paths, info)
    if known is not None:  # the lock as last read: nothing parsed if nothing is to change
        placeholders = [Wheel(name=name, version=version, path="") for name, version in known[0]]
        changes = diff(installed.scan(site), placeholders)[0]
        if not changes:
            for warning in known[1]:
                log.warning("%s", warning)
            return changes
    lock = _lock(paths, constraint_paths, info)
    pins = list(lock.pins)
    unknown = [pin for pin in pins if pin.version is None or pin.name is None]
    wheels = materialize(unknown, info, lock, sources) if unknown else []
    wanted: List[Any] = [pin for pin in pins if pin not in unknown] + wheels
    changes, _drop, add = diff(installed.scan(site), wanted)
    if not changes or dry_run:
        return changes
    fetched = {w.name: w for w in wheels}
    wheels += materialize([pin for pin in add if pin.name not in fetched], info, lock, sources)
    return sync_wheels(target, _all_wheels(wanted, wheels), compile_bytecode=compile_bytecode)


def _lock(paths: List[str], constraint_paths: List[str], info: PythonInfo) -> Lock:
    """The lock as last read while unchanged (its warnings given again), else read afresh."""
    from burrow.packages.lockcache import recall_lock

    known = recall_lock(paths, constraint_paths, info)
    if known is None:
        return _read_lock(paths, constraint_paths, info)
    for warning in known[1]:
        log.warning("%s", warning)
    return known[0]


def _read_lock(paths: List[str], constraint_paths: List[str], info: PythonInfo) -> Lock:
    """The lock read afresh, and kept for the next run's ``recall``."""
    from burrow.packages import lockcache
    from burrow.packages.lockfile import header_warning, is_pylock, read_lock

    before = lockcache.stats(paths + constraint_paths)
    lock = read_lock(paths, constraint_paths, info)
    warnings = [header_warning(path, info) for path in paths if not is_pylock(path)]
    lockcache.remember(paths, constraint_paths, info, lock, [w for w in warnings if w], before)
    return lock


def _all_wheels(wanted: Sequence[Any], wheels: Sequence[Wheel]) -> List[Wheel]:
    """The lock as wheels: those fetched, and the pins already installed as placeholders
    (a pin that matches what the env has is never linked, so it needs no file)."""
    by_name = {w.name: w for w in wheels}
    result = []
    for item in wanted:
        if isinstance(item, Wheel):
            result.append(item)
        elif item.name in by_name:
            result.append(by_name[item.name])
        else:
            result.append(Wheel(name=item.name, version=item.version, path=""))
    return result


def materialize(
    pins: Sequence[Any], info: PythonInfo, lock: Any, sources: Optional[Sources] = None
) -> List[Wheel]:
    """Wheel files for ``pins`` from the fetcher: downloaded (hash-checked, kept in the
    cache by sha256), local files, sdists and projects built. The indexes are pip's
    config, then ``sources`` (the command line's), then the lock's own options."""
    if not pins:
        return []
    from burrow.packages.fetch import fetch
    from burrow.packages.pipconfig import pip_binary_choices, pip_config
    from burrow.packages.requirements import binary_sets

    # pip's configured --no-binary/--only-binary, then the lock's, each in turn.
    config = pip_config() if sources is None else sources.over(pip_config())
    no_binary, only_binary = binary_sets([*pip_binary_choices(), *lock.options.binary_choices])
    found = fetch(
        pins,
        info,
        lock.index_config(config),
        only_binary=only_binary,
        no_binary=no_binary,
    )
    return as_wheels(found)


def as_wheels(found: Sequence[Any]) -> List[Wheel]:
    """The engine's ``Wheel`` for each of the fetcher's ``LocalWheel``s."""
    return [
        Wheel(
            name=w.name,
            version=w.version,
            path=w.path,
            sha256=w.sha256,
            direct_url=w.direct_url,
            requested=w.requested,
        )
        for w in found
    ]


def sync_wheels(
    env: str | os.PathLike[str],
    wheels: Sequence[Wheel],
    *,
    keep_others: bool = False,
    compile_bytecode: bool = False,
) -> Changes:
    """Make ``env``'s packages exactly ``wheels`` (the seeded pip, setuptools, wheel stay
    unless ``wheels`` has them); with ``keep_others``, only add and replace (``install``)."""
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed

    target = _check_env(env)
    recover(target)
    info = inspect(python_of(target))
    layout = plan(info)
    have = installed.scan(os.path.join(target, layout.purelib))
    changes, drop, add = diff(have, wheels, keep_others=keep_others)
    if not changes:
        return changes
    _reached("planned")
    with env_lock(target):
        have = installed.scan(os.path.join(target, layout.purelib))
        # As it is now that no other sync runs.
        changes, drop, add = diff(have, wheels, keep_others=keep_others)
        if not changes:
            return changes
        from burrow.packages.behind import after_commit, compile_now

        # Entries built without bytecode get it once the swap is done.
        with after_commit(now=compile_now(compile_bytecode)):
            entries = _entries(add, info, compile_bytecode)
            _reached("cached")
            apply(target, info, layout, drop, entries)
    return changes


def install_new(
    build: str,
    final: str,
    wheels: Sequence[Wheel],
    *,
    relocatable: bool = False,
    compile_bytecode: bool = False,
) -> Changes:
    """Install ``wheels`` into a new env being built at ``build`` (to live at ``final``).

    What ``create -r`` does: the env is not in place yet, so it is changed directly (the
    caller holds the ``behind.after_commit`` that ends once it is renamed into place).
    """
    from burrow.interpreter import inspect
    from burrow.layout import plan
    from burrow.packages import installed

    info = inspect(python_of(build))
    layout = plan(info)
    changes, drop, add = diff(installed.scan(os.path.join(build, layout.purelib)), wheels)
    changes.removed.clear()  # nothing else is there but the seed, which stays
    from burrow.packages.installed import canonical_name

    drop = [d for d in drop if d.name in {canonical_name(w.name) for w in add}]
    entries = _entries(add, info, compile_bytecode)
    _change(build, final, info, layout, drop, entries, relocatable)
    return changes


def pinned_wheels(
    lockfiles: Sequence[str], info: PythonInfo, constraints: Sequence[str] = ()
) -> Optional[List[Wheel]]:
    """The wheels of ``lockfiles`` when they are a lock this engine installs; None for
    requirements the resolver handles: ranges, or only project directories (`-e .`), whose
    dependencies a lock would list and these files do not. A lock read before and
    unchanged since is not parsed again (``lockcache``). ``constraints`` are ``-c`` files,
    which a lock's pins must satisfy."""
    from burrow.errors import UnpinnedError

    try:
        lock = _lock([os.fspath(p) for p in lockfiles], [os.fspath(c) for c in constraints], info)
    except UnpinnedError:
        return None
    if lock.pins and all(pin.is_local_project for pin in lock.pins):
        return None
    return materialize(lock.pins, info, lock)


def diff(
    have: Dict[str, Dist], wheels: Sequence[Wheel], *, keep_others: bool = False
) -> Tuple[Changes, List[Dist], List[Wheel]]:
    """What to remove and to add so that ``have`` becomes ``wheels`` (or holds them)."""
    from burrow.packages.installed import canonical_name

    changes = Changes(added=[], upgraded=[], downgraded=[], removed=[])
    drop: List[Dist] = []
    add: List[Wheel] = []
    wanted = {canonical_name(w.name): w for w in wheels}
    for name, dist in sorted(have.items()):
        if name not in wanted and name not in SEEDED and not keep_others:
            changes.removed.append((name, dist.version))
            drop.append(dist)
    for name, wheel in sorted(wanted.items()):
        if name not in have:
            changes.added.append((name, wheel.version))
            add.append(wheel)
            continue
        dist = have[name]
        if same_version(dist.version, wheel.version):
            continue
        if _newer(wheel.version, dist.version):
            changes.upgraded.append((name, dist.version, wheel.version))
            drop.append(dist)
        else:
            changes.downgraded.append((name, dist.version, wheel.version))
            drop.append(dist)
        add.append(wheel)
    return changes, drop, add


def _newer(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) > Version(b)
    except InvalidVersion:
        return a > b


def _entries(
    wheels: Sequence[Wheel], info: PythonInfo, compile_bytecode: bool
) -> List[Tuple[Wheel, Entry]]:
    """Each wheel with its cache entry; the missing entries are built side by side, and
    byte-compiled now (``compile_bytecode``) or queued to be, behind the command."""
    from burrow.packages.behind import compile_now, later
    from burrow.packages.cache import ensure_entries

    for wheel in wheels:
        if not wheel.sha256:
            wheel.sha256 = file_digest(wheel.path)
    pairs = [(wheel.path, str(wheel.sha256)) for wheel in wheels]
    built = ensure_entries(pairs, info, bytecode=compile_now(compile_bytecode))
    later(built, info)
    return list(zip(wheels, built))


# --- applying the changes all or nothing ------------------------------------------------


def apply(
    target: str,
    info: PythonInfo,
    layout: Layout,
    drop: Sequence[Dist],
    entries: Sequence[Tuple[Wheel, Entry]],
) -> None:
    """Build the new state of ``target`` in a hard-linked clone beside it and swap it in."""
    parent = os.path.dirname(target)
    clean_leftovers(parent)
    clone = dir_beside(parent, BUILD_PREFIX)
    try:
        snapshot = clone_tree(target, clone)
        _reached("cloned")
        _change(clone, target, info, layout, drop, entries, _is_relocatable(target))
        _reached("built")
        swap(clone, target)
        _reached("swapped")
        # ``clone`` now holds the old tree: what the user did there meanwhile moves over.
        carry_over(clone, target, snapshot)
        _reached("carried")
    finally:
        remove_quietly(clone)


def _change(
    clone: str,
    target: str,
    info: PythonInfo,
    layout: Layout,
    drop: Sequence[Dist],
    entries: Sequence[Tuple[Wheel, Entry]],
    relocatable: bool,
) -> None:
    """Remove ``drop`` from the env being built at ``clone`` and link ``entries`` into it."""
    from functools import partial

    from burrow.packages import installed
    from burrow.packages.cache import DamagedEntry, build_entry, mark_damaged
    from burrow.packages.linking import link_entry, link_side_by_side, writes_apart

    for dist in drop:
        moved = dist.replace(dist_info=os.path.join(clone, os.path.relpath(dist.dist_info, target)))
        installed.remove(moved, clone, alias=target)
        _reached("removed")

    def link(wheel: Wheel, entry: Entry) -> None:
        for attempt in (1, 2):
            try:
                link_entry(
                    entry,
                    clone,
                    layout,
                    final_root=target,
                    info=info,
                    relocatable=relocatable,
                    requested=wheel.requested,
                    direct_url=wheel.direct_url,
                )
                break
            except DamagedEntry as exc:
                if attempt == 2:
                    raise SyncError(
                        f"the package cache keeps changing under burrow: {exc}"
                    ) from None
                log.info("cache entry damaged (%s): rebuilding it", exc)
                mark_damaged(entry)
                entry = build_entry(wheel.path, wheel.sha256, info)
        _reached("linked")

    if writes_apart([entry for _, entry in entries], layout, info):
        # Biggest first, so that the threads finish close together.
        order = sorted(entries, key=lambda item: -len(item[1].manifest["files"]))
        link_side_by_side([partial(link, wheel, entry) for wheel, entry in order])
    else:  # a path two dists write: the later one wins, as with pip
        for wheel, entry in entries:
            link(wheel, entry)


def _is_relocatable(target: str) -> bool:
    return "--relocatable" in read_config(target).get("command", "")


def env_lock(target: str) -> Any:
    """One sync at a time per env, and no bytecode linked behind one meanwhile (the lock
    lives in the cache: the env itself is swapped)."""
    import filelock

    from burrow import dirs

    folder = os.path.join(dirs.private_cache_dir(), "locks")
    os.makedirs(folder, exist_ok=True)
    import hashlib

    key = hashlib.sha256(os.fsencode(os.path.realpath(target))).hexdigest()[:16]
    return filelock.FileLock(os.path.join(folder, f"env-{key}.lock"))


# --- the env, wheel files, and the summary -----------------------------------------------


def _check_env(env: str | os.PathLike[str]) -> str:
    target = os.path.abspath(os.fspath(env))
    if os.path.islink(target):
        raise TargetError(f"{target} is a symbolic link; give the real directory instead")
    if not is_environment(target) and (os.path.lexists(target) or not swapped_aside(target)):
        raise TargetError(f"{target} is not a virtual environment (no pyvenv.cfg)")
    return target


def local_wheel(path: str, **extra: Any) -> Wheel:
    """A Wheel for a file on disk: 'aa-1.0-py3-none-any.whl' -> name 'aa', version '1.0'."""
    parts = os.path.basename(path)[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise SyncError(f"{os.path.basename(path)} is not a wheel file name")
    return Wheel(name=parts[0], version=parts[1], path=path, **extra)


def summary_lines(changes: Changes) -> Iterable[str]:
    """uv-like lines: '- flask==2.3.0', '+ flask==3.0.3', sorted by name."""
    rows: List[Tuple[str, str]] = []
    for name, version in changes.removed:
        rows.append((name, f"- {name}=={version}"))
    for name, old, new in changes.upgraded + changes.downgraded:
        rows += [(name, f"- {name}=={old}"), (name, f"+ {name}=={new}")]
    for name, version in changes.added:
        rows.append((name, f"+ {name}=={version}"))
    return [text for _name, text in sorted(rows, key=lambda row: (row[0], row[1][0] == "+"))]
