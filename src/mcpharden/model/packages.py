"""Packages taken from a registry or a repository by name: installed while an image is built
(PackageInstall), or downloaded each time a server starts (PackageFetch), with how firmly the
reference holds them (`pin`)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel, Stage

# How a reference to a package holds it, from loosest to firmest:
#   "none"     no version at all (`npx -y pkg`, `pip install pkg`, `git clone URL`)
#   "moving"   a name that moves on purpose: an npm dist-tag (`@latest`, `@next`), a branch
#              (`@main`, `…/archive/master.zip`), `go install …@latest`, `releases/latest`
#   "range"    a version range (`pkg@^1.2`, `pkg>=1.0`, `pnpm@10`)
#   "manifest" the ranges of a manifest or requirements file (`npm install`, `pip install -r`)
#   "variable" a version the build or the shell supplies (`pnpm@${PNPM_VERSION}`)
#   "version"  an exact version (`pkg@1.2.3`, `pkg==1.2.3`)
#   "tag"      a Git tag
#   "lock"     a lock file (`npm ci`, `uv sync --locked`)
#   "commit"   a Git commit
PINS = ("none", "moving", "range", "manifest", "variable", "version", "tag", "lock", "commit")
# The references that fix what is fetched (a pin narrows what a registry can change).
FIXED_PINS = frozenset({"version", "tag", "lock", "commit"})
# The references that hold nothing: whatever the registry or branch serves that day.
MOVING_PINS = frozenset({"none", "moving"})


@dataclass(frozen=True)
class PackageRef:
    """One package a command names, and how its reference holds it."""

    name: str  # as written, without the version: `@scope/pkg`, `mcp-server-fetch`, a repository URL
    registry: str  # where it comes from: "npm", "PyPI", "crates.io", "Go modules", "RubyGems", "Git", "URL"
    pin: str  # one of PINS
    version: str = ""  # the version, tag, range, branch or commit as written ("" with pin "none")

    @property
    def shown(self) -> str:
        """`pkg`, `pkg@latest`, `pkg 1.2.3` for messages."""
        return f"{self.name}@{self.version}" if self.pin == "moving" and self.version else self.name


@dataclass(frozen=True)
class PackageInstall:
    """A command in a build step that installs code from a registry or a repository."""

    tool: str  # "npm install -g", "pip install", "cargo install", "go install", "git clone", "curl"
    packages: tuple[PackageRef, ...]
    command: str  # the command as written (its first words), for messages
    line: int
    stage: str
    # What the script does to a version it seems to give (`pip install pkg>=1.0` unquoted: the
    # shell reads `>` as a redirection, and pip gets no version), for messages; "" otherwise.
    note: str = ""


@dataclass(frozen=True)
class PackageFetch:
    """A package a container or client downloads when it starts the server: a runner
    (`npx -y pkg`, `uvx pkg`, `pipx run pkg`, `bunx pkg`) or an install run at start
    (`pip install …` in the entry point or its script)."""

    runner: str  # "npx", "uvx", "pipx run", "pip install", ...
    package: PackageRef
    command: str  # the command as written (its first words), for messages
    path: str  # the file that says so: the Dockerfile, its start script, the compose file, ...
    line: int
    # Where the runner looks for an installed copy before it downloads (knowledge/packages.toml):
    # "node" (npx, bunx, npm exec: node_modules/.bin, npm -g), "uv-tool" (uvx: `uv tool install`),
    # "" (it always downloads: pnpm dlx, pipx run, an install).
    prefers_installed: str = ""
    # The name such a runner looks for among installed bins (`npx tsc`), when no package option names it.
    bin: str = ""

    @property
    def fixed(self) -> bool:
        return self.package.pin in FIXED_PINS


_NODE_TOOLS = ("npm", "yarn", "pnpm", "bun")


def installed_copy(fetch: PackageFetch, build: BuildModel, stage: Stage) -> str | None:
    """How the image built by `stage` already holds what a start runner asks for, so that it
    runs that copy and downloads nothing; None when it downloads. `npx pkg@latest` and
    `uvx pkg@latest` always ask the registry; `npx pkg` runs a package installed with `npm
    install [-g] pkg` in the stage (or a stage it is built FROM) or declared in the package.json
    of a `node_modules` installed at or above the working directory; `uvx pkg` runs a `uv tool
    install pkg`."""
    if not fetch.prefers_installed or fetch.package.pin == "moving" or fetch.package.registry not in ("npm", "PyPI"):
        return None
    names = {fetch.package.name, fetch.bin} - {""}
    for ancestor in build.lineage(stage):
        for install in ancestor.package_installs:
            if fetch.prefers_installed == "node" and not install.tool.startswith(_NODE_TOOLS):
                continue
            if fetch.prefers_installed == "uv-tool" and install.tool != "uv tool install":
                continue
            for ref in install.packages:
                if _same_package(ref, fetch.package, names):
                    return f"`{install.command}` (line {install.line}) installs it"
    if fetch.prefers_installed != "node":
        return None
    for dependency in stage.dependencies:
        folder = posixpath.dirname(dependency.directory)
        if dependency.install.manager not in _NODE_TOOLS or not _at_or_above(folder, stage.workdir):
            continue
        manifest = build.node_manifest
        if manifest is None:
            return f"{dependency.directory} may hold it (no package.json was read to tell)"
        if manifest.workspaces:
            return f"{dependency.directory} may hold it (the workspaces of {manifest.path} are not read)"
        declared = manifest.dependencies | (manifest.dev_dependencies if dependency.includes_dev else frozenset())
        if names & (declared | manifest.own) or _bin_package(fetch.bin) in declared:
            return f"{manifest.path} declares it and {dependency.directory} is installed"
    return None


def _same_package(installed: PackageRef, wanted: PackageRef, names: set[str]) -> bool:
    short = installed.name.rsplit("/", 1)[-1]
    if installed.name not in names and short not in names:
        return False
    if wanted.pin in ("none", "range", "variable"):
        return True  # npx and uvx take any installed version for a bare name
    return installed.version.lstrip("v=") == wanted.version.lstrip("v=")


def _at_or_above(folder: str, workdir: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return workdir == folder or folder == "/" or workdir.startswith(folder + "/")


def _bin_package(name: str) -> str:
    from mcpharden.knowledge.packages import node_bins

    return node_bins().get(name, "") if name else ""
