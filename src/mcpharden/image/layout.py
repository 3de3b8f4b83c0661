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
import contextlib
import io
import json
import lzma
import os
import posixpath
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from mcpharden.knowledge.image_contents import secret_candidate
from mcpharden.model.image import ImageFile, ImageModel, Package
from mcpharden.image import inventory, tarstream

MAX_LAYER_BYTES = 16 * 1024**3  # uncompressed bytes one layer may expand to
MAX_ENTRIES = 2_000_000  # tar entries in one image
MAX_JSON_BYTES = 16 * 1024**2  # index, manifest and config documents
MAX_CONTENT_BYTES = 1024**2  # small files kept for the rules (/etc/passwd)
KEPT_CONTENTS = frozenset({"/etc/passwd", "/etc/group"})
MAX_SECRET_CANDIDATE_BYTES = 64 * 1024
MAX_IMAGES = 64  # images (platforms) one archive may hold
MAX_DESCRIPTORS = 1024  # index entries visited, at every depth together
# All layers of an archive together may expand to this much, or to 100 times the archive's own
# size if that is more: a small archive cannot make mcpharden decompress gigabytes many times.
MIN_EXPANSION_BUDGET = 4 * 1024**3
EXPANSION_RATIO = 100
# A layer listed again is replayed from memory when it was at most this large.
MAX_REPLAYED_ENTRIES = 100_000
MAX_REPLAYED_TEXT = 32 * 1024**2
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}


class ImageError(ValueError):
    """The input is not an image we can read: missing, corrupt, truncated, or a bomb."""


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


def read_images(path: Path, platform: str | None = None) -> list[ImageModel]:
    """Every image (or platform) in `path`; raises ImageError for unreadable input."""
    if not path.exists():
        raise ImageError(f"{path}: no such file or directory")
    return _guarded(path, lambda: _read_images(_Blobs(path), platform, lambda: _archive_size(path)))


def read_registry_images(reference: str, platform: str | None = None) -> list[ImageModel]:
    """Every image (or platform) `reference` names in its registry, pulled as a stream."""
    from mcpharden.image.registry import RegistryError

    def pull() -> list[ImageModel]:
        blobs = _RegistryBlobs(reference)
        return _read_images(blobs, platform, lambda: blobs.layer_bytes)

    try:
        return _guarded(reference, pull)
    except RegistryError as error:
        raise ImageError(str(error)) from None


def is_image_reference(text: str) -> bool:
    """A name to pull rather than a path: it has a tag, a digest or a registry host
    (`node:22`, `mcp/time@sha256:…`, `ghcr.io/github/github-mcp-server`). `app.tar` is a file."""
    import re

    first, slash, _ = text.partition("/")
    has_host = bool(slash) and ("." in first or ":" in first or first == "localhost")
    tagged = re.search(r":[\w][\w.-]{0,127}$", text.rpartition("/")[2]) is not None
    return ("@sha256:" in text or has_host or tagged) and not text.endswith((".tar", ".tar.gz", ".tgz")) \
        and " " not in text and not text.startswith((".", "/", "~"))


def _guarded(source, read):
    try:
        return read()
    except (TypeError, AttributeError, KeyError, IndexError, RecursionError) as error:
        # The shapes are checked where they are read; this is the boundary's promise that
        # no document of an unexpected shape ends in a traceback.
        raise ImageError(f"{source}: malformed image metadata ({type(error).__name__}: {error})") from None


def _read_images(blobs, platform: str | None, size) -> list[ImageModel]:
    path = blobs.path
    refs = []
    for ref in _image_refs(blobs, _Visits(blobs.path)):
        refs.append(ref)
        if len(refs) > MAX_IMAGES:
            raise ImageError(f"{path}: more than {MAX_IMAGES} images in one archive")
    if platform:
        refs = [r for r in refs if r.platform == platform or r.platform.startswith(platform + "/")]
        if not refs:
            raise ImageError(f"{path}: no image for platform {platform}")
    if not refs:
        raise ImageError(f"{path}: no image manifest found")
    reader = _LayerReader(blobs, size())
    return [_model(path, reader, ref) for ref in refs]


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


