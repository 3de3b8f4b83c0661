"""Where the images of an archive, a layout directory or a registry are: `index.json` and the
indexes it names, or `manifest.json` (docker save), down to each image's config and layer
blobs. Every document is bounded and its shape checked where it is read."""

from __future__ import annotations

import json
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mcpharden.image import ImageError

MAX_JSON_BYTES = 16 * 1024**2  # index, manifest and config documents
MAX_DESCRIPTORS = 1024  # index entries visited, at every depth together; entries of one index
MAX_LAYERS = 1000  # layers of one image (Docker's own limit is 125)
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

    def __init__(self, path: Path, opened: int | None = None) -> None:
        self.path = path
        # The archive's or layout's descriptor when the caller opened it race-free (`mcpharden serve`).
        self.opened = opened
        self.tar: tarfile.TarFile | None = None
        self.members: dict[str, tarfile.TarInfo] = {}
        if path.is_dir() if opened is None else stat.S_ISDIR(os.fstat(opened).st_mode):
            return
        try:
            self.tar = tarfile.open(fileobj=_inflated_once(_archive(path, opened), path), mode="r:")
            self.members = {posixpath.normpath(m.name.lstrip("/")): m for m in self.tar.getmembers()}
        except (tarfile.TarError, OSError, EOFError) as error:
            raise ImageError(f"{path}: not a readable image archive ({error})") from None

    # The errors of this source that say in full what failed (a registry's); none for files.
    errors: tuple[type[Exception], ...] = ()

    def finish(self, handle: IO[bytes]) -> None:
        """A layer read to its end: nothing to check in an archive (a registry's blobs are)."""

    def has(self, name: str) -> bool:
        if self.tar or self.opened is None:
            return name in self.members if self.tar else (self.path / name).is_file()
        try:
            os.close(_open_in_layout(self.opened, name, self.path))
            return True
        except OSError:
            return False

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
        if self.opened is not None:
            try:
                return os.fdopen(_open_in_layout(self.opened, name, self.path), "rb")
            except OSError:
                raise ImageError(f"{self.path}: {name} is missing or points outside the layout") from None
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
    the registry as they are read and never stored, each checked against its digest and its
    descriptor's size once read (`finish`). One pull, one deadline (util.http)."""

    def __init__(self, reference: str, digest: str | None = None) -> None:
        from mcpharden.image.registry import RegistryError, Repository
        from mcpharden.util import http

        self.path = reference  # how messages name the source
        self.errors = (RegistryError,)
        self.repository = Repository(reference, http.PULL_SECONDS)
        self.pinned = digest  # what the caller resolved the tag to: the pull must be of that manifest
        self.documents: dict[str, dict[str, Any]] = {}
        self.manifests: set[str] = set()
        self.sizes: dict[str, int] = {}  # blob digest -> the size its descriptor states
        self.received = 0  # bytes of layers that arrived: the expansion budget's measure
        self.root_digest = ""

    def has(self, name: str) -> bool:
        return name == "index.json"

    def json(self, name: str) -> Any:
        if name == "index.json":
            self.root_digest, document = self.repository.manifest(self.repository.tag_or_digest)
            if self.pinned and self.root_digest != self.pinned:
                raise ImageError(f"{self.path}: the tag moved from {self.pinned} to {self.root_digest} during the pull: not audited")
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
        return self.repository.blob_json(digest, self.sizes.get(digest))

    def open(self, name: str) -> IO[bytes]:
        digest = self._digest(name)
        return self.repository.blob(digest, self.sizes.get(digest), self._count)

    def finish(self, handle) -> None:
        handle.verify()

    def _count(self, count: int) -> None:
        self.received += count

    def _remember(self, digest: str, document: dict[str, Any]) -> None:
        self.documents[digest] = document
        self.manifests.add(digest)
        children = document.get("manifests") or []
        if isinstance(children, list) and len(children) > MAX_DESCRIPTORS:
            raise ImageError(f"{self.path}: more than {MAX_DESCRIPTORS} entries in one image index")
        for child in children:
            if isinstance(child, dict) and isinstance(child.get("digest"), str):
                self.manifests.add(child["digest"])
        layers = document.get("layers") or []
        for descriptor in [document.get("config"), *(layers if isinstance(layers, list) else [])]:
            if isinstance(descriptor, dict) and isinstance(descriptor.get("digest"), str) \
                    and type(descriptor.get("size")) is int and descriptor["size"] >= 0:
                self.sizes.setdefault(descriptor["digest"], descriptor["size"])

    @staticmethod
    def _digest(name: str) -> str:
        algorithm, _, hexdigest = name.removeprefix("blobs/").partition("/")
        return f"{algorithm}:{hexdigest}"


