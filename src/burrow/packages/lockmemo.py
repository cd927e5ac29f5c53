"""A warm `burrow lock` answered by its last resolution, while nothing it read has changed.

    memo = Memo(session.cache_root(), requirements, constraints, target, options, purpose="lock")
    found = memo.load()  # (Resolution, {name: [sha256, ...]}), or None
    if found is None:
        ...  # resolve with `session = RecordingIndex(config)`, then hash the files
        memo.store(resolution, hashes, session)

A resolution is a function of its inputs (the requirement and constraint lines, the
options with a previous lock's pins, the target's tags and markers, burrow's own code) and
of the index pages it read: metadata and evaluated dependencies are cached by each file's
sha256, which the pages name. So the memo is keyed by the inputs, and holds a validator of
every page source the resolution read, taken *before* the page was read:

- a `file://` page or find-links file: its mtime and size; a page that was not there must
  still be missing;
- a find-links directory: its mtime (a file added or removed) and each of its files for
  the project (a file replaced in place);
- an http(s) page: its entry in the HTTP cache, unchanged and still fresh (before the
  `max-age` the server gave runs out). A page revalidated or fetched by this resolution
  is only trusted by the next run, once its entry reads the same before and after.

Anything it cannot check (a file named by an http URL without a hash, an editable or
local project) stores no memo. A memo is only a faster way to the same answer: the
stored key material is compared in full, and any doubt falls back to resolving.

`burrow install` and unpinned `create -r` (`install.resolved_wheels`) keep memos too,
under keys of their own (their options differ from a lock's; an env's installed versions
are among them), and no `Front`.

The key is made of parsed lines, and parsing imports `packaging`, which would cost a
remembered lock most of its time. So a second record, `Front`, keyed by the call itself
and holding the text of every file the inputs came from, leads to the memo before
anything is parsed (`locking.lock` tries it first).
"""

from __future__ import annotations

import json
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from burrow._fast import Record, getLogger
from burrow.packages.index import Index
from burrow.packages.pages import Link

#: The remembered resolutions, under the index cache (`index.CACHE_FOLDER`).
CACHE_FOLDER = "resolutions-v1"

if TYPE_CHECKING:
    from burrow.packages.candidates import Target
    from burrow.packages.index import Project
    from burrow.packages.requirements import Line
    from burrow.packages.resolve import Options, Resolution

logger = getLogger(__name__)

_FORMAT = 2
# ["stat", path, mtime_ns, size], ["absent", path], ["dir", path, mtime_ns],
# ["http", url, cache path, mtime_ns, size] -> ["fresh", cache path, mtime_ns, size, expires]
Stamp = List[Any]


class RecordingIndex(Index):
    """An `Index` session that notes a validator of each page source before reading it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stamps: Dict[str, Optional[List[Stamp]]] = {}
        self._stamps_lock = threading.Lock()

    def _read_project(self, name: str) -> Project:
        stamps = _source_stamps(self, name)
        with self._stamps_lock:
            self.stamps[name] = stamps
        return super()._read_project(name)


class Memo:
    """The memo of one set of inputs, in the index cache's `resolutions-v1` folder."""

    def __init__(
        self,
        root: Optional[str],
        requirements: Sequence[Line],
        constraints: Sequence[Line],
        target: Target,
        options: Options,
        previous: Optional[List[Any]] = None,
        *,
        purpose: str,
    ) -> None:
        # `purpose`: "lock" keeps every file's hash; "install" only the pages' (its own memo).
        self.material = _key_material(requirements, constraints, target, options, previous, purpose)
        self.path: Optional[str] = None
        self.direct = [line.url for line in [*requirements, *constraints] if line.url]
        if root is not None and self.material is not None:
            key = _name(self.material)
            self.path = os.path.join(root, CACHE_FOLDER, key[:2], key + ".json")
        # Files named by direct URLs, checked before the resolution reads them.
        self.before = _file_stamps(self.direct)

    def load(self) -> Optional[Tuple[Resolution, Dict[str, List[str]]]]:
        """The stored answer when its inputs match and every validator still holds."""
        return _answer(self.path, self.material)

    def store(self, resolution: Resolution, hashes: Dict[str, List[str]], session: Index) -> None:
        """Keep the answer, unless something it read cannot be checked next time."""
        if self.path is None or not isinstance(session, RecordingIndex):
            return
        stamps = _validators(resolution, session, self.before)
        if stamps is None:
            logger.debug("no resolution memo: a source cannot be checked")
            return
        entry = {
            "material": self.material,
            "stamps": stamps,
            "resolution": _plain_resolution(resolution),
            "hashes": hashes,
        }
        try:
            _write(self.path, entry)
        except OSError as exc:
            logger.debug("could not keep %s: %s", self.path, exc)


