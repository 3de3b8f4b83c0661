"""What a batch audits: one ServerTask per server, from folders, a list file or a catalog.

A list file and every catalog `server.yaml` are read as a repository's files are (bounded, regular
files only, no symlink out of the catalog, YAML under the node budget): an entry that cannot be
read is a task with a `problem`, an error row of its own, and the others are audited."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mcpharden.batch.clone import split_credentials
from mcpharden.errors import UsageError

_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
MAX_LIST_BYTES = 32 * 1024 * 1024  # a few hundred thousand paths and URLs
# An image reference as a catalog writes it: [host[:port]/]path[:tag][@sha256:digest], no path of a file.
_IMAGE_REFERENCE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?/|\[[0-9A-Fa-f:]+\](?::[0-9]{1,5})?/)?"
                              r"[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
                              r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?")


class InputError(UsageError, ValueError):
    """An input that names nothing to audit (exit code 2)."""


@dataclass(frozen=True)
class ServerTask:
    key: str  # what identifies the server across runs (a resolved path, a URL, catalog:<name>)
    name: str
    location: str  # a folder, or a git URL to clone (never with a credential in it)
    subdirectory: str = ""  # the server's folder inside the repository (catalog `source.directory`, or its Dockerfile's)
    commit: str = ""
    image: str = ""  # an image reference to pull and audit
    catalog_entry: str = ""  # the catalog's server.yaml, scanned as the catalog's run configuration
    branch: str = ""  # the catalog's `source.branch`: what is cloned when no commit is named
    credential: str = field(default="", repr=False)  # a list URL's `user:token`: only ever in git's environment
    problem: str = ""  # why the entry cannot be audited as it was read: an error row, nothing of it runs
    url: str = ""  # the repository's URL when `location` is a mirror of it: what the results name

    @property
    def repository(self) -> str:
        """What names the repository in the results: its URL when known, else the folder."""
        return self.url or self.location

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
    real = Path(os.path.realpath(list_file))  # the user's own file: a symlink to it is fine
    text, problem = read_bounded(real.parent, real.name, MAX_LIST_BYTES)
    if text is None:
        raise InputError(f"--list {list_file}: {problem}")
    tasks = []
    for number, line in enumerate(text.split("\n"), start=1):
        entry = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not entry:
            continue
        if "\ufffd" in entry:  # a byte that is not UTF-8: this line names nothing reliably
            key = f"{real}:{number}"
            tasks.append(ServerTask(key=key, name=f"{list_file.name} line {number}", location="",
                                    problem=f"line {number} of {list_file.name} is not valid UTF-8"))
        elif _URL.match(entry):
            url, credential = split_credentials(entry)
            name = url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            tasks.append(ServerTask(key=url, name=name, location=url, credential=credential))
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
        document, problem = _catalog_document(catalog, entry)
        if document.get("type", "server") != "server":
            continue  # remote servers run elsewhere: no container of theirs to audit
        source = document.get("source") if isinstance(document.get("source"), dict) else {}
        project, credential = split_credentials(_text(source.get("project")))
        name = _text(document.get("name")) or entry.parent.name
        location = _mirrored(project, mirrors) or project
        if location == project and project and not problem:
            # Only a URL or a mirror: a catalog never names a folder of the machine running the batch,
            # neither as a path nor as a file:// URL.
            if not _URL.match(project):
                problem = f"source.project {project[:120]!r}: not a git URL"
            elif project.lower().startswith("file:"):
                problem = f"source.project {project[:120]!r}: a folder of this machine, not a git URL (use --mirror)"
        image = _text(document.get("image")).strip()
        if image and not problem and not _IMAGE_REFERENCE.fullmatch(image):
            # Pulled from a registry, never read as a file of this machine (`/tmp/x.tar`, `../image`).
            problem = f"image {image[:120]!r}: not an image reference (registry/name[:tag][@sha256:digest])"
        tasks.append(ServerTask(
            key=f"catalog:{name}", name=name, location="" if problem else location,
            subdirectory=_server_folder(source),
            commit=_text(source.get("commit")), branch=_text(source.get("branch")),
            image=image,
            catalog_entry=str(entry), credential=credential, problem=problem,
            url=project if location != project and not problem else "",
        ))
    return tasks


def _server_folder(source: dict) -> str:
    """The server's own folder in its repository: `source.directory`, else the folder of
    `source.dockerfile` (`src/github/Dockerfile` in a monorepo of servers). The server is judged
    on that folder, never on the whole repository around it."""
    directory = _text(source.get("directory")).strip("/")
    if directory:
        return directory
    dockerfile = _text(source.get("dockerfile")).strip("/")
    return dockerfile.rpartition("/")[0] if "/" in dockerfile else ""


def _catalog_document(catalog: Path, entry: Path) -> tuple[dict, str]:
    """The entry's mapping, or {} and why it cannot be used."""
    from mcpharden.syntax.yamlnodes import YamlError, load_documents

    relative = f"{entry.parent.name}/{entry.name}"
    if not Path(os.path.realpath(entry.parent)).is_relative_to(os.path.realpath(catalog)):
        return {}, f"{relative}: a symlink out of the catalog: not followed"
    text, problem = read_bounded(catalog, relative)
    if text is None or problem:
        return {}, f"{relative}: {problem}"
    try:
        documents = load_documents(text)
    except YamlError as error:
        return {}, f"{relative}: {error}"
    if len(documents) != 1 or not isinstance(documents[0], dict):
        return {}, f"{relative}: not one YAML mapping"
    return documents[0], ""


def read_bounded(root: Path, relative: str, limit: int | None = None) -> tuple[str | None, str]:
    """(text, "") or (text or None, why it is not usable), read as a repository's files are: a
    regular file below `root`, at most `limit` bytes, no symlink out; not UTF-8 is a problem."""
    from mcpharden.sources.discovery import MAX_CONFIG_BYTES, RepoReader

    reader = RepoReader(root)
    text = reader.read(relative, limit or MAX_CONFIG_BYTES)
    if text is None:
        return None, reader.notices[-1].message.removesuffix(": skipped") if reader.notices else "no such file"
    # The one notice a read that returns text can give: bytes that are not UTF-8, read as U+FFFD.
    return text, "not valid UTF-8" if reader.notices else ""


def _text(value: object) -> str:
    """A scalar setting as text; a mapping or list where a scalar belongs is no value."""
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _mirrored(project: str, mirrors: list[Path]) -> str:
    match = re.match(r"^https?://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", project)
    if not match:
        return ""
    for mirror in mirrors:
        candidate = mirror / f"{match.group(1)}__{match.group(2)}"
        if candidate.is_dir():
            return str(candidate)
    return ""
