"""## What it does
Finds MCP servers whose code is downloaded every time they start: a runner that fetches the
package it runs (`npx -y pkg`, `npx pkg@latest`, `bunx pkg`, `pnpm dlx pkg`, `uvx pkg`, `pipx
run pkg`), or an install run by the start command (`pip install …`, `npm install`). It reads
the image's `ENTRYPOINT` and `CMD` and the start script they run (when the build context holds
it), compose `command:` and `entrypoint:`, Kubernetes `command` and `args`, the command after
the image of a `docker run` line (in a client configuration, a script or a README), and client
configurations that start `npx`, `uvx` or `bunx` on the host (those also get
`server-not-in-container`).

A runner that finds an installed copy downloads nothing: `npx <bin>` where the image installed
the package (`npm install -g pkg` in the build, or a `node_modules` at or above the working
directory whose package.json declares it), and `uvx pkg` after `uv tool install pkg`, are not
reported. `@latest` always asks the registry, installed or not.

A pinned version (`pkg@1.2.3`, `pkg==1.2.3`), a Git tag or commit, or a lock file (`npm ci`)
narrows what can change: such findings are LOW; no version, a moving tag (`@latest`, `@next`,
a branch) or a range stays MEDIUM. The message says which.

## Why is this bad?
Whatever the registry serves at that moment runs with the server's privileges, its
credentials and its mounts: a hijacked maintainer account, a typosquat one letter away, or a
malicious release published an hour ago reaches every user at their next start, with no build,
review or scan in between. Even a pinned package is resolved again at every start, and so are
its dependencies' version ranges. Starting also depends on the registry being up, and each
start is a download.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead: install the package at build time, pinned, and start the installed program:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Install the server when the image is built, at an exact version (`npm install -g pkg@1.2.3`,
`pip install pkg==1.2.3`, `uv tool install pkg==1.2.3`, or a lock file with `npm ci`), and start
its program directly. For a client configuration, run the server's published image instead of
`npx`/`uvx` on the host; if you must use a runner, pin the version (`npx -y pkg@1.2.3`,
`uvx pkg@1.2.3`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.model.packages import PINS, PackageFetch, PackageRef, installed_copy
from mcpharden.rules.base import Rule, listing
from mcpharden.safety import redact_text

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    builds = {build.path: build for build in project.builds}
    for build in project.builds:
        fetches = [fetch for fetch in build.final.start_fetches if installed_copy(fetch, build, build.final) is None]
        for group in _by_command(fetches):
            via = "its start command" if group[0].path == build.path else f"the start script of {build.path}"
            yield _finding(group, build.final_phrase(), via, stage=build.final.label)
    for spec in project.containers:
        built = builds.get(spec.dockerfile or "") if spec.built_locally else None
        fetches = [fetch for fetch in spec.start_fetches if built is None or installed_copy(fetch, built, built.final) is None]
        for group in _by_command(fetches):
            yield _finding(group, spec.where, "its command", container=spec.where)
    for server in project.client_servers:
        if not server.in_container:
            for group in _by_command(server.start_fetches):
                yield _finding(group, f"MCP server '{server.name}' (on the host)", "its command", server=server.name)


def _by_command(fetches) -> list[list[PackageFetch]]:
    """Fetches of one command together (`pip install a b` is one finding)."""
    groups: dict[tuple[str, int, str], list[PackageFetch]] = {}
    for fetch in fetches:
        groups.setdefault((fetch.path, fetch.line, fetch.command), []).append(fetch)
    return list(groups.values())


def _finding(fetches: list[PackageFetch], who: str, via: str, **details: str) -> Finding:
    """One finding for the packages one command fetches; the loosest reference speaks for them."""
    loosest = min(fetches, key=lambda fetch: PINS.index(fetch.package.pin))
    ref = loosest.package
    what = listing([_what(fetch.package) for fetch in fetches], limit=4)
    message = redact_text(f"{who} downloads {what} at every start (`{loosest.command}` in {via}): {_so(ref)}")
    finding = RULE.finding(loosest.path, loosest.line, message, packages=", ".join(f.package.name for f in fetches),
                           registry=ref.registry, pin=ref.pin, version=ref.version, runner=loosest.runner, **details)
    return replace(finding, severity=Severity.LOW) if all(fetch.fixed for fetch in fetches) else finding


def _what(ref: PackageRef) -> str:
    if ref.pin == "manifest" or ref.pin == "lock":
        return f"{ref.name} from {ref.registry}"
    if ref.registry in ("Git", "URL"):
        return f"`{ref.name}`"
    return f"`{ref.name}` from {ref.registry}"


def _so(ref: PackageRef) -> str:
    """What the reference leaves open, in the words of its pin."""
    version = ref.version
    if ref.pin == "none":
        if ref.registry == "Git":
            return "no reference, so whatever is pushed to its default branch runs with the server's privileges"
        return "no version, so whatever the registry serves that day runs with the server's privileges"
    if ref.pin == "moving":
        return f"`{version}` is a moving reference (it follows every release or push), so whatever it points to that day runs"
    if ref.pin == "range":
        return f"the version range `{version}` lets any release in it run, chosen anew at each start"
    if ref.pin == "manifest":
        return "their version ranges are resolved anew at each start, so new releases run without a build"
    if ref.pin == "variable":
        return f"the version comes from `{version}`, decided wherever the container starts"
    if ref.pin == "lock":
        return "the versions are locked, but every start downloads them again (install them at build time)"
    if ref.pin == "commit":
        return f"pinned to commit `{version[:12]}`, but downloaded again at every start"
    if ref.pin == "tag":
        return f"pinned to the tag `{version}` (a commit is firmer), but downloaded again at every start"
    return f"pinned to {version}, but downloaded again at every start, its dependencies' ranges resolved anew"


RULE = Rule(
    id="package-fetched-at-start",
    title="Package downloaded at every start",
    severity=Severity.MEDIUM,
    category="supply-chain",
    why="Whatever the registry serves at start runs with the server's privileges, unreviewed; a pin narrows it, `latest` does not.",
    remedy="Install the package at build time at an exact version and start the installed program (or run its published image).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("BuildModel", "ContainerSpec", "ClientServer"),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("Dockerfile", "`RUN npm install -g pkg@1.2.3` (or `pip install pkg==1.2.3`, `uv tool install pkg==1.2.3`) and `ENTRYPOINT [\"pkg-bin\"]`"),
        ("compose", "build an image that installs the package, pinned; `command:` starts the installed program"),
        ("Kubernetes", "an image that installs the package, pinned; `command` starts the installed program"),
        ("docker run", "run an image that has the server installed instead of `IMAGE npx -y pkg`"),
        ("client config", "`\"command\": \"docker\", \"args\": [\"run\", \"-i\", \"--rm\", \"<the server's image>\"]`, or at least `npx -y pkg@1.2.3`"),
    ),
    cwe=("CWE-494", "CWE-829", "CWE-1357"),
)
