"""What ``burrow create`` may be asked, declared once: the fields of ``Options``, and how
each is spelled on the command line. The CLI's option table (and its argparse-free fast
path) and the ``command`` recorded in pyvenv.cfg are both made from this declaration.
"""

from __future__ import annotations

import sys

from burrow._fast import Record
from burrow.errors import OptionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Mapping, Optional, Tuple

    from burrow.fastargs import Option
    from burrow.installing import InstallRequest


class Options(Record):
    """Everything ``create`` may be asked; defaults match ``python -m venv`` plus pip seeding."""

    python: Optional[str] = None  # -p: path, command, version spec; None = $BURROW_PYTHON / self
    system_site_packages: bool = False
    symlinks: Optional[bool] = None  # None: symlinks except on Windows, as venv does
    clear: bool = False
    upgrade: bool = False
    force: bool = False
    prompt: Optional[str] = None  # "." = name of the current directory
    seed: bool = True
    pip: str = "bundle"  # "bundle" | "latest" | "24.3.1"
    setuptools: Optional[str] = None  # None = not seeded; else as pip
    wheel: Optional[str] = None
    upgrade_deps: bool = False
    scm_ignore_files: bool = True
    relocatable: bool = False
    activators: Optional[Tuple[str, ...]] = None  # None = all
    command: Optional[str] = None  # recorded in pyvenv.cfg; derived from the options if None
    install: Optional[InstallRequest] = None  # -r/--install: pip install after seeding
    compile_bytecode: bool = False  # with install: new cache entries compiled before returning

    def validate(self) -> None:
        """The one check of options that contradict each other (OptionError)."""
        if self.clear and self.upgrade:
            raise OptionError("--clear and --upgrade cannot be used together")
        if self.force and not self.clear:
            raise OptionError("--force only makes sense with --clear")
        if self.install is not None:
            self.install.check(self.seed)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Options:
        """Options from parsed command-line values, e.g. {'python': '3.12', 'activators':
        'bash,fish', 'path': 'env'}: each field present is taken, anything else ignored."""
        fields = {name: values[name] for name in cls._fields if name in values}
        if isinstance(fields.get("activators"), str):
            from burrow.activation import parse_activators

            try:
                fields["activators"] = parse_activators(fields["activators"])
            except ValueError as exc:
                raise OptionError(str(exc)) from None
        return cls(**fields)

    def command_line(self, path: str) -> str:
        """How to make this env again, for pyvenv.cfg: 'python -m burrow create … PATH'."""
        from burrow.fastargs import unparse

        values = self.as_dict()
        if self.activators is not None:
            values["activators"] = ",".join(self.activators) or ","
        options = [o for o in command_line_options() if o.dest not in _NOT_RECORDED]
        words = [sys.executable, "-m", "burrow", "create", *unparse(options, values), path]
        return format_command(words)


#: Fields that say how this run works (what it does with what is at the target, when it
#: compiles), not what the env is: left out of the command recorded in pyvenv.cfg.
_NOT_RECORDED = frozenset(["clear", "upgrade", "force", "compile_bytecode"])


def command_line_options() -> List[Option]:
    """How each field of Options is spelled on the command line, e.g. -p/--python for
    ``python``. The CLI's option table and pyvenv.cfg's ``command`` are both made from this
    list; each option's default is its field's. (``command`` and ``install`` have no flag.)
    """
    from burrow.fastargs import FLAG_FALSE, FLAG_TRUE, OPTIONAL_VALUE, VALUE, Option

    table = [
        Option(
            flags=("-p", "--python"),
            dest="python",
            kind=VALUE,
            metavar="SPEC",
            help="interpreter: path, command, version (3.12), range, or cpython3.12",
        ),
        Option(
            flags=("--system-site-packages",),
            dest="system_site_packages",
            kind=FLAG_TRUE,
            help="give the env access to the interpreter's site-packages",
        ),
        Option(
            flags=("--symlinks",),
            dest="symlinks",
            kind=FLAG_TRUE,
            group="links",
            help="symlink the interpreter (default except on Windows)",
        ),
        Option(
            flags=("--copies",),
            dest="symlinks",
            kind=FLAG_FALSE,
            group="links",
            help="copy the interpreter instead of symlinking it",
        ),
        Option(
            flags=("--clear",),
            dest="clear",
            kind=FLAG_TRUE,
            group="mode",
            help="replace the env if it exists (refuses a non-env without --force)",
        ),
        Option(
            flags=("--upgrade",),
            dest="upgrade",
            kind=FLAG_TRUE,
            group="mode",
            help="re-point an existing env at the (upgraded) interpreter",
        ),
        Option(
            flags=("--force",),
            dest="force",
            kind=FLAG_TRUE,
            help="with --clear: also replace a directory that is not an env",
        ),
        Option(
            flags=("--without-pip", "--no-seed"),
            dest="seed",
            kind=FLAG_FALSE,
            group="seeding",
            help="do not seed pip",
        ),
        Option(
            flags=("--pip",),
            dest="pip",
            kind=VALUE,
            metavar="VERSION",
            group="seeding",
            help="pip to seed: bundle (newest offline, default), latest, or X.Y.Z",
        ),
        Option(
            flags=("--setuptools",),
            dest="setuptools",
            kind=OPTIONAL_VALUE,
            const="bundle",
            metavar="VERSION",
            help="also seed setuptools (optionally a version)",
        ),
        Option(
            flags=("--wheel",),
            dest="wheel",
            kind=OPTIONAL_VALUE,
            const="bundle",
            metavar="VERSION",
            help="also seed wheel (optionally a version)",
        ),
        Option(
            flags=("--prompt",),
            dest="prompt",
            kind=VALUE,
            metavar="TEXT",
            help="prompt shown when active ('.' = current directory's name)",
        ),
        Option(
            flags=("--upgrade-deps",),
            dest="upgrade_deps",
            kind=FLAG_TRUE,
            help="seed the newest pip from the package index",
        ),
        Option(
            flags=("--without-scm-ignore-files",),
            dest="scm_ignore_files",
            kind=FLAG_FALSE,
            help="do not write a .gitignore into the env",
        ),
        Option(
            flags=("--relocatable",),
            dest="relocatable",
            kind=FLAG_TRUE,
            help="keep working after the env is moved (activation, scripts)",
        ),
        Option(
            flags=("--compile-bytecode",),
            dest="compile_bytecode",
            kind=FLAG_TRUE,
            help=(
                "with -r/--install: byte-compile packages new to the cache before "
                "returning, not behind"
            ),
        ),
        Option(
            flags=("--activators",),
            dest="activators",
            kind=VALUE,
            metavar="LIST",
            help="activation scripts to write, e.g. bash,fish (default: all)",
        ),
    ]
    return [option.replace(default=getattr(Options, option.dest)) for option in table]


def format_command(words: List[str]) -> str:
    """A shell-quoted command on one line, for pyvenv.cfg's ``command`` key."""
    from burrow.activation.quoting import as_word, posix

    # pyvenv.cfg is line based: a line break inside a word is written escaped.
    line = " ".join(as_word(word, posix) for word in words)
    return line.replace("\n", "\\n").replace("\r", "\\r")
