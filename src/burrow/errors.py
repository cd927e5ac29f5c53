"""The exceptions burrow raises; the CLI turns them into one-line messages."""

from __future__ import annotations


class BurrowError(Exception):
    """Root of every error burrow reports to its user."""


class InterpreterError(BurrowError):
    """An interpreter is missing, broken, or cannot host a virtual environment."""


class TargetError(BurrowError):
    """The place to create or change an environment is unusable, or would lose data."""


class SeedError(BurrowError):
    """pip (or another seed package) could not be found, fetched or installed."""


class EnvironmentNotFound(BurrowError):
    """No environment matches what the user named."""


class OptionError(TargetError):
    """Options that contradict each other, e.g. --force without --clear (a usage error).

    A TargetError too, which is what the library raised for these before."""


class PackError(BurrowError):
    """An env that cannot be packed as asked, or an archive that cannot be written."""


class LockError(BurrowError):
    """A requirements or lock file is malformed, or cannot be installed as written."""


class PackageError(BurrowError):
    """A package could not be found, resolved, fetched or installed."""


class FetchError(PackageError, SeedError):
    """A package, an index page or a file could not be found, read, checked or built.

    Also a SeedError: the seeder fetches pip through the same index client.
    """


class ResolutionError(PackageError):
    """Requirements that no set of packages satisfies, or that name nothing known."""


class UnpinnedError(LockError):
    """A requirements file names a range, not one version: it needs resolving, not syncing."""
