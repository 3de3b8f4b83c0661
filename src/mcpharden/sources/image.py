"""Built images → ImageModels, offline.

Inputs: an OCI image layout directory, an `oci-archive` tarball, and `docker save` tarballs
in both layouts (legacy `manifest.json` with `<id>/layer.tar`, and Docker 25+'s OCI-based
one). Every image or platform inside is read, or only the one `platform` names.

Layers are read as streams, in order, applying whiteouts and opaque whiteouts to an index
of the final file system; nothing is extracted to disk and no layer is held in memory.
Entries with absolute paths or `..` are normalized or skipped, links are recorded but never
followed, device files are never opened, and decompression is bounded so that a gzip or
zstd bomb fails fast with a clear error.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import posixpath
import stat
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from mcpharden.knowledge.image_contents import secret_candidate
from mcpharden.model.image import ImageFile, ImageModel, Package
from mcpharden.sources import inventory

MAX_LAYER_BYTES = 16 * 1024**3  # uncompressed bytes one layer may expand to
MAX_ENTRIES = 2_000_000  # tar entries in one image
MAX_JSON_BYTES = 16 * 1024**2  # index, manifest and config documents
MAX_CONTENT_BYTES = 1024**2  # small files kept for the rules (/etc/passwd)
KEPT_CONTENTS = frozenset({"/etc/passwd", "/etc/group"})
MAX_SECRET_CANDIDATE_BYTES = 64 * 1024
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}


class ImageError(ValueError):
    """The input is not an image we can read: missing, corrupt, truncated, or a bomb."""


@dataclass(frozen=True)
class _ImageRef:
    reference: str
    platform: str
    config: dict[str, Any]
    layers: tuple[str, ...]  # blob locations, in order


class _Blobs:
    """Read blobs by digest or by archive path, from a layout directory or a tarball."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar: tarfile.TarFile | None = None
        self.members: dict[str, tarfile.TarInfo] = {}
        if path.is_dir():
            return
        try:
            self.tar = tarfile.open(path, mode="r:*")
            self.members = {posixpath.normpath(m.name.lstrip("/")): m for m in self.tar.getmembers()}
        except (tarfile.TarError, OSError, EOFError) as error:
            raise ImageError(f"{path}: not a readable image archive ({error})") from None

    def has(self, name: str) -> bool:
        return name in self.members if self.tar else (self.path / name).is_file()

    def open(self, name: str) -> IO[bytes]:
        name = posixpath.normpath(name.lstrip("/"))
        if name.startswith(".."):
            raise ImageError(f"{self.path}: a blob path leaves the archive: {name}")
        if self.tar is not None:
            member = self.members.get(name)
            if member is None or not member.isfile():
                raise ImageError(f"{self.path}: {name} is missing from the archive")
            handle = self.tar.extractfile(member)
            assert handle is not None
            return handle
        target = self.path / name
        real = Path(os.path.realpath(target))
        if not real.is_relative_to(Path(os.path.realpath(self.path))) or not real.is_file():
            raise ImageError(f"{self.path}: {name} is missing or points outside the layout")
        return open(real, "rb")

    def json(self, name: str) -> Any:
        with self.open(name) as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
        if len(data) > MAX_JSON_BYTES:
            raise ImageError(f"{self.path}: {name} is larger than {MAX_JSON_BYTES} bytes")
        try:
            return json.loads(data)
        except ValueError as error:
            raise ImageError(f"{self.path}: {name} is not valid JSON ({error})") from None

    @staticmethod
    def digest_path(digest: str) -> str:
        algorithm, _, hexdigest = str(digest).partition(":")
        if not algorithm or not hexdigest or "/" in hexdigest:
            raise ImageError(f"invalid digest {digest!r}")
        return f"blobs/{algorithm}/{hexdigest}"


def read_images(path: Path, platform: str | None = None) -> list[ImageModel]:
    """Every image (or platform) in `path`; raises ImageError for unreadable input."""
    if not path.exists():
        raise ImageError(f"{path}: no such file or directory")
    blobs = _Blobs(path)
    refs = list(_image_refs(blobs))
    if platform:
        refs = [r for r in refs if r.platform == platform or r.platform.startswith(platform + "/")]
        if not refs:
            raise ImageError(f"{path}: no image for platform {platform}")
    if not refs:
        raise ImageError(f"{path}: no image manifest found")
    return [_model(path, blobs, ref) for ref in refs]


# Finding the images -------------------------------------------------------------------------------


