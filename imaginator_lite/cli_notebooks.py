"""Placeholder: sub-commands are registered here by the module's owner."""
from __future__ import annotations


def register(sub) -> None:
    """Add this module's sub-commands to the `imaginator-lite` parser."""
