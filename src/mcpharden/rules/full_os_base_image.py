"""## What it does
Checks the base image of the stage that ships. A full operating-system image (Debian,
Ubuntu, their `-slim` variants, Red Hat UBI, Amazon Linux, and the official language images
built on them such as `node:22` or `python:3.12-slim`) is flagged. Alpine and Wolfi pass
only when the container runs as a non-root user. Distroless, Chainguard, Docker Hardened
Images, chiseled images and `scratch` pass. Unknown third-party images are not flagged.

The family of an image comes from the base-image table, which projects can extend in
`[tool.mcpharden]` (`base-images`). The message names the distribution and its package
manager as they are: Fedora, CentOS and Rocky Linux are not RHEL, `centos:7` has `yum`, and UBI
minimal and Oracle Linux slim have `microdnf`.

## Why is this bad?
Everything in the runtime image is available to an attacker who compromises the server: a
shell to chain commands, a package manager to install tools, `curl` and `wget` to fetch
payloads, setuid binaries to escalate. A full OS also carries hundreds of packages whose
vulnerabilities scanners will report and you will have to patch, though the server never
uses them.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Build in a full image, then copy only the application and its production dependencies
into a distroless (`:nonroot`) or Chainguard runtime stage. If you need a shell at run
time, use Alpine and run as a non-root user.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        final = build.final
        profile = final.profile
        base = build.root_base(final).display
        if profile.kind == "full-os":
            message = (f"{build.final_phrase()} ships a full {profile.distribution or profile.family} OS ({base}): "
                       f"shell, {profile.package_manager or 'package manager'} and system tools are there for an attacker")
        elif profile.kind == "minimal-os" and final.user.is_root:
            message = (f"{build.final_phrase()} ships {profile.family} ({base}) and runs as root: "
                       f"a minimal OS is only hardened with a non-root user")
        else:
            continue
        yield RULE.finding(build.path, final.line, message, stage=final.label, family=profile.family, image=base)


RULE = Rule(
    id="full-os-base-image",
    title="Runtime image is a full operating system",
    severity=Severity.MEDIUM,
    category="attack-surface",
    why="A shell, a package manager and system tools in the runtime image are an attacker's toolkit and a patching burden.",
    remedy="Copy the built server into a distroless (:nonroot) or Chainguard runtime stage, or Alpine with a non-root USER.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel",),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "a final `FROM gcr.io/distroless/nodejs22-debian12:nonroot` (or Chainguard, or Alpine with a non-root `USER`) that copies in the built server; `mcpharden fix --rewrite-distroless`"),
    ),
    cis=("Ensure that unnecessary packages are not installed in the container",),
    peers=("Trivy (image scan finds the OS packages)",),
)
