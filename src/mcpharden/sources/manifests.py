"""Package manifests in a Dockerfile's build context, read for what a package manager's
default install brings: `package.json` `devDependencies` for npm, yarn, pnpm and bun;
`pyproject.toml` dependency groups for uv, poetry and pdm.

The build context is taken to be the Dockerfile's folder; when a manifest is not there, the
nearest one in a folder above it (up to the scanned root) counts, since Dockerfiles kept in
`docker/` are usually built with the repository root as their context.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from functools import lru_cache

from mcpharden.model.build import ManifestVerdict

Reader = Callable[..., "str | None"]

# The manifest each kind is read from (InstallerSpec.manifest names a kind).
MANIFEST_FILES: Mapping[str, str] = {"package.json": "package.json", "uv": "pyproject.toml",
                                     "poetry": "pyproject.toml", "pdm": "pyproject.toml"}


class BuildContextManifests(Mapping):
    """Verdicts per manifest kind for the build context of one Dockerfile, each found and parsed
    only when an install asks for it (most Dockerfiles run no package manager the manifests decide)."""

    def __init__(self, dockerfile: str, read: Reader) -> None:
        self.folder, self.read = posixpath.dirname(dockerfile), read
        self.found: dict[str, ManifestVerdict | None] = {}

    def __getitem__(self, kind: str) -> ManifestVerdict:
        if kind not in self.found:
            self.found[kind] = self._judge(kind)
        verdict = self.found[kind]
        if verdict is None:
            raise KeyError(kind)
        return verdict

    def __iter__(self):
        return (kind for kind in MANIFEST_FILES if kind in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _judge(self, kind: str) -> ManifestVerdict | None:
        name = MANIFEST_FILES.get(kind)
        if name is None:
            return None
        for folder in _folders_up(self.folder):
            path = posixpath.join(folder, name) if folder else name
            text = self.read(path, quiet=True)
            if text is not None:
                return _JUDGES[kind](path, text)
        return None


def manifests_for(dockerfile: str, read: Reader) -> BuildContextManifests:
    """Verdicts per manifest kind for the build context of `dockerfile` (a relative path)."""
    return BuildContextManifests(dockerfile, read)


def _folders_up(folder: str):
    while True:
        yield folder
        if not folder:
            return
        folder = posixpath.dirname(folder)


def json_object(text: str) -> dict | None:
    """A JSON document that is an object (package.json), or None for anything else."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _package_json(path: str, text: str) -> ManifestVerdict | None:
    document = json_object(text)
    if document is None:
        return None
    dev = document.get("devDependencies")
    if isinstance(dev, dict) and dev:
        return ManifestVerdict(path, True, f"declares {len(dev)} devDependencies")
    return ManifestVerdict(path, False, "declares no devDependencies")


@lru_cache(maxsize=32)
def _parsed_toml(text: str) -> dict | None:
    """One parse of a pyproject.toml for uv, poetry and pdm alike (read only, never changed)."""
    import tomllib  # loaded only when a TOML file is read

    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None


def _table(document: Mapping, *keys: str) -> Mapping:
    for key in keys:
        document = document.get(key) if isinstance(document, Mapping) else None
    return document if isinstance(document, Mapping) else {}


def _non_empty_groups(groups: Mapping) -> set[str]:
    return {name for name, members in groups.items() if isinstance(members, list) and members}


def _uv(path: str, text: str) -> ManifestVerdict | None:
    """`uv sync` installs the project, its `default-groups` (`dev` unless set), and
    `[tool.uv] dev-dependencies` as part of `dev`; extras only when asked."""
    document = _parsed_toml(text)
    if document is None:
        return None
    groups = _non_empty_groups(_table(document, "dependency-groups"))
    legacy = _table(document, "tool").get("uv", {})
    if isinstance(legacy, Mapping) and isinstance(legacy.get("dev-dependencies"), list) and legacy["dev-dependencies"]:
        groups.add("dev")
    defaults = legacy.get("default-groups", ["dev"]) if isinstance(legacy, Mapping) else ["dev"]
    installed = groups if defaults == "all" else groups & {str(g) for g in defaults if isinstance(g, str)}
    return _verdict(path, installed, "has the dependency group(s) {}, which uv installs by default",
                    "has no dependency group that uv installs by default")


def _poetry(path: str, text: str) -> ManifestVerdict | None:
    """`poetry install` installs every group not marked `optional = true`."""
    document = _parsed_toml(text)
    if document is None:
        return None
    poetry = _table(document, "tool", "poetry")
    if not poetry:
        return None
    groups = {"dev"} if _table(poetry, "dev-dependencies") else set()
    groups |= {str(name) for name, group in _table(poetry, "group").items()
               if isinstance(group, Mapping) and group.get("optional") is not True and _table(group, "dependencies")}
    return _verdict(path, groups, "has the non-optional group(s) {}", "has no dependency group besides main")


def _pdm(path: str, text: str) -> ManifestVerdict | None:
    """`pdm install` installs every dev group (`[tool.pdm.dev-dependencies]`, `[dependency-groups]`)."""
    document = _parsed_toml(text)
    if document is None:
        return None
    groups = _non_empty_groups(_table(document, "tool", "pdm", "dev-dependencies")) | _non_empty_groups(_table(document, "dependency-groups"))
    return _verdict(path, groups, "has the dev group(s) {}", "has no dev dependency group")


def _verdict(path: str, groups: set[str], present: str, absent: str) -> ManifestVerdict:
    """Dev dependencies install when a group the tool installs by default is there."""
    if groups:
        return ManifestVerdict(path, True, present.format(", ".join(sorted(groups))))
    return ManifestVerdict(path, False, absent)


_JUDGES: Mapping[str, Callable[[str, str], ManifestVerdict | None]] = {
    "package.json": _package_json, "uv": _uv, "poetry": _poetry, "pdm": _pdm,
}
