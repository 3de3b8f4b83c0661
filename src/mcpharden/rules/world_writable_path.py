"""## What it does
Lists files and directories in a built image that every user may write, except the sticky
temporary directories meant for that (`/tmp`, `/var/tmp`, `/dev/shm`). Symbolic links are
not counted (their mode means nothing).

## Why is this bad?
A world-writable file or directory in the image lets any process (whichever user the
attacker ends up as) replace code, configuration or libraries that the server, or root,
will later load, which turns a foothold into persistence or privilege escalation.

## Example
```dockerfile
<!-- sample: bad/Dockerfile, line 2 -->
```

Use instead:
```dockerfile
<!-- sample: good/Dockerfile, line 2 -->
```

## How to fix
Give write access only to the user that needs it, on the directories it writes to; keep
code and configuration owned by root and read-only.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpharden.knowledge.image_contents import writable_allowed
from mcpharden.model.findings import Finding, Severity
from mcpharden.model.project import Project
from mcpharden.rules.base import Rule, listing


def check(project: Project) -> Iterator[Finding]:
    for image in project.images:
        found = sorted(
            f.path for f in image.files.values()
            if f.kind in ("file", "dir") and f.mode & 0o002 and not writable_allowed(f.path)
            and not (f.kind == "dir" and f.mode & 0o1000 and writable_allowed(f.path.rsplit("/", 1)[0] or "/"))
        )
        if found:
            shown = listing(found)
            yield RULE.finding(image.source_path, 1, f"image {image.label} has {len(found)} world-writable path(s): {shown}", image=image.reference)


RULE = Rule(
    id="world-writable-path",
    title="World-writable paths in the image",
    severity=Severity.MEDIUM,
    category="privilege",
    why="World-writable code or configuration lets any process replace what the server or root loads next.",
    remedy="Give write access only to the directories the server writes to, owned by its user; keep code read-only.",
    page=__doc__,
    check=check,
    phase="image",
    reads=("ImageModel",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("built image", "`chmod o-w` the paths in the Dockerfile; give the server's user its own writable folder"),
        ("Dockerfile", "`COPY --chmod=755` / `RUN chmod o-w ...`"),
    ),
    cwe=("CWE-732",),
)
