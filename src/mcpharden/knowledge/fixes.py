"""What `mcpharden fix` writes (fixes.toml): distroless `:nonroot` tags and the users of known
images, the commands that prune dev dependencies and their production flags, and healthcheck
commands per runtime."""

from __future__ import annotations

from functools import cache
from typing import Any

from mcpharden.knowledge import load_table


@cache
def table() -> dict[str, Any]:
    return load_table("fixes.toml")
