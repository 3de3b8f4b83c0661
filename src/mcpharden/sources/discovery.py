"""Find and classify the files of a scan target, and read them safely.

Safety rules (DESIGN.md): never follow a symlink out of the root, read at most a bounded
number of bytes per file, read only regular files, skip vendored trees, and turn every
problem into a Notice instead of an exception.

Everything below the root is reached by descriptors (`open_beneath`): each path component is
opened relative to its parent's descriptor with O_NOFOLLOW, and a symlink is followed by
reading it and walking its target from the same descriptors, only while it stays below the
root. Nothing is checked by path and then used by path, so a folder swapped for a symlink
while a scan runs (a hostile repository, a client of `mcpharden serve`) cannot lead a read out.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mcpharden.knowledge.clients import client_for
from mcpharden.knowledge.image_contents import credential_file_name
from mcpharden.knowledge.transports import source_extensions
from mcpharden.model.findings import Notice
from mcpharden.syntax.text import SourceText, content_lines, decode, line_breaks_for
from mcpharden.util.budget import checkpoint, over_read_budget
from mcpharden.util.globs import GlobExpression, GlobIndex

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # Dockerfiles, CI files, scripts
MAX_SOURCE_BYTES = 1024 * 1024  # source files read for transport detection
MAX_SOURCE_FILES = 5000
MAX_WALKED_FILES = 200_000
# Deeper trees are not source layouts; os.walk recurses once per level, so this also keeps a
# hostile tree (thousands of nested folders) from exhausting the interpreter's stack.
MAX_DEPTH = 48
MAX_SYMLINKS = 40  # followed while resolving one path, as Linux allows

# O_NONBLOCK: a FIFO put in a file's place after it was looked at cannot block the open.
_FILE_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

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
# Smithery's registry configuration, and dev containers (`.devcontainer/<name>/devcontainer.json` too).
SMITHERY_NAMES = frozenset({"smithery.yaml", "smithery.yml"})
DEVCONTAINER_PATTERNS = (".devcontainer.json", ".devcontainer/devcontainer.json", ".devcontainer/*/devcontainer.json",
                         "*/.devcontainer.json", "*/.devcontainer/devcontainer.json", "*/.devcontainer/*/devcontainer.json")
SCRIPT_PATTERNS = ("*.sh", "*.bash", "Makefile", "makefile", "GNUmakefile", "*.mk")
YAML_SUFFIXES = (".yaml", ".yml")
# One compiled expression per kind (compiled when first asked): discovery asks every file of a target.
_DOCKERFILES, _COMPOSE_FILES = GlobExpression(DOCKERFILE_PATTERNS), GlobExpression(COMPOSE_PATTERNS)
_SCRIPTS, _CI_FILES = GlobExpression(SCRIPT_PATTERNS), GlobExpression(pattern for pattern, _ in CI_PATTERNS)
_DEVCONTAINERS = GlobExpression(DEVCONTAINER_PATTERNS)


@dataclass(frozen=True)
class Artifact:
    """A file discovery picked, and the parser it goes to."""

    path: str  # relative to the root, with `/`
    # "dockerfile" | "ci" | "compose" | "client" | "smithery" | "devcontainer" | "runlines" | "yaml"
    # (maybe Kubernetes) | "source" | "context" (a file that may hold a credential: what a build
    # context must not send)
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
    if name in SMITHERY_NAMES:
        return Artifact(relative, "smithery")
    if name.endswith("devcontainer.json") and _DEVCONTAINERS.matches(relative):
        return Artifact(relative, "devcontainer")
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
    if credential_file_name(name):
        return Artifact(relative, "context")
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


class LeavesRoot(OSError):
    """A path that a symlink (or `..`) leads out of the directory it is resolved in."""


class NotRegular(OSError):
    """Neither a regular file nor a directory (a FIFO, a socket, a device): never opened."""


class BrokenLink(FileNotFoundError):
    """A symlink below the directory whose target does not exist."""


def resolve_beneath(directory: int, relative: str, names: tuple[str, ...] = ()) -> tuple[int, str | None, tuple[str, ...]]:
    """Resolve `relative` below the open `directory`, one component at a time from
    descriptors, like openat2's RESOLVE_BENEATH: `..` never climbs above `directory`, and a
    symlink is followed only while it stays below it (a relative target from where it stands;
    an absolute one if it starts with one of `names`, the directory's absolute paths).

    Returns a new descriptor of the folder `relative` names, or of the folder holding the
    regular file it names; that file's name (None for a folder); and the components walked,
    symlinks replaced by what they point to. Raises FileNotFoundError (BrokenLink),
    NotADirectoryError, LeavesRoot, NotRegular or another OSError."""
    pending = relative.split("/")[::-1]  # components still to walk, the next one last
    walked: list[int] = []  # descriptors of the folders walked into, innermost last
    parts: list[str] = []
    links = 0
    try:
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            here = walked[-1] if walked else directory
            if name == "..":
                if not walked:
                    raise LeavesRoot(f"{relative}: leads out of the directory")
                os.close(walked.pop())
                parts.pop()
                continue
            try:
                info = os.stat(name, dir_fd=here, follow_symlinks=False)
            except FileNotFoundError:
                raise (BrokenLink if links else FileNotFoundError)(errno.ENOENT, os.strerror(errno.ENOENT), relative) from None
            if stat.S_ISLNK(info.st_mode):
                links += 1
                if links > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), relative)
                target = os.readlink(name, dir_fd=here)
                if target.startswith("/"):
                    target = _below(target, names)
                    while walked:  # an absolute target is walked from the directory itself
                        os.close(walked.pop())
                    parts.clear()
                pending.extend(target.split("/")[::-1])
                continue
            if stat.S_ISDIR(info.st_mode):
                walked.append(os.open(name, _DIRECTORY_FLAGS, dir_fd=here))
                parts.append(name)
                continue
            if any(part not in ("", ".") for part in pending):
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), relative)
            if not stat.S_ISREG(info.st_mode):
                raise NotRegular(f"{relative}: not a regular file")
            return (walked.pop() if walked else os.dup(directory)), name, (*parts, name)
        return (walked.pop() if walked else os.dup(directory)), None, tuple(parts)
    finally:
        for descriptor in walked:
            os.close(descriptor)


def open_beneath(directory: int, relative: str, names: tuple[str, ...] = ()) -> int:
    """A new descriptor of the regular file or folder `relative` names below the open
    `directory` (see resolve_beneath). A file is opened with O_NOFOLLOW and O_NONBLOCK and
    checked again once open: swapped for a symlink or a FIFO after the look, it is refused."""
    folder, name, _ = resolve_beneath(directory, relative, names)
    if name is None:
        return folder
    try:
        descriptor = os.open(name, _FILE_FLAGS, dir_fd=folder)
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise NotRegular(f"{relative}: not a regular file")
    return descriptor


def _below(target: str, names: tuple[str, ...]) -> str:
    """An absolute symlink target as a path relative to the directory `names` spell, or LeavesRoot."""
    for name in names:
        prefix = name.rstrip("/") + "/"
        if target == name or target.startswith(prefix):
            return target[len(prefix):]
    raise LeavesRoot(f"{target}: outside the directory")


@dataclass(frozen=True)
class OpenedTarget:
    """A scan target its caller resolved and opened race-free (`mcpharden serve`): the scan
    reads everything through `directory` and never looks `path` up again."""

    path: Path  # the real path, as reports show it
    directory: int  # the target folder's descriptor, or the folder's that holds the target file
    name: str | None = None  # the target file in `directory`; None when the target is the folder


class RepoReader:
    """Reads files below one root: bounded, regular files only, no symlink escapes. Caches
    text so suppression comments and CI indirections do not read a file twice.

    `directory` is the root's descriptor when the caller opened it race-free (`mcpharden
    serve`); without it the root is opened for each read by its real path, resolved once here.
    Below the root every read goes through `open_beneath`."""

    def __init__(self, root: Path, directory: int | None = None) -> None:
        self.root = root
        self.real_root = Path(os.path.realpath(root))
        self.directory = directory
        # How an absolute symlink below the root may name it.
        self.names = tuple(dict.fromkeys((str(self.real_root), os.path.abspath(root))))
        self.notices: list[Notice] = []
        self._cache: dict[str, str | None] = {}
        self._lines: dict[str, list[str]] = {}

    @contextmanager
    def opened(self) -> Iterator[int]:
        """The root's descriptor, for as long as the block runs."""
        if self.directory is not None:
            yield self.directory
            return
        descriptor = os.open(self.real_root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            yield descriptor
        finally:
            os.close(descriptor)

    def open(self, relative: str) -> int:
        """A descriptor of the regular file or directory `relative`, resolved below the root."""
        with self.opened() as directory:
            return open_beneath(directory, relative, self.names)

    def symlink_leads_out(self, relative: str) -> bool | None:
        """None if `relative` is not a symlink (or is gone); else whether it leads out of the root."""
        parent, _, name = relative.rpartition("/")
        try:
            descriptor = self.open(parent)
        except OSError:
            return None
        try:
            if not stat.S_ISLNK(os.stat(name, dir_fd=descriptor, follow_symlinks=False).st_mode):
                return None
        except OSError:
            return None
        finally:
            os.close(descriptor)
        try:
            with self.opened() as root:
                os.close(resolve_beneath(root, relative, self.names)[0])
        except LeavesRoot:
            return True
        except OSError:
            pass  # dangling, or changed meanwhile: nothing outside was named
        return False

    def exists(self, relative: str) -> bool:
        """Whether `relative` names anything below the root (a symlink, whatever it points to)."""
        parent, _, name = relative.rpartition("/")
        try:
            descriptor = self.open(parent)
        except OSError:
            return False
        try:
            os.stat(name, dir_fd=descriptor, follow_symlinks=False)
            return True
        except OSError:
            return False
        finally:
            os.close(descriptor)

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
        checkpoint()  # a cancelled `serve` call stops here, between files
        try:
            descriptor = self.open(relative)
        except BrokenLink as error:
            self._note(relative, f"could not read: {error.strerror}", quiet)
            return None
        except FileNotFoundError:
            return None
        except LeavesRoot:
            self._note(relative, "symlink to a file outside the scanned directory: not followed", quiet)
            return None
        except NotRegular:
            self._note(relative, "not a regular file: skipped", quiet)
            return None
        except OSError as error:
            self._note(relative, f"could not read: {error.strerror or error}", quiet)
            return None
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):  # a directory: fdopen would raise IsADirectoryError
            os.close(descriptor)
            self._note(relative, "not a regular file: skipped", quiet)
            return None
        with os.fdopen(descriptor, "rb") as handle:
            if info.st_size > limit:
                self._note(relative, f"larger than {limit // 1024 // 1024} MiB ({info.st_size} bytes): skipped", quiet)
                return None
            if refused := over_read_budget(info.st_size):  # `mcpharden serve`: the scan's time or size is spent
                self._note(relative, refused, quiet)
                return None
            try:
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
    # One index for all patterns, and each path asked once: a folder that matches is not
    # entered, so a path's own folders were asked before it (the walk is top-down).
    excluded = GlobIndex(pattern.rstrip("/") for pattern in exclude)

    def on_error(error: OSError) -> None:
        where = Path(error.filename) if error.filename else root
        notices.append(Notice(_relative(where, root), f"could not list directory: {error.strerror or error}"))

    for directory, subdirectories, files in _walk(root, reader, on_error):
        base = Path(directory)
        if subdirectories and len(base.relative_to(root).parts) >= MAX_DEPTH:
            notices.append(Notice(_relative(base, root), f"more than {MAX_DEPTH} folders deep: its subfolders were not looked at"))
            subdirectories[:] = []
        kept = []
        for name in sorted(subdirectories):
            relative = _relative(base / name, root)
            if name in SKIPPED_DIRECTORIES or excluded.matches(relative):
                continue
            linked_out = reader.symlink_leads_out(relative)
            if linked_out is not None:
                if linked_out:
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
            if excluded.matches(relative):
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


def excluded_path(relative: str, exclude: tuple[str, ...]) -> bool:
    """Whether discovery would skip `relative` for `exclude`: the path or one of its folders matches."""
    index = _exclude_index(exclude)
    parts = relative.split("/")
    return any(index.matches("/".join(parts[: i + 1])) for i in range(len(parts)))


@functools.cache
def _exclude_index(exclude: tuple[str, ...]) -> GlobIndex:
    return GlobIndex(pattern.rstrip("/") for pattern in exclude)


def _walk(root: Path, reader: RepoReader, on_error: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk(root) (top-down, symlinked folders listed but never entered), by descriptors:
    each folder is opened from its parent's descriptor with O_NOFOLLOW, so a folder swapped
    for a symlink during the walk is not entered and its names are never listed."""
    try:
        with reader.opened() as top:
            yield from _walk_below(top, str(root), on_error)
    except OSError as error:
        on_error(OSError(error.errno, error.strerror, str(root)))


def _walk_below(directory: int, path: str, on_error: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    checkpoint()  # a cancelled `serve` call stops here, between folders
    subdirectories: list[str] = []
    files: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                (subdirectories if _is_directory(entry) else files).append(entry.name)
    except OSError as error:
        on_error(OSError(error.errno, error.strerror, path))
        return
    yield path, subdirectories, files
    for name in subdirectories:  # as the caller left them
        where = os.path.join(path, name)
        try:
            child = os.open(name, _DIRECTORY_FLAGS, dir_fd=directory)
        except OSError as error:
            on_error(OSError(error.errno, error.strerror, where))
            continue
        try:
            yield from _walk_below(child, where, on_error)
        finally:
            os.close(child)


def _is_directory(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # a symlink to a folder counts, as in os.walk: the caller decides
    except OSError:
        return False


def _relative(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    return relative or "."
