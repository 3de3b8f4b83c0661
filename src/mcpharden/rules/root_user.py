"""## What it does
Checks that the container does not run as root (uid 0). For a Dockerfile, the user is the
last `USER` of the stage that ships (the last one, or `--target`), or the user it inherits
from the stage it is built `FROM`, or the base image's default user when neither sets one.
`USER` values are resolved like BuildKit does: names, uids, `uid:gid`, and `${VAR}` from
`ARG`/`ENV` defaults, including global `ARG`s declared before the first `FROM`.

Base images known to run as a non-root user (distroless `:nonroot` tags, Chainguard,
Docker Hardened Images, chiseled .NET images) pass without a `USER`. Images not in the
base-image table are assumed to run as root, and the message says so. A `FROM scratch` stage
with no `CMD`/`ENTRYPOINT` (none inherited) and no `USER` only carries files for other images;
one that sets `USER root` or `USER 0` (or inherits it) is judged as root all the same.

For containers as they are run (compose, Kubernetes, `docker run` lines in MCP client
configs, scripts and READMEs), a run-time user decides: `user: root`, `--user 0`,
`runAsUser: 0` make the container root whatever the image says; a non-root `--user` or
`runAsNonRoot: true` make it safe. Without an override, an image that the base-image table
knows to run as root (`node:22`, `python:3.12`) is reported; images built from a
Dockerfile in the repository are judged on that Dockerfile instead.

For built images (`mcpharden image`), the raw config's `User` decides: empty, `0`, `root`,
or a name that the image's own `/etc/passwd` maps to uid 0.

## Why is this bad?
When an MCP server is compromised (path traversal, command injection, a poisoned
dependency), the attacker gets the server's user. As root inside the container they can
read and change every file in the image, install tools with the package manager, and use
any kernel bug or misconfiguration (a mounted socket, an added capability) to escape to
the host with root privileges.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Add a `USER` with a non-root user as the last `USER` of the final stage (official Node
images ship a `node` user; on Alpine create one with `adduser -S`, on Debian with
`useradd --system`), or build on a base image that runs as non-root, such as a distroless
`:nonroot` tag. Keep `USER root` only in builder stages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.base_images import profile_for
from mcpharden.knowledge.image_contents import uid_of
from mcpharden.model.build import BuildModel, is_root_user
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        if build.final.user.is_root and not _runs_nothing(build):
            yield _finding(build)
    for spec in project.containers:
        finding = _spec_finding(spec)
        if finding:
            yield finding
    for image in project.images:
        uid = uid_of(image, image.config_user)
        if uid == 0:
            user = f"`{image.config_user}`" if image.config_user else "not set"
            yield RULE.finding(image.source_path, 1, f"image {image.label} runs as root: its configured user is {user}", user=image.config_user)


def _runs_nothing(build: BuildModel) -> bool:
    """A `FROM scratch` image with no CMD or ENTRYPOINT (none inherited either) only carries
    files (a wasm plugin, a data image, binaries for another image's COPY --from): it runs no
    process, so no process runs as root. A stage that sets `USER root` (or `0`) itself, or
    inherits it, says it is meant to run as root: it is judged like any other."""
    final = build.final
    return ((build.root_base(final).resolved or "").lower() == "scratch" and not final.start_arguments
            and final.user.origin not in ("explicit", "inherited"))


def _spec_finding(spec: ContainerSpec) -> Finding | None:
    if spec.user is not None:
        if is_root_user(spec.user, {}):
            return RULE.finding(spec.path_of("user"), spec.line_of("user"), f"{spec.where} runs as root: the user is set to `{spec.user}`", user=spec.user)
        return None
    if spec.run_as_non_root or spec.built_locally or spec.image is None or not spec.image.resolved:
        return None
    profile = profile_for(spec.image.resolved)
    if profile.known and is_root_user(profile.default_user, {}):
        message = f"{spec.where} runs as root: its image {spec.image.written} runs as root by default and no user is set"
        return RULE.finding(spec.path_of("image"), spec.line_of("image"), message, user=profile.default_user)
    return None


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
    remedy="End the final stage with `USER <non-root user>`, or use a base image that runs as non-root (distroless :nonroot).",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ContainerSpec", "ImageModel"),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "`USER node` / `USER 65532:65532` at the end of the final stage, or a `:nonroot` distroless base"),
        ("compose", "`user: \"65532:65532\"`"),
        ("Kubernetes", "`securityContext: {runAsNonRoot: true, runAsUser: 65532}`"),
        ("docker run", "`--user 65532:65532`"),
        ("client config", "`\"args\": [\"run\", \"-i\", \"--rm\", \"--user\", \"65532:65532\", ...]`"),
    ),
    cwe=("CWE-250",),
    cis=("Ensure that a user for the container has been created",),
    peers=(
        "hadolint DL3002", "Trivy AVD-DS-0002", "Trivy KSV012", "Checkov CKV_DOCKER_3", "Checkov CKV_DOCKER_8",
        "Checkov CKV_K8S_23", "KICS Missing User Instruction", "KICS Last User Is 'root'",
    ),
)
