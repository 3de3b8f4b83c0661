"""## What it does
Finds credentials baked into a built image: `ENV` variables named like secrets (`*TOKEN*`,
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
ENV GITHUB_TOKEN=ghp_8Hq0example0token0value0000
COPY .npmrc /root/.npmrc
RUN npm ci
```

Use instead:
```dockerfile
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
```
and pass `GITHUB_TOKEN` at run time (`docker run -e GITHUB_TOKEN`, or the MCP client's
`env` / `inputs`).

## How to fix
Remove the credential from the image (rebuilding; deleting it in a later layer does not
remove it), rotate it, and provide it at build time with BuildKit secret mounts or at run
time through the environment.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpharden.knowledge.image_contents import secrets
from mcpharden.model.findings import Finding, Severity
from mcpharden.model.project import Project
from mcpharden.rules.base import Rule


def check(project: Project) -> Iterator[Finding]:
    for image in project.images:
        for secret in secrets(image):
            yield RULE.finding(image.source_path, 1, f"image {image.label} contains a {secret.kind} in {secret.where}",
                               image=image.reference, where=secret.where, kind=secret.kind)


RULE = Rule(
    id="secret-in-image",
    title="Secret baked into the image",
    severity=Severity.HIGH,
    category="supply-chain",
    why="Every layer of an image can be read by anyone who pulls it; baked-in credentials leak.",
    fix="Rebuild without the credential, rotate it, and use BuildKit secret mounts or run-time environment instead.",
    page=__doc__,
    check=check,
)
