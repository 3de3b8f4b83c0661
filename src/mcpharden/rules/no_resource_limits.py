"""## What it does
Finds containers run without a memory limit or without a process (pids) limit: no
`--memory`/`-m` or `--pids-limit` in `docker run` and MCP client configurations, no
`mem_limit`/`pids_limit` (or `deploy.resources.limits.memory`/`pids`) in compose; and Kubernetes
containers without `resources.limits.memory` or `resources.limits.cpu`. A limit a format cannot
express is not asked for: Kubernetes has no per-container pids limit (the kubelet's
`podPidsLimit` is the cluster's setting), and a Docker MCP catalog entry gets the gateway's own
limits (`--memory 2Gb`).

A CPU limit is asked for in Kubernetes only (as Checkov CKV_K8S_11 and Trivy KSV011 do): on a
Docker host containers share the CPU by weight, so a server without one slows the host down
but does not take it down the way an unbounded memory or process count does. Which limits
each format is asked for is a table (`resource_limits` in knowledge/runtime.toml).

## Why is this bad?
Without limits one compromised or runaway server (a fork bomb, a prompt that makes a tool
read a huge file into memory) takes the whole host down with it, and every other server and
application on it.

## Example
```sh
<!-- sample: bad.sh -->
```

Use instead:
```sh
<!-- sample: good.sh -->
```

## How to fix
Set both limits to what the server needs, with a margin:
- `docker run` and MCP client configurations: `--memory 512m --pids-limit 128`;
- compose: `mem_limit: 512m` and `pids_limit: 128` (or `deploy.resources.limits`);
- Kubernetes: `resources.limits.memory: 512Mi` and `resources.limits.cpu: 500m` (and
  `podPidsLimit` in the kubelet).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.runtime import limits_asked
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, container_finding

if TYPE_CHECKING:
    from mcpharden.model.project import Project

_LIMITS = (("memory_limit", "memory"), ("pids_limit", "process (pids)"), ("cpu_limit", "CPU"))


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        asked = limits_asked(spec.origin)
        missing = [label for setting, label in _LIMITS
                   if setting in asked and spec.can_set(setting) and getattr(spec, setting) is None]
        if missing:
            yield container_finding(RULE, spec, spec.line, f"{spec.where} has no {' and no '.join(missing)} limit",
                               missing=",".join(missing))


RULE = Rule(
    id="no-resource-limits",
    title="No memory or process limit",
    severity=Severity.LOW,
    category="operations",
    why="Without limits one compromised or runaway server can exhaust the host's memory or process table.",
    remedy="Set --memory and --pids-limit (mem_limit/pids_limit in compose; resources.limits.memory and cpu in Kubernetes).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`mem_limit: 512m` and `pids_limit: 256` (or `deploy.resources.limits`)"),
        ("Kubernetes", "`resources: {limits: {memory: 512Mi, cpu: 500m}}`"),
        ("docker run", "`--memory 512m --pids-limit 256`"),
        ("client config", "`\"--memory\", \"512m\", \"--pids-limit\", \"256\"` in `args`"),
    ),
    cwe=("CWE-770",),
    cis=("Ensure that the memory usage for containers is limited", "Ensure that the PIDs cgroup limit is used"),
    peers=("Checkov CKV_K8S_13", "Checkov CKV_K8S_11", "Trivy KSV018", "Trivy KSV011"),
    keeps="no resource limits",
)
