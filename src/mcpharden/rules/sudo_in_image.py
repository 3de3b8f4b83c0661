"""## What it does
Finds `sudo` (or `doas`) in the image that ships: installed in the final stage or in a stage it
is built `FROM`, and, for built images (`mcpharden image`), the binary itself.

## Why is this bad?
A non-root user buys nothing if it can become root: `sudo` configured for the user (as many
Dockerfiles do, `NOPASSWD`) or a `sudo` vulnerability (CVE-2021-3156, CVE-2023-22809) turns a
compromised MCP server back into root, and root in the container is a short step from the
host.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
the root work in `RUN` steps before `USER`, and no `sudo`:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Remove `sudo` from the package list of the final stage (install what needs root in a builder
stage, or before `USER`); if the server's start needs root for one step, use an entrypoint
that drops privileges (`gosu`, `setpriv`) and remove `sudo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.build import build_knowledge
from mcpharden.knowledge.image_contents import files_present
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project

_FILES = ("/usr/bin/sudo", "/bin/sudo", "/usr/local/bin/sudo", "/usr/bin/doas", "/usr/sbin/sudo")


def check(project: Project) -> Iterator[Finding]:
    packages = frozenset(build_knowledge()["sudo_packages"])
    for build in project.builds:
        for package in dict.fromkeys(p for p in build.final.os_packages if p.name in packages):
            yield RULE.finding(build.path, package.line, f"{build.final_phrase()} installs `{package.name}`: a way back to root",
                               package=package.name)
    for image in project.images:
        for path in files_present(image, _FILES):
            yield RULE.finding(image.source_path, 1, f"image {image.label} ships `{path}`", image=image.reference, file=path)


RULE = Rule(
    id="sudo-in-image",
    title="sudo in the image",
    severity=Severity.MEDIUM,
    category="privilege",
    why="sudo in the shipped image turns a compromised non-root server back into root.",
    remedy="Do root work in RUN steps before USER or in a build stage, and ship no sudo.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ImageModel"),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "do not install sudo or doas; run the steps that need root before `USER`"),
        ("built image", "rebuild without sudo"),
    ),
    cwe=("CWE-250",),
    peers=("hadolint DL3004",),
)
