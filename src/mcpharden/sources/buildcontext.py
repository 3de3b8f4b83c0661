"""Build contexts: the folder each Dockerfile is built with, what it would send, and which of
those files the COPY/ADD instructions of the shipped stage bring into the image.

The context is the folder a compose `build:` or a CI build (`docker build -f F DIR`,
docker/build-push-action's `context:`) names for the Dockerfile; a Dockerfile nothing names is
built with its own folder. Its files are the ones discovery listed (a scan sees the files of
the repository, nothing a developer keeps only in a checkout); those that matter here are files
that hold a credential (image.toml's [secrets] table: private keys, token files, environment
files with credential values, cloud keys) and Git metadata (`.git/`, whose `config` holds the
CI job's token after actions/checkout). Credential files that `.gitignore` lists are in every
developer's checkout although not in the repository: they are reported as such (build.toml's
[context] table says which).

The ignore file in effect is `<Dockerfile>.dockerignore` beside the Dockerfile, else the
context's `.dockerignore` (`.containerignore` first for a Containerfile), read with Docker's
own semantics (sources.dockerignore). One that Docker refuses fails every build: nothing leaks.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from mcpharden.knowledge.credentials import credential_kind
from mcpharden.knowledge.image_contents import credential_file_kind
from mcpharden.model.build import BuildContext, BuildModel, ContextCopy, ContextFile, ContextLeak
from mcpharden.model.findings import Notice
from mcpharden.sources.installs import build_knowledge
from mcpharden.syntax.dockerignore import (
    IgnoreFileError,
    IgnoreFileTooLarge,
    IgnoreRules,
    clean,
    go_match,
    has_wildcard,
    parse_ignore_file,
    path_match,
)
from mcpharden.util.budget import FILE_SECONDS, BudgetExceeded, time_budget

if TYPE_CHECKING:
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.pipeline import Pipeline

Reader = Callable[..., "str | None"]
GIT_FOLDER = ".git/"


def with_contexts(builds: Iterable[BuildModel], containers: Iterable[ContainerSpec], pipelines: Iterable[Pipeline],
                  context_files: Iterable[str], read: Reader, notices: list[Notice]) -> tuple[BuildModel, ...]:
    """Each build with its contexts (BuildModel.contexts); what cannot be judged is a notice."""
    named = _named_contexts(containers, pipelines)
    listed = sorted(set(context_files))
    memo = _Memo(read, notices)  # several Dockerfiles often share one context
    built = []
    for build in builds:
        contexts = named.get(build.path) or {posixpath.dirname(build.path): "the Dockerfile's folder"}
        judged = []
        for folder, by in contexts.items():
            try:
                with time_budget(FILE_SECONDS):
                    judged.append(_context(build, folder, by, listed, memo))
            except BudgetExceeded as error:
                notices.append(Notice(build.path, f"build context `{folder or '.'}` not judged: {error}"))
        built.append(replace(build, contexts=tuple(judged)))
    return tuple(built)


class _Memo:
    """The reader, with what was found per ignore file and per context folder in one scan."""

    def __init__(self, read: Reader, notices: list[Notice]) -> None:
        self.read = read
        self.notices = notices
        self.sensitive: dict[str, list[ContextFile]] = {}
        self.rules: dict[str, IgnoreRules | None] = {}

    def ignore_rules(self, path: str, text: str) -> IgnoreRules | None:
        """The ignore file's rules; None when Docker refuses it (no build runs) or when it is
        too large to judge (a notice says so): either way no leak is reported."""
        if path not in self.rules:
            try:
                self.rules[path] = parse_ignore_file(text)
            except IgnoreFileError:
                self.rules[path] = None
            except IgnoreFileTooLarge as error:
                self.notices.append(Notice(path, f"not judged as a build's ignore file: {error}"))
                self.rules[path] = None
        return self.rules[path]

    def sensitive_files(self, folder: str, listed: list[str]) -> list[ContextFile]:
        if folder not in self.sensitive:
            self.sensitive[folder] = _sensitive_files(folder, listed, self.read)
        return self.sensitive[folder]


def _named_contexts(containers: Iterable[ContainerSpec], pipelines: Iterable[Pipeline]) -> dict[str, dict[str, str]]:
    """Dockerfile path → {context folder: what names it}, from compose and CI builds."""
    named: dict[str, dict[str, str]] = {}
    for spec in containers:
        if spec.origin == "compose" and spec.dockerfile and spec.build_context is not None:
            named.setdefault(spec.dockerfile, {}).setdefault(spec.build_context, f"{spec.path}:{spec.line}")
    for pipeline in pipelines:
        for step in pipeline.builds:
            folder = _folder(step.context) if step.context is not None else None
            if folder is None:
                continue
            dockerfile = _folder(step.dockerfile) if step.dockerfile else posixpath.join(folder, "Dockerfile")
            if dockerfile:
                named.setdefault(dockerfile, {}).setdefault(folder, f"{step.path}:{step.line}")
    return named


def _folder(written: str) -> str | None:
    """A path a build names, relative to the repository's root ("" for the root); None when it
    cannot be known (a variable, an absolute path, a path above the root)."""
    if not written or "$" in written or "{{" in written or written.startswith("/") or "://" in written:
        return None
    cleaned = posixpath.normpath(written)
    if cleaned == ".." or cleaned.startswith("../"):
        return None
    return "" if cleaned == "." else cleaned


def _context(build: BuildModel, folder: str, named_by: str, listed: list[str], memo: _Memo) -> BuildContext:
    ignore_file, rules = _ignore_rules(build.path, folder, memo)
    if rules is None and ignore_file is not None:  # Docker refuses the ignore file: no build runs
        return BuildContext(folder, named_by, ignore_file)
    files = memo.sensitive_files(folder, listed)
    sent = _one_per_gitignore_line([f for f in files if rules is None or not rules.excludes(_probe(f))])
    leaks = []
    for copy in build.final.context_copies:
        reached = tuple(f for f in sent if reaches(copy, _probe(f)))
        if reached:
            leaks.append(ContextLeak(copy, reached))
    return BuildContext(folder, named_by, ignore_file, sent, tuple(leaks))


def _ignore_rules(dockerfile: str, folder: str, memo: _Memo) -> tuple[str | None, IgnoreRules | None]:
    """(the ignore file in effect, its rules); rules None with a file: Docker refuses it."""
    table = build_knowledge()["context"]
    name = posixpath.basename(dockerfile).lower()
    names = table["containerfile_ignore_files"] if name.startswith("containerfile") or name.endswith(".containerfile") \
        else table["ignore_files"]
    for path in (dockerfile + ".dockerignore", *(posixpath.join(folder, n) for n in names)):
        text = memo.read(path, quiet=True)
        if text is not None:
            return path, memo.ignore_rules(path, text)
    return None, None


def _sensitive_files(folder: str, listed: list[str], read: Reader) -> list[ContextFile]:
    """The context's credential files, its Git metadata, and the credential files a checkout has."""
    prefix = folder + "/" if folder else ""
    found = []
    for path in listed:
        if not path.startswith(prefix):
            continue
        name = posixpath.basename(path)
        if _is_template(name):
            continue
        text = read(path, quiet=True)
        kind = credential_file_kind(name, text) if text is not None else None
        if kind:
            found.append(ContextFile(path[len(prefix):], kind, credential=True))
    git = _git_metadata(folder, read)
    if git is not None:
        found.append(git)
    present = {f.path for f in found}
    found.extend(f for f in _local_only_files(folder, read) if f.path not in present)
    return found


