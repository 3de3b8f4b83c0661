"""BuildModel: what a Dockerfile builds, stage by stage, as the rules need it."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

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
class Healthcheck:
    """A HEALTHCHECK instruction, or `HEALTHCHECK NONE` turning an inherited one off."""

    line: int
    disabled: bool  # HEALTHCHECK NONE
    stage: str


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
    # uid given to users created in this build (useradd -u 0 admin)
    created_users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    remote_code: tuple[RemoteCode, ...] = ()
    # OS packages installed in this stage or a stage it is built FROM.
    os_packages: tuple[OsPackage, ...] = ()
    declarations: tuple[Declaration, ...] = ()

    @property
    def label(self) -> str:
        return self.name if self.name else f"#{self.index}"

    @property
    def start_arguments(self) -> tuple[str, ...]:
        return self.entrypoint + self.cmd


@dataclass(frozen=True)
class BuildModel:
    """A parsed Dockerfile: its stages, which one is final, and every image it uses."""

    path: str
    stages: tuple[Stage, ...]
    final_index: int
    image_uses: tuple[ImageUse, ...]

    @property
    def final(self) -> Stage:
        return self.stages[self.final_index]

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
