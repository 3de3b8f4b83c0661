"""## What it does
Flags a server that listens on the network but whose image has no `HEALTHCHECK` (or
disables it with `HEALTHCHECK NONE`). A `HEALTHCHECK` inherited from a parent stage
counts.

Whether a server listens is decided from how its container starts, then from its code,
strongest evidence first: start arguments (`--transport stdio`, `--sse`, `--port`, a started
file named for its transport such as `node dist/server-stdio.js`), read as the container runs
them: a `sh -c` script unwrapped, `${MCP_TRANSPORT:-stdio}` resolved from the image's `ENV` or
its default, and of an `if [ "$VAR" = http ]; then ...; else ...; fi` only the branch the
image's `ENV` takes; a named transport outweighs port flags meant for the other mode;
environment (`TRANSPORT=sse`, any `*_TRANSPORT` such as `NEO4J_TRANSPORT=stdio`, `PORT=8080`,
an address such as `MCP_HOST=0.0.0.0`); a stage named for its transport or built on one
(`FROM production-stdio`); the repository's own run configurations of the build (a compose
service with `build:` that publishes a port or sets a transport variable); the MCP SDK calls
in the source tree of the Dockerfile's build context (`StreamableHTTPServerTransport`,
`mcp.run(transport="sse")`, `server.NewStreamableHTTPServer`, ...; code with only
`StdioServerTransport` is stdio); and last an `EXPOSE` (port 22 is never the server's),
which documents a port and opens none: a leftover `EXPOSE` in a stdio image outweighs nothing.
Servers that talk over stdio are not
flagged: the client that starts them sees them exit. For built images, the raw config decides: exposed
ports without a `Healthcheck` (read from the config JSON itself, since some conversions
drop it).

## Why is this bad?
Without a health check, a hung or half-started HTTP server stays "running": orchestrators
keep routing requests to it and never restart it, and nothing tells you the MCP endpoint
is gone.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Add an exec-form `HEALTHCHECK` that works in the final image: distroless images have no
`curl`, so use the runtime itself (a small Node or Python script that requests the
server's health endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.model.server import is_server_port
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        facts = project.servers.get(build.path)
        if facts is None or facts.listens is not True:
            continue
        final = build.final
        if final.healthcheck and not final.healthcheck.disabled:
            continue
        evidence = facts.strongest(listening=True)
        because = f" ({evidence.detail})" if evidence else ""
        if final.healthcheck:
            message = f"the server listens on the network{because} but `HEALTHCHECK NONE` disables its health check"
            line = final.healthcheck.line
        else:
            message = f"the server listens on the network{because} but {build.final_phrase()} has no HEALTHCHECK"
            line = final.line
        yield RULE.finding(build.path, line, message, stage=final.label)
    for image in project.images:
        server_ports = [port for port in image.exposed_ports if is_server_port(port)]
        if server_ports and image.healthcheck != "present":
            state = "disables its health check" if image.healthcheck == "disabled" else "has no health check"
            ports = ", ".join(server_ports)
            yield RULE.finding(image.source_path, 1, f"image {image.label} exposes {ports} but {state}", image=image.reference)


RULE = Rule(
    id="no-healthcheck",
    title="Network server without a HEALTHCHECK",
    severity=Severity.INFO,
    category="operations",
    why="A hung HTTP server stays 'running' without a health check: nothing restarts it or stops routing to it.",
    remedy="Add an exec-form HEALTHCHECK that uses the runtime itself (no curl in distroless) to request the server.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ServerFacts", "ImageModel"),
    fix="sometimes",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "`HEALTHCHECK CMD [\"/nodejs/bin/node\", \"-e\", \"...probe the port...\"]` (exec form, no curl needed); `mcpharden fix`"),
        ("built image", "rebuild from a Dockerfile with a `HEALTHCHECK`"),
    ),
    cis=("Ensure that HEALTHCHECK instructions have been added to container images",),
    peers=("hadolint DL3057", "Trivy AVD-DS-0026", "Checkov CKV_DOCKER_2", "KICS Healthcheck Instruction Missing"),
)