def _is_template(name: str) -> bool:
    words = set(build_knowledge()["context"]["template_words"])
    return any(part.lower() in words for part in name.replace("-", ".").replace("_", ".").split("."))


def _git_metadata(folder: str, read: Reader) -> ContextFile | None:
    """`.git/` at the context's root (a folder, or the file a worktree or submodule has)."""
    git = posixpath.join(folder, ".git")
    if read(git + "/HEAD", quiet=True) is None and read(git, quiet=True) is None:
        return None
    config = read(git + "/config", quiet=True) or ""
    markers = build_knowledge()["context"]["git_config_markers"]
    holds = any(marker in config.lower() for marker in markers) or any(
        credential_kind("url", line.split("=", 1)[1].strip()) for line in config.splitlines()
        if line.strip().startswith("url") and "=" in line)
    if holds:
        return ContextFile(GIT_FOLDER, "Git metadata with a credential in .git/config", credential=True)
    return ContextFile(GIT_FOLDER, "Git metadata", credential=False)


def _local_only_files(folder: str, read: Reader) -> list[ContextFile]:
    """Credential files at the context's root that `.gitignore` (at the root, in the context or
    between) keeps out of Git: a developer's checkout has them."""
    found = []
    for candidate in build_knowledge()["context"]["local_files"]:
        evidence = _gitignored(folder, candidate["name"], candidate["key"], read)
        if evidence:
            found.append(ContextFile(candidate["name"], candidate["kind"], credential=True, present=False, evidence=evidence))
    return found


