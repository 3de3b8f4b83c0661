"""Look up what a base image brings, from base_images.toml (and project extensions)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Iterable

from mcpharden.knowledge import load_table
from mcpharden.model.references import BaseImageProfile, ImageName, parse_image_name
from mcpharden.util.globs import glob_match


@dataclass(frozen=True)
class ImageEntry:
    """One row of the base-image table: the images and tags it covers, their family, and what they override."""

    images: tuple[str, ...]  # normalized name patterns
    tags: tuple[str, ...]
    family: str
    overrides: tuple[tuple[str, Any], ...]


_OVERRIDABLE = ("kind", "default_user", "shell", "package_manager", "note", "http_clients", "distribution")


def entry_from_table(raw: dict[str, Any]) -> ImageEntry:
    """One `[[images]]` entry; patterns are normalized like references (node → docker.io/library/node)."""
    patterns = tuple(_normalize_pattern(p) for p in raw["images"])
    return ImageEntry(
        images=patterns,
        tags=tuple(raw.get("tags", ("*",))),
        family=raw["family"],
        overrides=tuple((k, raw[k]) for k in _OVERRIDABLE if k in raw),
    )


def _normalize_pattern(pattern: str) -> str:
    if pattern == "scratch":
        return pattern
    name = parse_image_name(pattern)
    return name.full_name


@cache
def _bundled_entries() -> tuple[ImageEntry, ...]:
    return tuple(entry_from_table(raw) for raw in load_table("base_images.toml")["images"])


def families() -> dict[str, dict[str, Any]]:
    return load_table("base_images.toml")["families"]


def profile_for(reference: str | None, extra: Iterable[ImageEntry] = ()) -> BaseImageProfile:
    """The profile of an external image reference; unknown images get the `unknown` family."""
    return _profile_for(reference, tuple(extra))


@lru_cache(maxsize=4096)
def _profile_for(reference: str | None, extra: tuple[ImageEntry, ...]) -> BaseImageProfile:
    if reference is None:
        return _profile("unknown", (), known=False)
    if reference.lower() == "scratch":
        return _profile("scratch", (), known=True)
    name = parse_image_name(reference)
    for entry in (*extra, *_bundled_entries()):
        if _matches(entry, name):
            family = _family_by_tag(name) if entry.family == "by-tag" else entry.family
            return _profile(family, entry.overrides, known=True)
    return _profile("unknown", (), known=False)


def _matches(entry: ImageEntry, name: ImageName) -> bool:
    tag = name.tag or "latest"
    return any(glob_match(name.full_name, p) for p in entry.images) and any(glob_match(tag, t) for t in entry.tags)


def _family_by_tag(name: ImageName) -> str:
    variants = load_table("base_images.toml")["tag_variants"]
    tag = (name.tag or "latest").lower()
    for variant in variants["variant"]:
        if any(glob_match(tag, pattern) for pattern in variant["tags"]):
            return variant["family"]
    return variants["default"]


def _profile(family: str, overrides: tuple[tuple[str, Any], ...], known: bool) -> BaseImageProfile:
    values = dict(families()[family])
    values.update(overrides)
    return BaseImageProfile(
        family=family,
        kind=values["kind"],
        default_user=str(values["default_user"]),
        shell=bool(values["shell"]),
        package_manager=values["package_manager"],
        known=known,
        note=values.get("note", ""),
        http_clients=_http_clients(values.get("http_clients")),
        distribution=values.get("distribution", ""),
    )


def _http_clients(value: Any) -> frozenset[str] | None:
    """A list of tool names is what the image ships; "unknown", no key or anything else is not known."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    return None
