"""BuildModel: what a Dockerfile builds, stage by stage, as the rules need it."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from mcpharden.model.packages import PackageFetch, PackageInstall
    from mcpharden.model.references import BaseImageProfile, ImageRef


@dataclass(frozen=True)
class UserState:
    """Who the stage runs as at its end, and how we know."""

    value: str | None  # as resolved; None when a variable could not be resolved
    written: str  # as in the file (or the base image's default)
    is_root: bool | None  # None: cannot tell
    origin: str  # "explicit" | "inherited" | "base-default" | "assumed"
    line: int  # the USER line, or the FROM line for defaults
    stage: str  # label of the stage that set it


@dataclass(frozen=True)
class InstallStep:
    """A dependency install (npm ci, pip install, uv sync, ...) and whether it brings dev deps."""

    manager: str
    command: str
    line: int
    stage: str
    directory: str  # where the dependencies land in the stage's file system
    includes_dev: bool
    reason: str


@dataclass(frozen=True)
class DependencyDir:
    """A dependency directory present at the end of a stage."""

    directory: str
    install: InstallStep
    includes_dev: bool
    # How it reached this stage when installed elsewhere: ("copied" | "inherited", line).
    arrived_via: tuple[str, int] | None = None


@dataclass(frozen=True)
class HealthcheckStep:
    """One pipeline a health check runs, and how it joins the step before it: "" (the first),
    "&&", "||" or ";" (a newline or `&` too)."""

    operator: str
    commands: tuple[tuple[str, ...], ...]  # the words of each command of the pipeline


@dataclass(frozen=True)
class HealthcheckTest:
    """The command a health check runs, in Docker's two forms: "exec" (`CMD ["curl", "-f", …]`,
    compose `["CMD", …]`: `command` is the argv) or "shell" (`CMD curl -f … || exit 1`, compose
    `CMD-SHELL` or a plain string: `command` is the one script, run by the image's shell); or
    "none" for a compose health check turned off (`disable: true`, `test: ["NONE"]`)."""

    form: str  # "exec" | "shell" | "none"
    command: tuple[str, ...]
    # What it runs (sources.healthchecks): the argv for exec form, the command lists of a script;
    # None when the script uses more than command lists (`if`, subshells, `$(...)`).
    steps: tuple[HealthcheckStep, ...] | None = None
    # The shell that runs the steps: "/bin/sh" for shell form (the image's shell, or its SHELL
    # instruction), the program of exec-form `["sh", "-c", script]`, "" when no shell runs it.
    shell: str = ""


@dataclass(frozen=True)
class Healthcheck:
    """A HEALTHCHECK instruction, or `HEALTHCHECK NONE` turning an inherited one off."""

    line: int
    disabled: bool  # HEALTHCHECK NONE
    stage: str
    test: HealthcheckTest | None = None  # None for HEALTHCHECK NONE


@dataclass(frozen=True)
class ExposedPort:
    """One port an EXPOSE instruction names, as written."""

    port: str
    line: int


@dataclass(frozen=True)
class ImageUse:
    """An external image the build pulls: FROM, COPY --from=image, RUN --mount=from=image."""

    ref: ImageRef
    line: int
    context: str  # "FROM" | "COPY --from" | "RUN --mount"


@dataclass(frozen=True)
class StageCopy:
    """COPY --from=<stage> in a stage: which paths of which stage were brought in."""

    source_stage: int
    sources: tuple[str, ...]
    destination: str
    line: int


@dataclass(frozen=True)
class RemoteCode:
    """Code fetched from the network and run (or added) without being checked first."""

    line: int
    how: str  # "`curl … | sh`", "`ADD https://…` without --checksum"


@dataclass(frozen=True)
class CopiedPath:
    """A file or folder a COPY or ADD brings into a stage, from the build context, another
    stage or an image (`COPY --from=curlimages/curl:8 /usr/bin/curl /usr/bin/curl`)."""

    source: str  # as written
    # As written, made absolute: the file it becomes, or the folder it lands in (a file copied
    # into a folder keeps its name; a folder's contents are copied into the destination).
    destination: str
    origin: str  # "context" | "stage" | "image"
    line: int


@dataclass(frozen=True)
class OsPackage:
    """An operating-system package a build step installs."""

    name: str
    line: int


@dataclass(frozen=True)
class Declaration:
    """An ENV or ARG of a stage, with its default (None: no default) and whether a later RUN
    of the stage reads it (an ARG's value then lands in the image's history)."""

    kind: str  # "ENV" | "ARG"
    name: str
    value: str | None
    line: int
    used_in_run: bool = False


@dataclass(frozen=True)
class ContextCopy:
    """A COPY or ADD of build-context files (no `--from`): its sources as written (variables
    resolved), relative to the context, and where they land. A stage built FROM this one, or a
    `COPY --from` of the folder they landed in, carries it along (`arrived_via`); a `COPY
    --from` of part of that folder carries only the context paths below `within`."""

    instruction: str  # "COPY" | "ADD"
    sources: tuple[str, ...]
    destination: str  # absolute, in the stage that copied
    line: int
    stage: str  # label of the stage whose instruction it is
    excludes: tuple[str, ...] = ()  # `--exclude=` patterns
    written: str = ""  # the instruction as written (its first line, shortened)
    arrived_via: tuple[str, int] | None = None  # ("copied" | "inherited", line) into a later stage
    within: str = ""  # only paths below this one (relative to a copied source) reached the stage


@dataclass(frozen=True)
class WorldWritable:
    """A path a build step leaves writable by every user: `chmod 777`, `chmod -R a+w`,
    `COPY --chmod=666`, `mkdir -m 777`. The mode travels with the files: a stage built FROM
    this one has it, and a `COPY --from` without `--chmod` of the path (or of what is below a
    recursive change) brings it along at its new place."""

    path: str  # absolute; as written (with its wildcards) when the step named a pattern
    how: str  # the step, shortened: "`chmod -R 777 /app`", "`COPY --chmod=777`"
    line: int
    stage: str  # label of the stage whose step it is
    recursive: bool  # everything below `path` too
    sticky: bool  # the sticky bit is set (1777): others cannot remove or rename what is not theirs
    arrived_via: tuple[str, int] | None = None  # ("copied" | "inherited", line) into a later stage


@dataclass(frozen=True)
class Stage:
    """One FROM stage of a Dockerfile with the state rules need: base, user, packages, health check."""

    index: int
    name: str | None
    line: int
    base: ImageRef  # as written in FROM
    parent: int | None  # the stage this one is built FROM, if any
    profile: BaseImageProfile  # of the external base at the root of the FROM chain
    user: UserState
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    workdir: str = "/"
    dependencies: tuple[DependencyDir, ...] = ()
    installs: tuple[InstallStep, ...] = ()
    copies: tuple[StageCopy, ...] = ()
    healthcheck: Healthcheck | None = None
    exposed_ports: tuple[ExposedPort, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    # The line of the ENTRYPOINT or CMD that last set the start command (0: the base image's own).
    start_line: int = 0
    # uid given to users created in this build (useradd -u 0 admin)
    created_users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    remote_code: tuple[RemoteCode, ...] = ()
    # OS packages installed in this stage or a stage it is built FROM.
    os_packages: tuple[OsPackage, ...] = ()
    declarations: tuple[Declaration, ...] = ()
    # Build-context files copied into this stage (or a stage it is built FROM, or copied from another).
    context_copies: tuple[ContextCopy, ...] = ()
    # Paths every user may write at the end of this stage.
    world_writable: tuple[WorldWritable, ...] = ()
    # Code this stage's own RUN steps install by name from a registry or a repository
    # (`npm install -g pkg`, `pip install pkg`, `git clone URL`), pinned or not.
    package_installs: tuple[PackageInstall, ...] = ()
    # Packages the stage's start command (ENTRYPOINT and CMD, and the start script they run when
    # the build context holds it) downloads when it runs: `npx -y pkg`, `uvx pkg`, `pip install`.
    # Runners that prefer an installed copy are listed too: see model.packages.installed_copy.
    start_fetches: tuple[PackageFetch, ...] = ()
    # What COPY and ADD bring in, in this stage or a stage it is built FROM.
    copied_paths: tuple[CopiedPath, ...] = ()
    # The SHELL instruction in effect (`["/busybox/sh", "-c"]`); () for the default `/bin/sh -c`.
    # Docker runs shell-form RUN, CMD, ENTRYPOINT and HEALTHCHECK commands with it.
    shell_instruction: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name if self.name else f"#{self.index}"

    @property
    def start_arguments(self) -> tuple[str, ...]:
        return self.entrypoint + self.cmd


@dataclass(frozen=True)
class NodeManifest:
    """The names a build context's package.json declares: what a `node_modules` installed from it
    holds, so that `npx <name>` runs an installed copy rather than a download."""

    path: str  # relative to the scanned root
    dependencies: frozenset[str]  # dependencies, optionalDependencies, peerDependencies
    dev_dependencies: frozenset[str]
    own: frozenset[str]  # the package's own name and bins
    # `workspaces`: the install also brings every workspace's dependencies, which it does not name.
    workspaces: bool = False


@dataclass(frozen=True)
class BuildModel:
    """A parsed Dockerfile: its stages, which one is final, and every image it uses."""

    path: str
    stages: tuple[Stage, ...]
    final_index: int
    image_uses: tuple[ImageUse, ...]
    # The build contexts it is built with (when a directory was scanned): what they would send.
    contexts: tuple[BuildContext, ...] = ()
    # The build context's package.json, when a stage installs a node_modules from it.
    node_manifest: NodeManifest | None = None

    @property
    def final(self) -> Stage:
        return self.stages[self.final_index]

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        chain = [stage]
        while chain[-1].parent is not None and len(chain) <= len(self.stages):
            chain.append(self.stages[chain[-1].parent])
        return chain

    def root_base(self, stage: Stage) -> ImageRef:
        """The external image at the root of a stage's FROM chain."""
        while stage.parent is not None:
            stage = self.stages[stage.parent]
        return stage.base

    def final_phrase(self) -> str:
        """How messages name the shipped stage: "the image" for a one-stage build."""
        if len(self.stages) == 1:
            return "the image"
        final = self.final
        return f"the final stage '{final.name}'" if final.name else f"the final stage (#{final.index})"


def is_root_user(value: str | None, created_users) -> bool | None:
    """USER root, USER 0, USER 0:0, USER root:app → root; a name made with uid 0 → root."""
    if value is None:
        return None
    user = value.split(":", 1)[0].strip()
    if not user:
        return True  # an empty USER resets to root
    if user == "root":
        return True
    number = numeric_id(user)
    if number is not None:
        return number == 0
    if user in created_users:
        return numeric_id(created_users[user].strip()) == 0
    return False


def numeric_id(text: str) -> int | None:
    """A uid or gid as Docker reads it (Go's strconv.Atoi): `000`, `+0` and `-0` are 0."""
    digits = text[1:] if text[:1] in "+-" else text
    return int(text) if digits.isdigit() and digits.isascii() else None


@dataclass(frozen=True)
class ManifestVerdict:
    """What a package manifest in the build context says about one tool's default install:
    whether it brings dev dependencies (`package.json` with `devDependencies`, a `dev`
    dependency group for `uv sync`), and how the manifest says so."""

    path: str  # the manifest, relative to the scanned root
    installs_dev: bool
    detail: str  # "declares devDependencies", "has no dependency group that uv installs by default"


@dataclass(frozen=True)
class ContextFile:
    """A file or folder of a build context that must not reach an image: a private key, a
    token file, an environment file with credentials, Git metadata."""

    path: str  # relative to the context; folders end with "/"
    kind: str  # "private key", "environment file with credentials", "Git metadata", ...
    credential: bool  # it holds a credential (or, absent, would): HIGH; Git metadata: MEDIUM
    # False: not in the scanned files, but `.gitignore` keeps it out of Git (a developer's
    # checkout has one); `evidence` names that line.
    present: bool = True
    evidence: str = ""


@dataclass(frozen=True)
class ContextLeak:
    """A COPY/ADD that brings context files into the stage that ships."""

    copy: ContextCopy
    files: tuple[ContextFile, ...]


@dataclass(frozen=True)
class BuildContext:
    """One build context a Dockerfile is built with, and what it sends into the final stage."""

    directory: str  # relative to the scanned root, "" for the root
    named_by: str  # "the Dockerfile's folder", or the file:line of the compose `build:` / CI build that names it
    # The ignore file in effect (`<Dockerfile>.dockerignore`, `.dockerignore`), relative to the
    # scanned root; None when there is none.
    ignore_file: str | None
    # Sensitive files of the context that the ignore file does not exclude.
    sent: tuple[ContextFile, ...] = ()
    # The COPY/ADD lines that bring some of them into the final stage.
    leaks: tuple[ContextLeak, ...] = ()
