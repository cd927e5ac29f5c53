"""`burrow lock`: requirement files in, a pinned file with hashes out.

    locked = lock(["requirements.in"], output="requirements.txt")
    locked.text.splitlines()[7]  # 'flask==3.1.0 \\'

The output is pip's requirements format with `--hash=sha256:` for every file of each pin
and `# via` comments, as `pip-compile --generate-hashes` writes it, or PEP 751
`pylock.toml` when the output is named `pylock.toml` / `pylock.*.toml`. A re-lock keeps
the output's existing pins while they still fit, unless told to upgrade.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from burrow._fast import Record, getLogger
from burrow.errors import LockError
from burrow.fs import file_digest

if TYPE_CHECKING:
    from burrow.interpreter import PythonInfo
    from burrow.packages.index import Index
    from burrow.packages.lockmemo import Front, Memo
    from burrow.packages.pages import Link
    from burrow.packages.pipconfig import IndexConfig
    from burrow.packages.requirements import FileOptions, Line
    from burrow.packages.resolve import Options, Pin, Resolution

logger = getLogger(__name__)


class Sources(Record):
    """Index options given on the command line, on top of the files' and pip's config."""

    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False
    # (kind, value) as given, kind "no-binary" or "only-binary": each may clear the other
    binary_choices: Tuple[Tuple[str, str], ...] = ()
    trusted_hosts: Tuple[str, ...] = ()

    def over(self, config: IndexConfig) -> IndexConfig:
        """pip's configured indexes with these command-line options on top, as pip does."""
        return config.with_command_line(
            index_url=self.index_url,
            extra_index_urls=self.extra_index_urls,
            no_index=self.no_index,
            find_links=self.find_links,
            trusted_hosts=self.trusted_hosts,
        )


class Locked(Record):
    """What `lock` produced: the resolution, and the text written (or to print)."""

    resolution: Resolution
    text: str


class Inputs(Record):
    """Requirement and constraint lines read from files and the command line."""

    requirements: List[Line]
    constraints: List[Line]
    options: FileOptions
    files: List[str]  # every file read, includes too


def read_inputs(
    requirement_files: Sequence[str | os.PathLike[str]] = (),
    constraint_files: Sequence[str | os.PathLike[str]] = (),
    packages: Sequence[str] = (),
    extras: Sequence[str] = (),
) -> Inputs:
    """The lines of `-r` files, `-c` files and PKG arguments, options merged as pip does;
    a `pyproject.toml` among the `-r` files gives the project's dependencies, and those
    of its optional groups `extras`.

    pip's configured constraint files (`constraint`, `PIP_CONSTRAINT`) come first, as
    in pip, where they are the default every `-c` adds to.
    """
    from burrow.packages.pipconfig import pip_constraints
    from burrow.packages.pyproject import is_pyproject
    from burrow.packages.requirements import FileOptions, parse_file, parse_line

    requirements: List[Line] = []
    constraints: List[Line] = []
    files: List[str] = []
    read_options: List[FileOptions] = []
    for path in requirement_files:
        parsed = parse_file(path, extras=extras)
        requirements += parsed.requirements
        constraints += parsed.constraints
        files += parsed.files
        read_options.append(parsed.options)
    if extras and not any(is_pyproject(path) for path in files):
        raise LockError("extras name optional dependencies of a pyproject.toml: give one")
    options = FileOptions.empty()
    for path in [*pip_constraints(), *constraint_files]:
        parsed = parse_file(path, constraint=True)
        constraints += parsed.constraints + parsed.requirements
        files += parsed.files
        options.merge(parsed.options)
    # pip reads the constraint files first: a requirements file's options come after.
    for read in read_options:
        options.merge(read)
    for number, text in enumerate(packages, 1):
        requirements.append(parse_line(text, f"argument {number}"))
    return Inputs(requirements=requirements, constraints=constraints, options=options,
                  files=files)  # fmt: skip


