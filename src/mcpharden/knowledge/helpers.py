"""What runs beside an MCP server without being it (helpers.toml): the images of databases,
caches and proxies, the words that name a one-off job, the folders of development environments."""

from __future__ import annotations

from functools import cache

from mcpharden.knowledge import load_table


@cache
def helper_images() -> dict[str, str]:
    """Image name (last part of the repository) -> what the helper is ("database", "cache", ...)."""
    return {image: kind for kind, images in load_table("helpers.toml")["images"].items() for image in images}


@cache
def job_words() -> frozenset[str]:
    return frozenset(load_table("helpers.toml")["jobs"]["words"])


@cache
def development_folders() -> frozenset[str]:
    return frozenset(load_table("helpers.toml")["development"]["folders"])
