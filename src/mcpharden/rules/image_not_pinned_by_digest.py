"""## What it does
Checks that every external image a build pulls is pinned by digest: `FROM` lines (builder
stages included), `COPY --from=<image>` and `RUN --mount=from=<image>`. `ARG` defaults
are resolved, so `ARG BASE=node:22` then `FROM ${BASE}` is checked as `node:22`. Stage
names and `scratch` are not images.

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
