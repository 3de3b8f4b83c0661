"""## What it does
Finds an SSH server in the image that ships: `openssh-server`, `dropbear` (or Alpine's
`openssh`) installed in the final stage or a stage it is built `FROM`, `EXPOSE 22`, and, for
built images (`mcpharden image`), `sshd` or `dropbear` itself.

## Why is this bad?
An SSH server is a second way into the container beside the MCP server, with its own
credentials to leak (host keys baked into the image are the same for everyone who pulls it)
and its own vulnerabilities (regreSSHion, CVE-2024-6387). Containers are entered with
`docker exec` or `kubectl exec`, never SSH.

## Example
```dockerfile
<!-- sample: bad.Dockerfile, lines 2-3 -->
```

Use instead:
no SSH server; `docker exec -it <container> sh` when you must look inside.

## How to fix
Remove the SSH server package and `EXPOSE 22`; for debugging use `docker exec`,
`kubectl exec` or an ephemeral debug container (`kubectl debug`).
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

_FILES = ("/usr/sbin/sshd", "/usr/sbin/dropbear", "/usr/bin/dropbear", "/usr/local/sbin/sshd")


def check(project: Project) -> Iterator[Finding]:
    packages = frozenset(build_knowledge()["ssh_server_packages"])
    for build in project.builds:
        final = build.final
        for package in dict.fromkeys(p for p in final.os_packages if p.name in packages):
            yield RULE.finding(build.path, package.line, f"{build.final_phrase()} installs the SSH server `{package.name}`",
                               package=package.name)
        for port in final.exposed_ports:
            if port.port.split("/", 1)[0] == "22":
                yield RULE.finding(build.path, port.line, f"{build.final_phrase()} exposes port 22 (SSH)", port="22")
    for image in project.images:
        for path in files_present(image, _FILES):
            yield RULE.finding(image.source_path, 1, f"image {image.label} ships the SSH server `{path}`",
                               image=image.reference, file=path)
        if any(port.split("/", 1)[0] == "22" for port in image.exposed_ports):
            yield RULE.finding(image.source_path, 1, f"image {image.label} exposes port 22 (SSH)", image=image.reference)


RULE = Rule(
    id="ssh-server-in-image",
    title="SSH server in the image",
    severity=Severity.MEDIUM,
    category="attack-surface",
    why="An SSH server is a second way in, with baked-in host keys and its own vulnerabilities; containers are entered with exec.",
    remedy="Remove the SSH server and EXPOSE 22; use docker exec / kubectl exec / kubectl debug.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ImageModel"),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "no `openssh-server`/`dropbear`, no `EXPOSE 22`; use `docker exec` for access"),
        ("built image", "rebuild without an SSH server"),
    ),
    cis=("Ensure sshd is not run within containers",),
    peers=("Checkov CKV_DOCKER_1", "KICS Exposing Port 22 (SSH)"),
)
