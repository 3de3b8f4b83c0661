"""Images pulled from registries, audited once per digest: the ImageModel of a manifest digest
and platform is kept as JSON in `$XDG_CACHE_HOME/mcpharden/images`, so a second audit of the
same image (a batch rerun, a catalog that lists one image twice) pulls nothing but the digest.

A tag is resolved to its digest every time (tags move); a digest never changes what it names,
so its entry never goes stale. Entries are data, never code: JSON that carries its own digest
(a damaged entry is pulled again), read with the same shape checks as any input, and ignored
when unreadable.

An entry holds no credential value, as no report does: what the secret check found is kept as
where and what kind (`ImageModel.cached_secrets`); the files it read, credential values in ENV
and password fields of /etc/passwd and /etc/group are not kept.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType

from mcpharden import __version__
from mcpharden.knowledge.image_contents import Secret
from mcpharden.model.image import ImageFile, ImageModel, Package
from mcpharden.util.usercache import optional_cache_folder, read_entry, write_entry


def cached_registry_images(reference: str, platform: str | None) -> list[ImageModel]:
    from mcpharden.image import ImageError
    from mcpharden.image.read import read_registry_images
    from mcpharden.image.registry import RegistryError, Repository

    try:
        digest = Repository(reference).digest()
    except RegistryError as error:
        raise ImageError(str(error)) from None
    folder = optional_cache_folder("images")
    if folder is None:  # no user cache, or one that is not the user's alone: pulled every time
        return read_registry_images(reference, platform)
    path = folder / f"{digest.replace(':', '-')}-{(platform or 'all').replace('/', '_')}.json"
    cached = _load(path, reference)
    if cached is not None:
        return cached
    images = read_registry_images(reference, platform, digest)  # the manifest the key names, checked
    _store(path, images)
    return images


def _load(path: Path, reference: str) -> list[ImageModel] | None:
    text = read_entry(path)
    if text is None:
        return None
    try:
        document = json.loads(text)
        if document.get("mcpharden") != __version__:
            return None  # an older reader may have seen less
        return [_image(entry, reference) for entry in document["images"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store(path: Path, images: list[ImageModel]) -> None:
    if write_entry(path, json.dumps({"mcpharden": __version__, "images": [_entry(image) for image in images]})):
        _drop_unsigned(path.parent)


def _drop_unsigned(folder: Path) -> None:
    """Entries written by earlier builds carry no digest and kept the files the secret check read:
    never read again, and removed so that the cache holds no credential value."""
    for old in folder.glob("*.json"):
        try:
            with open(old, "rb") as handle:
                if handle.read(7) != b"sha256:":
                    old.unlink()
        except OSError:
            pass


def _entry(image: ImageModel) -> dict:
    """Everything but the vulnerabilities (each run matches them against its own databases) and
    any credential value (what the secret check found is kept as where and what kind)."""
    from mcpharden.knowledge.image_contents import secrets

    found = secrets(image)
    flagged = {secret.where.removeprefix("ENV ") for secret in found if secret.where.startswith("ENV ")}
    return {
        "reference": image.reference, "platform": image.platform, "config_user": image.config_user,
        "exposed_ports": list(image.exposed_ports), "healthcheck": image.healthcheck,
        "env": {name: _env_value(name, value, flagged) for name, value in image.env.items()},
        "files": [asdict(file) for file in image.files.values()], "contents": _without_secrets(image.contents),
        "shadowed_contents": _without_secrets(image.shadowed_contents),
        "packages": [asdict(package) for package in image.packages],
        "distro": image.distro, "distro_version": image.distro_version,
        "secrets": [asdict(secret) for secret in found],
    }


def _env_value(name: str, value: str, flagged: set[str]) -> str:
    """A value under a credential name is not kept; any other passes the reports' gate."""
    from mcpharden.knowledge.credentials import is_credential_name
    from mcpharden.safety import MASK, redact_text

    return MASK if name in flagged or is_credential_name(name) else redact_text(value)


def _without_secrets(contents) -> dict[str, str]:
    """The contents other rules read (/etc/passwd for users, os-release), without the secret
    check's candidates (their findings are kept instead) or password fields."""
    from mcpharden.knowledge.image_contents import secret_candidate

    return {path: _no_password_field(text) if path in _ACCOUNT_FILES else text
            for path, text in contents.items() if not secret_candidate(path)}


_ACCOUNT_FILES = ("/etc/passwd", "/etc/group")


def _no_password_field(text: str) -> str:
    """name:password:id:…: an old-style passwd or group file may hold a password hash there; the
    rules read the name and the id only."""
    lines = []
    for line in text.split("\n"):
        fields = line.split(":")
        if len(fields) > 2 and fields[1] not in ("", "x", "*", "!"):
            fields[1] = "x"
        lines.append(":".join(fields))
    return "\n".join(lines)


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
        cached_secrets=tuple(Secret(str(item["where"]), str(item["kind"])) for item in entry["secrets"]),
    )
