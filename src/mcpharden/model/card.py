"""ServerCard: the blast radius of one MCP server, what an attacker who gets code execution
inside it holds. Built from the models and the findings (mcpharden.verdicts.cards), never from text."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class HostMount:
    """A host path a server's container sees."""

    source: str
    target: str
    read_only: bool
    sensitive: str  # what makes it sensitive ("the Docker socket", "/etc"), or ""
    where: str  # file:line of the run configuration


@dataclass(frozen=True)
class PublishedPort:
    """A port a server's container publishes on the host."""

    interface: str  # "every interface" or the host address
    host_port: str
    container_port: str
    where: str


@dataclass(frozen=True)
class ServerCard:
    """A one-page summary of how a server is run: user, image, mounts, ports, transport."""

    name: str
    # "root", "non-root" or "unknown", and why (the USER line, --user, the image's config)
    user: str
    user_evidence: str
    shell: bool | None  # None: cannot tell from what was scanned
    package_manager: str  # "apt", "apk", "pip", ... or "" (none known)
    download_tools: tuple[str, ...]
    writable_root_filesystem: bool | None
    can_rewrite_own_code: bool | None
    engine_socket: bool
    privileged: bool
    capabilities_added: tuple[str, ...]
    host_namespaces: tuple[str, ...]
    host_mounts: tuple[HostMount, ...]
    published_ports: tuple[PublishedPort, ...]
    secret_names: tuple[str, ...]  # names only, never values
    egress: str  # "unrestricted", "none" (--network none), or "host network"
    sources: tuple[str, ...]  # the files the card was drawn from

    def document(self) -> dict:
        return asdict(self)

    @property
    def headline(self) -> str:
        """One line for a person: the worst of it first."""
        worst = []
        if self.engine_socket:
            worst.append("the engine socket (root on the host)")
        if self.privileged:
            worst.append("privileged mode")
        if self.user == "root":
            worst.append("root")
        if any(m.sensitive for m in self.host_mounts):
            worst.append("sensitive host folders")
        if self.secret_names:
            worst.append(f"{len(self.secret_names)} secret(s)")
        return "holds " + ", ".join(worst) if worst else "holds nothing beyond its own container"