def resolve_options(
    inputs: Inputs, sources: Sources, *, environ: Optional[Dict[str, str]] = None
) -> Tuple[Options, List[str]]:
    """The resolver's options: pip's config, then the command line's, then the files'
    (pip's order: a file's `--index-url` beats the command line's); also the option lines
    a lock file should repeat (`--index-url ...`)."""
    from burrow.packages.pipconfig import pip_binary_choices, pip_config
    from burrow.packages.requirements import binary_sets
    from burrow.packages.resolve import Options

    given = inputs.options
    config = sources.over(pip_config(environ)).with_file_options(given)
    # A lock is shared and committed: the URLs it repeats carry no credentials, which
    # come from pip's config or ~/.netrc where the lock is used (as uv writes them).
    header = []
    if sources.no_index or given.no_index:
        header.append("--no-index")
    elif given.index_url is not None and not config.no_index:
        header.append(f"--index-url {_public(given.index_url)}")
    elif sources.index_url is not None and not config.no_index:
        header.append(f"--index-url {_public(sources.index_url)}")
    extra = [*given.extra_index_urls]
    if given.index_url is None:
        extra[:0] = sources.extra_index_urls
    header += [f"--extra-index-url {_public(url)}" for url in dict.fromkeys(extra)]
    find_links = [*sources.find_links, *given.find_links]
    header += [f"--find-links {_public(url)}" for url in dict.fromkeys(find_links)]
    # As pip-compile: a sync of the lock reads the same hosts the same way.
    trusted = [*sources.trusted_hosts, *given.trusted_hosts]
    header += [f"--trusted-host {host}" for host in dict.fromkeys(trusted)]

    no_binary, only_binary = binary_sets(
        [*pip_binary_choices(environ), *sources.binary_choices, *given.binary_choices]
    )
    options = Options(
        config=config,
        pre=sources.pre or given.pre,
        only_binary=only_binary,
        no_binary=no_binary,
        prefer_binary=given.prefer_binary,
    )
    return options, header


def lock(
    requirements: Sequence[str | os.PathLike[str]],
    *,
    constraints: Sequence[str | os.PathLike[str]] = (),
    packages: Sequence[str] = (),
    python: str | PythonInfo | None = None,
    output: str | os.PathLike[str] | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    sources: Optional[Sources] = None,
    command: str = "burrow lock",
    index: Optional[Index] = None,
    extras: Sequence[str] = (),
) -> Locked:
    """Resolve requirement files for `python` (a -p value, facts, or burrow's own) and
    write the pinned result to `output` when given (its name picks the format)."""
    from burrow.interpreter import PythonInfo

    info = python if isinstance(python, PythonInfo) else _find_python(python)
    out = os.fspath(output) if output is not None else None
    keep = out if out is not None and not upgrade else None
    sources = sources or Sources()
    front = None
    if index is None:  # a caller's own session may read pages no memo can check
        call = {
            "requirements": [os.fspath(p) for p in requirements],
            "constraints": [os.fspath(p) for p in constraints],
            "packages": list(packages),
            "extras": list(extras),
            "python": info,
            "keep": keep,
            "upgrade_packages": sorted(upgrade_packages),
            "sources": sources,
        }
        front = _front(call)
    found = front.load() if front is not None else None
    if found is not None:
        resolution, hashes, header = found
    else:
        resolution, hashes, header = _lock(
            requirements, constraints, packages, extras, info, keep, upgrade_packages, sources,
            index, front,
        )  # fmt: skip
    if out is not None and is_pylock(out):
        from burrow.packages import pylock

        text = pylock.dumps(resolution, hashes)
    else:
        text = render(resolution, hashes, header, command)
    if out is not None:
        from burrow import fs

        path = os.path.abspath(out)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        existing = os.path.isfile(path) and not os.path.islink(path)
        # A lock is meant to be shared: the umask decides, or the mode it already has.
        fs.replace_file(path, text.encode("utf-8"), None if existing else 0o644)
    return Locked(resolution=resolution, text=text)


def _public(url: str) -> str:
    """``url`` without a user or password in it."""
    from burrow.packages.urls import split_auth

    return split_auth(url)[0]


def _front(call: Dict[str, object]) -> Front:
    from burrow.packages.lockmemo import Front, RecordingIndex
    from burrow.packages.pipconfig import IndexConfig

    root = RecordingIndex(IndexConfig(index_urls=(), find_links=())).cache_root()
    return Front(root, call)


