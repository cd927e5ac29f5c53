"""pip's settings that burrow honours (indexes, find-links, trusted hosts, certificates,
proxy, timeout, binary choices, constraint files), read from pip's config files and `PIP_*`
variables as pip reads them; then a command line's and requirements files' options put
over them, in pip's order.

    pip_config().index_urls  # ('https://pypi.org/simple/',)
    pip_constraints()        # ('constraints.txt',) from `constraint =` or PIP_CONSTRAINT
"""

from __future__ import annotations

import os
import sys

from burrow._fast import Record, getLogger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from burrow.packages.requirements import FileOptions

logger = getLogger(__name__)

DEFAULT_INDEX = "https://pypi.org/simple/"
# pip accepts several spellings for some options; the last one read wins, as in pip.
_ALIASES = {"default-timeout": "timeout"}


class IndexConfig(Record, frozen=True):
    """Where pip looks for packages, e.g. index_urls=("https://pypi.org/simple/",)."""

    index_urls: tuple[str, ...]  # index-url first, then extra-index-urls
    find_links: tuple[str, ...]  # directories, HTML files or URLs
    cert: str | None = None  # CA bundle (file or directory) for https
    timeout: float = 15.0
    no_index: bool = False  # pip's no-index: no later -i or --extra-index-url adds one
    trusted_hosts: tuple[str, ...] = ()  # 'host' or 'host:port': TLS unchecked, http fine
    client_cert: str | None = None  # a PEM file holding the client's key and certificate
    proxy: str | None = None  # for http and https, unless the environment names one

    def with_command_line(
        self,
        *,
        index_url: str | None = None,
        extra_index_urls: Iterable[str] = (),
        no_index: bool = False,
        find_links: Iterable[str] = (),
        trusted_hosts: Iterable[str] = (),
    ) -> IndexConfig:
        """This config with a command line's options, as pip takes them: `-i` replaces
        the configured index-url only, the lists add to the configured ones."""
        no_index = no_index or self.no_index
        urls = list(self.index_urls)
        if not no_index:
            if index_url is not None:
                urls[:1] = [index_url]
            urls += extra_index_urls
        return self.replace(
            index_urls=() if no_index else tuple(dict.fromkeys(urls)),
            no_index=no_index,
            find_links=tuple(dict.fromkeys([*self.find_links, *find_links])),
            trusted_hosts=tuple(dict.fromkeys([*self.trusted_hosts, *trusted_hosts])),
        )

    def with_file_options(self, options: FileOptions) -> IndexConfig:
        """This config with requirements files' options, as pip applies them: a file's
        `--index-url` replaces every index so far (configured ones and the command
        line's too), and none is added once no-index is set anywhere."""
        no_index = self.no_index or options.no_index
        if no_index:
            urls: list[str] = []
        elif options.index_url is not None:
            urls = [options.index_url, *options.extra_index_urls]
        else:
            urls = [*self.index_urls, *options.extra_index_urls]
        return self.replace(
            index_urls=tuple(dict.fromkeys(urls)),
            no_index=no_index,
            find_links=tuple(dict.fromkeys([*self.find_links, *options.find_links])),
            trusted_hosts=tuple(dict.fromkeys([*self.trusted_hosts, *options.trusted_hosts])),
        )


def pip_config(environ: Mapping[str, str] | None = None) -> IndexConfig:
    """Read pip's index settings from its config files and `PIP_*` variables, as pip does."""
    env = os.environ if environ is None else environ
    options = dict(_items(env))
    no_index = _truthy(options.get("no-index", ""))
    index_urls: list[str] = []
    if not no_index:
        index_urls.append(options.get("index-url", "").strip() or DEFAULT_INDEX)
        index_urls.extend(options.get("extra-index-url", "").split())
    # As pip (through requests): a CA bundle named by the environment wins over `cert`.
    cert = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or options.get("cert")
    return IndexConfig(
        index_urls=tuple(dict.fromkeys(index_urls)),
        find_links=tuple(options.get("find-links", "").split()),
        cert=_path(cert),
        timeout=_timeout(options.get("timeout")),
        no_index=no_index,
        trusted_hosts=tuple(options.get("trusted-host", "").split()),
        client_cert=_path(options.get("client-cert")),
        proxy=options.get("proxy", "").strip() or None,
    )


