"""Activation scripts for every shell, and the quoting that keeps their values inert."""

from __future__ import annotations

from burrow.activation.scripts import ACTIVATORS, parse_activators, write_activators

__all__ = ["ACTIVATORS", "parse_activators", "write_activators"]
