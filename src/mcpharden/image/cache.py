"""Images pulled from registries, audited once per digest: the ImageModel of a manifest digest
and platform is kept as JSON in `$XDG_CACHE_HOME/mcpharden/images`, so a second audit of the
same image (a batch rerun, a catalog that lists one image twice) pulls nothing but the digest.

A tag is resolved to its digest every time (tags move); a digest never changes what it names,
so its entry never goes stale. Entries are data, never code: JSON, read with the same shape
checks as any input, and ignored when unreadable.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType

from mcpharden import __version__
from mcpharden.model.image import ImageFile, ImageModel, Package
from mcpharden.util.usercache import user_cache, write_atomically


def cache_directory() -> Path:
    return user_cache("images")


def cached_registry_images(reference: str, platform: str | None) -> list[ImageModel]:
    from mcpharden.image import ImageError
    from mcpharden.image.read import read_registry_images
    from mcpharden.image.registry import RegistryError, Repository

    try:
        digest = Repository(reference).digest()
    except RegistryError as error:
        raise ImageError(str(error)) from None
    try:
        path = cache_directory() / f"{digest.replace(':', '-')}-{(platform or 'all').replace('/', '_')}.json"
    except OSError:  # no user cache: pulled every time
        return read_registry_images(reference, platform)
    cached = _load(path, reference)
    if cached is not None:
        return cached
    images = read_registry_images(reference, platform)
    _store(path, images)
    return images


def _load(path: Path, reference: str) -> list[ImageModel] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("mcpharden") != __version__:
            return None  # an older reader may have seen less
        return [_image(entry, reference) for entry in document["images"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store(path: Path, images: list[ImageModel]) -> None:
    write_atomically(path, json.dumps({"mcpharden": __version__, "images": [_entry(image) for image in images]}))


def _entry(image: ImageModel) -> dict:
    """Everything but the vulnerabilities, which each run matches against its own databases."""
    return {
        "reference": image.reference, "platform": image.platform, "config_user": image.config_user,
        "exposed_ports": list(image.exposed_ports), "healthcheck": image.healthcheck, "env": dict(image.env),
        "files": [asdict(file) for file in image.files.values()], "contents": dict(image.contents),
        "shadowed_contents": dict(image.shadowed_contents), "packages": [asdict(package) for package in image.packages],
        "distro": image.distro, "distro_version": image.distro_version,
    }


def _image(entry: dict, reference: str) -> ImageModel:
    files = {item["path"]: ImageFile(**item) for item in entry["files"]}
    return ImageModel(
        source=reference, reference=str(entry["reference"]), platform=str(entry["platform"]),
        config_user=str(entry["config_user"]), exposed_ports=tuple(map(str, entry["exposed_ports"])),
        healthcheck=str(entry["healthcheck"]), env=MappingProxyType(dict(entry["env"])),
        files=MappingProxyType(files), contents=MappingProxyType(dict(entry["contents"])),
        shadowed_contents=MappingProxyType(dict(entry["shadowed_contents"])),
        packages=tuple(Package(**package) for package in entry["packages"]),
        distro=str(entry["distro"]), distro_version=str(entry["distro_version"]),
    )
