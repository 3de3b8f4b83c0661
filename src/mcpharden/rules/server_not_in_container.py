"""## What it does
Finds MCP servers that a client configuration (in the repository, or installed for the user
with `scan --clients`) starts directly on the host: `npx`, `uvx`, `node`, `python`, `bun`,
`deno` or a binary, rather than `docker run`/`podman run`. Remote servers (a `url`) are not
processes of this machine and are not reported. The message names what the server is given:
a folder argument such as `/` or the home folder says how much of the machine its tools reach,
and the fix names the way that exists for that server: its published image where the table of
known images (`knowledge/clients.toml`, `[published_images]`) has one, otherwise how to build
one for its package (`npx`: a Node image with the package installed; `uvx`: a Python one).

Docker's MCP gateway (`docker mcp gateway run`, the Docker setup of Claude and Cursor) is no
server on the host: it starts each catalog server in its own container. Its own run is judged
once per scan, as INFO: it needs the Docker engine's socket by design, and the message names
`--block-secrets=false` (secrets pass through tool calls) and `--allow-unauthenticated`.

## Why is this bad?
A server started on the host runs as you: it can read your SSH keys, cloud credentials and
browser profiles, write your shell start-up files, and reach every service on your network.
The first prompt injection or poisoned dependency that makes it run code owns your account. A
container limits that to what you mount and pass in.

## Example
```json
<!-- sample: bad/claude_desktop_config.json -->
```

Use instead:
```json
<!-- sample: good/claude_desktop_config.json -->
```

## How to fix
Run the server's published image with `docker run -i --rm` and the hardening flags, mounting
only the folders it needs (read-only where it only reads) and passing credentials as `-e NAME`.
Most servers of the reference set and the Docker MCP catalog have an image (`mcp/filesystem`,
`mcp/git`, `ghcr.io/github/github-mcp-server`, ...); otherwise build one with `mcpharden fix
--rewrite-distroless` as a start.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from mcpharden.knowledge.clients import published_image
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.container import ClientServer
    from mcpharden.model.project import Project

_WIDE = {"/": "the whole file system", "~": "your home folder", "$HOME": "your home folder", "${HOME}": "your home folder",
         "%USERPROFILE%": "your home folder", "C:\\": "the whole C: drive"}


def check(project: Project) -> Iterator[Finding]:
    gateway_said = False
    for server in project.client_servers:
        if server.in_container or server.command.startswith(("remote server", "no command")):
            continue
        if _is_gateway(server):
            # Docker's MCP gateway starts each server in its own container; what is on the host
            # is the gateway, which needs the engine's socket by design. Said once per scan.
            if not gateway_said:
                gateway_said = True
                yield replace(_gateway_finding(server), severity=Severity.INFO)
            continue
        given = next((_WIDE[a.rstrip("/") or "/"] for a in server.arguments if (a.rstrip("/") or "/") in _WIDE), None)
        reach = f", given {given}" if given else ""
        yield RULE.finding(server.path, server.line, f"MCP server '{server.name}' runs on the host with your account "
                           f"(`{server.command}`){reach}; {_instead(server)}", server=server.name)


def _is_gateway(server: ClientServer) -> bool:
    words = [server.command.split()[0].rsplit("/", 1)[-1].removesuffix(".exe") if server.command else "", *server.arguments]
    if words[0] == "docker-mcp":  # the plugin binary itself
        words = ["docker", "mcp", *words[1:]]
    return words[:1] == ["docker"] and [w for w in words[1:] if not w.startswith("-")][:3] == ["mcp", "gateway", "run"]


def _gateway_finding(server: ClientServer) -> Finding:
    weak = []
    arguments = server.arguments
    if any(a in ("--block-secrets=false", "--block-secrets=0") for a in arguments):
        weak.append("`--block-secrets=false` lets secrets through its tool calls")
    if any(a == "--allow-unauthenticated" or a.startswith("--allow-unauthenticated=") and not a.endswith(("=false", "=0"))
           for a in arguments):
        weak.append("`--allow-unauthenticated` serves its tools over HTTP to anyone who reaches its port")
    advice = f"; {'; '.join(weak)}" if weak else ""
    return RULE.finding(server.path, server.line, f"MCP server '{server.name}' is Docker's MCP gateway (`{server.command}`): "
                        "it starts each catalog server in its own container, and runs on the host itself with the "
                        f"Docker engine's socket, which it needs by design to start them{advice}", server=server.name)


def _instead(server: ClientServer) -> str:
    """The way that exists for this server: its published image, else how to build one."""
    if image := published_image(server.arguments):
        return f"its image `{image}` runs in a container: `docker run -i --rm {image}`"
    fetch = server.start_fetches[0] if server.start_fetches else None
    if fetch is not None and fetch.package.registry == "npm":
        return (f"no published image is known: build one (`FROM node:22-alpine`, `RUN npm install -g "
                f"{fetch.package.name}@<version>`, `USER node`) and run it with `docker run -i --rm`")
    if fetch is not None and fetch.package.registry == "PyPI":
        return (f"no published image is known: build one (`FROM python:3.12-slim`, `RUN pip install "
                f"{fetch.package.name}==<version>`, a non-root `USER`) and run it with `docker run -i --rm`")
    return ("no published image is known: build one from its source (`mcpharden fix --rewrite-distroless` writes a "
            "start) and run it with `docker run -i --rm`")


RULE = Rule(
    id="server-not-in-container",
    title="MCP server started on the host",
    severity=Severity.LOW,
    category="attack-surface",
    why="A server started on the host runs with your whole account: keys, credentials, files and network.",
    remedy="Run its image with docker run -i --rm and the hardening flags, mounting only what it needs.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ClientServer",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("client config", "`\"command\": \"docker\", \"args\": [\"run\", \"-i\", \"--rm\", \"--cap-drop\", \"ALL\", \"--read-only\", \"--security-opt\", \"no-new-privileges\", \"<the server's image>\"]`"),
    ),
    cwe=("CWE-653",),
)
