"""## What it does
Finds code fetched from the network and run at build time without being checked: a download
piped into an interpreter (`curl … | sh`, `wget -qO- … | sudo -E bash -`, `curl … | python3`),
an interpreter given a download (`bash <(curl …)`, `sh -c "$(curl …)"`), and `ADD https://…`
without `--checksum` (a Git URL pinned to a commit passes). Every stage counts: what a
builder stage runs ends up in what it builds.

## Why is this bad?
Whoever controls that URL (or the network, or the CDN in front of it) at build time runs code
as root in the build, and through it in every image built from then on. Nothing records what
was run, so the build cannot be reproduced or audited, and a compromised install script
poisons the MCP server's supply chain.

## Example
```dockerfile
<!-- sample: bad.Dockerfile, line 2 -->
```

Use instead:
an official base image or a package from the distribution, or a download
checked against a known digest:
```dockerfile
<!-- sample: good.Dockerfile, line 2 -->
```

## How to fix
Prefer a base image that already has the tool (`node:22`), or the distribution's package.
When you must download, pin the version, check the file before using it (`ADD --checksum=`,
or `sha256sum -c` on a digest written in the Dockerfile), and run it from the file, not from
a pipe.
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
        for stage in build.stages:
            for remote in stage.remote_code:
                yield RULE.finding(build.path, remote.line, f"stage {stage.label} runs code from the network unchecked: {remote.how}",
                                   stage=stage.label)


RULE = Rule(
    id="remote-code-at-build",
    title="Remote code run at build time",
    severity=Severity.MEDIUM,
    category="supply-chain",
    why="Code piped from the network into a shell runs as root in the build, unchecked and unrecorded.",
    remedy="Use a base image or distribution package; otherwise pin the download and check its digest (ADD --checksum=).",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "download, check the published sha256 (`sha256sum -c`), then run; `ADD --checksum=sha256:... https://...`"),
    ),
    cwe=("CWE-494",),
    cis=("Ensure that COPY is used instead of ADD in Dockerfiles",),
    peers=("Checkov CKV_DOCKER_4", "hadolint DL3020"),
)
