"""## What it does
For a repository that builds a container image (it has a Dockerfile), checks that some CI
job or git hook scans the built image for known vulnerabilities. It recognizes GitHub
Actions (`aquasecurity/trivy-action` scanning an image, `anchore/scan-action` with
`image:`, `docker/scout-action` with `cves`, `snyk/actions/docker`, ...), GitLab's
Container-Scanning template and component, and scanner commands (`trivy image`,
`grype <image>`, `docker scout cves`, `snyk container test`, ...) in `run:` steps, GitLab
`script:`, CircleCI, Azure Pipelines and Bitbucket steps, `.husky/pre-push`,
`.pre-commit-config.yaml` and lefthook hooks, and in Makefile targets, npm scripts and
repository shell scripts that those call, inside shell constructs too (`if ! timeout 480
docker scout cves …; then`). Grype run on an SBOM counts when a step of the same workflow
made that SBOM from the built image (`anchore/sbom-action` with `image:`).

The finding is MEDIUM when CI builds or pushes an image and nothing scans it, the case the
rule exists for; LOW when no CI job builds the image at all (it is built by hand, or by a
registry or catalog), and the message says so. CI builds an image with a build command
(`docker build`, `buildah bud`, `ko build`, ...), a build-push action (docker's, Depot's,
Red Hat's, and third-party ones such as `elgohr/Publish-Docker-Github-Action`), a local
composite action that does either, wherever it is (`uses: ./.github/actions/publish-docker`,
`uses: ./tools/publish`; its scans count the same way), another
repository's reusable workflow given registry credentials or named for images (`uses:
org/repo/.github/workflows/docker-publish.yml@v3`), or GoReleaser whose configuration has
`dockers`, `docker_manifests` or `kos`. A `docker/scout-action` step (or `docker scout`
command) scans only with `cves` or `quickview`: `recommendations` and `compare` alone report
no vulnerabilities of the image.

Scans of the repository (`trivy fs`, `trivy config`, `grype dir:.`) do not count: they
do not see the OS packages of the base image; neither does a SARIF upload whose `category`
is a scanner's name. The rule only runs when a directory is
scanned, not for single files.

## Why is this bad?
Base images and dependencies collect known vulnerabilities every week. Without a scan of
the image you ship, nobody notices that the runtime carries an exploitable OpenSSL, glibc
or npm package until someone exploits it.

## Example
```yaml
<!-- sample: bad/.github/workflows/image.yml -->
```

Use instead:
```yaml
<!-- sample: good/.github/workflows/image.yml -->
```

## How to fix
Add an image scan after the build step, failing the job on HIGH and CRITICAL
vulnerabilities that have a fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    if project.scope != "repository" or not project.builds:
        return
    if any(pipeline.image_scans for pipeline in project.pipelines):
        return
    builds = sorted((b for p in project.pipelines for b in p.builds), key=lambda b: (b.path, b.line))
    dockerfiles = sorted(build.path for build in project.builds)
    shown = ", ".join(dockerfiles[:3]) + (f" and {len(dockerfiles) - 3} more" if len(dockerfiles) > 3 else "")
    message = f"this repository builds container images ({shown}) but no CI job or git hook scans a built image"
    other = sorted((s for p in project.pipelines for s in p.scans if not s.scans_image), key=lambda s: (s.path, s.line))
    if other:
        what = ("runs neither `cves` nor `quickview`: it does not report the image's vulnerabilities"
                if other[0].scanner == "Docker Scout" else "scans the repository, not the image")
        message += f"; `{other[0].via}` at {other[0].path}:{other[0].line} {what}"
    elif not project.pipelines:
        message += "; no CI definition was found"
    if builds:
        path, line = builds[0].path, builds[0].line
        yield RULE.finding(path, line, message + f" (CI builds it: `{builds[0].via}`)", dockerfiles=",".join(dockerfiles))
        return
    # No CI job builds the image: whoever does (a person, a registry's automated build, a catalog)
    # ships it unscanned, but the repository's CI is not where the gap is.
    first = min(project.builds, key=lambda b: b.path)
    message += ("; no CI job builds the image either, so it is built elsewhere (by hand, or by a registry or "
                "catalog such as Docker's MCP catalog): scan it there, or build and scan it in CI")
    finding = RULE.finding(first.path, first.stages[0].line, message, dockerfiles=",".join(dockerfiles))
    yield replace(finding, severity=Severity.LOW)


RULE = Rule(
    id="no-image-scan-in-ci",
    title="No image scan in CI",
    severity=Severity.MEDIUM,
    category="supply-chain",
    why="Without a scan of the built image, known vulnerabilities in the base image and dependencies ship unnoticed.",
    remedy="Scan the built image in CI (trivy image, grype, docker scout cves) and fail on fixable HIGH/CRITICAL vulnerabilities.",
    page=__doc__,
    check=check,
    phase="pipeline",
    reads=("BuildModel", "Pipeline"),
    fix="always",
    since="0.1.0",
    remedy_by_source=(
        ("CI definition", "a job that builds the image and runs `trivy image --exit-code 1 --ignore-unfixed --severity HIGH,CRITICAL` (or Grype, Docker Scout); `mcpharden fix` writes one"),
    ),
    cwe=("CWE-1395",),
    cis=("Ensure images are scanned and rebuilt to include security patches",),
)
