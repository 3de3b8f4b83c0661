"""Find and classify the files of a scan target, and read them safely.

Safety rules (DESIGN.md): never follow a symlink out of the root, read at most a bounded
number of bytes per file, read only regular files, skip vendored trees, and turn every
problem into a Notice instead of an exception.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mcpharden.knowledge.clients import client_for
from mcpharden.knowledge.transports import source_extensions
from mcpharden.model.findings import Notice
from mcpharden.syntax.text import SourceText, content_lines, decode, line_breaks_for
from mcpharden.util.globs import GlobSet, glob_match

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # Dockerfiles, CI files, scripts
MAX_SOURCE_BYTES = 1024 * 1024  # source files read for transport detection
MAX_SOURCE_FILES = 5000
MAX_WALKED_FILES = 200_000
# Deeper trees are not source layouts; os.walk recurses once per level, so this also keeps a
# hostile tree (thousands of nested folders) from exhausting the interpreter's stack.
MAX_DEPTH = 48

SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", "third-party", ".venv", "venv",
    "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages",
    "bower_components", ".next", ".nuxt", ".terraform", ".cache",
})

DOCKERFILE_PATTERNS = ("Dockerfile", "dockerfile", "Containerfile", "containerfile", "Dockerfile.*",
                       "Containerfile.*", "*.Dockerfile", "*.dockerfile", "*.Containerfile", "*.containerfile",
                       "Dockerfile-*", "Dockerfile_*", "dockerfile-*", "dockerfile_*", "Containerfile-*", "Containerfile_*")
# Names that match the patterns above and are something else (a workflow, notes, a script).
NOT_DOCKERFILE_SUFFIXES = (".yml", ".yaml", ".json", ".md", ".txt", ".sh", ".py", ".js", ".ts", ".toml", ".lock",
                           ".dockerignore", ".orig", ".bak", ".j2", ".tpl", ".template", ".example")

# (pattern on the relative path, CI system); first match wins.
CI_PATTERNS: tuple[tuple[str, str], ...] = (
    (".github/workflows/*.yml", "github-actions"),
    (".github/workflows/*.yaml", "github-actions"),
    ("action.yml", "github-actions"),
    ("action.yaml", "github-actions"),
    (".github/actions/*/action.yml", "github-actions"),
    (".github/actions/*/action.yaml", "github-actions"),
    (".gitlab-ci.yml", "gitlab-ci"),
    ("*.gitlab-ci.yml", "gitlab-ci"),
    (".gitlab/*.yml", "gitlab-ci"),
    (".gitlab/ci/*.yml", "gitlab-ci"),
    (".pre-commit-config.yaml", "pre-commit"),
    (".pre-commit-config.yml", "pre-commit"),
    ("lefthook.yml", "lefthook"),
    ("lefthook.yaml", "lefthook"),
    (".lefthook.yml", "lefthook"),
    (".husky/pre-push", "git-hook"),
    (".husky/pre-commit", "git-hook"),
    (".githooks/pre-push", "git-hook"),
    (".githooks/pre-commit", "git-hook"),
    (".circleci/config.yml", "ci"),
    ("azure-pipelines.yml", "ci"),
    (".azure-pipelines/*.yml", "ci"),
    ("bitbucket-pipelines.yml", "ci"),
    (".drone.yml", "ci"),
    (".woodpecker.yml", "ci"),
    (".woodpecker/*.yml", "ci"),
    (".buildkite/*.yml", "ci"),
    ("cloudbuild.yaml", "ci"),
    ("cloudbuild.yml", "ci"),
    (".travis.yml", "ci"),
)


COMPOSE_PATTERNS = ("compose.yaml", "compose.yml", "compose.*.yaml", "compose.*.yml", "docker-compose.yaml",
                    "docker-compose.yml", "docker-compose.*.yaml", "docker-compose.*.yml", "*.compose.yaml", "*.compose.yml",
                    "docker-compose-*.yml", "docker-compose-*.yaml", "docker-compose_*.yml", "docker-compose_*.yaml",
                    "compose-*.yml", "compose-*.yaml", "compose_*.yml", "compose_*.yaml", "*-compose.yml", "*-compose.yaml")
SCRIPT_PATTERNS = ("*.sh", "*.bash", "Makefile", "makefile", "GNUmakefile", "*.mk")
YAML_SUFFIXES = (".yaml", ".yml")
_DOCKERFILES, _COMPOSE_FILES, _SCRIPTS = GlobSet(DOCKERFILE_PATTERNS), GlobSet(COMPOSE_PATTERNS), GlobSet(SCRIPT_PATTERNS)
_CI_FILES = GlobSet(pattern for pattern, _ in CI_PATTERNS)


@dataclass(frozen=True)
class Artifact:
    """A file discovery picked, and the parser it goes to."""

    path: str  # relative to the root, with `/`
    # "dockerfile" | "ci" | "compose" | "client" | "runlines" | "yaml" (maybe Kubernetes) | "source"
    kind: str
    system: str = ""  # CI system for "ci"; client name for "client"


def classify(relative: str) -> Artifact | None:
    # String operations, not PurePosixPath: asked of every file a walk meets.
    name = relative.rsplit("/", 1)[-1]
    if name.endswith(".dockerignore"):
        return None
    if _DOCKERFILES.matches(name) and not name.lower().endswith(NOT_DOCKERFILE_SUFFIXES):
        return Artifact(relative, "dockerfile")
    ci = _CI_FILES.first(relative)
    if ci is not None:
        return Artifact(relative, "ci", CI_PATTERNS[ci][1])
    if _COMPOSE_FILES.matches(name):
        return Artifact(relative, "compose")
    client = client_for(relative)
    if client:
        return Artifact(relative, "client", client.client)
    suffix = _suffix(name)
    if _SCRIPTS.matches(name) or _is_documentation(relative, name, suffix):
        return Artifact(relative, "runlines")
    if suffix in YAML_SUFFIXES:
        return Artifact(relative, "yaml")
    if suffix in source_extensions() and not name.endswith(".d.ts"):
        return Artifact(relative, "source")
    return None


def _suffix(name: str) -> str:
    """PurePosixPath(name).suffix: `.gz` of `a.tar.gz`, nothing for `.bashrc` or `a.`."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _is_documentation(relative: str, name: str, suffix: str) -> bool:
    if suffix.lower() not in (".md", ".markdown"):
        return False
    return name.upper().startswith("README") or "docs" in relative.split("/")[:-1]


