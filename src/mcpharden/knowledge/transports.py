"""How MCP servers reveal their transport (transports.toml): patterns in SDK source code per
language, the file extensions of those languages, and start arguments and ports."""

from __future__ import annotations

from functools import cache
from typing import Any

from mcpharden.knowledge import load_table


@cache
def table() -> dict[str, Any]:
    return load_table("transports.toml")


@cache
def source_extensions() -> frozenset[str]:
    """File suffixes worth reading for transport evidence (no pattern is compiled here)."""
    extensions = load_table("transports.toml")["extensions"].values()
    return frozenset(extension for group in extensions for extension in group)


def start_arguments() -> dict:
    return load_table("transports.toml")["start_arguments"]
