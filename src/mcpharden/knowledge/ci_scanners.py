"""The CI actions and commands that scan (or build) container images (ci_scanners.toml), as
sources.ci matches them against every step."""

from __future__ import annotations

from functools import cache
from typing import Any

from mcpharden.knowledge import load_table


@cache
def table() -> dict[str, Any]:
    return load_table("ci_scanners.toml")
