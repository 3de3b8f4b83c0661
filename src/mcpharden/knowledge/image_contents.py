"""Look-ups over an image's final file system with image.toml."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache

from mcpharden.knowledge import load_table
from mcpharden.model.image import ImageModel


@cache
def _table() -> dict:
    return load_table("image.toml")


def _present(image: ImageModel, pattern: str) -> list[str]:
    if "*" not in pattern:
        return [pattern] if pattern in image.files else []
    depth = pattern.count("/")
    return sorted(p for p in image.files if p.count("/") == depth and fnmatchcase(p, pattern))


def shells(image: ImageModel) -> list[str]:
    return [path for pattern in _table()["shells"] for path in _present(image, pattern)]


def package_managers(image: ImageModel) -> dict[str, list[str]]:
    found = {}
    for tool, patterns in _table()["package_managers"].items():
        paths = [path for pattern in patterns for path in _present(image, pattern)]
        if paths:
            found[tool] = paths
    return found


def writable_allowed(path: str) -> bool:
    return path in _table()["writable_allowed"]


def uid_of(image: ImageModel, user: str) -> int | None:
    """The uid a config `User` runs as: `1000`, `app`, `app:app`, `0:0`; None when a name is
    not in the image's /etc/passwd (the container would not start)."""
    name = user.split(":", 1)[0].strip()
    if not name:
        return 0
    if name.isdigit():
        return int(name)
    for line in image.contents.get("/etc/passwd", "").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    return 0 if name == "root" else None
