"""Build small container images in Python, in every layout `mcpharden image` reads."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    path: str
    data: bytes = b""
    mode: int = 0o644
    kind: str = "file"  # file | dir | symlink | char
    link: str = ""
    uid: int = 0


def layer(*entries: Entry, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for entry in entries:
            info = tarfile.TarInfo(entry.path)
            info.mode, info.uid = entry.mode, entry.uid
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif entry.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, entry.link
            elif entry.kind == "char":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            else:
                info.size = len(entry.data)
            archive.addfile(info, io.BytesIO(entry.data) if entry.kind == "file" else None)
    raw = buffer.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


@dataclass
class Image:
    layers: list[bytes]
    config: dict = field(default_factory=dict)  # the "config" section: User, ExposedPorts, Healthcheck
    architecture: str = "amd64"
    tag: str = "example/mcp:1"

    def config_blob(self) -> bytes:
        diff_ids = ["sha256:" + hashlib.sha256(_uncompressed(l)).hexdigest() for l in self.layers]
        return json.dumps({"architecture": self.architecture, "os": "linux", "config": self.config,
                           "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()


def _uncompressed(blob: bytes) -> bytes:
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    if blob[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob)).read()
    return blob


def zstd(blob: bytes) -> bytes:
    """A layer recompressed with zstd (from gzip or plain tar)."""
    import zstandard

    return zstandard.ZstdCompressor().compress(_uncompressed(blob))


def _digest(blob: bytes) -> str:
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def _oci_files(images: list[Image], multi_platform: bool) -> dict[str, bytes]:
    files: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}'}
    manifests = []
    for image in images:
        config = image.config_blob()
        files[f"blobs/sha256/{_digest(config)[7:]}"] = config
        layer_descriptors = []
        for blob in image.layers:
            files[f"blobs/sha256/{_digest(blob)[7:]}"] = blob
            layer_descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _digest(blob), "size": len(blob)})
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(config), "size": len(config)},
                               "layers": layer_descriptors}).encode()
        files[f"blobs/sha256/{_digest(manifest)[7:]}"] = manifest
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _digest(manifest), "size": len(manifest),
                          "platform": {"os": "linux", "architecture": image.architecture},
                          "annotations": {"org.opencontainers.image.ref.name": image.tag}})
    if multi_platform:
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}).encode()
        files[f"blobs/sha256/{_digest(index)[7:]}"] = index
        top = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": _digest(index), "size": len(index),
                "annotations": {"org.opencontainers.image.ref.name": images[0].tag}}]
    else:
        top = manifests
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": top}).encode()
    return files


def _write_tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def oci_layout(directory: Path, *images: Image, multi_platform: bool = False) -> Path:
    for name, data in _oci_files(list(images), multi_platform).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    return directory


def oci_archive(path: Path, *images: Image, multi_platform: bool = False) -> Path:
    return _write_tar(path, _oci_files(list(images), multi_platform))


def docker_archive_legacy(path: Path, image: Image) -> Path:
    files: dict[str, bytes] = {}
    config = image.config_blob()
    config_name = f"{_digest(config)[7:]}.json"
    files[config_name] = config
    layer_names = []
    for number, blob in enumerate(image.layers):
        name = f"layer{number}/layer.tar"
        files[name] = _uncompressed(blob)  # docker save stores layers uncompressed
        layer_names.append(name)
    files["manifest.json"] = json.dumps([{"Config": config_name, "RepoTags": [image.tag], "Layers": layer_names}]).encode()
    return _write_tar(path, files)


def docker_archive_oci(path: Path, image: Image) -> Path:
    """Docker 25+: an OCI layout plus a manifest.json that points into blobs/."""
    files = _oci_files([image], multi_platform=False)
    config = image.config_blob()
    files["manifest.json"] = json.dumps([{"Config": f"blobs/sha256/{_digest(config)[7:]}", "RepoTags": [image.tag],
                                          "Layers": [f"blobs/sha256/{_digest(b)[7:]}" for b in image.layers]}]).encode()
    return _write_tar(path, files)


DPKG_STATUS = b"""Package: openssl
Status: install ok installed
Version: 3.0.11-1~deb12u2
Architecture: amd64

Package: removed-pkg
Status: deinstall ok config-files
Version: 1.0

Package: libc6
Status: install ok installed
Version: 2.36-9+deb12u4
"""
APK_INSTALLED = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nC:Q1def=\nP:busybox\nV:1.36.1-r5\n"


def node_package(root: str, name: str, version: str) -> Entry:
    return Entry(f"{root}/node_modules/{name}/package.json", json.dumps({"name": name, "version": version}).encode())


def hidden_lockfile(root: str, dev: list[str]) -> Entry:
    packages = {"": {"name": "app"}, **{f"node_modules/{name}": {"version": "1.0.0", "dev": True} for name in dev}}
    return Entry(f"{root}/node_modules/.package-lock.json", json.dumps({"lockfileVersion": 3, "packages": packages}).encode())


def dist_info(site: str, name: str, version: str) -> Entry:
    return Entry(f"{site}/{name.replace('-', '_')}-{version}.dist-info/METADATA",
                 f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong description\n".encode())
