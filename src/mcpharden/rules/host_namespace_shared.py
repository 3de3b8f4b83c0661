"""## What it does
Finds containers that share a namespace with the host: the network (`--network host`,
`--net=host`, `network_mode: host`, `hostNetwork: true`), the process table (`--pid host`,
`pid: host`, `hostPID: true`), IPC (`--ipc host`, `ipc: host`, `hostIPC: true`), the user
namespace (`--userns=host`, `userns_mode: host`), UTS (`--uts=host`, `uts: host`) or the
cgroup namespace (`--cgroupns=host`, `cgroup: host`).

## Why is this bad?
With the host's network a compromised server reaches every service bound to localhost on
the host (databases, cloud metadata proxies, the Docker API on TCP) and can listen on any
port. With the host's PID namespace it sees, signals and (with ptrace) enters host
processes. With the host's IPC namespace it reads shared memory of host processes. With the
host's user namespace a daemon that remaps users (`userns-remap`) no longer does, and root in
the container is root on the host; the UTS namespace lets it rename the host; the cgroup
namespace shows, and with a writable cgroupfs changes, the host's cgroup tree.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
Use the default bridge network and publish only the server's port (bound to 127.0.0.1 for
local clients); remove `--pid`/`--ipc`/`--userns`/`--uts`/`--cgroupns` `host` (compose `pid`,
`ipc`, `userns_mode`, `uts`, `cgroup`; Kubernetes `hostPID`, `hostIPC`, `hostNetwork`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project

_NAMESPACES = (("host_network", "network"), ("host_pid", "process (PID)"), ("host_ipc", "IPC"), ("host_userns", "user"),
               ("host_uts", "UTS (host name)"), ("host_cgroupns", "cgroup"))
# What turns each namespace back to the container's own, by source: (compose, Kubernetes, docker run).
_UNDO = {
    "host_network": ("`network_mode: host`", "`hostNetwork: true`", "`--network host`"),
    "host_pid": ("`pid: host`", "`hostPID: true`", "`--pid host`"),
    "host_ipc": ("`ipc: host`", "`hostIPC: true`", "`--ipc host`"),
    "host_userns": ("`userns_mode: host`", "`hostUsers: true` (set `hostUsers: false`)", "`--userns host`"),
    "host_uts": ("`uts: host`", "the host's UTS namespace", "`--uts host`"),
    "host_cgroupns": ("`cgroup: host`", "the host's cgroup namespace", "`--cgroupns host`"),
}


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        for field_name, label in _NAMESPACES:
            if getattr(spec, field_name):
                yield RULE.finding(spec.path_of(field_name), spec.line_of(field_name), f"{spec.where} shares the host's {label} namespace",
                                   namespace=label, fix=_fix(spec.origin, field_name, spec))


def _fix(origin: str, field_name: str, spec) -> str:
    """Remove the setting, in its source's syntax; only the network namespace has a port to publish instead."""
    compose, kubernetes, run = _UNDO[field_name]
    setting = compose if origin == "compose" else kubernetes if origin == "kubernetes" else run
    where = " from `args`" if origin == "client-config" else ""
    fix = f"Remove {setting}{where}: the container gets its own namespace."
    if field_name != "host_network":
        return fix
    ports = sorted({port.container_port.split("/")[0] for port in spec.ports if port.container_port[:1].isdigit()})
    port = ports[0] if ports else "8080"
    if origin == "compose":
        return fix + f" Publish only the server's port, on 127.0.0.1: `ports: [\"127.0.0.1:{port}:{port}\"]`."
    if origin == "kubernetes":
        return fix + " Reach the server through a Service (ClusterIP)."
    if origin == "client-config":
        return fix + f" Publish only the server's port, on 127.0.0.1: `\"-p\", \"127.0.0.1:{port}:{port}\"`."
    return fix + f" Publish only the server's port, on 127.0.0.1: `-p 127.0.0.1:{port}:{port}`."


RULE = Rule(
    id="host-namespace-shared",
    title="Host namespace shared",
    severity=Severity.HIGH,
    category="privilege",
    why="Sharing a host namespace (network, PID, IPC, user, UTS, cgroup) exposes host services, processes or users to a compromised server.",
    remedy="Use the container's own namespaces: remove the host namespace setting (for the network, publish only the server's port on 127.0.0.1).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "remove `network_mode: host`, `pid: host`, `ipc: host`, `userns_mode: host`, `uts: host`, `cgroup: host`; publish ports instead"),
        ("Kubernetes", "remove `hostNetwork`, `hostPID` and `hostIPC`; `hostUsers: false` gives the pod its own user namespace"),
        ("docker run", "remove `--network host`, `--pid host`, `--ipc host`, `--userns host`, `--uts host`, `--cgroupns host`"),
        ("client config", "remove those flags from `args`"),
    ),
    cwe=("CWE-653",),
    cis=(
        "Ensure that the host's network namespace is not shared",
        "Ensure that the host's process namespace is not shared", "Ensure that the host's IPC namespace is not shared",
        "Ensure that the host's UTS namespace is not shared", "Ensure that the host's user namespaces are not shared",
    ),
    peers=(
        "Trivy KSV008", "Trivy KSV009", "Trivy KSV010", "Checkov CKV_K8S_17", "Checkov CKV_K8S_18",
        "Checkov CKV_K8S_19", "KICS Host Namespace is Shared",
    ),
)