def _archive(path: Path, opened: int | None) -> IO[bytes]:
    """The archive, opened without blocking: a FIFO or a device is refused, never waited on."""
    descriptor = os.dup(opened) if opened is not None else os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError("not a regular file")
    return os.fdopen(descriptor, "rb")


def _inflated_once(archive: IO[bytes], path: Path) -> IO[bytes]:
    """A compressed archive (`docker save IMG | gzip > img.tar.gz`) inflated once, as one stream,
    into an anonymous temporary file that is then read like an uncompressed archive. Reading
    blobs by seeking inside the compressed stream would inflate it again for every backward seek
    (the members' list, then each document and layer). The inflation is bounded like a layer's
    (streams: MAX_LAYER_BYTES, and the archive's expansion budget), and the file disappears when
    the archive is closed (it has no name)."""
    import shutil
    import tempfile

    from mcpharden.image.streams import _COMPRESSED, _Budget, _decompressed

    head = archive.read(6)
    archive.seek(0)
    if not head.startswith(_COMPRESSED):
        return archive
    size = os.fstat(archive.fileno()).st_size
    with archive:
        inflated = _decompressed(archive, str(path), _Budget(lambda: size))
        spool = tempfile.TemporaryFile(prefix="mcpharden-image-")
        try:
            shutil.copyfileobj(inflated, spool, 4 * 1024 * 1024)
        except OSError as error:
            spool.close()
            raise ImageError(f"{path}: could not inflate the archive into a temporary file ({error.strerror or error}); "
                             f"inflate it first (gzip -dc) or set TMPDIR to a folder with room") from None
        except BaseException:
            spool.close()
            raise
    spool.seek(0)
    return spool


def _open_in_layout(layout: int, name: str, path: Path) -> int:
    """A blob of the layout open at `layout` (whose real path is `path`): never through a symlink out of it."""
    from mcpharden.sources.discovery import open_beneath

    descriptor = open_beneath(layout, name, (str(path),))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise IsADirectoryError(name)
    return descriptor


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
                       for layer in _layer_list(document.get("layers"), f"{blobs.path}: manifest {digest}"))
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
        layers = _layer_list(entry.get("Layers"), f"{blobs.path}: manifest.json", str)
        yield _ImageRef(tags[0] if tags else config_path[:19], _platform(config, {}), config, tuple(layers))


def _layer_list(value: Any, what: str, of: type | None = None) -> list[Any]:
    """A manifest's layers, at most MAX_LAYERS: each one is a request to a registry."""
    layers = _array(value, f"{what} layers", of)
    if len(layers) > MAX_LAYERS:
        raise ImageError(f"{what}: more than {MAX_LAYERS} layers in one image")
    return layers


def _platform(config: dict[str, Any], descriptor: dict[str, Any]) -> str:
    platform = _mapping(descriptor.get("platform"), "a descriptor's platform")
    parts = [platform.get("os") or config.get("os", ""), platform.get("architecture") or config.get("architecture", "")]
    variant = platform.get("variant") or config.get("variant")
    return "/".join(str(p) for p in parts + ([variant] if variant else []) if p and isinstance(p, str))
