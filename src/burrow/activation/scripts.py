"""Write the activation scripts of an environment from the templates beside this module."""

from __future__ import annotations

import os

from burrow import fs
from burrow.activation import quoting

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs more to import than a warm create may spend
    from typing import Callable, Iterable, Mapping, Sequence

ACTIVATORS: tuple[str, ...] = (
    "posix",
    "fish",
    "csh",
    "nushell",
    "xonsh",
    "elvish",
    "powershell",
    "batch",
    "python",
)

_ALIASES: Mapping[str, str] = {
    **{name: name for name in ACTIVATORS},
    **dict.fromkeys(("sh", "bash", "zsh", "dash", "ksh", "mksh", "yash", "busybox"), "posix"),
    "tcsh": "csh",
    "nu": "nushell",
    "pwsh": "powershell",
    "ps1": "powershell",
    "cmd": "batch",
    "bat": "batch",
    "py": "python",
    "activate_this": "python",
}

# The files each activator writes; each comes from the template of the same name, but for
# activate_this.py, whose template is not Python until it is filled in.
_FILES: Mapping[str, tuple[str, ...]] = {
    "posix": ("activate",),
    "fish": ("activate.fish",),
    "csh": ("activate.csh",),
    "nushell": ("activate.nu",),
    "xonsh": ("activate.xsh",),
    "elvish": ("activate.elv",),
    "powershell": ("Activate.ps1",),
    "batch": ("activate.bat", "deactivate.bat"),
    "python": ("activate_this.py",),
}

_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
_MARK = "__BURROW_"
HEADER_MARK = "# burrow-environment "
_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


def parse_activators(text: str) -> tuple[str, ...]:
    """Canonical activator names from a comma-separated list, in ACTIVATORS order.

    Example: ``parse_activators("bash,fish")`` -> ``('posix', 'fish')``.
    """
    chosen: set[str] = set()
    for word in text.split(","):
        name = word.strip().lower()
        if not name:
            continue
        if name == "all":
            chosen.update(ACTIVATORS)
        elif name in _ALIASES:
            chosen.add(_ALIASES[name])
        else:
            valid = ", ".join(("all", *ACTIVATORS, *sorted(set(_ALIASES) - set(ACTIVATORS))))
            raise ValueError(f"unknown activator {name!r} (valid: {valid})")
    return tuple(name for name in ACTIVATORS if name in chosen)


def write_activators(
    bin_dir: str | os.PathLike[str],
    *,
    env_dir: str,
    prompt: str,
    site_packages: Sequence[str],
    relocatable: bool = False,
    names: Iterable[str] | None = None,
    windows: bool = os.name == "nt",
    identity: str | None = None,
) -> list[str]:
    """Write the activation scripts into bin_dir and return the files written.

    bin_dir may be inside a temporary directory; env_dir is the environment's final
    absolute path, embedded in the scripts. names=None writes all but, off Windows, the
    cmd.exe ones. ``identity`` is the env's id in the scripts' first line: by default the
    one the scripts there already have for env_dir, else a new random one. Example:
    ``write_activators("/tmp/x/bin", env_dir="/srv/env", prompt="env",
    site_packages=["lib/python3.12/site-packages"])``.
    """
    if names is None:
        names = tuple(n for n in ACTIVATORS if windows or n != "batch")
    bin_dir = os.fspath(bin_dir)
    if identity is None:
        # Rewritten in place (--upgrade), the env keeps its id: a shell sourcing the old
        # script meanwhile still finds its own first line there.
        header = _header_of(os.path.join(bin_dir, "activate"))
        identity = header[0] if header and header[1] == env_dir else os.urandom(16).hex()
    rendered = render_activators(
        os.path.basename(bin_dir),
        env_dir=env_dir,
        prompt=prompt,
        site_packages=site_packages,
        relocatable=relocatable,
        names=names,
        env_id=identity,
    )
    written = []
    for file_name, data in rendered:
        target = os.path.join(bin_dir, file_name)
        # Replaced, not rewritten: an env updated in place while a shell sources the
        # script, or whose script is a link to a file of the user's, stays whole.
        fs.replace_file(target, data)
        written.append(target)
    return written


