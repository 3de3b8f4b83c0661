"""What a Dockerfile's builds reveal (build.toml): the tools that fetch remote code and the
interpreters that run it, the OS package managers and how they install, and the packages that
put sudo or an SSH server in an image."""

from __future__ import annotations

from functools import cache

from mcpharden.knowledge import load_table


@cache
def build_knowledge() -> dict:
    return load_table("build.toml")
