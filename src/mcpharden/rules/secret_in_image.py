"""## What it does
Finds credentials baked into an image. In Dockerfiles: an `ENV` or `ARG` whose value (or
default) is a credential, and a credential-named `ARG` (`NPM_TOKEN`, `GITHUB_TOKEN`, ...) that a
`RUN` step reads, whose value is then recorded in the image's history (Docker's own
`SecretsUsedInArgOrEnv` check warns of the same); `RUN --mount=type=secret` is the way to pass
one and is not reported. In built images: `ENV` variables named like secrets (`*TOKEN*`,
`*SECRET*`, `*PASSWORD*`, `*API_KEY*`, ...) with real-looking values, and credential files:
private keys, `.npmrc` auth tokens, `.pypirc` and `.netrc` passwords, `.git-credentials`,
AWS credentials, registry `config.json` auths, cloud service-account keys, `.env` files with
credentials. Findings say where and what kind, never the value. Third-party test data in
`node_modules` and `site-packages` is not searched.

## Why is this bad?
Anyone who can pull the image can read every layer, including layers a later `RUN rm`
"deleted". An MCP server's credentials (API tokens for the service it wraps, registry and
cloud keys) then leak to everyone with pull access, and to any attacker who compromises the
server.

## Example
```dockerfile
<!-- sample: bad.Dockerfile, lines 2-4 -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile, line 2 -->
```
(built with `docker build --secret id=npmrc,src=$HOME/.npmrc .`)
and pass `GITHUB_TOKEN` at run time (`docker run -e GITHUB_TOKEN`, or the MCP client's
`env` / `inputs`).

## How to fix
Remove the credential from the image (rebuilding; deleting it in a later layer does not
remove it), rotate it, and provide it at build time with BuildKit secret mounts or at run
time through the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.credentials import credential_kind, is_credential_name
from mcpharden.knowledge.image_contents import secrets
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        seen: set[tuple[int, str]] = set()
        for stage in build.stages:
            for declaration in stage.declarations:
                message = _declaration_problem(declaration)
                if message and (declaration.line, declaration.name) not in seen:
                    seen.add((declaration.line, declaration.name))
                    yield RULE.finding(build.path, declaration.line, f"stage {stage.label}: {message}",
                                       name=declaration.name, kind=declaration.kind)
    for image in project.images:
        for secret in secrets(image):
            yield RULE.finding(image.source_path, 1, f"image {image.label} has a credential in {secret.where} ({secret.kind})",
                               image=image.reference, where=secret.where, kind=secret.kind)


def _declaration_problem(declaration) -> str | None:
    kind = credential_kind(declaration.name, declaration.value)
    if kind:
        default = "default " if declaration.kind == "ARG" else ""
        return f"`{declaration.kind} {declaration.name}` has a literal {kind} as its {default}value (value not shown)"
    if declaration.kind == "ARG" and declaration.used_in_run and is_credential_name(declaration.name):
        return (f"the build argument `{declaration.name}` is read by a RUN step: its value is recorded in the image's "
                "history; use RUN --mount=type=secret")
    return None


RULE = Rule(
    id="secret-in-image",
    title="Secret baked into the image",
    severity=Severity.HIGH,
    category="supply-chain",
    why="Every layer of an image can be read by anyone who pulls it; baked-in credentials leak.",
    remedy="Rebuild without the credential, rotate it, and use BuildKit secret mounts or run-time environment instead.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ImageModel"),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "`RUN --mount=type=secret,id=token ...` instead of `ARG`/`ENV`; pass the value at run time"),
        ("built image", "rotate the credential, rebuild without it (deleting it in a later layer does not remove it)"),
    ),
    cwe=("CWE-798", "CWE-538"),
    cis=("Ensure secrets are not stored in Dockerfiles",),
    peers=("Docker build check SecretsUsedInArgOrEnv", "Trivy secret scanning", "KICS Passwords And Secrets"),
)