def render_activators(
    bin_name: str,
    *,
    env_dir: str,
    prompt: str,
    site_packages: Sequence[str],
    relocatable: bool,
    names: Iterable[str],
    env_id: str | None = None,
) -> list[tuple[str, bytes]]:
    """The activation scripts as (file name, contents), without writing them.

    ``env_id`` is the id on their first line (see ``env_id_of``); None makes a new one.
    Example: ``render_activators("bin", env_dir="/srv/env", prompt="env",
    site_packages=[...], relocatable=True, names=["posix"])`` -> [('activate', b'...')].
    """
    identity = env_id or os.urandom(16).hex()
    values = _Values(env_dir, prompt, bin_name, site_packages, relocatable, identity)
    rendered = []
    for name in parse_activators(",".join(names)):
        for file_name in _FILES[name]:
            source = file_name + ".in" if file_name.endswith(".py") else file_name
            with open(os.path.join(_TEMPLATES, source), encoding="utf-8") as stream:
                template = stream.read()
            text = render(template, values.for_activator(name))
            if name == "batch":  # cmd.exe wants \r\n; every other shell \n
                text = text.replace("\n", "\r\n")
            rendered.append((file_name, text.encode("utf-8")))
    return rendered


def activator_files() -> Mapping[str, tuple[str, ...]]:
    """The files each activator writes, e.g. {'posix': ('activate',), ...}."""
    return _FILES


def shown(text: str) -> str:
    """``text`` on one line, for a message: what is not printable is shown escaped.

    Example: ``shown("/srv/a\nb")`` -> ``'/srv/a\\nb'``.
    """
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def written_for(script: str) -> str | None:
    """The path the activation script at ``script`` was written for, from its first line.

    None when the file says nothing of it (written by an older burrow, or not burrow's).
    Example: ``written_for("/srv/env/bin/activate")`` -> ``'/srv/env'``.
    """
    header = _header_of(script)
    return None if header is None else header[1]


def _header_of(script: str) -> tuple[str, str] | None:
    """(id, path) from the first line of an activation script, e.g. ('9f3c…', '/srv/env')."""
    try:
        with open(script, encoding="utf-8", errors="surrogateescape") as stream:
            line = stream.readline(65536).rstrip("\n")
    except OSError:
        return None
    mark, _, rest = line.partition(HEADER_MARK)
    identity, _, literal = rest.partition(" ")
    if mark or not literal:
        return None
    import ast

    try:
        path = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None
    return (identity, path) if isinstance(path, str) else None


