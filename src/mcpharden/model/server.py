"""ServerFacts: how an MCP server talks to its client, from code, manifests and the Dockerfile."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Transport(enum.Enum):
    STDIO = "stdio"
    HTTP = "http"  # streamable HTTP
    SSE = "sse"

    @property
    def listens(self) -> bool:
        return self is not Transport.STDIO


# How strongly each kind of evidence speaks, strongest first; then the source code, and a bare
# EXPOSE last (a leftover EXPOSE is common in stdio-only images: it documents, it opens nothing).
EVIDENCE_ORDER = ("start-arguments", "environment", "stage-name", "run-config")


@dataclass(frozen=True)
class TransportEvidence:
    """One sign of how an MCP server talks (stdio or the network), and where it was seen."""

    transport: Transport | None  # None: a port is opened without naming the transport
    path: str
    line: int
    source: str  # one of EVIDENCE_ORDER, "source-code" or "expose"
    detail: str


@dataclass(frozen=True)
class ServerFacts:
    """The transports a server is known to use, strongest evidence first."""

    evidence: tuple[TransportEvidence, ...]

    @property
    def listens(self) -> bool | None:
        """True when the server opens a port, False when it is stdio-only, None when unknown.

        How the container starts decides: start arguments and environment first, then a
        stage named for its transport, then how the repository runs it, then what the source
        code supports (a codebase with both transports is decided by how it is started), and
        an EXPOSE only when nothing else speaks."""
        for source in EVIDENCE_ORDER:
            found = [e for e in self.evidence if e.source == source]
            if found:
                return any(e.transport is None or e.transport.listens for e in found)
        in_code = {e.transport for e in self.evidence if e.source == "source-code"}
        if in_code and all(t.listens for t in in_code if t):
            return True
        if in_code == {Transport.STDIO}:
            return False
        if any(e.source == "expose" for e in self.evidence):
            return True
        return None

    def strongest(self, listening: bool) -> TransportEvidence | None:
        for evidence in self.evidence:
            if (evidence.transport is None or evidence.transport.listens) == listening:
                return evidence
        return None


def is_server_port(port: str) -> bool:
    """EXPOSE 22 is an SSH server's port, never the MCP server's (knowledge/transports.toml)."""
    from mcpharden.knowledge.transports import start_arguments

    return port.split("/", 1)[0] not in start_arguments()["not_server_ports"]
