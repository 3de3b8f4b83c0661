"""Transport detection: which MCP transport a server uses, from its source tree and from
how its container starts (ENTRYPOINT/CMD arguments, ENV, EXPOSE)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mcpharden.knowledge import transports
from mcpharden.knowledge.transports import start_arguments as _start_table
from mcpharden.model.server import ServerFacts, Transport, TransportEvidence, is_server_port

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel
    from mcpharden.model.container import ContainerSpec


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
    evidence.extend(_from_run_configurations(build, containers))
    context = str(PurePosixPath(build.path).parent)
    evidence.extend(e for e in source_evidence if context in ("", ".") or e.path.startswith(context + "/"))
    evidence.extend(  # the weakest: an EXPOSE documents a port, it opens none
        TransportEvidence(None, build.path, port.line, "expose", f"EXPOSE {port.port}")
        for port in final.exposed_ports if is_server_port(port.port)
    )
    return ServerFacts(tuple(evidence))


def _word_transport(word: str) -> Transport | None:
    table = _start_table()
    lowered = word.lower()
    for transport, key in ((Transport.STDIO, "stdio_words"), (Transport.HTTP, "http_words"), (Transport.SSE, "sse_words")):
        if lowered in table[key]:
            return transport
    return None


_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "/bin/sh", "/bin/bash", "/usr/bin/env", "/bin/ash", "/busybox/sh"})
# `if [ "$VAR" = "value" ]; then A; else B; fi`, the one shell branch a start command commonly has.
_IF_BRANCH = re.compile(
    r"""^\s*if\s+\[\[?\s+"?\$\{?(?P<name>\w+)\}?"?\s+(?P<op>==?|!=)\s+["']?(?P<value>[^"'\s\]]*)["']?\s+\]\]?\s*;?\s*"""
    r"then\s+(?P<then>.*?)\s*(?:;\s*else\s+(?P<else>.*?))?\s*;?\s*fi\s*;?\s*$", re.DOTALL)
_REFERENCE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


def _words(script: str) -> list[str]:
    """A start script's words and control operators (`;`, `&&`, `|`), quotes removed, as a POSIX
    shell splits them; whitespace where the quoting is broken."""
    import shlex

    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return script.split()


def start_words(build: BuildModel) -> list[str]:
    """The final stage's start command as the container runs it with the image's own
    environment: a `sh -c` script unwrapped, the branch of an `if [ "$VAR" = x ]` that the
    image's `ENV` takes (an unset variable is empty), and `${VAR:-default}` / `$VAR` replaced by
    the `ENV` value or the default (`--transport ${MCP_TRANSPORT:-stdio}` is `--transport stdio`)."""
    final = build.final
    words = list(final.start_arguments)
    if len(words) >= 3 and words[0] in _SHELLS and words[1] == "-c":
        script = words[2]
    elif any(word.startswith("$") or word == "if" for word in words):
        script = " ".join(words)  # shell form: the words of one script
    else:
        return words
    env = dict(final.env)
    if match := _IF_BRANCH.match(script):
        equal = env.get(match["name"], "") == match["value"]
        script = match["then"] if equal == (match["op"] != "!=") else (match["else"] or "")

    def value(reference: re.Match[str]) -> str:
        name = reference[1] or reference[3]
        return env[name] if env.get(name) else (reference[2] or "")

    try:
        return _words(_REFERENCE.sub(value, script))
    except ValueError:
        return words


def _script_transport(word: str) -> Transport | None:
    """The transport a started file is named for: `dist/server-stdio.js`, `stdio_server.py`."""
    stem = PurePosixPath(word).name
    if word.startswith("-") or "." not in stem:
        return None
    for part in re.split(r"[-_.]", stem.lower()):
        if transport := _word_transport(part):
            return transport
    return None


def _from_start_arguments(build: BuildModel) -> list[TransportEvidence]:
    final = build.final
    words = start_words(build)
    table = _start_table()

    def evidence(transport: Transport | None, word: str) -> TransportEvidence:
        return TransportEvidence(transport, build.path, final.line, "start-arguments", f"`{word}` in the start command")

    found: list[TransportEvidence] = []
    named = False  # a `--transport`-style flag, a subcommand or the started file names the transport
    for index, word in enumerate(words):
        flag, _, inline = word.partition("=")
        if flag in table["flags"]:
            value = inline or (words[index + 1] if index + 1 < len(words) else "")
            if transport := _word_transport(value):
                found.append(evidence(transport, f"{flag} {value}"))
                named = True
        elif word.startswith("--") and (transport := _word_transport(word)):
            found.append(evidence(transport, word))
        elif flag in table["port_flags"] and word.startswith("--"):
            found.append(evidence(None, word))
    # A bare `stdio`/`sse`/`http` subcommand right after the program (server stdio), or the
    # file it starts named for its transport (`node dist/server-stdio.js`).
    if not found:
        for word in words[1:4]:
            transport = _word_transport(word) if not word.startswith("-") else None
            if transport := transport or _script_transport(word):
                found.append(evidence(transport, word))
                named = True
                break
    for word in words[:4]:
        package = word.rpartition("@")[0] if word.startswith("@") and word.count("@") > 1 else word.partition("@")[0] or word
        if PurePosixPath(package).name in table["network_wrappers"]:
            return [*found, TransportEvidence(Transport.HTTP, build.path, final.line, "start-arguments",
                                              f"`{PurePosixPath(package).name}` in the start command serves the server over the network")]
    # A named transport decides: `--transport stdio --port 8080` opens no port (the port is for
    # the other mode). A bare `--stdio` does not: `supergateway --stdio CMD --port 8000` listens.
    return [e for e in found if e.transport] if named else found


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