def _lock(
    requirements: Sequence[str | os.PathLike[str]],
    constraints: Sequence[str | os.PathLike[str]],
    packages: Sequence[str],
    extras: Sequence[str],
    info: PythonInfo,
    keep: Optional[str],
    upgrade_packages: Sequence[str],
    sources: Sources,
    index: Optional[Index],
    front: Optional[Front],
) -> Tuple[Resolution, Dict[str, List[str]], List[str]]:
    """Read the inputs, then resolve (or take the memo of those inputs); the pins, their
    hashes and the option lines a lock repeats. `front` is pointed at the memo."""
    from burrow.packages.lockmemo import RecordingIndex, config_files

    inputs = read_inputs(requirements, constraints, packages, extras)
    base, header = resolve_options(inputs, sources)
    options = base.replace(editables=True)
    previous = _read_previous(keep)
    session = index if index is not None else RecordingIndex(options.config)
    try:
        resolution, hashes, memo = _resolve(
            inputs, info, options, keep, previous, upgrade_packages, session
        )
    finally:
        if index is None:
            session.close()
    if front is not None and memo is not None:

        def same_inputs() -> bool:
            again = read_inputs(requirements, constraints, packages, extras)
            return again == inputs and resolve_options(again, sources) == (base, header)

        files = [*inputs.files, *config_files(), *([keep] if keep is not None else [])]
        for line in [*inputs.requirements, *inputs.constraints]:
            where = line.origin.rpartition(":")[0]  # "requirements.in:3"
            if where and where not in files and os.path.isfile(where):
                files.append(where)
        read = {keep: previous} if keep is not None else {}
        front.store(files, read, header, memo, same_inputs)
    return resolution, hashes, header


def _resolve(
    inputs: Inputs,
    info: PythonInfo,
    options: Options,
    keep: Optional[str],
    previous: Optional[str],
    upgrade_packages: Sequence[str],
    session: Index,
) -> Tuple[Resolution, Dict[str, List[str]], Optional[Memo]]:
    """The pins and each pin's file hashes: the memo's when none of the inputs and pages
    changed since it was stored, else resolved (keeping the pins of the lock at `keep`,
    whose text is `previous`); and the memo of these inputs (None: none is kept)."""
    from burrow.packages.candidates import target_of
    from burrow.packages.lockmemo import Memo, RecordingIndex
    from burrow.packages.resolve import resolve

    memo = None
    if isinstance(session, RecordingIndex):  # a caller's own session: no memo
        # The previous lock's bytes stand for its pins in the key: parsed only to resolve.
        given = [previous, sorted(upgrade_packages)] if previous is not None else None
        target = target_of(info)
        root = session.cache_root()
        memo = Memo(
            root, inputs.requirements, inputs.constraints, target, options, given, purpose="lock"
        )
        found = memo.load()
        if found is not None:
            return (*found, memo)
    if keep is not None:
        options = options.replace(preferred=_existing_pins(keep, upgrade_packages))
    resolution = resolve(inputs.requirements, inputs.constraints, info, options, index=session)
    hashes = _hashes_of(resolution, session)
    if memo is not None and _read_previous(keep) == previous:
        memo.store(resolution, hashes, session)
    else:
        memo = None
    return resolution, hashes, memo


def _read_previous(path: Optional[str]) -> Optional[str]:
    """The text of the lock a re-lock keeps pins from; None when there is none."""
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockError(f"cannot keep the pins of {path}: {exc}") from None


def _find_python(spec: Optional[str]) -> PythonInfo:
    from burrow.discovery import find_python

    return find_python(spec)


def is_pylock(path: str) -> bool:
    """Whether a path names a PEP 751 lock: pylock.toml or pylock.<name>.toml."""
    name = os.path.basename(path)
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def _existing_pins(path: str, upgrade_packages: Sequence[str]) -> Dict[str, str]:
    """name -> version of a previous lock at `path` (none when it does not exist)."""
    from packaging.utils import canonicalize_name

    if not os.path.exists(path):
        return {}
    skip = {canonicalize_name(name) for name in upgrade_packages}
    pins: Dict[str, str] = {}
    if is_pylock(path):
        for name, version in _pylock_pins(path):
            pins[canonicalize_name(name)] = version
    else:
        from burrow.packages.requirements import parse_file

        try:
            lines = parse_file(path).requirements
        except LockError as exc:
            raise LockError(f"cannot keep the pins of {path}: {exc}") from None
        for line in lines:
            spec = line.specifier.strip()
            if line.name and spec.startswith("==") and "," not in spec:
                pins[canonicalize_name(line.name)] = spec.lstrip("=").strip()
    return {name: version for name, version in pins.items() if name not in skip}


