"""Fix for no-image-scan-in-ci: a GitHub Actions workflow that builds each image the
repository builds and scans it with Trivy (failing on fixable HIGH and CRITICAL
vulnerabilities), plus a Trivy scan of the repository's configuration files."""

from __future__ import annotations

import posixpath

from mcpharden.fixes import Edit, FilePlan

WORKFLOW_PATH = ".github/workflows/mcpharden-image-scan.yml"

_HEADER = """\
# Added by `mcpharden fix`: build every container image of this repository and scan it.
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
    strategy:
      fail-fast: false
      matrix:
        include:
"""

_STEPS = """\
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          context: ${{ matrix.context }}
          file: ${{ matrix.dockerfile }}
          load: true
          tags: ${{ matrix.tag }}
      - name: Scan the built image
        uses: aquasecurity/trivy-action@0.33.1
        with:
          image-ref: ${{ matrix.tag }}
          severity: HIGH,CRITICAL
          ignore-unfixed: true
          exit-code: "1"
  config:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Scan Dockerfiles and manifests
        uses: aquasecurity/trivy-action@0.33.1
        with:
          scan-type: config
          scan-ref: .
          exit-code: "1"
"""


def image_scan_workflow(dockerfiles: list[str]) -> FilePlan:
    """A new workflow file with one matrix entry per Dockerfile (context: its directory)."""
    entries = []
    for index, dockerfile in enumerate(sorted(dockerfiles)):
        context = posixpath.dirname(dockerfile) or "."
        entries.append(
            f"          - dockerfile: {dockerfile}\n"
            f"            context: {context}\n"
            f"            tag: mcpharden-scan-{index}:${{{{ github.sha }}}}\n"
        )
    text = _HEADER + "".join(entries) + _STEPS
    return FilePlan(WORKFLOW_PATH, "", (Edit(1, 0, tuple(text.splitlines()), "no-image-scan-in-ci"),))