# Reading the layers --------------------------------------------------------------------------------


class _Budget:
    """Uncompressed bytes every layer of an archive may still produce, together."""

    def __init__(self, limit: int) -> None:
        self.limit = self.left = limit

    def spend(self, count: int, what: str) -> None:
        self.left -= count
        if self.left < 0:
            raise ImageError(f"{what}: the archive's layers expand past {self.limit} bytes (decompression bomb?)")


class _Bounded(io.RawIOBase):
    """A read-only stream that fails once more than `limit` bytes came out of it, or the
    archive's shared budget is spent."""

    def __init__(self, inner: IO[bytes], limit: int, what: str, budget: _Budget) -> None:
        self.inner, self.left, self.what, self.budget = inner, limit, what, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.inner.readinto(buffer)  # in place: a layer's bytes are copied as few times as can be
        self.left -= count
        if self.left < 0:
            raise ImageError(f"{self.what} expands past {MAX_LAYER_BYTES} bytes (decompression bomb?)")
        self.budget.spend(count, self.what)
        return count


_COMPRESSED = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"BZh", b"\xfd7zXZ\x00")


def _layer_stream(raw: IO[bytes], what: str, budget: _Budget) -> IO[bytes]:
    """The layer's tar bytes: an uncompressed layer in a seekable file as it is (its file contents
    are skipped by seeking; nothing is decompressed, so nothing can expand), any other through
    the bounded decompressor."""
    try:
        seekable = raw.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        start = raw.tell()
        head = raw.read(6)
        raw.seek(start)
        if not head.startswith(_COMPRESSED):
            return raw
    return _decompressed(raw, what, budget)


def _decompressed(raw: IO[bytes], what: str, budget: _Budget) -> IO[bytes]:
    head = raw.read(6)
    stream = io.BufferedReader(_Prefixed(head, raw), buffer_size=1024 * 1024)
    if head.startswith(b"\x1f\x8b"):
        chunks: Iterator[bytes] = _gzip_chunks(stream)
    elif head.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            import zstandard
        except ImportError:
            raise ImageError(f"{what} is zstd-compressed and the zstandard module is not installed") from None
        chunks = _read_chunks(zstandard.ZstdDecompressor().stream_reader(stream, read_size=1024 * 1024))
    elif head.startswith(b"BZh"):
        chunks = _read_chunks(bz2.BZ2File(stream))
    elif head.startswith(b"\xfd7zXZ\x00"):
        chunks = _read_chunks(lzma.LZMAFile(stream))
    else:
        return io.BufferedReader(_Bounded(stream, MAX_LAYER_BYTES, what, budget), buffer_size=1024 * 1024)
    return io.BufferedReader(_Prefetched(_bounded_chunks(chunks, what, budget)), buffer_size=1024 * 1024)


# Decoded bytes handed over at a time. Large on purpose: the decoding thread needs the GIL
# between two chunks, and while the parser holds it that wait is up to a switch interval.
DECODED_CHUNK = 4 * 1024 * 1024
COMPRESSED_READ = 1024 * 1024


def _read_chunks(decoder: IO[bytes]) -> Iterator[bytes]:
    while chunk := decoder.read(DECODED_CHUNK):
        yield chunk


