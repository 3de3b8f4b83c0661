"""Look-ups over an image's final file system with image_contents.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import translate
from functools import cache
from typing import TYPE_CHECKING

from mcpharden.knowledge import load_table
from mcpharden.util.globs import glob_match

if TYPE_CHECKING:  # repository scans never build an image model: its classes load with an image
    from mcpharden.model.image import ImageModel


@cache
def _table() -> dict:
    return load_table("image_contents.toml")


def _present(image: ImageModel, pattern: str) -> list[str]:
    if "*" not in pattern:
        return [pattern] if pattern in image.files else []
    # Every path of the image is a candidate: the literal part before the first wildcard narrows
    # them in C before the depth and the pattern are tried.
    prefix = pattern[: min(i for i in (pattern.find(char) for char in "*?[") if i >= 0)]
    depth = pattern.count("/")
    return sorted(p for p in image.files if p.startswith(prefix) and p.count("/") == depth and glob_match(p, pattern))


def shells(image: ImageModel) -> list[str]:
    return [path for pattern in _table()["shells"] for path in _present(image, pattern)]


def package_managers(image: ImageModel) -> dict[str, list[str]]:
    found = {}
    for tool, patterns in _table()["package_managers"].items():
        paths = [path for pattern in patterns for path in _present(image, pattern)]
        if paths:
            found[tool] = paths
    return found


def writable_allowed(path: str) -> bool:
    return path in _table()["writable_allowed"]


def uid_of(image: ImageModel, user: str) -> int | None:
    """The uid a config `User` runs as: `1000`, `app`, `app:app`, `0:0`; None when a name is
    not in the image's /etc/passwd (the container would not start)."""
    from mcpharden.model.build import numeric_id  # here: discovery imports this module, not the build models

    name = user.split(":", 1)[0].strip()
    if not name:
        return 0
    if numeric_id(name) is not None:
        return numeric_id(name)
    for line in image.contents.get("/etc/passwd", "").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    return 0 if name == "root" else None


@dataclass(frozen=True)
class Secret:
    """A credential found in an image: where it is and what kind it looks like (never its value)."""

    where: str  # "ENV NAME" or an image path
    kind: str


def secret_candidate(path: str) -> bool:
    """Whether the layer reader keeps this file's content for the secret check (asked once
    per file of every layer: one compiled pattern, not one fnmatch per name)."""
    ignored, names = _secret_patterns()
    return names.match(path.rsplit("/", 1)[-1]) is not None and ignored.search(path) is None


@cache
def _secret_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    table = _table()["secrets"]
    ignored = re.compile("|".join(re.escape(folder) for folder in table["ignored_folders"]) or "(?!)")
    names = re.compile("|".join(f"(?:{translate(pattern)})" for pattern in table["file_names"]) or "(?!)")
    return ignored, names


def secrets(image: ImageModel) -> list[Secret]:
    """Credential-looking ENV values and credential files. Only where and what: never the value."""
    table = _table()["secrets"]
    found = list(image.cached_secrets)
    found += [Secret(f"ENV {name}", "credential-looking value") for name, value in sorted(image.env.items())
              if any(glob_match(name.upper(), p) for p in table["env_names"]) and _looks_real(value, table["placeholders"])]
    for contents, note in ((image.contents, ""), (image.shadowed_contents, " (deleted by a later layer, still in the image's layers)")):
        for path, text in sorted(contents.items()):
            if not secret_candidate(path):
                continue
            kind = credential_file_kind(path.rsplit("/", 1)[-1], text)
            if kind:
                found.append(Secret(path + note, kind))
    return found


def credential_file_name(name: str) -> bool:
    """Whether a file of this name may hold a credential (a repository file's base name)."""
    return _secret_patterns()[1].match(name) is not None


def credential_file_kind(name: str, text: str) -> str | None:
    """What credential a file of this name and text holds ("private key", "npm registry
    token", ...), by the same table the image check reads; None when it holds none."""
    table = _table()["secrets"]
    for rule in table["files"]:
        if any(glob_match(name, p) for p in rule["names"]) and _has_marker(text, rule, table):
            return rule["kind"]
    return None


def _has_marker(text: str, rule: dict, table: dict) -> bool:
    if rule["kind"] != "environment file with credentials":
        if not rule.get("value"):
            return rule["marker"] in text
        return any(_marked_value(line, rule["marker"]) for line in text.splitlines() if rule["marker"] in line)
    for line in text.splitlines():
        key, equals, value = line.strip().removeprefix("export ").partition("=")
        if equals and any(glob_match(key.strip().upper(), p) for p in table["env_names"]) and _looks_real(value.strip().strip("'\""), table["placeholders"]):
            return True
    return False


def _marked_value(line: str, marker: str) -> bool:
    """A value follows the marker on this line and is not a reference (`${NPM_TOKEN}`)."""
    from mcpharden.knowledge.credentials import is_reference

    value = line.split(marker, 1)[1].strip().lstrip("=:").strip()
    return bool(value) and not is_reference(value.split()[0])


def _looks_real(value: str, placeholders: list[str]) -> bool:
    lowered = value.strip().lower()
    return len(lowered) >= 8 and not any(word in lowered for word in placeholders) and len(set(lowered)) > 3


def files_present(image: ImageModel, paths: tuple[str, ...]) -> list[str]:
    """Which of `paths` the image's final file system holds (as a file or a link)."""
    return [path for path in paths if path in image.files and image.files[path].kind in ("file", "symlink", "hardlink")]
