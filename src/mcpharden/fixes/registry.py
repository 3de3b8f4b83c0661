"""Digests for `fix --resolve`: `name:tag` → the digest it points at now, asked of the
registry over the OCI distribution API (image.registry speaks it)."""

from __future__ import annotations

from mcpharden.image.registry import RegistryError, Repository

__all__ = ["RegistryError", "resolve_digest"]


def resolve_digest(reference: str) -> str:
    """The digest `reference` (name[:tag]) points at now."""
    return Repository(reference).digest()
