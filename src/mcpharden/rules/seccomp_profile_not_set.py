"""## What it does
Finds Kubernetes containers that run without a seccomp profile: no `seccompProfile` of type
`RuntimeDefault` or `Localhost` in the container's or the pod's `securityContext` (nor the
legacy `seccomp.security.alpha.kubernetes.io` annotations). Kubernetes runs such a container
`Unconfined`, unlike Docker and Podman, which apply their default profile when none is named:
compose services and `docker run` lines are not flagged for leaving it out (a profile turned
off there, `seccomp=unconfined`, is `security-profile-disabled`, as is an explicit
`Unconfined` in Kubernetes). Privileged containers are left to `privileged-container`: no
profile applies to them.

A cluster whose kubelets run with `seccompDefault: true` applies `RuntimeDefault` to such
pods; a manifest cannot tell, and the same manifest runs unconfined on any other cluster.

## Why is this bad?
Without seccomp every system call of the kernel is open to the container: `unshare`, `mount`,
`keyctl`, `bpf`, `ptrace`, the calls most container escapes and kernel exploits go through.
The runtime's default profile blocks about forty of them and no MCP server needs any. A
compromised server in an unconfined pod is one kernel bug away from the node.

## Example
```yaml
<!-- sample: bad.yaml -->
```

Use instead:
```yaml
<!-- sample: good.yaml -->
```

## How to fix
Set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext` (it applies to every
container of the pod), or in each container's; use `Localhost` with a profile of your own when
the server needs a call the default profile blocks. `mcpharden fix` adds it to each container's
`securityContext`.
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
        if spec.seccomp_by_default or spec.seccomp_profile is not None or spec.privileged:
            continue  # a runtime default applies, a profile is named (Unconfined: security-profile-disabled), or privileged
        yield container_finding(RULE, spec, spec.line, f"{spec.where} sets no seccompProfile: Kubernetes runs it Unconfined, "
                                                       "with every system call open")


RULE = Rule(
    id="seccomp-profile-not-set",
    title="No seccomp profile (Kubernetes)",
    severity=Severity.LOW,
    category="privilege",
    why="Kubernetes runs a container without a seccompProfile Unconfined: every system call of the kernel is open to it.",
    remedy="Set securityContext.seccompProfile.type: RuntimeDefault (pod or container), or Localhost with your own profile.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="sometimes",
    since="0.2.0",
    remedy_by_source=(
        ("Kubernetes", "`securityContext: {seccompProfile: {type: RuntimeDefault}}` in the pod spec or each container; "
                       "`mcpharden fix`"),
        ("compose", "nothing to add: Docker applies its default profile (keep `seccomp:unconfined` out of `security_opt`)"),
        ("docker run", "nothing to add: Docker and Podman apply their default profile (no `--security-opt seccomp=unconfined`)"),
        ("client config", "nothing to add: the engine applies its default profile"),
    ),
    cwe=("CWE-693",),
    peers=("Trivy KSV030", "Checkov CKV_K8S_31", "Kubernetes Pod Security Standards (restricted)"),
    keeps="no seccomp profile",
)
