"""pip's requirements-file format, read as pip reads it.

`parse_file("requirements.txt")` gives every requirement and constraint with the file and
line it came from (`requirements.txt:12`), and the index options the files set. Reading
follows pip: lines ending in a backslash are joined, comments dropped, `${VAR}` expanded,
`-r`/`-c` includes read relative to the including file; paths in requirement lines are
relative to the working directory, as pip has them (`requirement_text.py` reads what
the requirement part of a line names).
"""

from __future__ import annotations

import os

from burrow._fast import Record
from burrow.errors import LockError
from burrow.packages import requirement_text
from burrow.packages.requirement_text import is_url, url_to_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

    from packaging.requirements import Requirement

# The hash algorithms pip accepts after --hash (md5 and sha1 prove nothing).
STRONG_HASHES = ("sha256", "sha384", "sha512")

# option -> (canonical name, takes a value, allowed on a requirement line)
_OPTIONS: Dict[str, Tuple[str, bool, bool]] = {
    "-r": ("requirement", True, False),
    "--requirement": ("requirement", True, False),
    "-c": ("constraint", True, False),
    "--constraint": ("constraint", True, False),
    "-e": ("editable", True, False),
    "--editable": ("editable", True, False),
    "-i": ("index-url", True, False),
    "--index-url": ("index-url", True, False),
    "--extra-index-url": ("extra-index-url", True, False),
    "--no-index": ("no-index", False, False),
    "-f": ("find-links", True, False),
    "--find-links": ("find-links", True, False),
    "--no-binary": ("no-binary", True, False),
    "--only-binary": ("only-binary", True, False),
    "--prefer-binary": ("prefer-binary", False, False),
    "--require-hashes": ("require-hashes", False, False),
    "--pre": ("pre", False, False),
    "--trusted-host": ("trusted-host", True, False),
    "--use-feature": ("use-feature", True, False),
    "--hash": ("hash", True, True),
    "--config-settings": ("config-settings", True, True),
    "--global-option": ("global-option", True, True),
}


class Line(Record, frozen=True, unhashed=("hashes",)):
    """One requirement of a file, e.g. `Line(name="flask", specifier="==3.0.0", ...)`.

    `url` is the direct reference when there is one (a `file://` URL for local paths, which
    also fill `path`, made absolute). `hashes` maps an algorithm to its accepted digests,
    e.g. `{"sha256": ["9bb4..."]}`. `origin` says where the line is: `requirements.txt:12`.
    """

    name: Optional[str]  # as written, e.g. "Flask"; None for an unnamed sdist, URL or dir
    extras: Tuple[str, ...]
    specifier: str  # e.g. ">=2,<3"; "" when none
    marker: Optional[str]  # e.g. 'python_version < "3.10"'
    hashes: Dict[str, List[str]]
    url: Optional[str]
    path: Optional[str]
    editable: bool
    origin: str
    text: str  # the line as read (continuations joined, comment dropped), for messages
    config_settings: Tuple[str, ...] = ()  # --config-settings KEY=VALUE, as given

    @property
    def requirement(self) -> Optional[Requirement]:
        """The line as a PEP 508 requirement (`name @ url` for direct references)."""
        if self.name is None:
            return None
        from packaging.requirements import Requirement

        text = self.name
        if self.extras:
            text += "[" + ",".join(self.extras) + "]"
        text += f" @ {self.url} " if self.url else self.specifier
        if self.marker:
            text += f" ; {self.marker}"
        return Requirement(text)