def _inflater():
    """zlib-ng where it is installed (a dependency; it inflates about twice as fast as zlib,
    with zlib's interface and checks), else the standard library's zlib."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return zlib
    return zlib_ng


def _gzip_chunks(stream: IO[bytes], inflater=None) -> Iterator[bytes]:
    """The members of a gzip stream one after another, as GzipFile reads them (zero bytes may
    pad the end), decoded in one call per chunk; the inflater checks each member's CRC and
    length itself. GzipFile decodes in 128 KiB steps, each needing the GIL back."""
    inflater = inflater or _inflater()
    data = b""
    while True:
        decoder = inflater.decompressobj(16 + zlib.MAX_WBITS)
        while not decoder.eof:
            if not data:
                data = stream.read(COMPRESSED_READ)
            if not data:
                rest = decoder.flush()  # what inflate holds back once the input is spent
                if rest:
                    yield rest
                if not decoder.eof:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                break
            chunk = decoder.decompress(data, DECODED_CHUNK)
            data = decoder.unconsumed_tail
            if chunk:
                yield chunk
        data = decoder.unused_data.lstrip(b"\0")
        while not data:
            more = stream.read(COMPRESSED_READ)
            if not more:
                return
            data = more.lstrip(b"\0")


def _bounded_chunks(chunks: Iterator[bytes], what: str, budget: _Budget) -> Iterator[bytes]:
    """Fails once a layer expands past MAX_LAYER_BYTES or the archive's budget is spent (checked
    a chunk at a time, so at most one chunk past the bound)."""
    left = MAX_LAYER_BYTES
    for chunk in chunks:
        left -= len(chunk)
        if left < 0:
            raise ImageError(f"{what} expands past {MAX_LAYER_BYTES} bytes (decompression bomb?)")
        budget.spend(len(chunk), what)
        yield chunk


class _Prefetched(io.RawIOBase):
    """Decodes ahead in a thread while the caller parses: zlib, zstd, bz2 and lzma release the
    GIL while they work, so on two cores a layer costs about the larger of the two instead of
    their sum. At most a few chunks are held; errors (a corrupt stream, a spent budget) reach
    the reader in order; closing stops the thread before the blob is closed."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        import queue
        import threading

        self.chunks: queue.Queue = queue.Queue(maxsize=4)
        self.stop = threading.Event()
        self.left = memoryview(b"")  # a view: handing out part of a chunk copies only that part
        self.done = False
        self.thread = threading.Thread(target=self._produce, args=(chunks,), daemon=True)
        self.thread.start()

    def _produce(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if not self._put(memoryview(chunk)):
                    return
            self._put(None)
        except BaseException as error:  # handed to the reader, raised there
            self._put(error)

    def _put(self, item: object) -> bool:
        """Hand over one item, waiting for room unless the reader has closed."""
        import queue

        while not self.stop.is_set():
            try:
                self.chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.left and not self.done:
            item = self.chunks.get()
            if item is None:
                self.done = True
            elif isinstance(item, BaseException):
                self.done = True
                raise item
            else:
                self.left = item
        count = min(len(buffer), len(self.left))
        buffer[:count] = self.left[:count]
        self.left = self.left[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self.stop.set()
            self.thread.join()
        super().close()


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
    if "\\" not in name and ".." not in name and "//" not in name and "/./" not in name and not name.endswith("/."):
        # What nearly every layer entry looks like: one slice, not a split and a join.
        path = name[2:] if name.startswith("./") else name.lstrip("/")
        path = path.rstrip("/")
        return "/" + path if path not in ("", ".") else "/"
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/" + "/".join(parts)


@dataclass(slots=True)  # one per tar entry of every layer: built fast, never shared
class _Entry:
    """One tar entry of a layer: the file it puts in the tree and the part of its content the
    rules keep. A layer listed again replays the same objects."""

    file: ImageFile
    text: str | None  # kept content (passwd, secret candidates, package databases)
    packages: tuple[Package, ...] | None = None  # parsed from package.json / METADATA as read


class _LayerReader:
    """Streams layers as entries; a layer listed again (in this image or another of the
    archive) is replayed from memory instead of being decompressed again."""

    def __init__(self, blobs: _Blobs, archive_size: int) -> None:
        self.blobs = blobs
        self.budget = _Budget(max(MIN_EXPANSION_BUDGET, EXPANSION_RATIO * archive_size))
        self.replays: dict[str, list[_Entry] | None] = {}
        self.entries = 0

    def entries_of(self, layer: str, what: str) -> Iterator[_Entry]:
        replay = self.replays.get(layer)
        if replay is not None:
            for entry in replay:
                self._count(what)
                yield entry
            return
        kept: list[_Entry] | None = []
        kept_text = 0
        try:
            with self.blobs.open(layer) as raw, contextlib.closing(_layer_stream(raw, what, self.budget)) as stream:
                for member, read in tarstream.members(stream):
                    self._count(what)
                    entry = _entry(member, read)
                    if entry is None:
                        continue
                    kept_text += len(entry.text or "")
                    if kept is not None and (len(kept) >= MAX_REPLAYED_ENTRIES or kept_text > MAX_REPLAYED_TEXT):
                        kept = None  # too large to hold: read it again if it is listed again
                    if kept is not None:
                        kept.append(entry)
                    yield entry
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
            raise ImageError(f"{what}: corrupt or truncated ({error})") from None
        except Exception as error:  # zstandard.ZstdError and other decoder errors
            if isinstance(error, ImageError):
                raise
            raise ImageError(f"{what}: corrupt or truncated ({error})") from None
        self.replays[layer] = kept

    def _count(self, what: str) -> None:
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise ImageError(f"{what}: more than {MAX_ENTRIES} entries in the archive's images")


# Tar type flags as the model names them; anything else (devices, FIFOs) is "other", recorded
# and never opened.
_KINDS = {b"5": "dir", b"2": "symlink", b"1": "hardlink", **dict.fromkeys(tarstream.FILE_TYPES, "file")}


def _entry(member: tarstream.Member, read) -> _Entry | None:
    path = _normalize(member.name)
    if path is None or path == "/":
        return None
    kind = _KINDS.get(member.type, "other")
    text = None
    limit = _content_limit(path, member.size) if kind == "file" else 0
    if limit:
        text = read(limit).decode("utf-8", "replace")
    packages = None
    if text is not None and inventory.per_package(path):
        text, packages = None, tuple(inventory.packages_in(path, text))  # never held as text
    return _Entry(ImageFile(path, kind, member.mode & 0o7777, member.uid, member.size, member.linkname), text, packages)


def _split(path: str) -> tuple[str, str]:
    """posixpath.split for the tree's paths, which are normalized (absolute, no `//`, no
    trailing `/`): asked several times for every entry of every layer."""
    slash = path.rfind("/")
    return path[:slash] or "/", path[slash + 1 :]


class _FileTree:
    """The final file system as layers build it. Children are indexed by directory, so a
    whiteout costs the size of what it deletes, not of the whole image."""

    def __init__(self) -> None:
        self.files: dict[str, ImageFile] = {}
        self.children: dict[str, set[str]] = {}

    def add(self, file: ImageFile, directory: str) -> None:
        """`directory`: the file's parent (callers have split its path already)."""
        if file.path not in self.files:
            self.children.setdefault(directory, set()).add(file.path)
        self.files[file.path] = file

    def remove(self, path: str, keep: set[str] | frozenset[str] = frozenset(), itself: bool = True) -> list[str]:
        """Delete `path` (unless `itself` is False) and everything below it that is not in
        `keep`; returns the deleted paths."""
        removed: list[str] = []
        stack = [path]
        while stack:
            current = stack.pop()
            for child in list(self.children.get(current, ())):
                if child in keep:
                    continue
                stack.append(child)
                self._drop(child, removed)
        if itself and path in self.files:
            self._drop(path, removed)
        return removed

    def _drop(self, path: str, removed: list[str]) -> None:
        if self.files.pop(path, None) is not None:
            removed.append(path)
        siblings = self.children.get(_split(path)[0])
        if siblings is not None:
            siblings.discard(path)


@dataclass
class _Layers:
    """What the rules keep while layers are applied: file contents and their older versions,
    and packages parsed from their metadata as it arrives (never the raw files)."""

    tree: _FileTree
    contents: dict[str, str]
    shadowed: dict[str, str]
    packages: dict[str, tuple[Package, ...]]


def _model(source: Path, reader: _LayerReader, ref: _ImageRef) -> ImageModel:
    state = _Layers(_FileTree(), {}, {}, {})
    for number, layer in enumerate(ref.layers, start=1):
        added: set[str] = set()
        for entry in reader.entries_of(layer, f"{source}: layer {number} ({layer})"):
            _apply(entry, state, added)
    files, contents, shadowed = state.tree.files, state.contents, state.shadowed
    config = _mapping(ref.config.get("config"), f"{source}: the image config's config")
    # Whiteouts in later layers may have removed a file whose content was kept.
    for path in [p for p in contents if p not in files or files[p].kind != "file"]:
        shadowed.setdefault(path, contents.pop(path))
    packages = _inventory(contents, state.packages, files)
    distro, distro_version = inventory.distro(contents)
    environment = _array(config.get("Env"), f"{source}: the config's Env", str)
    return ImageModel(
        source=str(source),
        reference=ref.reference,
        platform=ref.platform,
        config_user=str(config.get("User") or ""),
        exposed_ports=tuple(sorted(str(p) for p in _mapping(config.get("ExposedPorts"), f"{source}: ExposedPorts"))),
        healthcheck=_healthcheck(config.get("Healthcheck")),
        env=MappingProxyType(dict(e.split("=", 1) for e in environment if "=" in e)),
        files=MappingProxyType(files),
        contents=MappingProxyType(contents),
        shadowed_contents=MappingProxyType({p: t for p, t in shadowed.items() if not inventory.wanted(p)}),
        packages=packages,
        distro=distro,
        distro_version=distro_version,
    )


def _inventory(contents: dict[str, str], parsed: dict[str, tuple[Package, ...]], files: dict[str, ImageFile]) -> tuple[Package, ...]:
    """Packages of the final file system: databases parsed now, per-package files (parsed as
    their layers were read) where the file is still there."""
    dev = inventory.dev_flags(contents)
    found = inventory.database_packages(contents)
    for path in [p for p in contents if inventory.wanted(p) and p not in inventory.OS_RELEASE]:
        contents.pop(path)
    for path, packages in parsed.items():
        if path in files and files[path].kind == "file":
            found.extend(replace(package, dev=package.path in dev) for package in packages)
    return tuple(found)


def _healthcheck(value: Any) -> str:
    test = value.get("Test") if isinstance(value, dict) else None
    if not isinstance(test, list) or not test:
        return "absent"
    return "disabled" if test[0] == "NONE" else "present"


def _content_limit(path: str, size: int) -> int:
    """How much of a file to keep: rule inputs, secret candidates, inventory sources."""
    if path in KEPT_CONTENTS and size <= MAX_CONTENT_BYTES:
        return MAX_CONTENT_BYTES
    if size <= MAX_SECRET_CANDIDATE_BYTES and secret_candidate(path):
        return MAX_SECRET_CANDIDATE_BYTES
    return inventory.wanted(path)


def _apply(entry: _Entry, state: _Layers, added: set[str]) -> None:
    file = entry.file
    path = file.path
    tree = state.tree
    directory, base = _split(path)
    if base.startswith(".wh."):
        if base == ".wh..wh..opq":  # opaque directory: hide what lower layers put inside
            tree.remove(directory, keep=added, itself=False)
        else:  # whiteout: delete the path and everything below it
            tree.remove(posixpath.join(directory, base[len(".wh."):]))
        return
    existing = tree.files.get(path)
    if existing is not None and existing.kind == "dir" and file.kind != "dir":
        tree.remove(path, itself=False)
    tree.add(file, directory)
    added.add(path)
    if entry.packages is not None:
        state.packages[path] = entry.packages
    elif entry.text is not None:
        if path in state.contents and state.contents[path] != entry.text:
            state.shadowed[path] = state.contents[path]  # the lower layer still holds the old content
        state.contents[path] = entry.text
    else:
        state.packages.pop(path, None)
        if path in state.contents:  # replaced by something we did not keep
            state.shadowed[path] = state.contents.pop(path)
