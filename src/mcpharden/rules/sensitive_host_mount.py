"""## What it does
Finds host paths mounted into a container that give away the host or its user: the root
file system `/`, `/etc`, `/proc`, `/sys`, `/dev`, `/var/lib/docker`, `/root`, `/boot`,
credential folders and files (`~/.ssh`, `~/.aws`, `~/.kube`, `~/.config/gcloud`,
`~/.azure`, `~/.docker`, `~/.gnupg`, `~/.npmrc`, ...) and whole home folders (`~`,
`$HOME`, `/home/NAME`, `/Users/NAME`, `C:\\Users\\NAME`), and device trees like `/sys`: anything
below `/dev` (`/dev/bus/usb`, `/dev/dri`, `/dev/input`) and `/run/udev`. Read-only mounts count:
reading is enough to steal credentials. Project folders and small files such as
`/etc/localtime`, and the device files that hand over nothing (`/dev/shm`, `/dev/null`,
`/dev/urandom`, `/dev/log`), are not flagged.

## Why is this bad?
MCP servers often get a host folder to work on. When that folder is a home directory, the
server (and whoever compromises it, for example through a prompt-injected path traversal)
reads SSH keys, cloud credentials and browser profiles. System folders let it rewrite the
host's configuration or read every process's memory.

## Example
```json
<!-- sample: bad/.cursor/mcp.json -->
```

Use instead:
```json
<!-- sample: good/.cursor/mcp.json -->
```

## How to fix
Mount only the project folder the server needs, read-only where it only reads. Pass
credentials as narrowly scoped tokens in environment variables or secrets, not as folders.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.runtime import sensitive_mount, socket_exposed
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        for mount in spec.mounts:
            if mount.kind != "bind":
                continue
            reason = sensitive_mount(mount.source)
            if reason is None:
                continue
            access = "read-only" if mount.read_only else "read-write"
            socket = socket_exposed(mount.source)
            # Only Docker Desktop keeps its socket in the home folder: a home mount may hold it.
            verb = "may hold" if socket and socket.startswith("~/") else "holds"
            holds = f", which {verb} the engine socket {socket} (root on the host, read-only or not)" if socket else ""
            message = f"{spec.where} mounts {reason}: `{mount.source}` at `{mount.target}` ({access}){holds}"
            yield RULE.finding(mount.path or spec.path, mount.line, message, source=mount.source, target=mount.target)


RULE = Rule(
    id="sensitive-host-mount",
    title="Sensitive host path mounted",
    severity=Severity.HIGH,
    category="privilege",
    why="System folders, home folders and credential folders hand a compromised server the host's secrets or control.",
    remedy="Mount only the project folder the server needs (read-only if it only reads); pass scoped tokens, not folders.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "mount only the project folder the server works on, `:ro` where it only reads"),
        ("Kubernetes", "replace the `hostPath` volume with a `persistentVolumeClaim` or a narrow, `readOnly` path"),
        ("docker run", "`-v \"$PWD/project:/projects/project:ro\"` instead of `/`, `/etc`, `~` or `~/.ssh`"),
        ("client config", "the narrow `-v` in `args`"),
    ),
    cwe=("CWE-668",),
    cis=("Ensure sensitive host system directories are not mounted on containers",),
    peers=("Trivy KSV121", "KICS Volume Has Sensitive Host Directory"),
)