class FileOptions(Record):
    """What the files say about where and how to find packages, merged as pip does."""

    index_url: Optional[str] = None  # the last one read
    extra_index_urls: List[str]  # read since then: pip's --index-url drops earlier ones
    no_index: bool = False
    find_links: List[str]  # paths made absolute when they exist
    no_binary: Set[str]  # canonical names or ":all:"
    only_binary: Set[str]
    binary_choices: List[Tuple[str, str]]  # as read, e.g. [("no-binary", ":all:")]
    prefer_binary: bool = False
    require_hashes: bool = False
    pre: bool = False
    trusted_hosts: List[str]

    @classmethod
    def empty(cls) -> FileOptions:
        return cls(extra_index_urls=[], find_links=[], no_binary=set(), only_binary=set(),
                   binary_choices=[], trusted_hosts=[])  # fmt: skip

    def merge(self, other: FileOptions) -> None:
        """Take in a later file's options as pip does: its index-url wins (and drops the
        extra indexes read before it), lists grow (a URL given twice is kept once, in
        first place), binary choices apply in turn, flags add up."""
        if other.index_url is not None:
            self.index_url = other.index_url
            self.extra_index_urls.clear()
        for mine, theirs in (
            (self.extra_index_urls, other.extra_index_urls),
            (self.find_links, other.find_links),
            (self.trusted_hosts, other.trusted_hosts),
        ):
            mine += [value for value in theirs if value not in mine]
        self.no_index = self.no_index or other.no_index
        for kind, value in other.binary_choices:
            self.choose_binary(kind, value)
        self.prefer_binary = self.prefer_binary or other.prefer_binary
        self.require_hashes = self.require_hashes or other.require_hashes
        self.pre = self.pre or other.pre

    def choose_binary(self, kind: str, value: str, origin: str = "") -> None:
        """Apply one `--no-binary` / `--only-binary` value (kind 'no-binary' or
        'only-binary') after those read before it."""
        target = self.no_binary if kind == "no-binary" else self.only_binary
        other = self.only_binary if kind == "no-binary" else self.no_binary
        binary_choice(value, target, other, origin)
        self.binary_choices.append((kind, value))


def binary_sets(choices: Iterable[Tuple[str, str]]) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(no_binary, only_binary) after pip's choices in turn, e.g. for
    [("no-binary", ":all:"), ("only-binary", "numpy")]: ({":all:"}, {"numpy"})."""
    options = FileOptions.empty()
    for kind, value in choices:
        options.choose_binary(kind, value, f"--{kind}")
    return frozenset(options.no_binary), frozenset(options.only_binary)


class RequirementsFile(Record):
    """A requirements file with its includes read: `parse_file("requirements.txt")`."""

    requirements: List[Line]
    constraints: List[Line]
    options: FileOptions
    files: List[str]  # every file read, top file first

    @classmethod
    def empty(cls) -> RequirementsFile:
        return cls(requirements=[], constraints=[], options=FileOptions.empty(), files=[])


def parse_file(
    path: str | os.PathLike[str],
    *,
    constraint: bool = False,
    environ: Mapping[str, str] | None = None,
    extras: Sequence[str] = (),
) -> RequirementsFile:
    """Read a requirements file (or a constraints file) and everything it includes. A
    project's ``pyproject.toml`` gives its dependencies, and those of its ``extras``."""
    result = RequirementsFile.empty()
    _Reader(result, os.environ if environ is None else environ, extras).read(
        os.fspath(path), constraint, ()
    )
    return result


def parse_line(
    text: str, origin: str = "<line>", *, environ: Mapping[str, str] | None = None
) -> Line:
    """One requirement line, e.g. `parse_line("flask==3.0 --hash=sha256:...")`."""
    result = RequirementsFile.empty()
    reader = _Reader(result, os.environ if environ is None else environ)
    reader.line(_expand(text, reader.environ), origin, "<line>", False, ())
    found = result.requirements
    if len(found) != 1:
        raise LockError(f"{origin}: not a requirement: {text.strip()!r}")
    return found[0]


def is_pinned(line: Line) -> bool:
    """Whether a line names one exact version: `==1.2` (no wildcard), `===1.2`, or a direct
    URL or path with a hash."""
    if line.url is not None:
        return bool(line.hashes)
    parts = [part.strip() for part in line.specifier.split(",") if part.strip()]
    if len(parts) != 1:
        return False
    spec = parts[0]
    if spec.startswith("==="):
        return True
    return spec.startswith("==") and not spec.endswith(".*")


# --------------------------------------------------------------------------- reading


