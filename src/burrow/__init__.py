"""burrow: create and manage Python virtual environments.

>>> import burrow
>>> env = burrow.create(".venv", python="3.12", prompt="app")  # doctest: +SKIP
>>> env.executable  # doctest: +SKIP
PosixPath('.venv/bin/python')
"""

from __future__ import annotations

__version__ = "0.1.0"

from burrow.creator import Options, create
from burrow.environment import Environment
from burrow.errors import (
    BurrowError,
    EnvironmentNotFound,
    InterpreterError,
    SeedError,
    TargetError,
)

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
]
