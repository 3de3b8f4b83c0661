"""## What it does
Finds containers run in privileged mode: `--privileged`, compose `privileged: true`,
Kubernetes `securityContext.privileged: true`.

## Why is this bad?
A privileged container has every capability, every device of the host, no seccomp or
AppArmor profile and a writable `/sys`. Escaping it is a matter of mounting the host's
disk. A compromised MCP server in one owns the machine.

## Severity
HIGH; **CRITICAL** when the same container also publishes a port beyond loopback (`-p 3000:3000`,
compose `ports`, Kubernetes `hostPort`, or the host's network): one flaw in the server is then a
remote takeover of the host.

## Example
```sh
<!-- sample: bad.sh -->
```

Use instead:
```sh
<!-- sample: good.sh -->
```

## How to fix
Remove privileged mode. If the server needs one kernel feature, add the single capability
or device it needs (and document why) instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule
from mcpharden.rules.docker_socket_mount import critical_when_reachable  # the same rule of exposure for both

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        if spec.privileged:
            finding = RULE.finding(spec.path_of("privileged"), spec.line_of("privileged"),
                                   f"{spec.where} runs privileged: every capability and device of the host")
            yield critical_when_reachable(finding, spec, "privileged mode")


RULE = Rule(
    id="privileged-container",
    title="Privileged container",
    severity=Severity.HIGH,
    category="privilege",
    why="Privileged mode removes the container boundary: all capabilities, all host devices, no seccomp.",
    remedy="Remove privileged mode; add only the one capability or device the server needs.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "remove `privileged: true`; add the one capability or device needed"),
        ("Kubernetes", "`securityContext: {privileged: false}`"),
        ("docker run", "remove `--privileged`"),
        ("client config", "remove `--privileged` from `args`"),
    ),
    cwe=("CWE-250",),
    cis=("Ensure that privileged containers are not used",),
    peers=("Trivy KSV017", "Checkov CKV_K8S_16", "KICS Privileged Containers Enabled"),
)
