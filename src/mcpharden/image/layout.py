"""Where the images of an archive, a layout directory or a registry are: `index.json` and the
indexes it names, or `manifest.json` (docker save), down to each image's config and layer
blobs. Every document is bounded and its shape checked where it is read."""

from __future__ import annotations

import json
import os
import posixpath
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mcpharden.image import ImageError

MAX_JSON_BYTES = 16 * 1024**2  # index, manifest and config documents
MAX_DESCRIPTORS = 1024  # index entries visited, at every depth together
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImageError(f"{what} is not a JSON object")
    return value


def _array(value: Any, what: str, of: type | None = None) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or (of is not None and not all(isinstance(item, of) for item in value)):
        raise ImageError(f"{what} is not a list{f' of {of.__name__}' if of else ''}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ImageError(f"{what} is not a string")
    return value


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


class _RegistryBlobs:
    """The blobs of an image in a registry, read as the archive readers read theirs: manifests
    and configs fetched when asked (and checked against their digests), layers streamed from
    the registry as they are read and never stored."""

    def __init__(self, reference: str) -> None:
        from mcpharden.image.registry import Repository

        self.path = reference  # how messages name the source
        self.repository = Repository(reference)
        self.documents: dict[str, dict[str, Any]] = {}
        self.manifests: set[str] = set()
        self.layer_bytes = 0
        self.root_digest = ""

    def has(self, name: str) -> bool:
        return name == "index.json"

    def json(self, name: str) -> Any:
        if name == "index.json":
            self.root_digest, document = self.repository.manifest(self.repository.tag_or_digest)
            self._remember(self.root_digest, document)
            media_type = document.get("mediaType") or ("application/vnd.oci.image.index.v1+json" if "manifests" in document else "")
            return {"manifests": [{"digest": self.root_digest, "mediaType": media_type,
                                   "annotations": {"org.opencontainers.image.ref.name": self.repository.reference}}]}
        digest = self._digest(name)
        if digest in self.documents:
            return self.documents[digest]
        if digest in self.manifests:
            _, document = self.repository.manifest(digest)
            self._remember(digest, document)
            return document
        return self.repository.blob_json(digest)

    def open(self, name: str) -> IO[bytes]:
        return self.repository.blob(self._digest(name))

    def _remember(self, digest: str, document: dict[str, Any]) -> None:
        self.documents[digest] = document
        self.manifests.add(digest)
        for child in document.get("manifests") or []:
            if isinstance(child, dict) and isinstance(child.get("digest"), str):
                self.manifests.add(child["digest"])
        for layer in document.get("layers") or []:
            if isinstance(layer, dict) and isinstance(layer.get("size"), int):
                self.layer_bytes += max(layer["size"], 0)

    @staticmethod
    def _digest(name: str) -> str:
        algorithm, _, hexdigest = name.removeprefix("blobs/").partition("/")
        return f"{algorithm}:{hexdigest}"


def _archive_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for directory, _subdirectories, files in os.walk(path / "blobs"):
        total += sum(os.lstat(os.path.join(directory, name)).st_size for name in files)
    return total


# Finding the images -------------------------------------------------------------------------------


class _Visits:
    """Counts index entries visited, so a nested index cannot fan out to millions of images."""

    def __init__(self, source: Path) -> None:
        self.source, self.count = source, 0

    def visit(self) -> None:
        self.count += 1
        if self.count > MAX_DESCRIPTORS:
            raise ImageError(f"{self.source}: more than {MAX_DESCRIPTORS} entries in its image indexes")


def _image_refs(blobs: _Blobs, visits: _Visits) -> Iterator[_ImageRef]:
    if blobs.has("index.json"):
        yield from _from_index(blobs, blobs.json("index.json"), reference="", depth=0, visits=visits)
    elif blobs.has("manifest.json"):
        yield from _from_docker_manifest(blobs)
    else:
        raise ImageError(f"{blobs.path}: neither an OCI layout (index.json) nor a docker save archive (manifest.json)")


def _from_index(blobs: _Blobs, index: Any, reference: str, depth: int, visits: _Visits) -> Iterator[_ImageRef]:
    if depth > 4 or not isinstance(index, dict):
        raise ImageError(f"{blobs.path}: malformed image index")
    for descriptor in _array(index.get("manifests"), f"{blobs.path}: an index's manifests"):
        visits.visit()
        if not isinstance(descriptor, dict):
            continue
        annotations = _mapping(descriptor.get("annotations"), f"{blobs.path}: a descriptor's annotations")
        name = annotations.get("io.containerd.image.name") or annotations.get("org.opencontainers.image.ref.name") or reference
        name = name if isinstance(name, str) else reference
        digest = _text(descriptor.get("digest", ""), f"{blobs.path}: a descriptor's digest")
        document = _mapping(blobs.json(_Blobs.digest_path(digest)), f"{blobs.path}: manifest {digest}")
        media_type = descriptor.get("mediaType") or document.get("mediaType", "")
        if media_type in INDEX_TYPES or "manifests" in document:
            yield from _from_index(blobs, document, name, depth + 1, visits)
            continue
        config_descriptor = _mapping(document.get("config"), f"{blobs.path}: manifest {digest} config")
        if "attestation" in str(annotations.get("vnd.docker.reference.type", "")):
            continue  # BuildKit provenance/SBOM attestations are not runnable images
        config_digest = _text(config_descriptor.get("digest", ""), f"{blobs.path}: a config digest")
        config = _mapping(blobs.json(_Blobs.digest_path(config_digest)), f"{blobs.path}: config {config_digest}")
        layers = tuple(_Blobs.digest_path(_text(_mapping(layer, f"{blobs.path}: a layer descriptor").get("digest", ""),
                                                f"{blobs.path}: a layer digest"))
                       for layer in _array(document.get("layers"), f"{blobs.path}: manifest {digest} layers"))
        yield _ImageRef(name or digest[:19], _platform(config, descriptor), config, layers)


def _from_docker_manifest(blobs: _Blobs) -> Iterator[_ImageRef]:
    manifest = blobs.json("manifest.json")
    if not isinstance(manifest, list):
        raise ImageError(f"{blobs.path}: manifest.json is not a list of images")
    for entry in manifest:
        entry = _mapping(entry, f"{blobs.path}: an entry of manifest.json")
        config_path = _text(entry.get("Config", ""), f"{blobs.path}: manifest.json Config")
        config = _mapping(blobs.json(config_path), f"{blobs.path}: {config_path}")
        tags = _array(entry.get("RepoTags"), f"{blobs.path}: manifest.json RepoTags", str)
        layers = _array(entry.get("Layers"), f"{blobs.path}: manifest.json Layers", str)
        yield _ImageRef(tags[0] if tags else config_path[:19], _platform(config, {}), config, tuple(layers))


def _platform(config: dict[str, Any], descriptor: dict[str, Any]) -> str:
    platform = _mapping(descriptor.get("platform"), "a descriptor's platform")
    parts = [platform.get("os") or config.get("os", ""), platform.get("architecture") or config.get("architecture", "")]
    variant = platform.get("variant") or config.get("variant")
    return "/".join(str(p) for p in parts + ([variant] if variant else []) if p and isinstance(p, str))
