"""## What it does
Finds Linux capabilities added to a container that break its isolation: `ALL`,
`SYS_ADMIN`, `SYS_PTRACE`, `SYS_MODULE`, `NET_ADMIN`, `DAC_READ_SEARCH`, `BPF`,
`SYS_RAWIO`, `SYS_BOOT`, `PERFMON` and others in the capability table
(`--cap-add`, compose `cap_add`, Kubernetes `capabilities.add`, with or without the
`CAP_` prefix). Capabilities Docker grants by default are not listed: adding them changes
nothing. One finding per container names every dangerous capability its list adds.

## Why is this bad?
`SYS_ADMIN` alone allows mounting file systems and is the classic container escape;
`SYS_PTRACE` reads other processes' memory; `SYS_MODULE` loads kernel modules; `NET_ADMIN`
reconfigures the network; `DAC_READ_SEARCH` opens any file by handle (the "shocker"
escape); `BPF` loads programs into the kernel.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
Remove the capability. If a feature truly needs it, run that feature in a separate,
dedicated container that does not process untrusted input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.runtime import dangerous_capabilities
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        # One finding per list (`cap_add:`, the `--cap-add` flags of one run line): one edit
        # removes them all, and each capability is named.
        found = list(dict.fromkeys(dangerous_capabilities(spec.cap_add)))
        if not found:
            continue
        named = found[0] if len(found) == 1 else f"{', '.join(found[:-1])} and {found[-1]}"
        noun = "capability" if len(found) == 1 else "capabilities"
        yield RULE.finding(spec.path_of("cap_add"), spec.line_of("cap_add"), f"{spec.where} adds the {noun} {named}",
                           capabilities=",".join(found))


RULE = Rule(
    id="dangerous-capability-added",
    title="Dangerous capability added",
    severity=Severity.HIGH,
    category="privilege",
    why="Capabilities such as SYS_ADMIN, SYS_PTRACE or SYS_MODULE are known container escapes.",
    remedy="Remove the capability; isolate any feature that needs it in a container that handles no untrusted input.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "remove the capability from `cap_add`"),
        ("Kubernetes", "remove it from `securityContext.capabilities.add`"),
        ("docker run", "remove `--cap-add SYS_ADMIN` (and the like)"),
        ("client config", "remove `--cap-add` from `args`"),
    ),
    cwe=("CWE-250",),
    cis=("Ensure that Linux kernel capabilities are restricted within containers",),
    peers=(
        "Trivy KSV005", "Trivy KSV022", "Checkov CKV_K8S_25", "Checkov CKV_K8S_39",
        "KICS Container Capabilities Unrestricted",
    ),
)