class Front:
    """The way to a memo without parsing anything (so without importing `packaging`): the
    call's arguments, working directory and `PIP_*` variables, and the text of every file
    its inputs came from (requirement, constraint and included files, pip's config files,
    the previous lock), pointing at the memo those inputs were keyed to.

        front = Front(root, {"requirements": ["requirements.in"], ...})
        found = front.load()  # (Resolution, hashes, header option lines), or None
    """

    def __init__(self, root: Optional[str], call: Dict[str, Any]) -> None:
        environ = sorted((k, v) for k, v in os.environ.items() if k.startswith("PIP_"))
        key = {"format": _FORMAT, "code": _code_stamp(), "cwd": os.getcwd(), "call": call}
        self.key = json.dumps({**key, "environ": environ}, sort_keys=True, default=_plain)
        self.path: Optional[str] = None
        if root is not None:
            self.path = os.path.join(root, CACHE_FOLDER, "calls", _name(self.key) + ".json")

    def load(self) -> Optional[Tuple[Resolution, Dict[str, List[str]], List[str]]]:
        """The memo's answer and the lock's option lines, when no file changed."""
        entry = _read_json(self.path)
        if entry is None or entry.get("key") != self.key:
            return None
        try:
            if any(_read_text(path) != text for path, text in entry["files"]):
                logger.debug("resolution memo: an input file changed")
                return None
            found = _answer(entry["memo"], entry["material"])
            return None if found is None else (*found, list(entry["header"]))
        except (KeyError, TypeError, ValueError):  # not a record this burrow wrote
            return None

    def store(
        self,
        files: Sequence[str],
        read: Dict[str, Optional[str]],
        header: Sequence[str],
        memo: Memo,
        same_inputs: Callable[[], bool],
    ) -> None:
        """Point at `memo` from the text of `files` (`read`: texts the inputs were built
        from), if a fresh reading of the inputs (`same_inputs`) still gives what was
        resolved, and the files read the same before and after it."""
        if self.path is None or memo.path is None or not os.path.exists(memo.path):
            return
        texts = {path: _read_text(path) for path in dict.fromkeys(files)}
        if any(texts.get(path, text) != text for path, text in read.items()):
            return
        # `${VAR}` in a requirements file reads the environment: no shortcut then.
        if any(text is not None and "${" in text for text in texts.values()):
            return
        if not same_inputs() or any(_read_text(p) != text for p, text in texts.items()):
            return
        entry = {
            "key": self.key,
            "files": sorted(texts.items()),
            "header": list(header),
            "memo": memo.path,
            "material": memo.material,
        }
        try:
            _write(self.path, entry)
        except OSError as exc:
            logger.debug("could not keep %s: %s", self.path, exc)


def config_files() -> List[str]:
    """pip's config files as this environment names them (read or not)."""
    from burrow.packages.pipconfig import config_files

    return [str(path) for path in config_files(os.environ)]


def _answer(
    path: Optional[str], material: Optional[str]
) -> Optional[Tuple[Resolution, Dict[str, List[str]]]]:
    """The memo at `path` when its key is `material` and every validator still holds."""
    entry = _read_json(path)
    if entry is None or material is None or entry.get("material") != material:
        return None
    try:
        if not all(_holds(stamp) for stamp in entry["stamps"]):
            logger.debug("resolution memo %s: a page changed", path)
            return None
        # Nothing logged here: the first message imports logging, which a hit never needs.
        return _resolution_of(entry["resolution"]), dict(entry["hashes"])
    except (KeyError, IndexError, TypeError, ValueError):  # not a memo this burrow wrote
        return None


