"""## What it does
Checks a built image (`mcpharden image`) for a shell in its final file system: `/bin/sh`,
`bash`, `ash`, `dash`, `zsh`, `busybox`.

## Why is this bad?
Most attacks on a compromised server need a shell: command injection runs `sh -c`, and
every post-exploitation script assumes one. An image without a shell (distroless,
Chainguard, scratch) turns many exploits into dead ends.

## Example
```dockerfile
<!-- sample: bad/Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good/Dockerfile -->
```

## How to fix
Ship the server on a distroless or Chainguard runtime image and keep shells in build
stages. If the image must keep a shell, run it as non-root with a read-only root file
system.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.image_contents import shells
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for image in project.images:
        found = shells(image)
        if found:
            yield RULE.finding(image.source_path, 1, f"image {image.label} ships a shell: {', '.join(found)}", image=image.reference)


RULE = Rule(
    id="shell-in-runtime-image",
    title="Shell in the runtime image",
    severity=Severity.LOW,
    category="attack-surface",
    why="Command injection and post-exploitation scripts need a shell; an image without one stops them.",
    remedy="Ship on a distroless or Chainguard runtime and keep shells in build stages.",
    page=__doc__,
    check=check,
    phase="image",
    reads=("ImageModel",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("built image", "a distroless or Chainguard runtime stage (no `/bin/sh`)"),
        ("Dockerfile", "a final `FROM gcr.io/distroless/...:nonroot` that copies in only the server"),
    ),
    cis=("Ensure that unnecessary packages are not installed in the container",),
)
