"""ContainerSpec: how a container is run, whatever said so (compose, Kubernetes, a
`docker run` line in a client config, a script or a README). Rules judge specs without
caring where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from mcpharden.model.images import ImageRef


@dataclass(frozen=True)
class Mount:
    source: str  # host path (bind), volume name, or "" for anonymous volumes and tmpfs
    target: str
    kind: str  # "bind" | "volume" | "tmpfs" | "npipe"
    read_only: bool
    line: int


@dataclass(frozen=True)
class ContainerSpec:
    path: str
    origin: str  # "compose" | "kubernetes" | "docker-run" | "client-config" | "mcp-manifest"
    name: str  # service, container or server name
    line: int  # where the spec starts
    image: ImageRef | None = None
    # True when the image is built from a Dockerfile in the repository (compose `build:`),
    # and that Dockerfile's path relative to the scanned root.
    built_locally: bool = False
    dockerfile: str | None = None
    user: str | None = None  # a run-time user override (`--user`, `user:`, runAsUser)
    run_as_non_root: bool | None = None  # Kubernetes runAsNonRoot
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    read_only_root: bool = False
    no_new_privileges: bool = False
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    mounts: tuple[Mount, ...] = ()
    devices: tuple[str, ...] = ()
    # Where the spec came from documentation (README code blocks): messages say so.
    from_documentation: bool = False
    # The file line of each setting, by field name ("user", "privileged", "cap_add", ...).
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def line_of(self, setting: str) -> int:
        return self.lines.get(setting, self.line)

    @property
    def where(self) -> str:
        """How messages name the container: `service 'api' (compose)`."""
        kinds = {
            "compose": "service", "kubernetes": "container", "docker-run": "`docker run`",
            "client-config": "MCP server", "mcp-manifest": "MCP server package",
        }
        label = f"{kinds.get(self.origin, 'container')} '{self.name}'" if self.name else kinds.get(self.origin, "container")
        return label + (" (in documentation)" if self.from_documentation else "")


@dataclass(frozen=True)
class ClientServer:
    """An MCP server entry of a client configuration, container or not (laptop audit)."""

    path: str
    line: int
    client: str
    name: str
    command: str
    in_container: bool