def _read_json(path: Optional[str]) -> Optional[Dict[str, Any]]:
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            entry = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except OSError:
        return None


def _write(path: str, entry: Dict[str, Any]) -> None:
    from burrow.packages.httpcache import write_atomic

    write_atomic(path, json.dumps(entry, separators=(",", ":")).encode())


def _name(key: str) -> str:
    """A file name for a key (each file holds its whole key, compared on load): two cheap
    checksums, where hashlib's import costs more."""
    import zlib

    data = key.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


# --------------------------------------------------------------------------- the key


def _key_material(
    requirements: Sequence[Line],
    constraints: Sequence[Line],
    target: Target,
    options: Options,
    previous: Optional[List[Any]],
    purpose: str,
) -> Optional[str]:
    """Everything the answer depends on besides the pages, as canonical JSON; None when an
    input is a local project (editable or a directory) whose files would all need checking,
    or a previous lock (`previous`: its text, -P names) includes other files."""
    for line in [*requirements, *constraints]:
        if line.editable or (line.path is not None and os.path.isdir(line.path)):
            return None
    if previous is not None and any(
        line.lstrip().startswith(("-r", "-c", "--requirement", "--constraint"))
        for line in str(previous[0]).splitlines()
    ):
        return None
    material = {
        "format": _FORMAT,
        "code": _code_stamp(),
        "requirements": [_plain(line) for line in requirements],
        "constraints": [_plain(line) for line in constraints],
        "target": _plain(target),
        "options": _plain(options),
        "previous": previous,
        "purpose": purpose,
    }
    return json.dumps(material, sort_keys=True, separators=(",", ":"))


def _code_stamp() -> List[Any]:
    """burrow's version, and the mtime and size of the modules that decide an answer, so
    that a changed burrow (or resolvelib, or packaging) never reuses an older answer."""
    import importlib.util

    import packaging

    import burrow

    here = os.path.dirname(os.path.abspath(__file__))
    found: List[Any] = [burrow.__version__, packaging.__version__]
    spec = importlib.util.find_spec("resolvelib")
    folders = [here, os.path.dirname(spec.origin)] if spec and spec.origin else [here]
    for folder in folders:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    st = entry.stat()
                    found.append([entry.name, st.st_mtime_ns, st.st_size])
    return found


def _plain(value: Any) -> Any:
    """A record, set or mapping as JSON-ready values in a stable order."""
    if isinstance(value, Record):
        return {name: _plain(getattr(value, name)) for name in value._fields}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- validators


def _source_stamps(index: Index, name: str) -> Optional[List[Stamp]]:
    """A validator for each place `index` reads `name`'s files from; None when one of them
    cannot be checked cheaply (an http page not yet in the HTTP cache, a remote file)."""
    from urllib.parse import urlsplit

    from burrow.packages.pages import is_dist_name
    from burrow.packages.urls import file_path

    stamps: List[Stamp] = []
    for index_url in index.config.index_urls:
        stamp = _page_stamp(index, index_url.rstrip("/") + "/" + name + "/")
        if stamp is None:
            return None
        stamps.append(stamp)
    for location in index.config.find_links:
        scheme = urlsplit(location).scheme.lower()
        if scheme in ("http", "https"):
            stamp = None if is_dist_name(urlsplit(location).path) else _page_stamp(index, location)
            if stamp is None:
                return None
            stamps.append(stamp)
            continue
        path = str(file_path(location) if scheme == "file" else os.path.expanduser(location))
        if os.path.isdir(path):
            stamps += _directory_stamps(path, name)
        else:
            stamps.append(_stat(path))
    return stamps


