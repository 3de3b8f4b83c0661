"""What `mcpharden fix --clients` writes (client_fixes.toml): default limits, each client's
reference syntax for credentials, servers that only read their mounts, where folders are mounted."""

from __future__ import annotations

from functools import cache
from typing import Any

from mcpharden.knowledge import load_table


@cache
def table() -> dict[str, Any]:
    return load_table("client_fixes.toml")


def reference_for(client: str, path: str) -> dict[str, str] | None:
    """The client's credential reference usable in the file at `path`, if it has one."""
    entry = table()["references"].get(client)
    if entry is None or path.rsplit("/", 1)[-1] not in entry["files"]:
        return None
    return entry


def only_reads(image_or_package: str) -> bool:
    from mcpharden.model.references import parse_image_name

    entry = table()["read_only_servers"]
    if image_or_package in entry["packages"]:
        return True
    try:
        name = parse_image_name(image_or_package)
    except ValueError:
        return False
    return any(parse_image_name(image).full_name == name.full_name for image in entry["images"])
