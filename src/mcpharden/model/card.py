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
class OpenEntry:
    """A way in that asks for no secret anyone does not already know: an MCP endpoint with its
    Host/Origin checks off or without authentication, a service published with a default login."""

    kind: str  # "MCP endpoint" or "default login"
    what: str  # what the run configuration does, as the finding says it (never a credential)
    where: str  # file:line


@dataclass(frozen=True)
class FetchedPackage:
    """A package the server downloads each time it starts: whoever publishes it holds the server."""

    package: str
    registry: str  # "npm", "PyPI", "Git", ...
    reference: str  # "no version", "latest", "1.2.3", "the lock file", ...
    where: str  # file:line of the command that downloads it


@dataclass(frozen=True)
class Loss:
    """Points a card loses for one dimension of its blast radius (docs/scoring.md)."""

    dimension: str  # "root", "engine socket", "shell", ...
    points: int
    evidence: str  # the rule ids, or the card fact, that show it


# What a card stands for: the server the repository ships, a helper beside it (a devcontainer, a
# database, a one-off job: shown, never graded), or a documentation example (weighed apart).
SERVER, HELPER, DOCUMENTATION = "server", "helper", "documentation"


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
    # Ways in for anyone on the network or any web page: an MCP endpoint left unprotected
    # (mcp-transport-unprotected), a published service with a default login (default-credentials-exposed).
    open_entries: tuple[OpenEntry, ...] = ()
    # Paths every user may write in the image (world-writable-path), and files holding
    # credentials that the build copies in from its context (build-context-leaks-secrets):
    # paths only, never contents.
    world_writable_paths: tuple[str, ...] = ()
    secret_files: tuple[str, ...] = ()
    # Code downloaded at every start (`npx -y pkg`): its publisher, or whoever takes over the
    # package, runs code in the server.
    fetched_at_start: tuple[FetchedPackage, ...] = ()
    # Kubernetes API tokens mounted into the server's pods: the service account, and the roles
    # bound to it in the scanned manifests ("mcp-sa (ClusterRole view)", "default (no role bound)").
    service_account_tokens: tuple[str, ...] = ()
    # Kernel confinement the run configuration turns off or never sets (security-profile-disabled,
    # seccomp-profile-not-set): the server's code meets every system call the kernel offers.
    unconfined: tuple[str, ...] = ()
    # SERVER, HELPER or DOCUMENTATION, and why a card is not the server's ("image postgres: a
    # database beside the server").
    role: str = SERVER
    role_reason: str = ""
    # The rules whose findings are on this card, once each (a weakness counts once however many
    # snippets repeat it), with the highest severity they were reported at.
    weaknesses: tuple[tuple[str, str], ...] = ()
    # The card's own score and grade (mcpharden.verdicts.scoring), and what cost its points.
    score: int | None = None
    grade: str | None = None
    losses: tuple[Loss, ...] = ()

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
        if any(entry.kind == "MCP endpoint" for entry in self.open_entries):
            worst.append("an MCP endpoint that others can call")
        if any(m.sensitive for m in self.host_mounts):
            worst.append("sensitive host folders")
        if self.secret_names or self.secret_files:
            worst.append(f"{len(self.secret_names) + len(self.secret_files)} secret(s)")
        if any(entry.kind == "default login" for entry in self.open_entries):
            worst.append("a default login on the network")
        if self.fetched_at_start:
            worst.append("code downloaded at every start")
        if self.service_account_tokens:
            worst.append("a Kubernetes API token")
        if self.unconfined:
            worst.append("no seccomp or AppArmor confinement")
        return "holds " + ", ".join(worst) if worst else "holds nothing beyond its own container"
