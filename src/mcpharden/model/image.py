"""ImageModel: what a built image really ships: its raw config and its final file system."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class ImageFile:
    """One path of the final file system (after every layer and whiteout)."""

    path: str  # absolute, normalized: /usr/bin/sh
    kind: str  # "file" | "dir" | "symlink" | "hardlink" | "other"
    mode: int  # permission bits, with setuid/setgid/sticky
    uid: int
    size: int
    link: str = ""


@dataclass(frozen=True)
class Package:
    """An installed package, from the package database or metadata that declares it."""

    ecosystem: str  # "deb" | "apk" | "npm" | "pypi"
    name: str
    version: str
    path: str  # the file that declares it
    dev: bool = False  # npm: marked dev in node_modules/.package-lock.json
    source: str = ""  # deb: the source package; apk: the origin (what OS advisories name)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.ecosystem, self.name, self.version)


@dataclass(frozen=True)
class ImageModel:
    """What a built image really ships: its config and the contents of its layers."""

    source: str  # the file or directory the image was read from, as given
    reference: str  # repository:tag from the archive, or the manifest digest
    platform: str  # os/architecture[/variant]
    config_user: str
    exposed_ports: tuple[str, ...]
    # "present" | "disabled" (HEALTHCHECK NONE) | "absent", from the raw config JSON
    healthcheck: str
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    files: Mapping[str, ImageFile] = field(default_factory=lambda: MappingProxyType({}))
    # Small files whose content the rules need (/etc/passwd, secret candidates), by path.
    contents: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Contents that a later layer deleted or replaced: gone from the file system, still in
    # the image's layers for anyone who pulls it.
    shadowed_contents: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    packages: tuple[Package, ...] = ()
    # ID and VERSION_ID from /etc/os-release (debian 12, alpine 3.20.3), for purls and advisories
    distro: str = ""
    distro_version: str = ""
    # Known vulnerabilities of its packages (with --vuln-db): mcpharden.vulns.osv.Vulnerability
    vulnerabilities: tuple = ()
    # Credentials the secret check found before this model was cached (image_contents.Secret: where
    # and what kind): an audit read back from the user's cache keeps neither the files nor the values.
    cached_secrets: tuple = ()

    @property
    def source_path(self) -> str:
        """Where findings point: the image file or layout directory's name."""
        return self.source.rstrip("/").rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        return f"{self.reference} ({self.platform})" if self.platform else self.reference

    def exists(self, path: str) -> bool:
        return path in self.files