def pip_binary_choices(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """pip's configured `no-binary` / `only-binary` values in the order pip applies them,
    e.g. [('no-binary', ':all:'), ('only-binary', 'numpy')]: each may clear the other's."""
    items = _items(os.environ if environ is None else environ)
    return [(key, value) for key, value in items if key in ("no-binary", "only-binary")]


def pip_constraints(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The constraint files pip applies to every install (`constraint`, `PIP_CONSTRAINT`).

    Paths as configured, e.g. ('constraints.txt',): pip reads them as `-c` files.
    """
    options = dict(_items(os.environ if environ is None else environ))
    return tuple(options.get("constraint", "").split())


def _items(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """pip's settings for `pip install` in the order it applies them, later ones winning,
    e.g. [('index-url', '...'), ('timeout', '30')]."""
    # pip merges files per "section.key" (later files win), then orders by section:
    # [global] < [install] < environment, so [install] in any file beats [global] in any.
    merged: dict[tuple[str, str], str] = {}
    for path in config_files(env):
        for section, key, value in _read_config_file(path):
            merged[section, key] = value
    items: list[tuple[str, str]] = []
    for section in ("global", "install"):
        items += [(key, value) for (where, key), value in merged.items() if where == section]
    for name, value in env.items():
        if name.startswith("PIP_") and name not in ("PIP_VERSION", "PIP_HELP"):
            key = name[4:].lower().replace("_", "-")
            items.append((_ALIASES.get(key, key), value))
    # pip skips empty values: they neither set an option nor clear one set before.
    return [(key, value) for key, value in items if value]


def config_files(env: Mapping[str, str]) -> list[str]:
    """pip's config files, lowest precedence first, e.g. `['/etc/xdg/pip/pip.conf', ...]`."""
    config_file = env.get("PIP_CONFIG_FILE", "")
    if config_file == os.devnull:
        return []
    home = env.get("HOME") or os.path.expanduser("~")
    files = _global_config_files(env)
    # pip skips the user's files when PIP_CONFIG_FILE names an existing file.
    if not (config_file and os.path.exists(config_file)):
        files += _user_config_files(env, home)
    if config_file:
        files.append(config_file)
    return files


def _global_config_files(env: Mapping[str, str]) -> list[str]:
    join = os.path.join
    if sys.platform == "win32":
        program_data = env.get("PROGRAMDATA") or env.get("ALLUSERSPROFILE") or r"C:\ProgramData"
        return [join(program_data, "pip", "pip.ini")]
    if sys.platform == "darwin":
        return ["/Library/Application Support/pip/pip.conf"]
    dirs = [d for d in env.get("XDG_CONFIG_DIRS", "").split(os.pathsep) if d] or ["/etc/xdg"]
    return [*(join(d, "pip", "pip.conf") for d in dirs), "/etc/pip.conf"]


def _user_config_files(env: Mapping[str, str], home: str) -> list[str]:
    join = os.path.join
    if sys.platform == "win32":
        app_data = env.get("APPDATA") or join(home, "AppData", "Roaming")
        return [join(home, "pip", "pip.ini"), join(app_data, "pip", "pip.ini")]
    legacy = join(home, ".pip", "pip.conf")
    if sys.platform == "darwin":
        app_support = join(home, "Library", "Application Support", "pip")
        new_dir = app_support if os.path.isdir(app_support) else join(home, ".config", "pip")
        return [legacy, join(new_dir, "pip.conf")]
    config_home = env.get("XDG_CONFIG_HOME") or join(home, ".config")
    return [legacy, join(config_home, "pip", "pip.conf")]


def _read_config_file(path: str) -> list[tuple[str, str, str]]:
    """(section, option, value) triples of one pip.conf, option names as pip normalizes them."""
    if not os.path.isfile(path):  # as configparser skips it, without importing it
        return []
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        logger.warning("ignoring unreadable pip config file %s: %s", path, exc)
        return []
    triples = []
    for section in parser.sections():
        for key, value in parser.items(section):
            name = key.lower().replace("_", "-")
            triples.append((section, _ALIASES.get(name, name), value))
    return triples


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "y", "yes", "t", "true", "on")


def _path(value: str | None) -> str | None:
    value = (value or "").strip()
    return os.path.expanduser(value) if value else None


def _timeout(value: str | None) -> float:
    if value is None or not value.strip():
        return 15.0
    try:
        return float(value)
    except ValueError:
        logger.warning("ignoring invalid pip timeout %r; using 15 seconds", value)
        return 15.0
