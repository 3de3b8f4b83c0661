"""## What it does
Checks a built image for package managers in its final file system: apt/dpkg, apk,
dnf/yum/microdnf, rpm, pip, npm, yarn, pnpm, corepack.

## Why is this bad?
A package manager lets an attacker who compromised the server install whatever tools
they need (compilers, scanners, network tools) in seconds, and language package managers
run arbitrary install scripts. The server itself never needs them at run time.

## Example
```dockerfile
<!-- sample: bad/Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good/Dockerfile -->
```

## How to fix
Install dependencies in a build stage and copy only the result into a runtime image
without package managers (distroless, Chainguard, scratch).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.image_contents import package_managers
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for image in project.images:
        found = package_managers(image)
        if found:
            tools = ", ".join(f"{tool} ({paths[0]})" for tool, paths in found.items())
            yield RULE.finding(image.source_path, 1, f"image {image.label} ships package managers: {tools}", image=image.reference,
                               managers=", ".join(found))


RULE = Rule(
    id="package-manager-in-runtime-image",
    title="Package manager in the runtime image",
    severity=Severity.MEDIUM,
    category="attack-surface",
    why="A package manager lets an attacker install any tool they need; the server never uses it at run time.",
    remedy="Install in a build stage and copy the result into a runtime image without package managers.",
    page=__doc__,
    check=check,
    phase="image",
    reads=("ImageModel",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("built image", "a runtime stage without apt, apk, pip or npm (distroless, Chainguard)"),
        ("Dockerfile", "install in a build stage, copy the result into a distroless final stage"),
    ),
    cis=("Ensure that unnecessary packages are not installed in the container",),
)