def env_id_of(script: str) -> str | None:
    """The id on the first line of the activation script at ``script``, e.g. '9f3a…'; None
    when it has none."""
    header = _header_of(script)
    return header[0] if header else None


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace every ``__BURROW_NAME__`` in one pass, so a value is never scanned again.

    (String methods, not ``re``: importing it costs a warm ``python -m burrow create``
    more than all of its own work.)
    """
    pieces = template.split(_MARK)
    out = [pieces[0]]
    for piece in pieces[1:]:
        name, closed, rest = piece.partition("__")
        if not (closed and name) or name.strip(_NAME_CHARS):
            out.append(_MARK + piece)  # not a placeholder: keep the text as it was
            continue
        out.append(values[name] + rest)  # an unknown name is a bug in a template
    return "".join(out)


class _Values:
    """The placeholders of each template, each already quoted for its shell."""

    def __init__(
        self,
        env_dir: str,
        prompt: str,
        bin_name: str,
        site_packages: Sequence[str],
        relocatable: bool,
        identity: str,
    ) -> None:
        self.env_dir = env_dir
        self.prompt = prompt
        self.prefix = f"({prompt}) "
        self.bin_name = bin_name
        self.site_packages = list(site_packages)
        self.relocatable = relocatable
        # The scripts' first line: an id only this environment has, and where it was written
        # for. A script that cannot learn its own place checks that the bin it is about to
        # activate holds a script with this same line (and Python reads the path back).
        self.header = f"{HEADER_MARK}{identity} {env_dir!a}"
        self.pathsep_message = (
            "error: cannot activate this environment: its path contains "
            f"{os.pathsep!r}, which no PATH entry can hold; move it to a path without one"
        )

    def moved_message(self, command: str) -> str:
        """Why a script that cannot learn its place refuses, and what to run instead."""
        also = ", or activate it in bash, zsh, ksh or fish" if self.relocatable else ""
        return (
            f"error: this environment was moved from '{shown(self.env_dir)}'; to activate it"
            f" where it is now, run: {command}{also}"
        )

    def _common(self, quote: Callable[[str], str]) -> dict[str, str]:
        return {
            "VIRTUAL_ENV": quote(self.env_dir),
            "PROMPT": quote(self.prompt),
            "BIN_NAME": quote(self.bin_name),
            "RELOCATABLE": quote("1" if self.relocatable else ""),
            "HEADER_LINE": self.header,
            "HEADER": quote(self.header),
            "PATHSEP_MESSAGE": quote(self.pathsep_message),
        }

    def for_activator(self, name: str) -> dict[str, str]:
        method: Callable[[], dict[str, str]] = getattr(self, "_" + name)
        return method()

    def _posix(self) -> dict[str, str]:
        q = quoting.posix
        prefix = self.prefix
        values = self._common(q)
        values["PS1_BASH"] = q(quoting.bash_ps1(prefix, promptvars=True))
        values["PS1_BASH_NOVARS"] = q(quoting.bash_ps1(prefix, promptvars=False))
        for key in ("000", "001", "010", "011", "100", "101", "110", "111"):
            percent, subst, bang = (bit == "1" for bit in key)
            escaped = quoting.zsh_ps1(prefix, percent=percent, subst=subst, bang=bang)
            values["PS1_ZSH_" + key] = q(escaped)
        values["PS1_KSH"] = q(quoting.ksh_ps1(prefix))
        values["PS1_MKSH"] = q(quoting.mksh_ps1(prefix))
        values["PS1_YASH"] = q(quoting.yash_ps1_value(prefix))
        values["PS1_BUSYBOX"] = q(quoting.busybox_ps1(prefix))
        values["PS1_DASH"] = q(quoting.dash_ps1(prefix))
        before, _, after = self.moved_message(
            'eval "$(burrow activate NEW_PATH --shell \0)"'
        ).partition("\0")
        values["MOVED_BEFORE"] = q(before)
        values["MOVED_AFTER"] = q(after)
        return values

    def _fish(self) -> dict[str, str]:
        return self._common(quoting.fish)

    def _csh(self) -> dict[str, str]:
        values = self._common(quoting.csh)
        values["PROMPT_PREFIX"] = quoting.csh(quoting.tcsh_prompt(self.prefix))
        command = 'eval "`burrow activate NEW_PATH --shell tcsh`"'
        values["MOVED_MESSAGE"] = quoting.csh(self.moved_message(command))
        return values

    def _nushell(self) -> dict[str, str]:
        return self._common(quoting.nushell)

    def _xonsh(self) -> dict[str, str]:
        values = self._common(quoting.python)
        values["RELOCATABLE"] = repr(self.relocatable)
        values["XONSH_MESSAGE"] = quoting.python(
            "error: cannot activate this environment in xonsh: its path holds a '$NAME' or"
            " '=~', which xonsh expands in every PATH entry; move it, or use another shell"
        )
        return values

    def _elvish(self) -> dict[str, str]:
        values = self._common(quoting.elvish)
        command = "eval (burrow activate NEW_PATH --shell elvish | slurp)"
        values["MOVED_MESSAGE"] = quoting.elvish(self.moved_message(command))
        return values

    def _powershell(self) -> dict[str, str]:
        values = self._common(quoting.powershell)
        values["RELOCATABLE"] = "$true" if self.relocatable else "$false"
        return values

    def _batch(self) -> dict[str, str]:
        values = self._common(quoting.batch)
        values["RELOCATABLE"] = "1" if self.relocatable else ""
        values["PROMPT_PREFIX"] = quoting.cmd_prompt(self.prefix)
        return values

    def _python(self) -> dict[str, str]:
        values = self._common(quoting.python)
        values["RELOCATABLE"] = repr(self.relocatable)
        values["SITE_PACKAGES"] = "[" + ", ".join(map(quoting.python, self.site_packages)) + "]"
        return values
