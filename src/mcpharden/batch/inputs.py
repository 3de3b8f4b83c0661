"""What a batch audits: one ServerTask per server, from folders, a list file or a catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from mcpharden.errors import UsageError

_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


class InputError(UsageError, ValueError):
    """An input that names nothing to audit (exit code 2)."""


@dataclass(frozen=True)
class ServerTask:
    key: str  # what identifies the server across runs (a resolved path, a URL, catalog:<name>)
    name: str
    location: str  # a folder, or a git URL to clone
    subdirectory: str = ""  # the server's folder inside the repository (catalog `source.directory`)
    commit: str = ""
    image: str = ""  # an image reference to pull and audit
    catalog_entry: str = ""  # the catalog's server.yaml, scanned as the catalog's run configuration

    @property
    def is_url(self) -> bool:
        return bool(_URL.match(self.location))


def from_directories(directories: list[str]) -> list[ServerTask]:
    tasks = []
    for directory in directories:
        path = Path(directory).expanduser()
        tasks.append(ServerTask(key=str(path.resolve()), name=path.resolve().name, location=str(path)))
    return tasks


def from_list(list_file: Path) -> list[ServerTask]:
    """One path or git URL per line; blank lines and `#` comments are skipped."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"--list {list_file}: {error.strerror or error}") from None
    tasks = []
    for line in lines:
        entry = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not entry:
            continue
        if _URL.match(entry):
            name = entry.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            tasks.append(ServerTask(key=entry, name=name, location=entry))
        else:
            tasks.extend(from_directories([str((list_file.parent / entry) if not Path(entry).is_absolute() else entry)]))
    return tasks


def from_catalog(catalog: Path, mirrors: list[Path]) -> list[ServerTask]:
    """A Docker MCP catalog (`servers/<name>/server.yaml`): each entry names its source repository,
    commit, folder and image. A repository found in a mirror folder (`owner__name`, the corpus
    layout) is scanned there; any other is cloned."""
    entries = sorted(catalog.glob("*/server.yaml"))
    if not entries:
        raise InputError(f"--catalog {catalog}: no */server.yaml in it")
    tasks = []
    for entry in entries:
        try:
            document = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, RecursionError):
            document = {}
        if not isinstance(document, dict):
            document = {}
        if document.get("type", "server") != "server":
            continue  # remote servers run elsewhere: no container of theirs to audit
        source = document.get("source") if isinstance(document.get("source"), dict) else {}
        project = str(source.get("project") or "")
        name = str(document.get("name") or entry.parent.name)
        location = _mirrored(project, mirrors) or project
        tasks.append(ServerTask(
            key=f"catalog:{name}", name=name, location=location,
            subdirectory=str(source.get("directory") or "").strip("/"),
            commit=str(source.get("commit") or ""),
            image=str(document.get("image") or ""),
            catalog_entry=str(entry),
        ))
    return tasks


def _mirrored(project: str, mirrors: list[Path]) -> str:
    match = re.match(r"^https?://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", project)
    if not match:
        return ""
    for mirror in mirrors:
        candidate = mirror / f"{match.group(1)}__{match.group(2)}"
        if candidate.is_dir():
            return str(candidate)
    return ""