class _Reader:
    def __init__(
        self, result: RequirementsFile, environ: Mapping[str, str], extras: Sequence[str] = ()
    ) -> None:
        self.result = result
        self.environ = environ
        self.extras = extras

    def read(
        self, location: str, constraint: bool, chain: Tuple[str, ...], where: str = ""
    ) -> None:
        key = location if is_url(location) else os.path.abspath(location)
        if key in chain:
            raise LockError(f"{where}: {location} includes itself (through {' -> '.join(chain)})")
        self.result.files.append(location)
        from burrow.packages import pyproject

        if not is_url(location) and pyproject.is_pyproject(location):
            target = self.result.constraints if constraint else self.result.requirements
            for number, text in pyproject.requirements(location, self.extras):
                target.append(_requirement(text, [], f"{location}:{number}", text, editable=False))
            return
        text = _read_text(location, where)
        for number, line in _logical_lines(text):
            self.line(_expand(line, self.environ), f"{location}:{number}", location, constraint,
                      (*chain, key))  # fmt: skip

    def line(
        self, text: str, origin: str, location: str, constraint: bool, chain: Tuple[str, ...]
    ) -> None:
        args, opts = _split_options(text, origin)
        target = self.result.constraints if constraint else self.result.requirements
        if args:
            bad = [name for name, _ in opts if not _OPTIONS_BY_NAME[name]]
            if bad:
                raise LockError(
                    f"{origin}: --{bad[0]} cannot follow a requirement; put it on a line of "
                    f"its own: {text!r}"
                )
            target.append(_requirement(args, opts, origin, text, editable=False))
            return
        if any(name == "index-url" for name, _ in opts):
            # pip: an --index-url line replaces every index so far, the extra ones read
            # before it too (an --extra-index-url on the same line still counts).
            self.result.options.extra_index_urls.clear()
        for name, value in opts:
            if name in ("hash", "config-settings", "global-option"):
                raise LockError(f"{origin}: --{name} without a requirement before it: {text!r}")
            if name == "editable":
                target.append(_requirement(value, [], origin, text, editable=True))
            elif name in ("requirement", "constraint"):
                self.read(_include(location, value), name == "constraint", chain, origin)
            else:
                _set_option(self.result.options, name, value, location, origin)


_OPTIONS_BY_NAME = {name: on_req for name, _, on_req in _OPTIONS.values()}


