"""## What it does
Finds published ports with no host address or with a wildcard one (`0.0.0.0`, `::`):
`-p 3000:3000`, `-p 3000`, `-P`, compose `ports: ["8080:8080"]` (short and long syntax), and
Kubernetes `hostPort` without a `hostIP`.

## Why is this bad?
Docker publishes such a port on every interface of the host, past most host firewalls (it
writes its own iptables rules). An MCP server meant for the local client is then reachable
from the café's Wi-Fi or the office network, and most MCP servers have no authentication:
anyone who can reach the port can call their tools.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
Bind the port to the loopback address (or to the one interface that should reach it):
- `docker run` and MCP client configurations: `-p 127.0.0.1:8080:8080`, not `-P`;
- compose: `"127.0.0.1:8080:8080"`, or `host_ip: 127.0.0.1` in the long syntax;
- Kubernetes: drop `hostPort` and reach the server through a Service (or set `hostIP`).
A stdio MCP server needs no published port at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.container import PublishedPort
    from mcpharden.model.project import Project

WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]", "*"})


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        for port in spec.ports:
            if port.host_ip.strip() in WILDCARDS:
                host = f"host port {port.host_port}" if port.host_port else "a random host port"
                yield RULE.finding(port.path or spec.path, port.line, f"{spec.where} publishes container port {port.container_port} "
                                   f"on {host} of every network interface", port=port.container_port,
                                   fix=loopback_fix(spec.origin, port))


def loopback_fix(origin: str, port: PublishedPort) -> str:
    """The fix for this port in its source's own syntax: `ports:` in compose, `-p` in a run line."""
    if port.container_port == "every exposed port":
        return "Publish each port the server needs on 127.0.0.1 (`-p 127.0.0.1:8080:8080`) instead of `-P`."
    host, container = port.host_port or port.container_port.split("/")[0], port.container_port
    mapping = f"127.0.0.1:{host}:{container}"
    if origin == "compose":
        return f"Publish it on the loopback address: `ports: [\"{mapping}\"]` (or no `ports:` when only other services use it)."
    if origin == "kubernetes":
        return f"Remove `hostPort: {port.host_port or host}` and reach the pod through a Service (ClusterIP) or `kubectl port-forward`."
    if origin == "client-config":
        return f"Publish it on the loopback address: `\"-p\", \"{mapping}\"` in `args`."
    return f"Publish it on the loopback address: `-p {mapping}`."


RULE = Rule(
    id="port-exposed-on-all-interfaces",
    title="Port published on every interface",
    severity=Severity.MEDIUM,
    category="attack-surface",
    why="A port published without a host address is reachable from every network the host is on, past its firewall.",
    remedy="Publish on 127.0.0.1 (-p 127.0.0.1:8080:8080, \"127.0.0.1:8080:8080\"); no hostPort in Kubernetes.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`ports: [\"127.0.0.1:8080:8080\"]`; `mcpharden fix`"),
        ("Kubernetes", "no `hostPort`: a `Service` (ClusterIP) reaches the pod"),
        ("docker run", "`-p 127.0.0.1:8080:8080`; `mcpharden fix`"),
        ("client config", "`\"-p\", \"127.0.0.1:8080:8080\"` in `args`"),
    ),
    cwe=("CWE-1327",),
    cis=("Ensure that incoming container traffic is bound to a specific host interface",),
)
