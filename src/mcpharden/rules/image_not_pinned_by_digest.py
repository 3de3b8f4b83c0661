"""## What it does
Checks that every external image is pinned by digest: in Dockerfiles, `FROM` lines (builder
stages included), `COPY --from=<image>` and `RUN --mount=from=<image>`; and the images that
compose services, Kubernetes containers, `docker run` lines and MCP manifests run. `ARG`
defaults and compose `${VAR:-default}` values are resolved, so `ARG BASE=node:22` then
`FROM ${BASE}` is checked as `node:22`. Stage names, `scratch`, images that compose
builds from the repository, and images the repository builds itself anywhere (`docker build
-t srv .` in a README, a Makefile, a script or CI, docker/build-push-action's `tags`; then
`docker run srv` or `FROM srv`) are not pulled from a registry, so they are not checked.
Documentation placeholders that teach pinning (`@sha256:<digest>`, `@sha256:…`, `<IMAGE_TAG>`)
are left for the reader to fill in: nothing to judge, and never quoted back.

## Why is this bad?
A tag is a pointer the publisher (or whoever compromised their registry account) can move
at any time. An unpinned build silently picks up a different image: a new version with
new bugs, or a malicious one. A digest names exactly one image content, so builds are
reproducible and a tampered image cannot slip in.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Append the digest of the image you tested (`docker buildx imagetools inspect node:22-alpine`
prints it) and let Dependabot or Renovate update tag and digest together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.model.references import ImageRef, parse_image_name
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    built = _built_here(project)
    for build in project.builds:
        for use in build.image_uses:
            problem = None if _is_built_here(use.ref, built) else _problem(use.ref, "a build argument")
            if problem:
                yield RULE.finding(build.path, use.line, f"{use.context} `{use.ref.display}` {problem}",
                                   image=use.ref.resolved or use.ref.written)
    for spec in project.containers:
        if spec.image is None or spec.built_locally or "{{" in spec.image.written or _is_built_here(spec.image, built):
            continue
        problem = _problem(spec.image, "a variable")
        if problem:
            yield RULE.finding(spec.path_of("image"), spec.line_of("image"), f"{spec.where} runs `{spec.image.display}`, which {problem}",
                               image=spec.image.resolved or spec.image.written)


def _built_here(project: Project) -> frozenset[str]:
    """The images the repository builds itself (`docker build -t srv .` in a README, a Makefile, a
    script or CI; docker/build-push-action's `tags`), by registry and repository: `docker run srv`
    then runs what the same repository just built, whatever its tag, and no registry can move it."""
    names = set()
    for build in project.build_arguments:
        for tag in build.tags:
            if "$" not in tag and "{" not in tag and (name := parse_image_name(tag)).repository:
                names.add(name.full_name)
    return frozenset(names)


def _is_built_here(ref: ImageRef, built: frozenset[str]) -> bool:
    return bool(built) and ref.name is not None and ref.name.full_name in built


def _is_placeholder(ref: ImageRef) -> bool:
    """A documentation placeholder where a reader fills in their own value (`<IMAGE_TAG>`,
    `@sha256:<digest>`, `@sha256:…`): README code blocks read `<word>` as `PLACEHOLDER_WORD`, a
    text the file does not hold and a finding must not quote. Nothing to judge in it."""
    written = ref.resolved or ref.written
    digest = written.partition("@")[2]
    return "PLACEHOLDER_" in written or any(mark in digest for mark in _DIGEST_PLACEHOLDERS)


_DIGEST_PLACEHOLDERS = ("…", "...", "<", "xxxx", "XXXX")


def _problem(ref: ImageRef, variable: str) -> str | None:
    """What keeps the reference from naming one image for good, in words; None when pinned.
    `variable` names what a `$NAME` in it is: a Dockerfile's build argument, or a variable of
    the shell, compose file or Makefile that runs it."""
    if ref.resolved is None or "$" in ref.resolved:
        if "@" in ref.written:
            return None  # a digest is written; only the name is variable
        if variable == "a build argument":
            return "depends on a build argument with no default: nothing pins the image it names unless every build passes a digest"
        return (f"depends on {variable} with no default and no value in the file: nothing pins the image it names unless "
                "every run passes a digest")
    name = ref.name
    if name is None or name.is_pinned or ref.resolved.lower() == "scratch" or _is_placeholder(ref):
        return None
    if name.digest_problem:
        return f"has a malformed digest: {name.digest_problem}"
    if name.tag == "latest":
        return "uses the tag `latest`, which moves with every release: pin a digest"
    if not name.tag:
        return "has neither tag nor digest: it follows `latest`, which moves with every release"
    return "is pinned by tag, not by digest"


RULE = Rule(
    id="image-not-pinned-by-digest",
    title="Image not pinned by digest",
    severity=Severity.LOW,
    category="supply-chain",
    why="A tag can be moved to a different (or malicious) image at any time; a digest cannot.",
    remedy="Append @sha256:<digest> to the reference and let Dependabot or Renovate keep tag and digest current.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ContainerSpec", "BuildArguments"),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "`FROM node:22@sha256:<digest>`; `mcpharden fix --resolve`"),
        ("compose", "`image: ghcr.io/org/server:1.2@sha256:<digest>`"),
        ("Kubernetes", "`image: ghcr.io/org/server:1.2@sha256:<digest>`"),
        ("docker run", "`docker run ... ghcr.io/org/server:1.2@sha256:<digest>`"),
        ("client config", "the image argument with `@sha256:<digest>`"),
    ),
    cwe=("CWE-494",),
    peers=(
        "hadolint DL3006", "hadolint DL3007", "Trivy AVD-DS-0001", "Trivy KSV013", "Checkov CKV_DOCKER_7",
        "Checkov CKV_K8S_14", "Checkov CKV_K8S_43", "KICS Image Version Not Explicit",
        "KICS Image Version Using 'latest'",
    ),
)
