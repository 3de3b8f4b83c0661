"""## What it does
Checks that processes in the container cannot gain privileges: `--security-opt
no-new-privileges` (also `=true` and `:true`), compose `security_opt:
[no-new-privileges:true]`, Kubernetes `allowPrivilegeEscalation: false`.

## Why is this bad?
Without `no-new-privileges`, a process can gain privileges through setuid and setgid
binaries (`su`, `sudo`, `passwd`, `mount` in full-OS images) or file capabilities. An
attacker who gets a shell as the server's non-root user uses them to become root inside
the container.

## Example
```sh
<!-- sample: bad.sh -->
```

Use instead:
```sh
<!-- sample: good.sh -->
```

## How to fix
Set `no-new-privileges` (Docker, Podman, compose) or `allowPrivilegeEscalation: false`
(Kubernetes) on every container.
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
        if spec.can_set("no_new_privileges") and not spec.no_new_privileges and not spec.privileged:
            yield container_finding(RULE, spec, spec.line_of("no_new_privileges"), f"{spec.where} allows privilege escalation (no `no-new-privileges`)")


RULE = Rule(
    id="privilege-escalation-allowed",
    title="Privilege escalation allowed",
    severity=Severity.LOW,
    category="privilege",
    why="Without no-new-privileges, setuid binaries and file capabilities let a non-root attacker become root.",
    remedy="Set --security-opt no-new-privileges (security_opt in compose, allowPrivilegeEscalation: false in Kubernetes).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`security_opt: [\"no-new-privileges:true\"]`"),
        ("Kubernetes", "`securityContext: {allowPrivilegeEscalation: false}`"),
        ("docker run", "`--security-opt no-new-privileges`"),
        ("client config", "`\"--security-opt\", \"no-new-privileges\"` in `args`; `mcpharden fix`"),
    ),
    cwe=("CWE-269",),
    cis=("Ensure that the container is restricted from acquiring additional privileges",),
    peers=("Trivy KSV001", "Checkov CKV_K8S_20", "KICS No New Privileges Not Set"),
    keeps="privilege escalation",
)