@dataclass(frozen=True)
class Discovery:
    """What discovery found in a target, and what it skipped with a reason."""

    artifacts: tuple[Artifact, ...]
    notices: tuple[Notice, ...]


class RepoReader:
    """Reads files below one root: bounded, regular files only, no symlink escapes. Caches
    text so suppression comments and CI indirections do not read a file twice."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = Path(os.path.realpath(root))
        self.notices: list[Notice] = []
        self._cache: dict[str, str | None] = {}
        self._lines: dict[str, list[str]] = {}

    def read(self, relative: str, limit: int = MAX_CONFIG_BYTES, quiet: bool = False) -> str | None:
        if relative not in self._cache:
            self._cache[relative] = self._read(relative, limit, quiet)
        return self._cache[relative]

    def suppression_lines(self, relative: str) -> list[str]:
        """Lines of a file already read, split once, if it can hold a suppression comment
        (`mcpharden: ignore=…`); [] if it cannot, as most files cannot."""
        if relative not in self._lines:
            text = self._cache.get(relative)
            # Split where the file's parser splits, so a comment is found above the reported line.
            self._lines[relative] = content_lines(text, line_breaks_for(relative)) if text and "mcpharden:" in text else []
        return self._lines[relative]

    def _note(self, relative: str, message: str, quiet: bool) -> None:
        if not quiet:
            self.notices.append(Notice(relative, message))

    def read_source(self, relative: str, limit: int = MAX_CONFIG_BYTES) -> SourceText | None:
        """The file's exact bytes as text (for `fix`, which must keep every byte it does not
        edit); same bounds and symlink rules as `read`."""
        data = self._read_bytes(relative, limit, quiet=True)
        return None if data is None else decode(data)

    def _read(self, relative: str, limit: int, quiet: bool) -> str | None:
        data = self._read_bytes(relative, limit, quiet)
        if data is None:
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self._note(relative, f"not valid UTF-8 (byte {error.start}): read with replacement characters", quiet)
            return data.decode("utf-8", errors="replace")

    def _read_bytes(self, relative: str, limit: int, quiet: bool) -> bytes | None:
        path = self.root / relative
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            self._note(relative, f"could not read: {error.strerror or error}", quiet)
            return None
        if stat.S_ISLNK(info.st_mode):
            real = Path(os.path.realpath(path))
            if not real.is_relative_to(self.real_root):
                self._note(relative, "symlink to a file outside the scanned directory: not followed", quiet)
                return None
            path = real
            try:
                info = os.stat(path)
            except OSError as error:
                self._note(relative, f"could not read: {error.strerror or error}", quiet)
                return None
        if not stat.S_ISREG(info.st_mode):
            self._note(relative, "not a regular file: skipped", quiet)
            return None
        if info.st_size > limit:
            self._note(relative, f"larger than {limit // 1024 // 1024} MiB ({info.st_size} bytes): skipped", quiet)
            return None
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(descriptor, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as error:
            self._note(relative, f"could not read: {error.strerror or error}", quiet)
            return None
        return self._checked(relative, data, limit, quiet, "grew past {mib} MiB while it was read: skipped")

    def _checked(self, relative: str, data: bytes, limit: int, quiet: bool, too_large: str) -> bytes | None:
        """The bytes, unless they are over the bound or binary (then a notice)."""
        if len(data) > limit:
            self._note(relative, too_large.format(mib=limit // 1024 // 1024, size=len(data)), quiet)
            return None
        if b"\x00" in data[:8192]:
            self._note(relative, "binary file: skipped", quiet)
            return None
        return data


class MemoryReader(RepoReader):
    """A RepoReader over files held in memory (`mcpharden serve`'s scan_text): the same
    bounds and checks, no file system at all."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(Path("."))
        self.files = files

    def _read_bytes(self, relative: str, limit: int, quiet: bool) -> bytes | None:
        data = self.files.get(relative)
        if data is None:
            return None
        return self._checked(relative, data, limit, quiet, "larger than {mib} MiB ({size} bytes): skipped")


def discover(root: Path, exclude: tuple[str, ...], reader: RepoReader) -> Discovery:
    """Walk `root` without following symlinked directories; classify what it holds."""
    artifacts: list[Artifact] = []
    notices: list[Notice] = []
    walked = 0
    sources = 0

    def on_error(error: OSError) -> None:
        where = Path(error.filename) if error.filename else root
        notices.append(Notice(_relative(where, root), f"could not list directory: {error.strerror or error}"))

    for directory, subdirectories, files in os.walk(root, onerror=on_error):
        base = Path(directory)
        if subdirectories and len(base.relative_to(root).parts) >= MAX_DEPTH:
            notices.append(Notice(_relative(base, root), f"more than {MAX_DEPTH} folders deep: its subfolders were not looked at"))
            subdirectories[:] = []
        kept = []
        for name in sorted(subdirectories):
            relative = _relative(base / name, root)
            if name in SKIPPED_DIRECTORIES or _excluded(relative, exclude):
                continue
            if (base / name).is_symlink():
                if not Path(os.path.realpath(base / name)).is_relative_to(reader.real_root):
                    notices.append(Notice(relative, "symlink to a directory outside the scanned directory: not followed"))
                continue
            kept.append(name)
        subdirectories[:] = kept
        for name in sorted(files):
            walked += 1
            if walked > MAX_WALKED_FILES:
                notices.append(Notice(".", f"more than {MAX_WALKED_FILES} files: the rest were not looked at"))
                return Discovery(tuple(artifacts), tuple(notices))
            relative = _relative(base / name, root)
            if _excluded(relative, exclude):
                continue
            artifact = classify(relative)
            if artifact is None:
                continue
            if artifact.kind == "source":
                sources += 1
                if sources > MAX_SOURCE_FILES:
                    continue
            artifacts.append(artifact)
    return Discovery(tuple(artifacts), tuple(notices))


def _relative(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    return relative or "."


def _excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    parts = PurePosixPath(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(glob_match(prefix, pattern.rstrip("/")) for pattern in patterns for prefix in prefixes)
