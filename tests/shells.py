"""Find the real shells the end-to-end tests run: skip when one is missing, fail under CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require_shell(name: str) -> str:
    """Path of the shell command ``name``; a missing one skips the test, or fails it when CI=true.

    Example: ``require_shell("fish")`` -> ``'/usr/bin/fish'``.
    """
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"shell {name!r} is not installed"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI must run every shell)", pytrace=False)
    pytest.skip(message)
