"""## What it does
Checks that a container drops all Linux capabilities: `--cap-drop ALL`, compose
`cap_drop: [ALL]`, Kubernetes `capabilities.drop: ["ALL"]`. Adding back the one or two a
server needs (`NET_BIND_SERVICE`) after dropping all is fine.

## Why is this bad?
Docker keeps about fourteen capabilities by default (`CHOWN`, `DAC_OVERRIDE`, `FOWNER`,
`SETUID`, `SETGID`, `NET_RAW`, `MKNOD`, ...). An MCP server needs none of them, but an
attacker who compromises it uses them to change file ownership, bypass file permissions,
craft raw packets on the container network, or become another user.

## Example
```sh
<!-- sample: bad.sh -->
```

Use instead:
```sh
<!-- sample: good.sh -->
```

## How to fix
Drop all capabilities and add back only what the server demonstrably needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.runtime import normalize_capability
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, container_finding

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        if spec.privileged or not spec.can_set("cap_drop") or "ALL" in {normalize_capability(c) for c in spec.cap_drop}:
            continue  # privileged mode is its own (HIGH) finding
        dropped = f" (drops only {', '.join(spec.cap_drop)})" if spec.cap_drop else ""
        yield container_finding(RULE, spec, spec.line_of("cap_drop"), f"{spec.where} keeps the default capabilities{dropped}: drop ALL")


RULE = Rule(
    id="capabilities-not-dropped",
    title="Capabilities not dropped",
    severity=Severity.LOW,
    category="privilege",
    why="Default capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW, ...) help an attacker and no MCP server needs them.",
    remedy="Drop all capabilities (--cap-drop ALL, cap_drop: [ALL], capabilities.drop: [ALL]); add back only what is needed.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`cap_drop: [ALL]`"),
        ("Kubernetes", "`securityContext: {capabilities: {drop: [\"ALL\"]}}`"),
        ("docker run", "`--cap-drop ALL`"),
        ("client config", "`\"--cap-drop\", \"ALL\"` in `args`; `mcpharden fix`"),
    ),
    cwe=("CWE-250",),
    cis=("Ensure that Linux kernel capabilities are restricted within containers",),
    peers=("Trivy KSV003", "Checkov CKV_K8S_28", "Checkov CKV_K8S_37", "KICS Container Capabilities Unrestricted"),
    keeps="the default capabilities",
)