def _read_text(location: str, origin: str) -> str:
    """The decoded text of a requirements file (BOM honoured, else UTF-8)."""
    import codecs

    where = f"{origin}: " if origin else ""
    if location.lower().startswith(("http:", "https:")):
        raise LockError(f"{where}cannot read {location}: only local files and file:// URLs")
    path = url_to_path(location) if location.lower().startswith("file:") else location
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LockError(f"{where}cannot read requirements file {location}: {reason}") from None
    for bom, encoding in (
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF16_LE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LockError(f"{location}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """(first line number, text) per logical line: continuations joined, comments dropped."""
    import re

    comment = re.compile(r"(^|\s+)#.*$")
    pending: List[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        # A comment line ends a continuation, as in pip, and is dropped below.
        if line.endswith("\\") and not comment.match(line):
            if not pending:
                first = number
            pending.append(line.strip("\\"))
            continue
        if comment.match(line):
            line = " " + line
        if pending:
            pending.append(line)
            joined, pending = "".join(pending), []
            number = first
        else:
            joined = line
        joined = comment.sub("", joined).strip()
        if joined:
            yield number, joined
    if pending:
        joined = comment.sub("", "".join(pending)).strip()
        if joined:
            yield first, joined


def _expand(line: str, environ: Mapping[str, str]) -> str:
    """`${NAME}` replaced by its value when set and not empty (upper case names only)."""
    if "${" not in line:
        return line
    import re

    def value(match: re.Match[str]) -> str:
        return environ.get(match.group(1)) or match.group(0)

    return re.sub(r"\$\{([A-Z0-9_]+)\}", value, line)


def _split_options(text: str, origin: str) -> Tuple[str, List[Tuple[str, str]]]:
    """The requirement part of a line and its options, e.g. ('a==1', [('hash', 'sha256:..')])."""
    import shlex

    # As pip: the requirement runs up to the first word starting with '-' (markers would
    # not survive shell-style splitting); the rest is options.
    tokens = text.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            args, rest = " ".join(tokens[:i]), " ".join(tokens[i:])
            break
    else:
        return text, []
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise LockError(f"{origin}: cannot split the options of {text!r}: {exc}") from None
    options: List[Tuple[str, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            raise LockError(f"{origin}: unexpected {word!r} in {text!r}")
        spelled, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if not word.startswith("--") and len(word) > 2:  # -rfile.txt
            spelled, eq, value = word[:2], "=", word[2:]
        name, takes_value = _option(spelled, origin, text)
        if takes_value and not eq:
            if i >= len(words):
                raise LockError(f"{origin}: {spelled} needs a value: {text!r}")
            value = words[i]
            i += 1
        elif not takes_value and eq:
            raise LockError(f"{origin}: {spelled} takes no value: {text!r}")
        options.append((name, value))
    return args.strip(), options


def _option(spelled: str, origin: str, text: str) -> Tuple[str, bool]:
    """(name, takes a value) of an option; long options may be abbreviated, as in optparse."""
    if spelled in _OPTIONS:
        name, takes_value, _ = _OPTIONS[spelled]
        return name, takes_value
    if spelled.startswith("--"):
        matches = {_OPTIONS[o][0] for o in _OPTIONS if o.startswith(spelled) and o[1] == "-"}
        if len(matches) == 1:
            option = next(o for o in _OPTIONS if o.startswith(spelled) and o[1] == "-")
            return _OPTIONS[option][0], _OPTIONS[option][1]
        if matches:
            raise LockError(f"{origin}: ambiguous option {spelled} in {text!r}")
    raise LockError(f"{origin}: unknown option {spelled} in {text!r}")


def _include(location: str, target: str) -> str:
    """Where an -r/-c include is: relative to the including file, or a URL as given."""
    if is_url(location):
        from urllib.parse import urljoin

        return urljoin(location, target)
    if is_url(target):
        return target
    return os.path.join(os.path.dirname(location), target)


def _set_option(options: FileOptions, name: str, value: str, location: str, origin: str) -> None:
    if name == "index-url":
        options.index_url = value
    elif name == "extra-index-url":
        options.extra_index_urls.append(value)
    elif name == "no-index":
        options.no_index = True
    elif name == "find-links":
        # pip: a find-links path relative to the requirements file wins when it exists.
        beside = os.path.join(os.path.dirname(location), value)
        if not is_url(value) and not is_url(location) and os.path.exists(beside):
            value = os.path.abspath(beside)
        options.find_links.append(value)
    elif name in ("no-binary", "only-binary"):
        options.choose_binary(name, value, origin)
    elif name == "prefer-binary":
        options.prefer_binary = True
    elif name == "require-hashes":
        options.require_hashes = True
    elif name == "pre":
        options.pre = True
    elif name == "trusted-host":
        options.trusted_hosts.append(value)
    # --use-feature names pip features; they do not change what is installed here.


def binary_choice(value: str, target: set[str], other: set[str], origin: str) -> None:
    """pip's --no-binary/--only-binary: names (comma separated), ':all:' or ':none:'.

    ':all:' empties both sets; names after it count only when a ':none:' follows."""
    from packaging.utils import canonicalize_name

    if value.startswith("-"):
        raise LockError(f"{origin}: --no-binary/--only-binary need a value, got {value!r}")
    names = value.split(",")
    while ":all:" in names:
        other.clear()
        target.clear()
        target.add(":all:")
        names = names[names.index(":all:") + 1 :]
        if ":none:" not in names:
            return
    for name in names:
        if name == ":none:":
            target.clear()
        elif name:
            canonical = canonicalize_name(name)
            other.discard(canonical)
            target.add(canonical)


# --------------------------------------------------------------------------- one requirement


def _requirement(
    text: str, opts: List[Tuple[str, str]], origin: str, line_text: str, *, editable: bool
) -> Line:
    hashes: Dict[str, List[str]] = {}
    settings: List[str] = []
    for name, value in opts:
        if name == "hash":
            algorithm, colon, digest = value.partition(":")
            if not colon or not digest:
                raise LockError(
                    f"{origin}: --hash must be a hash name and a value, like "
                    f"--hash=sha256:abcd..., not {value!r}"
                )
            if algorithm not in STRONG_HASHES:
                raise LockError(
                    f"{origin}: --hash algorithm {algorithm!r} is not one of "
                    f"{', '.join(STRONG_HASHES)}"
                )
            hashes.setdefault(algorithm, []).append(digest.lower())
        elif name == "config-settings":
            settings.append(value)
    parse = requirement_text.editable if editable else requirement_text.plain
    parts = parse(text, origin, line_text)
    return Line(
        name=parts.name,
        extras=parts.extras,
        specifier=parts.specifier,
        marker=parts.marker,
        hashes=hashes,
        url=parts.url,
        path=parts.path,
        editable=editable,
        origin=origin,
        text=line_text,
        config_settings=tuple(settings),
    )
