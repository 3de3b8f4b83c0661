"""MCP clients (clients.toml): which files configure MCP clients or describe MCP servers,
without loading the parsers (discovery needs only the names); the `docker run` words Docker's
MCP gateway gives catalog servers; the images known servers are published as."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from mcpharden.knowledge import load_table
from mcpharden.util.globs import GlobExpression

MANIFEST_KINDS = ("MCP registry", "Docker MCP catalog")


@dataclass(frozen=True)
class ClientFile:
    """The MCP client (or the kind of server manifest) a file belongs to."""

    client: str
    manifest: bool  # a server manifest (registry, catalog), not a client's configuration


@cache
def clients() -> list[dict[str, Any]]:
    return load_table("clients.toml")["clients"]


@cache
def gateway_run_arguments() -> tuple[str, ...]:
    """The `docker run` words Docker's MCP gateway gives every catalog server."""
    return tuple(load_table("clients.toml")["docker_catalog"]["gateway_run_arguments"])


def client_for(relative: str) -> ClientFile | None:
    """Which client (or manifest kind) a repository path configures, if any: a client's file
    name at the root or in any folder, the first client in the table's order winning."""
    patterns, owners = _client_patterns()
    # A pattern matches the path, or what follows one of its `/` (the file in any folder).
    found = [index for index in (patterns.first(relative[start:]) for start in _starts(relative)) if index is not None]
    return owners[min(found)] if found else None


def _starts(relative: str):
    yield 0
    position = relative.find("/")
    while position >= 0:
        yield position + 1
        position = relative.find("/", position + 1)


@cache
def _client_patterns() -> tuple[GlobExpression, tuple[ClientFile, ...]]:
    pairs = [(pattern, ClientFile(client["name"], client["name"] in MANIFEST_KINDS))
             for client in clients() for pattern in client["files"]]
    return GlobExpression(pattern for pattern, _ in pairs), tuple(owner for _, owner in pairs)


def home_locations() -> list[tuple[str, str]]:
    """(client, path pattern relative to a home directory) for every OS layout."""
    found = []
    for client in clients():
        for patterns in client.get("home", {}).values():
            found.extend((client["name"], pattern) for pattern in patterns)
    return found


def published_image(arguments: tuple[str, ...]) -> str | None:
    """The container image of a server started from a package (`npx -y @scope/pkg@1.2`)."""
    images = load_table("clients.toml").get("published_images", {})
    for argument in arguments:
        package = argument.rsplit("@", 1)[0] if argument.count("@") > (1 if argument.startswith("@") else 0) else argument
        if package in images:
            return images[package]
    return None
