"""## What it does
Finds development dependencies that reach the image that ships. It follows every
dependency install (npm, yarn, pnpm, bun, pip, uv, poetry, pipenv, pdm) through the stage
graph: an install in the final stage, a `node_modules` or virtual environment brought in by
`COPY --from=<stage>`, or a final stage built `FROM` a stage that installed them.

An install leaves dev dependencies out when it uses a production flag (`npm ci
--omit=dev`, `pnpm install --prod`, `yarn install --production`, `uv sync --no-dev`,
`poetry install --only main`, `pdm install --prod`), when `NODE_ENV=production` is in
effect (set by `ENV`, by `ARG`, or inline), or when a later `npm prune --omit=dev` /
`pnpm prune --prod`, a production reinstall, or `rm -rf node_modules` removes them. For
pip-style installs, dev requirement files (`requirements-dev.txt`, `requirements/test.txt`),
dev extras (`.[dev]`) and development tools (`pytest`, `ruff`, ...) count, except a tool the
image's own entry point runs: an image whose product is a linter (`ENTRYPOINT ["ruff"]`,
`python -m ruff`) ships it on purpose. A final stage that is an explicit development target
(`AS dev`, `AS development`, `AS devcontainer`, the target a devcontainer builds) is not the
runtime image, and is not judged.

A default install brings dev dependencies only when there are some: the manifest in the
build context decides (the Dockerfile's folder, else the nearest one above it).
`npm ci`, `yarn`, `pnpm install` and `bun install` with a `package.json` that declares no
`devDependencies` install none; `uv sync` installs its default groups (`dev`, and
`[tool.uv] dev-dependencies`), never `[project.optional-dependencies]` extras; `poetry
install` installs every group not marked optional; `pdm install` every dev group. When no
manifest is found, the message says that dev dependencies were assumed.

In a built image (`mcpharden image`), `node_modules` entries that npm's lockfile marks as
dev-only and test/lint packages in Python's site-packages (pytest, ruff, mypy, ...) count.

## Why is this bad?
Dev dependencies (test runners, bundlers, linters, type checkers) are code the server never
runs but an attacker can: each one adds packages to exploit, binaries to abuse, and
vulnerabilities to patch. They are also the most common home of supply-chain attacks,
which then ship inside your runtime image.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Install with a production flag in the stage whose dependencies ship, or prune dev
dependencies before copying `node_modules` or the virtual environment into the final
stage. A separate production-dependency stage keeps the build's dev tools out entirely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.installers import DEV_PACKAGES
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing
from mcpharden.sources.installs import dev_tool_installed

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel, DependencyDir
    from mcpharden.model.project import Project

# Final stages named for development (`FROM base AS dev`, the target a devcontainer builds):
# an explicit development image, not the one that ships.
_DEVELOPMENT_TARGETS = frozenset({"dev", "development", "devcontainer", "develop"})
_LAUNCHERS = frozenset({"exec", "uv", "run", "uvx", "pipx", "python", "python3", "-m", "poetry", "pdm", "hatch", "tini", "--"})


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        if (build.final.name or "").lower() in _DEVELOPMENT_TARGETS:
            continue
        for dependency in build.final.dependencies:
            if dependency.includes_dev and not _is_the_product(build, dependency):
                yield _finding(build, dependency)
    for image in project.images:
        dev = sorted({f"{p.name}@{p.version}" for p in image.packages
                      if p.dev or (p.ecosystem == "pypi" and p.name.lower().replace("_", "-") in DEV_PACKAGES)})
        if dev:
            shown = listing(dev)
            yield RULE.finding(image.source_path, 1, f"image {image.label} ships {len(dev)} dev dependencies: {shown}", image=image.reference)


def _is_the_product(build: BuildModel, dependency: DependencyDir) -> bool:
    """A development tool the image's own entry point runs (`ENTRYPOINT ["ruff", "server"]`,
    `python -m ruff`) is what the image ships, not a dev dependency of it."""
    tool = dev_tool_installed(dependency.install.reason)
    if tool is None:
        return False
    program = next((word for word in build.final.start_arguments if word.rsplit("/", 1)[-1] not in _LAUNCHERS), "")
    return program.rsplit("/", 1)[-1].lower() == tool.lower()


def _finding(build: BuildModel, dependency: DependencyDir) -> Finding:
    final = build.final
    install = dependency.install
    origin = f"line {install.line}" + (f" in stage '{install.stage}'" if install.stage != final.label else "")
    message = f"dev dependencies reach the final image ({dependency.directory}): {install.reason} ({origin})"
    line = install.line
    if dependency.arrived_via:
        how, line = dependency.arrived_via
        if how == "copied":
            message += f", copied into {build.final_phrase()}"
        else:
            message += f", and {build.final_phrase()} is built on that stage"
    return RULE.finding(build.path, line, message, manager=install.manager, directory=dependency.directory, install_line=str(install.line))


RULE = Rule(
    id="dev-dependencies-in-runtime",
    title="Dev dependencies ship in the runtime image",
    severity=Severity.MEDIUM,
    category="supply-chain",
    why="Test runners, bundlers and linters in the runtime image are code an attacker can use and vulnerabilities you must patch.",
    remedy="Install with a production flag (npm ci --omit=dev, uv sync --no-dev, poetry install --only main) or prune before copying.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ImageModel"),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "`npm ci --omit=dev`, `pnpm install --prod`, `uv sync --no-dev`, `poetry install --only main`, or `npm prune --omit=dev` before the copy"),
        ("built image", "rebuild with a production install; remove test and lint packages from the runtime stage"),
    ),
    cis=("Ensure that unnecessary packages are not installed in the container",),
)
