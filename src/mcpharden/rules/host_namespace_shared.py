"""## What it does
Finds containers that share a namespace with the host: the network (`--network host`,
`--net=host`, `network_mode: host`, `hostNetwork: true`), the process table (`--pid host`,
`pid: host`, `hostPID: true`) or IPC (`--ipc host`, `ipc: host`, `hostIPC: true`).

## Why is this bad?
With the host's network a compromised server reaches every service bound to localhost on
the host (databases, cloud metadata proxies, the Docker API on TCP) and can listen on any
port. With the host's PID namespace it sees, signals and (with ptrace) enters host
processes. With the host's IPC namespace it reads shared memory of host processes.

## Example
```yaml
services:
  mcp:
    image: ghcr.io/example/mcp-server
    network_mode: host
```

Use instead:
```yaml
services:
  mcp:
    image: ghcr.io/example/mcp-server
    ports:
      - "127.0.0.1:8080:8080"
```

## How to fix
Use the default bridge network and publish only the server's port (bound to 127.0.0.1 for
local clients); drop `pid`/`ipc` host sharing.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpharden.model.findings import Finding, Severity
from mcpharden.model.project import Project
from mcpharden.rules.base import Rule

_NAMESPACES = (("host_network", "network"), ("host_pid", "process (PID)"), ("host_ipc", "IPC"))


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        for field_name, label in _NAMESPACES:
            if getattr(spec, field_name):
                yield RULE.finding(spec.path, spec.line_of(field_name), f"{spec.where} shares the host's {label} namespace", namespace=label)


RULE = Rule(
    id="host-namespace-shared",
    title="Host namespace shared",
    severity=Severity.HIGH,
    category="privilege",
    why="Sharing the host's network, PID or IPC namespace exposes host services and processes to a compromised server.",
    fix="Use the default namespaces; publish only the server's port, bound to 127.0.0.1 for local clients.",
    page=__doc__,
    check=check,
)
