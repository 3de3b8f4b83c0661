"""## What it does
Lists regular files in a built image that have the setuid or setgid bit (`su`, `passwd`,
`mount`, `newgrp`, ... in full-OS images).

## Why is this bad?
A setuid-root binary runs as root whoever starts it. A non-root attacker uses a bug in
one of them, or a misconfiguration such as a missing `no-new-privileges`, to become root
inside the container, which undoes the non-root user.

## Example
```dockerfile
<!-- sample: bad/Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good/Dockerfile -->
```

## How to fix
Use an image without them (distroless, Chainguard), or strip the bits in the Dockerfile,
and run with `no-new-privileges` so that remaining ones cannot raise privileges.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for image in project.images:
        found = sorted(f.path for f in image.files.values() if f.kind == "file" and f.mode & 0o6000)
        if found:
            shown = listing(found)
            yield RULE.finding(image.source_path, 1, f"image {image.label} has {len(found)} setuid/setgid file(s): {shown}", image=image.reference)


RULE = Rule(
    id="setuid-binary",
    title="Setuid or setgid binaries in the image",
    severity=Severity.MEDIUM,
    category="privilege",
    why="Setuid-root binaries let a non-root attacker become root inside the container.",
    remedy="Use a distroless image or strip the bits (chmod a-s), and run with no-new-privileges.",
    page=__doc__,
    check=check,
    phase="image",
    reads=("ImageModel",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("built image", "a distroless runtime, or `RUN find / -perm /6000 -type f -exec chmod a-s {} +` in the final stage"),
        ("Dockerfile", "the same `chmod a-s` step, or a base without setuid tools"),
    ),
    cwe=("CWE-250",),
    cis=("Ensure setuid and setgid permissions are removed",),
)