def _page_stamp(index: Index, url: str) -> Optional[Stamp]:
    """A page's validator: the file of a `file://` page, the HTTP cache entry of another."""
    from burrow.packages.httpcache import PageCache
    from burrow.packages.urls import file_path

    if url.lower().startswith("file:"):
        path = file_path(url)
        return _stat(str(path / "index.html" if path.is_dir() else path))
    cache = PageCache(index.cache_root(), url)
    if cache.path is None:
        return None
    stamp = _stat(cache.path)
    return None if stamp[0] == "absent" else ["http", url, *stamp[1:]]


def _directory_stamps(path: str, name: str) -> List[Stamp]:
    """A find-links directory's mtime, and the stat of each file that may be `name`'s."""
    from packaging.utils import canonicalize_name

    stamps: List[Stamp] = [["dir", path, os.stat(path).st_mtime_ns]]
    prefix = name + "-"
    for entry in sorted(os.listdir(path)):
        if canonicalize_name(entry).startswith(prefix):
            stamps.append(_stat(os.path.join(path, entry)))
    return stamps


def _stat(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return ["absent", path]
    return ["stat", path, st.st_mtime_ns, st.st_size]


def _file_stamps(urls: Sequence[Optional[str]]) -> Optional[List[Stamp]]:
    """The stat of each `file://` URL; None when one is remote (it cannot be checked)."""
    from burrow.packages.urls import file_path

    stamps = []
    for url in urls:
        if url is None:
            continue
        if not url.lower().startswith("file:"):
            return None
        stamps.append(_stat(str(file_path(url))))
    return stamps


def _validators(
    resolution: Resolution, session: RecordingIndex, before: Optional[List[Stamp]]
) -> Optional[List[Stamp]]:
    """Every validator of what `resolution` read, http pages made ["fresh", ...]; None when
    something cannot be checked."""
    import time

    from burrow.packages.httpcache import PageCache

    if before is None:
        return None
    # Files without a sha256 on their page were hashed (or read for metadata) from disk.
    unhashed = [link.url for pin in resolution.pins for link in pin.links if not link.sha256]
    direct = [pin.url for pin in resolution.pins if pin.url]
    after = _file_stamps([*unhashed, *direct])
    if after is None:
        return None
    stamps = [*before, *after]
    now = time.time()
    for found in session.stamps.values():
        if found is None:
            return None
        for stamp in found:
            if stamp[0] != "http":
                stamps.append(stamp)
                continue
            # Read before the page was, so this entry is the one the resolution used
            # unless the resolution itself renewed it (then its stat differs).
            cache = PageCache(session.cache_root(), stamp[1])
            entry = cache._load()
            if cache.path is None or entry is None or _stat(cache.path)[1:] != stamp[2:]:
                return None
            expires = float(entry.get("expires", 0))
            if expires <= now:
                return None
            stamps.append(["fresh", *stamp[2:], expires])
    return stamps


def _holds(stamp: Stamp) -> bool:
    """Whether a validator still describes the disk (and, for an http page, the clock)."""
    kind, path = str(stamp[0]), str(stamp[1])
    if kind == "absent":
        return not os.path.lexists(path)
    try:
        st = os.stat(path)
    except OSError:
        return False
    if kind == "dir":
        return bool(st.st_mtime_ns == stamp[2])
    if [st.st_mtime_ns, st.st_size] != stamp[2:4]:
        return False
    if kind == "fresh":
        import time

        return time.time() < float(stamp[4])
    return kind == "stat"


# --------------------------------------------------------------------------- the answer


def _plain_resolution(resolution: Resolution) -> Dict[str, Any]:
    return {"python": resolution.python, "pins": [_plain(pin) for pin in resolution.pins]}


def _resolution_of(data: Dict[str, Any]) -> Resolution:
    from burrow.packages.resolve import Pin, Resolution

    pins = []
    for pin in data["pins"]:
        chosen = pin["chosen"]
        pins.append(
            Pin(
                name=pin["name"],
                version=pin["version"],
                links=[Link(**link) for link in pin["links"]],
                url=pin["url"],
                extras=tuple(pin["extras"]),
                via=tuple(pin["via"]),
                requested=pin["requested"],
                chosen=Link(**chosen) if chosen is not None else None,
                editable=pin["editable"],
            )
        )
    return Resolution(pins=pins, python=data["python"])
