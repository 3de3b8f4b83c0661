"""What a service needs at start that hardening could take away (service_needs.toml): commands
that install packages at start, programs that need root, folders well-known programs write, and
stateful images (databases, caches, queues) with their data folders."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from mcpharden.knowledge import load_table


@dataclass(frozen=True)
class StatefulImage:
    name: str  # "PostgreSQL"
    data: tuple[str, ...]  # where what must survive is kept
    writes: tuple[str, ...]  # what else it writes at start


@cache
def table() -> dict[str, Any]:
    return load_table("service_needs.toml")


def _full_name(reference: str) -> str:
    from mcpharden.model.references import parse_image_name

    return parse_image_name(reference).full_name


def stateful_image(reference: str | None) -> StatefulImage | None:
    """The stateful image (database, cache, queue) a reference names, if it is a known one."""
    if not reference:
        return None
    name = _full_name(reference)
    for entry in table()["stateful"]:
        if any(fnmatchcase(name, pattern) for pattern in entry["images"]):
            return StatefulImage(entry["name"], tuple(entry["data"]), tuple(entry["writes"]))
    return None


def image_program(reference: str | None) -> str | None:
    """The well-known program an image runs when its folders are in `writable_paths` (nginx)."""
    if not reference:
        return None
    name = _full_name(reference)
    return next((entry["program"] for entry in table()["writable_images"]
                 if any(fnmatchcase(name, pattern) for pattern in entry["images"])), None)


def writable_paths(program: str) -> tuple[str, ...]:
    return tuple(table()["writable_paths"].get(program, ()))
