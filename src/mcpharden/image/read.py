"""The image reader's entry points: the images an archive, a layout directory or a registry
reference holds, as ImageModels (layout finds them, filesystem applies their layers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mcpharden.image import ImageError, inventory
from mcpharden.image.filesystem import _apply, _FileTree, _LayerReader, _Layers
from mcpharden.image.layout import _archive_size, _array, _Blobs, _image_refs, _ImageRef, _mapping, _RegistryBlobs, _Visits
from mcpharden.model.image import ImageFile, ImageModel, Package

MAX_IMAGES = 64  # images (platforms) one archive may hold


def read_images(path: Path, platform: str | None = None, opened: int | None = None) -> list[ImageModel]:
    """Every image (or platform) in `path`; raises ImageError for unreadable input. `opened`:
    `path` already opened race-free by the caller (`mcpharden serve`), read only through it."""
    if opened is None and not path.exists():
        raise ImageError(f"{path}: no such file or directory")
    import functools

    return _guarded(path, lambda: _read_images(_Blobs(path, opened), platform, functools.cache(lambda: _archive_size(path))))


def read_registry_images(reference: str, platform: str | None = None, digest: str | None = None) -> list[ImageModel]:
    """Every image (or platform) `reference` names in its registry, pulled as a stream; with
    `digest` (what the caller resolved the tag to), a manifest of another digest is an error."""
    from mcpharden.image.registry import RegistryError

    def pull() -> list[ImageModel]:
        blobs = _RegistryBlobs(reference, digest)
        return _read_images(blobs, platform, lambda: blobs.received)

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


def _read_images(blobs, platform: str | None, size: Callable[[], int]) -> list[ImageModel]:
    """`size`: the bytes the layers come from (an archive's size; the bytes a pull received so
    far), asked as the layers are read: the expansion budget grows with it."""
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
    reader = _LayerReader(blobs, size)
    return [_model(path, reader, ref) for ref in refs]


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
