"""Fix for no-image-scan-in-ci: a GitHub Actions workflow that builds each image the
repository builds and scans it with Trivy, failing on fixable HIGH and CRITICAL
vulnerabilities. Every action is pinned by commit (knowledge/pinned_actions.toml) with its
tag in a comment. No repository-wide configuration scan: run on its own it fails on the
first day in most repositories (21 of 23 in the corpus), which teaches people to delete the
workflow; mcpharden's own findings are the configuration review."""

from __future__ import annotations

import posixpath

from mcpharden.fixes import Edit, FilePlan

WORKFLOW_PATH = ".github/workflows/mcpharden-image-scan.yml"

_HEADER = """\
# Added by `mcpharden fix`: build every container image of this repository and scan it.
# Actions are pinned by commit (the release tag is in the comment); update both together.
name: image scan
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write  # the SARIF upload to code scanning
    strategy:
      fail-fast: false
      matrix:
        include:
"""

_STEPS = """\
    steps:
      - uses: {checkout}
        with:
          # an expression, so that the credential gate shows it and the dry-run diff applies
          persist-credentials: ${{{{ false }}}}  # no token in .git/config for the build context to copy
      - uses: {buildx}
      - uses: {build}
        with:
          context: ${{{{ matrix.context }}}}
          file: ${{{{ matrix.dockerfile }}}}
          load: true
          tags: ${{{{ matrix.tag }}}}
      - name: Scan the built image (fails on fixable HIGH and CRITICAL vulnerabilities)
        uses: {trivy}
        with:
          image-ref: ${{{{ matrix.tag }}}}
          severity: HIGH,CRITICAL
          ignore-unfixed: true
          exit-code: "1"
          format: sarif
          output: trivy-results.sarif
          limit-severities-for-sarif: true
      - name: Show the results in code scanning (pushes only; needs code scanning enabled)
        if: ${{{{ always() && github.event_name == 'push' && hashFiles('trivy-results.sarif') != '' }}}}
        continue-on-error: true
        uses: {upload}
        with:
          sarif_file: trivy-results.sarif
          category: ${{{{ matrix.category }}}}
"""


def workflow_text(dockerfiles: list[str]) -> str:
    """The workflow, one matrix entry per Dockerfile (context: its directory)."""
    from mcpharden.knowledge.pinned_actions import uses

    entries = []
    for index, dockerfile in enumerate(sorted(dockerfiles)):
        context = posixpath.dirname(dockerfile) or "."
        entries.append(
            f"          - dockerfile: {dockerfile}\n"
            f"            context: {context}\n"
            f"            tag: mcpharden-scan-{index}:${{{{ github.sha }}}}\n"
            f"            category: mcpharden-image-{index}\n"
        )
    steps = _STEPS.format(checkout=uses("actions/checkout"), buildx=uses("docker/setup-buildx-action"),
                          build=uses("docker/build-push-action"), trivy=uses("aquasecurity/trivy-action"),
                          upload=uses("github/codeql-action/upload-sarif"))
    return _HEADER + "".join(entries) + steps


def image_scan_workflow(dockerfiles: list[str]) -> FilePlan:
    """A new workflow file that builds and scans every Dockerfile."""
    text = workflow_text(dockerfiles)
    return FilePlan(WORKFLOW_PATH, "", (Edit(1, 0, tuple(text.splitlines()), "no-image-scan-in-ci"),))
