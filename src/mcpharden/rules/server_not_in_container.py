"""## What it does
Finds MCP servers that a client configuration (in the repository, or installed for the user
with `scan --clients`) starts directly on the host: `npx`, `uvx`, `node`, `python`, `bun`,
`deno` or a binary, rather than `docker run`/`podman run`. Remote servers (a `url`) are not
processes of this machine and are not reported. The message names what the server is given:
a folder argument such as `/` or the home folder says how much of the machine its tools reach.

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

from mcpharden.knowledge.clients import published_image
from mcpharden.model.findings import Finding, Severity
from mcpharden.model.project import Project
from mcpharden.rules.base import Rule

_WIDE = {"/": "the whole file system", "~": "your home folder", "$HOME": "your home folder", "${HOME}": "your home folder",
         "%USERPROFILE%": "your home folder", "C:\\": "the whole C: drive"}


def check(project: Project) -> Iterator[Finding]:
    for server in project.client_servers:
        if server.in_container or server.command.startswith(("remote server", "no command")):
            continue
        given = next((_WIDE[a.rstrip("/") or "/"] for a in server.arguments if (a.rstrip("/") or "/") in _WIDE), None)
        reach = f", given {given}" if given else ""
        image = published_image(server.arguments)
        instead = f"; its image `{image}` runs in a container" if image else ""
        yield RULE.finding(server.path, server.line, f"MCP server '{server.name}' runs on the host with your account "
                           f"(`{server.command}`){reach}{instead}", server=server.name)


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