def _one_per_gitignore_line(files: list[ContextFile]) -> tuple[ContextFile, ...]:
    """Of the files a checkout has, the first one per `.gitignore` line (`.env*` is `.env`,
    not also `.env.local` and `.env.production`)."""
    seen: set[str] = set()
    kept = []
    for file in files:
        if not file.present:
            if file.evidence in seen:
                continue
            seen.add(file.evidence)
        kept.append(file)
    return tuple(kept)


def _gitignored(folder: str, name: str, key: str, read: Reader) -> str | None:
    """The `.gitignore` line (".gitignore line 3 (`.env`)") that keeps `<folder>/<name>` out of Git,
    when that line is about such a file (its pattern holds `key`); None otherwise."""
    parts = folder.split("/") if folder else []
    decided = None
    for depth in range(len(parts) + 1):
        base = "/".join(parts[:depth])
        text = read(posixpath.join(base, ".gitignore"), quiet=True)
        if not text:
            continue
        target = "/".join(parts[depth:] + [name])
        for number, line in enumerate(text.splitlines(), start=1):
            pattern = line.rstrip()
            if not pattern or pattern.startswith("#"):
                continue
            negated = pattern.startswith("!")
            pattern = pattern[1:] if negated else pattern
            pattern = pattern[1:] if pattern.startswith("\\") else pattern
            if not pattern or pattern.endswith("/"):
                continue  # a folder pattern: not about a file
            anchored = "/" in pattern
            candidate = target if anchored else name
            if path_match(pattern.lstrip("/"), candidate):
                where = posixpath.join(base, ".gitignore")
                decided = None if negated else (f"{where} line {number} (`{pattern}`)" if key in pattern else None)
    return decided


def _probe(file: ContextFile) -> str:
    """The path matched for a context file (`.git/config` for the Git folder)."""
    return file.path + "config" if file.path.endswith("/") else file.path


def reaches(copy: ContextCopy, path: str) -> bool:
    """Whether the context path `path` is among what `copy` copies (and, carried from another
    stage, among what reached this one)."""
    for source in copy.sources:
        relative = _relative_to_source(clean(source.lstrip("/")) if source.strip("/") else ".", path)
        if relative is None:
            continue
        shown = relative or posixpath.basename(path)
        if copy.excludes and _excluded_by_flags(copy.excludes, shown, path):
            continue
        if copy.within and not (shown == copy.within or shown.startswith(copy.within + "/")):
            continue
        return True
    return False


def _relative_to_source(source: str, path: str) -> str | None:
    """`path` relative to the source that copies it ("" when the source is the file itself);
    None when the source does not copy it. A folder's content is copied; a wildcard source
    matches files and folders by Go's filepath.Match."""
    if source in (".", ""):
        return path
    if has_wildcard(source):
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            if go_match(source, "/".join(parts[:end])):
                return "/".join(parts[end:])
        return None
    if path == source:
        return ""
    if path.startswith(source + "/"):
        return path[len(source) + 1:]
    return None


def _excluded_by_flags(excludes: tuple[str, ...], relative: str, path: str) -> bool:
    try:
        rules = parse_ignore_file("\n".join(pattern.lstrip("#") for pattern in excludes))
    except (IgnoreFileError, IgnoreFileTooLarge):
        return True  # BuildKit refuses the pattern (the COPY fails), or too many to judge: nothing said
    return rules.excludes(relative) or rules.excludes(path)
