"""## What it does
Finds host folders bind-mounted writable that are not otherwise sensitive: a workspace, a
project folder, a data directory (`-v "$PWD":/workspace`, compose `./data:/data`, a Kubernetes
`hostPath` without `readOnly: true`). Sensitive host paths and engine sockets have their own,
higher-severity rules.

## Why is this bad?
A compromised server can rewrite whatever it can write: source code that is built and run
later, git hooks (`.git/hooks`), shell start-up files and CI definitions in a project folder
all turn a write into code execution on the host, outside the container.

## Example
```sh
<!-- sample: bad.sh -->
```

Use instead:
when the server only reads,
```sh
<!-- sample: good.sh -->
```

## How to fix
Mount read-only what the server only reads, and mount only the sub-folder it must write:
- `docker run` and MCP client configurations: `-v SRC:DST:ro`, or `--mount
  type=bind,src=…,dst=…,readonly`;
- compose: `./data:/data:ro`, or `read_only: true` in the long syntax;
- Kubernetes: `readOnly: true` on the `volumeMount`.
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
            if mount.kind != "bind" or mount.read_only or not mount.source:
                continue
            if sensitive_mount(mount.source) or socket_exposed(mount.source):
                continue  # sensitive-host-mount and docker-socket-mount report these
            yield RULE.finding(mount.path or spec.path, mount.line, f"{spec.where} mounts the host path `{mount.source}` writable at "
                               f"`{mount.target}`", source=mount.source, target=mount.target)


RULE = Rule(
    id="writable-host-mount",
    title="Host folder mounted writable",
    severity=Severity.LOW,
    category="privilege",
    why="A writable host folder lets a compromised server plant code (sources, git hooks, CI files) that runs outside the container.",
    remedy="Mount it read-only (:ro, readOnly: true), or only the sub-folder the server must write.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`./data:/data:ro` where the server only reads"),
        ("Kubernetes", "`volumeMounts: [{..., readOnly: true}]`"),
        ("docker run", "`-v \"$PWD:/workspace:ro\"` or `--mount type=bind,src=...,dst=...,readonly`"),
        ("client config", "the same `:ro` in `args`"),
    ),
    cwe=("CWE-668",),
)
