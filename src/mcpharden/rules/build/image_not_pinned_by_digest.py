"""## What it does
Checks that every external image is pinned by digest: in Dockerfiles, `FROM` lines (builder
stages included), `COPY --from=<image>` and `RUN --mount=from=<image>`; and the images that
compose services, Kubernetes containers, `docker run` lines and MCP manifests run. `ARG`
defaults and compose `${VAR:-default}` values are resolved, so `ARG BASE=node:22` then
`FROM ${BASE}` is checked as `node:22`. Stage names, `scratch` and images that compose
builds from the repository are not pulled, so they are not checked.

## Why is this bad?
A tag is a pointer the publisher (or whoever compromised their registry account) can move
at any time. An unpinned build silently picks up a different image: a new version with
new bugs, or a malicious one. A digest names exactly one image content, so builds are
reproducible and a tampered image cannot slip in.

## Example
```dockerfile
FROM node:22-alpine
```

Use instead:
```dockerfile
FROM node:22-alpine@sha256:9bef0ef1e268f60627da9ba7d7605e8831d5b56ad07487d24d1aa386336d1944
```

## How to fix
Append the digest of the image you tested (`docker buildx imagetools inspect node:22-alpine`
prints it) and let Dependabot or Renovate update tag and digest together.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpharden.model.findings import Finding, Severity
from mcpharden.model.project import Project
from mcpharden.rules.base import Rule


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        for use in build.image_uses:
            name = use.ref.name
            if name is None or name.is_pinned:
                continue  # an unresolvable ARG may carry a digest; we cannot tell
            if name.tag:
                message = f"{use.context} `{use.ref.display}` is pinned by tag, not by digest"
            else:
                message = f"{use.context} `{use.ref.display}` has neither tag nor digest: it follows `latest`"
            yield RULE.finding(build.path, use.line, message, image=use.ref.resolved or use.ref.written)
    for spec in project.containers:
        if spec.image is None or spec.built_locally or not spec.image.resolved or "{{" in spec.image.resolved:
            continue
        name = spec.image.name
        if name is not None and not name.is_pinned:
            how = "is pinned by tag, not by digest" if name.tag else "has neither tag nor digest: it follows `latest`"
            yield RULE.finding(spec.path, spec.line_of("image"), f"{spec.where} runs `{spec.image.display}`, which {how}", image=spec.image.resolved)


RULE = Rule(
    id="image-not-pinned-by-digest",
    title="Image not pinned by digest",
    severity=Severity.LOW,
    category="supply-chain",
    why="A tag can be moved to a different (or malicious) image at any time; a digest cannot.",
    fix="Append @sha256:<digest> to the reference and let Dependabot or Renovate keep tag and digest current.",
    page=__doc__,
    check=check,
)