def _image_refs(blobs: _Blobs) -> Iterator[_ImageRef]:
    if blobs.has("index.json"):
        yield from _from_index(blobs, blobs.json("index.json"), reference="", depth=0)
    elif blobs.has("manifest.json"):
        yield from _from_docker_manifest(blobs)
    else:
        raise ImageError(f"{blobs.path}: neither an OCI layout (index.json) nor a docker save archive (manifest.json)")


def _from_index(blobs: _Blobs, index: Any, reference: str, depth: int) -> Iterator[_ImageRef]:
    if depth > 4 or not isinstance(index, dict):
        raise ImageError(f"{blobs.path}: malformed image index")
    for descriptor in index.get("manifests", []):
        if not isinstance(descriptor, dict):
            continue
        annotations = descriptor.get("annotations") or {}
        name = annotations.get("io.containerd.image.name") or annotations.get("org.opencontainers.image.ref.name") or reference
        document = blobs.json(_Blobs.digest_path(descriptor.get("digest", "")))
        media_type = descriptor.get("mediaType") or document.get("mediaType", "")
        if media_type in INDEX_TYPES or "manifests" in document:
            yield from _from_index(blobs, document, name, depth + 1)
            continue
        config_descriptor = document.get("config") or {}
        if "attestation" in str(annotations.get("vnd.docker.reference.type", "")):
            continue  # BuildKit provenance/SBOM attestations are not runnable images
        config = blobs.json(_Blobs.digest_path(config_descriptor.get("digest", "")))
        layers = tuple(_Blobs.digest_path(layer.get("digest", "")) for layer in document.get("layers", []))
        yield _ImageRef(name or descriptor.get("digest", "")[:19], _platform(config, descriptor), config, layers)


def _from_docker_manifest(blobs: _Blobs) -> Iterator[_ImageRef]:
    manifest = blobs.json("manifest.json")
    if not isinstance(manifest, list):
        raise ImageError(f"{blobs.path}: manifest.json is not a list of images")
    for entry in manifest:
        config = blobs.json(entry.get("Config", ""))
        tags = entry.get("RepoTags") or []
        yield _ImageRef(tags[0] if tags else entry.get("Config", "")[:19], _platform(config, {}), config, tuple(entry.get("Layers", [])))


def _platform(config: dict[str, Any], descriptor: dict[str, Any]) -> str:
    platform = descriptor.get("platform") or {}
    parts = [platform.get("os") or config.get("os", ""), platform.get("architecture") or config.get("architecture", "")]
    variant = platform.get("variant") or config.get("variant")
    return "/".join(p for p in parts + ([variant] if variant else []) if p)


# Reading the layers --------------------------------------------------------------------------------


class _Bounded(io.RawIOBase):
    """A read-only stream that fails once more than `limit` bytes came out of it."""

    def __init__(self, inner: IO[bytes], limit: int, what: str) -> None:
        self.inner, self.left, self.what = inner, limit, what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        self.left -= len(data)
        if self.left < 0:
            raise ImageError(f"{self.what} expands past {MAX_LAYER_BYTES} bytes (decompression bomb?)")
        buffer[: len(data)] = data
        return len(data)


def _decompressed(raw: IO[bytes], what: str) -> IO[bytes]:
    head = raw.read(6)
    stream = io.BufferedReader(_Prefixed(head, raw))
    if head.startswith(b"\x1f\x8b"):
        inner: IO[bytes] = gzip.GzipFile(fileobj=stream)
    elif head.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            import zstandard
        except ImportError:
            raise ImageError(f"{what} is zstd-compressed and the zstandard module is not installed") from None
        inner = zstandard.ZstdDecompressor().stream_reader(stream)
    elif head.startswith(b"BZh"):
        inner = bz2.BZ2File(stream)
    elif head.startswith(b"\xfd7zXZ\x00"):
        inner = lzma.LZMAFile(stream)
    else:
        inner = stream
    return io.BufferedReader(_Bounded(inner, MAX_LAYER_BYTES, what), buffer_size=1024 * 1024)


