"""Smithery's `smithery.yaml`: how the Smithery registry builds and starts a server.

- `startCommand.type` (`stdio` or `http`) says the server's transport: it is read as written,
  and a file that names no transport says nothing about it. Like other evidence found in the
  repository, it speaks for the Dockerfiles in the file's folder and below (where every
  `build.dockerfile` of the corpora points).
- `runtime: container` (or the older layout with a `commandFunction`) builds the image from
  `build.dockerfile` (relative to the file's folder, `Dockerfile` by default): that Dockerfile
  ships, and the configuration is given to it at start.
- `startCommand.exampleConfig` is the configuration users copy; a literal credential in it is a
  credential in a run configuration (secret-in-run-config judges it, never printing it).
"""

from __future__ import annotations

import posixpath
from typing import Any

from mcpharden.model.container import ClientServer, ContainerSpec, EnvSetting
from mcpharden.model.server import Transport, TransportEvidence
from mcpharden.syntax.yamlnodes import YamlMap, load_documents

# Runtimes Smithery runs itself from the source (no Dockerfile of the repository is built).
_SOURCE_RUNTIMES = frozenset({"typescript", "node", "python"})
_TRANSPORTS = {"stdio": Transport.STDIO, "http": Transport.HTTP, "streamable-http": Transport.HTTP, "sse": Transport.SSE}
MAX_CONFIG_DEPTH = 8


def _document(text: str) -> YamlMap | None:
    documents = load_documents(text)  # raises YamlError for a file that does not parse
    return documents[0] if documents and isinstance(documents[0], YamlMap) else None


def transport_evidence(path: str, text: str) -> tuple[TransportEvidence, ...]:
    """What `startCommand.type` says of the server's transport, where it says it."""
    document = _document(text)
    start = document.get("startCommand") if document else None
    if not isinstance(start, YamlMap) or not isinstance(start.get("type"), str):
        return ()
    written = start["type"].strip()
    transport = _TRANSPORTS.get(written.lower())
    if transport is None:
        return ()
    return (TransportEvidence(transport, path, start.line_of("type"), "run-config", f"`startCommand.type: {written}` in {path}"),)


def parse_smithery(path: str, text: str) -> tuple[list[ContainerSpec], list[ClientServer]]:
    """The container Smithery runs (its Dockerfile, the example configuration as its
    environment), or, for a runtime Smithery hosts from the source, the server entry that
    carries the example configuration."""
    document = _document(text)
    if document is None:
        return [], []
    start = document.get("startCommand") if isinstance(document.get("startCommand"), YamlMap) else YamlMap()
    settings = tuple(_example_settings(start.get("exampleConfig"), start.line_of("exampleConfig")))
    runtime = str(document.get("runtime", "")).strip().lower()
    line = document.line_of("startCommand") if "startCommand" in document else 1
    if runtime in _SOURCE_RUNTIMES:
        if not settings:
            return [], []
        return [], [ClientServer(path, line, "Smithery", "smithery", f"remote server (Smithery {runtime} runtime)",
                                 in_container=False, env=settings)]
    build = document.get("build") if isinstance(document.get("build"), YamlMap) else YamlMap()
    dockerfile = build.get("dockerfile") if isinstance(build.get("dockerfile"), str) else "Dockerfile"
    shipped = posixpath.normpath(posixpath.join(posixpath.dirname(path), dockerfile))
    if shipped.startswith("../"):
        shipped = None  # outside the scanned folder: nothing here to join it to
    spec = ContainerSpec(
        path=path, origin="mcp-manifest", name="smithery", line=line, built_locally=True, dockerfile=shipped,
        env=settings,
        # Smithery decides how the container runs: the file can give it only its configuration.
        settable=frozenset({"env"}),
    )
    return [spec], []


def _example_settings(config: Any, line: int, prefix: str = "", depth: int = 0) -> list[EnvSetting]:
    """`exampleConfig` as settings (`apiKey`, `auth.token`), each with its line."""
    if not isinstance(config, YamlMap) or depth > MAX_CONFIG_DEPTH:
        return []
    found = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, YamlMap):
            found.extend(_example_settings(value, config.line_of(key), name + ".", depth + 1))
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            found.append(EnvSetting(name, str(value), config.line_of(key)))
    return found
