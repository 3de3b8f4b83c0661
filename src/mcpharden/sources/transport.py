"""Transport detection: which MCP transport a server uses, from its source tree and from
how its container starts (ENTRYPOINT/CMD arguments, ENV, EXPOSE)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from mcpharden.knowledge import transports
from mcpharden.knowledge.transports import start_arguments as _start_table
from mcpharden.model.build import BuildModel
from mcpharden.model.container import ContainerSpec
from mcpharden.model.server import ServerFacts, Transport, TransportEvidence, is_server_port


@dataclass(frozen=True)
class _Signature:
    """A source-code pattern that says which transport a server uses."""

    pattern: re.Pattern[str]
    transport: Transport


@cache
def _signatures_by_extension() -> dict[str, tuple[_Signature, ...]]:
    table = transports.table()
    by_language: dict[str, list[_Signature]] = {}
    for raw in table["signatures"]:
        by_language.setdefault(raw["language"], []).append(_Signature(re.compile(raw["pattern"]), Transport(raw["transport"])))
    return {
        extension: tuple(by_language.get(language, ()))
        for language, extensions in table["extensions"].items()
        for extension in extensions
    }


def scan_source(path: str, text: str) -> tuple[TransportEvidence, ...]:
    """Transport evidence in one source file (first occurrence of each transport)."""
    signatures = _signatures_by_extension().get(PurePosixPath(path).suffix, ())
    found: dict[Transport, TransportEvidence] = {}
    for signature in signatures:
        if signature.transport in found:
            continue
        match = signature.pattern.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            found[signature.transport] = TransportEvidence(
                signature.transport, path, line, "source-code", f"`{match.group(0).strip()}` in {path}"
            )
    return tuple(found.values())


def server_facts(build: BuildModel, source_evidence: tuple[TransportEvidence, ...],
                 containers: tuple[ContainerSpec, ...] = ()) -> ServerFacts:
    """Facts for the server that `build` packages: its start arguments, environment, stage
    names and EXPOSE, then how the repository runs it (compose ports), then the source code
    in the Dockerfile's build context."""
    final = build.final
    evidence: list[TransportEvidence] = []
    evidence.extend(_from_start_arguments(build))
    evidence.extend(_from_environment(build))
    evidence.extend(_from_stage_names(build))
    evidence.extend(
        TransportEvidence(None, build.path, port.line, "expose", f"EXPOSE {port.port}")
        for port in final.exposed_ports if is_server_port(port.port)
    )
    evidence.extend(_from_run_configurations(build, containers))
    context = str(PurePosixPath(build.path).parent)
    evidence.extend(e for e in source_evidence if context in ("", ".") or e.path.startswith(context + "/"))
    return ServerFacts(tuple(evidence))


def _word_transport(word: str) -> Transport | None:
    table = _start_table()
    lowered = word.lower()
    for transport, key in ((Transport.STDIO, "stdio_words"), (Transport.HTTP, "http_words"), (Transport.SSE, "sse_words")):
        if lowered in table[key]:
            return transport
    return None


def _from_start_arguments(build: BuildModel) -> list[TransportEvidence]:
    final = build.final
    words = list(final.start_arguments)
    table = _start_table()
    line = final.line
    found: list[TransportEvidence] = []
    for index, word in enumerate(words):
        flag, _, inline = word.partition("=")
        if flag in table["flags"]:
            value = inline or (words[index + 1] if index + 1 < len(words) else "")
            transport = _word_transport(value)
            if transport:
                found.append(TransportEvidence(transport, build.path, line, "start-arguments", f"`{flag} {value}` in the start command"))
        elif word.startswith("--") and (transport := _word_transport(word)):
            found.append(TransportEvidence(transport, build.path, line, "start-arguments", f"`{word}` in the start command"))
        elif flag in table["port_flags"] and word.startswith("--"):
            found.append(TransportEvidence(None, build.path, line, "start-arguments", f"`{word}` in the start command"))
    # A bare `stdio`/`sse`/`http` subcommand right after the program (server stdio).
    if not found:
        for word in words[1:4]:
            transport = _word_transport(word)
            if transport and not word.startswith("-"):
                found.append(TransportEvidence(transport, build.path, line, "start-arguments", f"`{word}` in the start command"))
                break
    return found


def _is_transport_variable(name: str) -> bool:
    table = _start_table()
    return name in table["env_names"] or name.endswith(tuple(table["env_name_suffixes"]))


_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|\[?[0-9a-f:.]*[:.][0-9a-f:.]*\]?(?::\d+)?|[\w.-]*:\d+)$", re.IGNORECASE)


def _from_environment(build: BuildModel) -> list[TransportEvidence]:
    final = build.final
    table = _start_table()
    found = []
    for name, value in final.env.items():
        transport = _word_transport(value) if _is_transport_variable(name) else None
        if transport:
            found.append(TransportEvidence(transport, build.path, final.line, "environment", f"ENV {name}={value}"))
    if not found:  # a port or an address says "listens" only when no transport is named
        found.extend(
            TransportEvidence(None, build.path, final.line, "environment", f"ENV {name}={final.env[name]}")
            for name in table["port_env_names"]
            if final.env.get(name)
        )
        found.extend(
            TransportEvidence(None, build.path, final.line, "environment", f"ENV {name}={final.env[name]}")
            for name in table["address_env_names"]
            if _ADDRESS.match(final.env.get(name, "").strip())
        )
    return found


def _from_stage_names(build: BuildModel) -> list[TransportEvidence]:
    """A final stage named for its transport, or built FROM one (`FROM production-stdio`)."""
    stage = build.final
    while True:
        for word in re.split(r"[-_.]", (stage.name or "").lower()):
            if transport := _word_transport(word):
                return [TransportEvidence(transport, build.path, build.final.line, "stage-name",
                                          f"the stage '{stage.name}'" + ("" if stage is build.final else " it is built on"))]
        if stage.parent is None:
            return []
        stage = build.stages[stage.parent]


def _from_run_configurations(build: BuildModel, containers: tuple[ContainerSpec, ...]) -> list[TransportEvidence]:
    """The repository's own run configurations of this build: a compose service that
    publishes a port, or sets a transport variable, runs a server that listens (or not)."""
    found = []
    for spec in containers:
        if spec.dockerfile != build.path:
            continue
        for setting in spec.env:
            if setting.value and _is_transport_variable(setting.name) and (transport := _word_transport(setting.value)):
                found.append(TransportEvidence(transport, spec.path, setting.line, "run-config",
                                               f"{setting.name}={setting.value} for {spec.where} in {spec.path}"))
        for port in spec.ports:
            found.append(TransportEvidence(None, spec.path, port.line, "run-config",
                                           f"{spec.where} in {spec.path} publishes port {port.container_port}"))
    return found