def _pylock_pins(path: str) -> List[Tuple[str, str]]:
    """(name, version) of each package of a pylock.toml (only what a re-lock keeps)."""
    from burrow.packages import tomlfile

    try:
        data = tomlfile.load(path)
    except LockError as exc:
        raise LockError(f"cannot keep the pins of {path}: {exc}") from None
    return [
        (str(p["name"]), str(p["version"]))
        for p in data.get("packages", [])
        if isinstance(p, dict) and "name" in p and "version" in p
    ]


def _hashes_of(resolution: Resolution, index: Index) -> Dict[str, List[str]]:
    """'name' -> sorted sha256 digests of every file of its pinned version."""
    found: Dict[str, List[str]] = {}
    for pin in resolution.pins:
        digests = {_sha256(link, index) for link in pin.links}
        found[pin.key] = sorted(d for d in digests if d)
    return found


def _sha256(link: Link, index: Index) -> Optional[str]:
    """The file's sha256: from the index, else hashed from its local or downloaded copy."""
    if link.sha256:
        return link.sha256
    import tempfile
    from pathlib import Path
    from urllib.parse import urlsplit

    from burrow.packages.urls import file_path

    if urlsplit(link.url).scheme.lower() == "file":
        path = file_path(link.url)
    else:
        temp = tempfile.mkdtemp(prefix="burrow-hash-")
        path = index.download(link, Path(temp))
    digest = file_digest(str(path))
    if urlsplit(link.url).scheme.lower() != "file":
        import shutil

        shutil.rmtree(path.parent, ignore_errors=True)
    return digest


# --------------------------------------------------------------------------- rendering


def render(
    resolution: Resolution,
    hashes: Dict[str, List[str]],
    header_options: Sequence[str] = (),
    command: str = "burrow lock",
) -> str:
    """The requirements-format text: a header, option lines, then each pin with its
    hashes and `# via` lines, sorted by name."""
    major_minor = ".".join(resolution.python.split(".")[:2])
    lines = [
        "#",
        f"# This file is autogenerated by burrow lock with Python {major_minor}",
        "# by the following command:",
        "#",
        f"#    {command}",
        "#",
    ]
    lines += header_options
    if header_options:
        lines.append("")
    for pin in resolution.pins:
        lines += _pin_lines(pin, hashes.get(pin.key, []))
    return "\n".join(lines) + "\n"


def _pin_lines(pin: Pin, digests: List[str]) -> List[str]:
    extras = f"[{','.join(pin.extras)}]" if pin.extras else ""
    if pin.editable and pin.url is not None:
        head = f"-e {_relative(pin.url)}{extras}"
    elif pin.url:
        head = f"{pin.name}{extras} @ {pin.url}"
    else:
        head = f"{pin.name}{extras}=={pin.version}"
    found = [head + (" \\" if digests else "")]
    for number, digest in enumerate(digests):
        found.append(f"    --hash=sha256:{digest}" + (" \\" if number < len(digests) - 1 else ""))
    if len(pin.via) == 1:
        found.append(f"    # via {pin.via[0]}")
    elif pin.via:
        found.append("    # via")
        found += [f"    #   {who}" for who in pin.via]
    return found


def _relative(url: str) -> str:
    """A project directory as an editable line names it: './demo', '../libs/demo', '.'.

    Relative to the working directory, as the `-e` line of the input was, and as pip
    (and burrow) read a relative path in a requirements file; POSIX separators; the
    absolute path when it is on another drive.
    """
    from burrow.packages.urls import file_path

    path = str(file_path(url))
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    relative = relative.replace(os.sep, "/")
    return relative if relative.startswith(".") else "./" + relative
