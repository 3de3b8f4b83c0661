"""## What it does
Checks that a container's root file system is read-only: `--read-only`, compose
`read_only: true`, Kubernetes `readOnlyRootFilesystem: true`.

## Why is this bad?
With a writable root file system, a compromised server can replace its own code or
libraries so the compromise survives the request that caused it, drop tools into `/tmp`
or `/usr/local/bin`, and tamper with configuration. A read-only root file system makes
every such change fail; the server writes only where a volume or tmpfs allows it.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
Make the root file system read-only and give the server a tmpfs for `/tmp` (and a volume
for any data it must keep).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, container_finding

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        if spec.can_set("read_only_root") and not spec.read_only_root:
            yield container_finding(RULE, spec, spec.line_of("read_only_root"), f"{spec.where} has a writable root file system")


RULE = Rule(
    id="root-filesystem-writable",
    title="Root file system writable",
    severity=Severity.LOW,
    category="attack-surface",
    why="A writable root file system lets a compromised server modify its own code and persist.",
    remedy="Run with a read-only root file system (--read-only, read_only: true) and a tmpfs for /tmp.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`read_only: true` and `tmpfs: [/tmp]`"),
        ("Kubernetes", "`securityContext: {readOnlyRootFilesystem: true}` and an `emptyDir` for `/tmp`"),
        ("docker run", "`--read-only --tmpfs /tmp`"),
        ("client config", "`\"--read-only\", \"--tmpfs\", \"/tmp\"` in `args`; `mcpharden fix`"),
    ),
    cwe=("CWE-732",),
    cis=("Ensure that the container's root filesystem is mounted as read only",),
    peers=("Trivy KSV014", "Checkov CKV_K8S_22"),
    keeps="a writable root file system",
)
