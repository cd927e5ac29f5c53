"""burrow: create and manage Python virtual environments.

>>> import burrow
>>> env = burrow.create(".venv", python="3.12", prompt="app")  # doctest: +SKIP
>>> env.executable  # doctest: +SKIP
'/home/me/app/.venv/bin/python'

The public names are imported on first use, so ``burrow --help`` stays fast. This file
imports nothing (not even ``__future__``): it runs before the command line's Ctrl-C hook is
in place (see ``_signals``), and every import is a place where a Ctrl-C could be lost.
"""

__version__ = "0.1.0"

__all__ = [
    "BurrowError",
    "Environment",
    "EnvironmentNotFound",
    "InterpreterError",
    "Options",
    "SeedError",
    "TargetError",
    "__version__",
    "create",
    "lock",
    "pack",
    "sync",
]

_HOMES = {
    "create": "burrow.creator",
    "lock": "burrow.packages.locking",
    "pack": "burrow.packing",
    "sync": "burrow.packages.sync",
    "Options": "burrow.options",
    "Environment": "burrow.environment",
    "BurrowError": "burrow.errors",
    "EnvironmentNotFound": "burrow.errors",
    "InterpreterError": "burrow.errors",
    "SeedError": "burrow.errors",
    "TargetError": "burrow.errors",
}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from burrow.creator import create
    from burrow.environment import Environment
    from burrow.errors import (
        BurrowError,
        EnvironmentNotFound,
        InterpreterError,
        SeedError,
        TargetError,
    )
    from burrow.options import Options
    from burrow.packages.locking import lock
    from burrow.packages.sync import sync
    from burrow.packing import pack


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'burrow' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
