"""## What it does
Checks that the container does not run as root (uid 0). For a Dockerfile, the user is the
last `USER` of the stage that ships (the last one, or `--target`), or the user it inherits
from the stage it is built `FROM`, or the base image's default user when neither sets one.
`USER` values are resolved like BuildKit does: names, uids, `uid:gid`, and `${VAR}` from
`ARG`/`ENV` defaults, including global `ARG`s declared before the first `FROM`.

Base images known to run as a non-root user (distroless `:nonroot` tags, Chainguard,
Docker Hardened Images, chiseled .NET images) pass without a `USER`. Images not in the
base-image table are assumed to run as root, and the message says so.

## Why is this bad?
When an MCP server is compromised (path traversal, command injection, a poisoned
dependency), the attacker gets the server's user. As root inside the container they can
read and change every file in the image, install tools with the package manager, and use
any kernel bug or misconfiguration (a mounted socket, an added capability) to escape to
the host with root privileges.

## Example
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
CMD ["node", "server.js"]
```

Use instead:
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY --chown=node:node . .
RUN npm ci --omit=dev
USER node
CMD ["node", "server.js"]
```

## How to fix
Add a `USER` with a non-root user as the last `USER` of the final stage (official Node
images ship a `node` user; on Alpine create one with `adduser -S`, on Debian with
`useradd --system`), or build on a base image that runs as non-root, such as a distroless
`:nonroot` tag. Keep `USER root` only in builder stages.

## Suppression
`# mcpharden: ignore=root-user` on the line before the reported instruction.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpharden.model.build import BuildModel
from mcpharden.model.findings import Finding, Severity
from mcpharden.model.project import Project
from mcpharden.rules.base import Rule


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        if build.final.user.is_root:
            yield _finding(build)


def _finding(build: BuildModel) -> Finding:
    final = build.final
    user = final.user
    base = build.root_base(final).display
    if user.origin == "explicit":
        message = f"{build.final_phrase()} runs as root: its last USER is `{user.written}`"
        line = user.line
    elif user.origin == "inherited":
        message = f"{build.final_phrase()} runs as root: it inherits `USER {user.written}` from stage '{user.stage}'"
        line = final.line
    elif user.origin == "assumed":
        message = (f"{build.final_phrase()} has no USER and its base image {base} is not in the "
                   f"base-image table: its default user was assumed to be root")
        line = final.line
    else:
        note = f" ({final.profile.note})" if final.profile.note else ""
        message = f"{build.final_phrase()} has no USER, and its base image {base} runs as root by default{note}"
        line = final.line
    return RULE.finding(build.path, line, message, stage=final.label, user=user.written, origin=user.origin)


RULE = Rule(
    id="root-user",
    title="Container runs as root",
    severity=Severity.HIGH,
    category="privilege",
    why="A compromised server running as root owns the whole container and is one misconfiguration away from the host.",
    fix="End the final stage with `USER <non-root user>`, or use a base image that runs as non-root (distroless :nonroot).",
    page=__doc__,
    check=check,
)
