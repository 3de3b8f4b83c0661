"""## What it does
Finds host devices passed into a container: `--device`, `--device-cgroup-rule`, compose
`devices:` and `device_cgroup_rules:`, and Kubernetes `hostPath` volumes under `/dev`.

## Why is this bad?
A device node is a direct line to a kernel driver: a disk (`/dev/sda`) can be read or
rewritten below every file permission, `/dev/mem` and `/dev/kmsg` expose the kernel, GPUs and
USB devices carry their drivers' bugs. A compromised MCP server with a host device reaches
past the container boundary.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
no devices, and the data the server needs as a (read-only) folder.

## How to fix
Remove the device unless the server exists to drive it (a GPU for local inference, a serial
adapter), and then pass only that device, read-only where possible (`/dev/x:/dev/x:r`):
- `docker run` and MCP client configurations: remove `--device` / `--device-cgroup-rule`;
- compose: remove the entry from `devices:` / `device_cgroup_rules:`;
- Kubernetes: remove the `hostPath` volume under `/dev` (use a device plugin for GPUs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        devices = [d.split(":", 1)[0] for d in spec.devices] + [f"cgroup rule `{r}`" for r in spec.device_cgroup_rules]
        if devices:
            yield RULE.finding(spec.path_of("devices"), spec.line_of("devices"), f"{spec.where} is given host devices: {listing(devices)}",
                               devices=",".join(devices))


RULE = Rule(
    id="host-device-exposed",
    title="Host device passed in",
    severity=Severity.MEDIUM,
    category="privilege",
    why="A host device is a direct line to a kernel driver, below every file permission of the host.",
    remedy="Remove --device / devices: / hostPath /dev unless the server drives that device; then pass only it.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "remove `devices:` entries the server does not need"),
        ("Kubernetes", "remove `hostPath` volumes under `/dev`"),
        ("docker run", "remove `--device` and `--device-cgroup-rule`"),
        ("client config", "remove `--device` from `args`"),
    ),
    cwe=("CWE-668",),
    cis=("Ensure that host devices are not directly exposed to containers",),
)
