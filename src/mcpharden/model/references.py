"""Image references (`registry/repository:tag@digest`) and what a base image brings."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
# The OCI image spec's registered algorithms and their exact lengths in hexadecimal digits.
DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}


@dataclass(frozen=True)
class ImageName:
    """A parsed reference; `repository` is normalized the way Docker does (library/ for Hub)."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def full_name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def is_pinned(self) -> bool:
        return bool(self.digest) and self.digest_problem is None

    @property
    def digest_problem(self) -> str | None:
        """Why the digest is not one (`sha256:123456`), or None when it is (or is absent)."""
        if not self.digest:
            return None
        algorithm, _, encoded = self.digest.partition(":")
        expected = DIGEST_LENGTHS.get(algorithm.lower())
        if not _DIGEST.match(self.digest) or (expected and len(encoded) != expected):
            length = f"{expected} hexadecimal digits" if expected else "an algorithm and hexadecimal digits"
            return f"`@{self.digest}` is not a digest (a {algorithm or 'sha256'} digest is {length})"
        return None


def parse_image_name(reference: str) -> ImageName:
    """Parse `name[:tag][@digest]` as Docker does: a first component with `.` or `:` or
    `localhost` is a registry; Docker Hub names get `docker.io` and `library/`."""
    remainder, _, digest = reference.partition("@")
    slash = remainder.find("/")
    first = remainder[:slash] if slash >= 0 else ""
    if slash >= 0 and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder[slash + 1 :]
    else:
        registry, path = "docker.io", remainder
    last_component_start = path.rfind("/") + 1
    colon = path.find(":", last_component_start)
    tag = None
    if colon >= 0:
        path, tag = path[:colon], path[colon + 1 :]
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
        if "/" not in path:
            path = f"library/{path}"
    return ImageName(registry=registry.lower(), repository=path.lower(), tag=tag or None, digest=digest or None)


@dataclass(frozen=True)
class ImageRef:
    """An image reference as written in a file, and as resolved after variable expansion."""

    written: str
    resolved: str | None  # None when a variable in it has no value we can know

    @property
    def name(self) -> ImageName | None:
        return parse_image_name(self.resolved) if self.resolved else None

    @property
    def display(self) -> str:
        if self.resolved and self.resolved != self.written:
            return f"{self.written} (= {self.resolved})"
        return self.written


@dataclass(frozen=True)
class BaseImageProfile:
    """What a base image brings, from the base-image table."""

    family: str
    kind: str  # full-os | minimal-os | distroless | empty | unknown
    default_user: str
    shell: bool
    package_manager: str
    known: bool
    note: str = ""
    # The HTTP clients (`curl`, `wget`) the image ships, as far as the table knows; None: not known.
    http_clients: frozenset[str] | None = None
    # The distribution's own name for messages (`Fedora`, `CentOS 7`); "" when the family says it.
    distribution: str = ""
