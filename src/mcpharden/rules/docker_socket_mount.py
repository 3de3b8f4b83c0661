"""## What it does
Finds a container engine socket mounted into a container: Docker's
`/var/run/docker.sock` (or `/run/docker.sock`), rootless Docker's
`$XDG_RUNTIME_DIR/docker.sock`, Docker Desktop's `~/.docker/run/docker.sock`, Podman,
containerd and CRI-O sockets, and Docker's Windows named pipe. A mount of a directory that
holds one (`/var/run`, `/run`, `/`) counts, and so does a read-only mount: `:ro` stops
writes to the socket file, not API calls through it. Every syntax is read: compose short
and long volumes, `-v`, `--volume=`, `--mount`, Kubernetes `hostPath`.

## Why is this bad?
The socket is the engine's full API. A compromised MCP server that can reach it starts a
privileged container with the host's root file system mounted, and owns the host. No other
hardening (non-root user, dropped capabilities, read-only root) survives that.

## Severity
HIGH; **CRITICAL** when the same container also publishes a port beyond loopback (`-p 3000:3000`,
compose `ports`, Kubernetes `hostPort`, or the host's network): then whoever reaches that port
over the network and finds one flaw in the server holds the host, with no local foothold needed.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
Give the server only the API calls it needs through a socket proxy that allows them (and
nothing that creates containers or mounts), or a rootless engine dedicated to it. Never
mount the host's socket into a server that handles untrusted input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from mcpharden.knowledge.runtime import sensitive_mount, socket_exposed
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        for mount in spec.mounts:
            if mount.kind not in ("bind", "npipe"):
                continue
            socket = socket_exposed(mount.source)
            if socket is None or sensitive_mount(mount.source):
                continue  # one host path, one finding: sensitive-host-mount names the socket too
            what = "the socket" if mount.source.rstrip("/").endswith((".sock", "docker_engine")) else f"a directory that {'may hold' if socket.startswith('~/') else 'holds'} {socket}"
            read_only = " (read-only does not limit API calls)" if mount.read_only else ""
            message = f"{spec.where} mounts {what}: `{mount.source}` at `{mount.target}`{read_only}"
            finding = RULE.finding(mount.path or spec.path, mount.line, message, source=mount.source, target=mount.target)
            yield critical_when_reachable(finding, spec, "the engine socket")


# Host addresses a published port can be bound to that only this machine reaches.
_LOOPBACK = frozenset({"127.0.0.1", "::1", "[::1]", "localhost"})


def network_exposure(spec: ContainerSpec) -> str | None:
    """How other machines reach `spec`: its first port published beyond loopback, or the host's
    network; None when nothing is published."""
    if spec.host_network:
        return "it shares the host's network"
    for port in spec.ports:
        if port.host_ip.strip() not in _LOOPBACK:
            return f"it publishes port {port.host_port or port.container_port} on {port.host_ip or 'every interface'}"
    return None


def critical_when_reachable(finding: Finding, spec: ContainerSpec, what: str) -> Finding:
    """`finding` raised to CRITICAL when its container is reachable over the network: one flaw in
    the server is then a remote takeover of the host (`what` is what hands it over)."""
    exposure = network_exposure(spec)
    if exposure is None:
        return finding
    return replace(finding, severity=Severity.CRITICAL, message=f"{finding.message}; CRITICAL: {exposure}, so {what} is "
                                                                f"one server flaw away from anyone who reaches it",
                   details=tuple(sorted(finding.details + (("exposure", exposure),))))


RULE = Rule(
    id="docker-socket-mount",
    title="Container engine socket mounted",
    severity=Severity.HIGH,
    category="privilege",
    why="The engine socket is root on the host: a compromised server starts a privileged container and escapes.",
    remedy="Use a socket proxy that allows only the API calls the server needs, or a dedicated rootless engine.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "remove the `/var/run/docker.sock` volume; talk to a socket proxy that allows only the calls the server needs"),
        ("Kubernetes", "remove the `hostPath` volume of the socket"),
        ("docker run", "remove `-v /var/run/docker.sock:...` (and `--use-api-socket`)"),
        ("client config", "remove the socket `-v` from `args`"),
    ),
    cwe=("CWE-250",),
    cis=("Ensure that the Docker socket is not mounted inside any containers",),
    peers=("Trivy KSV006", "Checkov CKV_K8S_27", "KICS Docker Socket Mounted In Container"),
)