class _Prefixed(io.RawIOBase):
    """Puts back the bytes read to sniff the compression."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count], self.head = self.head[:count], self.head[count:]
            return count
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _normalize(name: str) -> str | None:
    """`./usr/bin/sh` → `/usr/bin/sh`; names that climb out of the root are refused."""
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/" + "/".join(parts)


def _model(source: Path, blobs: _Blobs, ref: _ImageRef) -> ImageModel:
    files: dict[str, ImageFile] = {}
    contents: dict[str, str] = {}
    shadowed: dict[str, str] = {}
    entries = 0
    for number, layer in enumerate(ref.layers, start=1):
        what = f"{source}: layer {number} ({layer})"
        added: set[str] = set()
        try:
            with blobs.open(layer) as raw, tarfile.open(fileobj=_decompressed(raw, what), mode="r|") as tar:
                for member in tar:
                    entries += 1
                    if entries > MAX_ENTRIES:
                        raise ImageError(f"{source}: more than {MAX_ENTRIES} entries")
                    _apply(member, tar, files, contents, shadowed, added)
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
            raise ImageError(f"{what}: corrupt or truncated ({error})") from None
    config = ref.config.get("config") or {}
    # Whiteouts in later layers may have removed a file whose content was kept.
    for path in [p for p in contents if p not in files or files[p].kind != "file"]:
        shadowed.setdefault(path, contents.pop(path))
    packages = _inventory(contents)
    distro, distro_version = inventory.distro(contents)
    return ImageModel(
        source=str(source),
        reference=ref.reference,
        platform=ref.platform,
        config_user=str(config.get("User") or ""),
        exposed_ports=tuple(sorted(config.get("ExposedPorts") or {})),
        healthcheck=_healthcheck(config.get("Healthcheck")),
        env=MappingProxyType(dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)),
        files=MappingProxyType(files),
        contents=MappingProxyType(contents),
        shadowed_contents=MappingProxyType({p: t for p, t in shadowed.items() if not inventory.wanted(p)}),
        packages=packages,
        distro=distro,
        distro_version=distro_version,
    )


def _inventory(contents: dict[str, str]) -> tuple[Package, ...]:
    """Packages of the final file system; per-package metadata is parsed, then dropped from
    `contents` so that thousands of package.json files do not stay in memory."""
    dev = inventory.dev_flags(contents)
    found = inventory.database_packages(contents)
    for path in [p for p in contents if inventory.wanted(p) and p not in inventory.OS_RELEASE]:
        text = contents.pop(path)
        found.extend(replace(package, dev=package.path in dev) for package in inventory.packages_in(path, text))
    return tuple(found)


def _healthcheck(value: Any) -> str:
    if not isinstance(value, dict) or not value.get("Test"):
        return "absent"
    return "disabled" if value["Test"][0] == "NONE" else "present"


def _content_limit(path: str, size: int) -> int:
    """How much of a file to keep: rule inputs, secret candidates, inventory sources."""
    if path in KEPT_CONTENTS and size <= MAX_CONTENT_BYTES:
        return MAX_CONTENT_BYTES
    if size <= MAX_SECRET_CANDIDATE_BYTES and secret_candidate(path):
        return MAX_SECRET_CANDIDATE_BYTES
    return inventory.wanted(path)


def _apply(member: tarfile.TarInfo, tar: tarfile.TarFile, files: dict[str, ImageFile], contents: dict[str, str],
           shadowed: dict[str, str], added: set[str]) -> None:
    path = _normalize(member.name)
    if path is None or path == "/":
        return
    directory, base = posixpath.split(path)
    if base == ".wh..wh..opq":  # opaque directory: hide what lower layers put inside
        prefix = directory.rstrip("/") + "/"
        for existing in [p for p in files if p.startswith(prefix) and p not in added]:
            del files[existing]
        return
    if base.startswith(".wh."):  # whiteout: delete the path and everything below it
        removed = posixpath.join(directory, base[len(".wh."):])
        for existing in [p for p in files if p == removed or p.startswith(removed + "/")]:
            del files[existing]
        return
    if member.isdir():
        kind = "dir"
    elif member.issym():
        kind = "symlink"
    elif member.islnk():
        kind = "hardlink"
    elif member.isfile():
        kind = "file"
    else:
        kind = "other"  # devices and FIFOs are recorded, never opened
    if path in files and files[path].kind == "dir" and kind != "dir":
        for existing in [p for p in files if p.startswith(path + "/")]:
            del files[existing]
    files[path] = ImageFile(path, kind, stat.S_IMODE(member.mode), member.uid, member.size, member.linkname)
    added.add(path)
    limit = _content_limit(path, member.size) if kind == "file" else 0
    if limit:
        handle = tar.extractfile(member)
        if handle is not None:
            text = handle.read(limit).decode("utf-8", "replace")
            if path in contents and contents[path] != text:
                shadowed[path] = contents[path]  # the lower layer still holds the old content
            contents[path] = text
    elif path in contents:  # replaced by something we did not keep
        shadowed[path] = contents.pop(path)
