"""Pipeline: what CI definitions and git hooks do with container images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpharden.model.container import BuildArguments


@dataclass(frozen=True)
class ScanStep:
    """A step that runs a vulnerability scanner."""

    path: str
    line: int
    scanner: str
    via: str  # what the step says: "uses: aquasecurity/trivy-action", "trivy image app:1"
    scans_image: bool  # False: it scans the repository or its config, not a built image
    fails_build: bool | None  # None: cannot tell


@dataclass(frozen=True)
class BuildStep:
    """A step that builds a container image."""

    path: str
    line: int
    via: str
    # The Dockerfile and the build context it names, as written (relative to the repository's
    # root, where CI runs); None when it does not say (the Dockerfile: `<context>/Dockerfile`).
    dockerfile: str | None = None
    context: str | None = None


@dataclass(frozen=True)
class Pipeline:
    """One CI definition: the image scans it runs and the images it builds."""

    path: str
    system: str  # github-actions | gitlab-ci | pre-commit | git-hook | lefthook | ci
    scans: tuple[ScanStep, ...] = ()
    builds: tuple[BuildStep, ...] = ()
    build_arguments: tuple[BuildArguments, ...] = ()

    @property
    def image_scans(self) -> tuple[ScanStep, ...]:
        return tuple(scan for scan in self.scans if scan.scans_image)
