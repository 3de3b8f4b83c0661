"""## What it does
Finds literal credentials in how a server is run or built: `docker run -e NAME=value` and
`--env=NAME=value`, the `env` block of an MCP client configuration (for servers in a container
or not), compose `environment`, Kubernetes `env[].value`, the `value`/`default` of an MCP
registry `server.json` environment variable, and `--build-arg NAME=value` in scripts,
Makefiles, READMEs and CI (with docker/build-push-action's `build-args`). A value is a credential when it has the shape of
a well-known token (`ghp_`, `github_pat_`, `sk-`, `xoxb-`, `AKIA`, JWTs, ...) under any name,
or when the setting is named like one (`*_TOKEN`, `*_API_KEY`, `*SECRET*`, `*PASSWORD*`, ...)
or is a URL with a password, and the value looks generated: 16 characters or more, varied, and
not made of words (a hex or base64 key, a UUID). References and placeholders (`${TOKEN}`,
`${input:token}`, `<your-token>`, `your_api_key_here`, `postgres://u:${DB_PASSWORD}@db`,
`user:pass@host`, empty) are not credentials, and neither are the made-up values of a
development setup (`POSTGRES_PASSWORD: postgres` for the database of the same compose file,
`a-strong-secret`, `dev-secret-change-in-production`, `masterKey`): they open nothing that is not
open already. When such a default password guards a service published on the host's network
interfaces, `default-credentials-exposed` reports it, in its own words. The value is never printed.

## Why is this bad?
A configuration file is copied, committed, synced and shared; a token in it leaks with it.
Desktop MCP clients keep their configuration in plain files that every program of the user
can read, and a literal `-e TOKEN=value` also shows in the process list (`ps`) and in
`docker inspect`. An MCP server's token usually opens the whole service it wraps.

## Example
```json
<!-- sample: bad/.cursor/mcp.json -->
```

Use instead:
an input the client asks for once and keeps in its secret storage (VS Code):
```json
<!-- sample: good/.vscode/mcp.json -->
```

## How to fix
Rotate the credential, then pass only its name and let the value come from elsewhere:
- `docker run`: `-e NAME` (the value from the environment docker runs in), or `--env-file`
  kept out of the repository;
- MCP client configurations: `-e NAME` in `args` and the value from the client's secret input
  (`${input:…}` in VS Code) or from your shell's environment;
- compose: `environment: [NAME]` with the value from the shell, `env_file:`, or `secrets:`;
- Kubernetes: `valueFrom.secretKeyRef`;
- `server.json`: mark the variable `isSecret: true` and give no `default`;
- image builds: `docker build --secret id=token,env=TOKEN` and `RUN --mount=type=secret` in the
  Dockerfile, never `--build-arg` (its value stays in the image's history).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.credentials import credential_kind, is_placeholder, looks_random
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    seen: set[tuple[str, int, str]] = set()
    for spec in project.containers:
        for setting in spec.env:
            yield from _judge(setting.path or spec.path, setting, spec.where, seen)
    for server in project.client_servers:
        if not server.in_container:  # a container's env block is part of its spec
            for setting in server.env:
                yield from _judge(server.path, setting, f"MCP server '{server.name}' (not in a container)", seen)
    for build in project.build_arguments:
        for setting in build.arguments:
            yield from _judge(build.path, setting, "an image build (`--build-arg`, recorded in the image's history)", seen)


def leaked_kind(name: str, value: str | None) -> str | None:
    """The kind of a credential that leaked, or None. A well-known token shape is one under any
    name. Any other value a credential-named setting (or a URL's password) holds is one only when
    it looks generated (`looks_random`): a made-up development value (`postgres`,
    `dev-secret-change-in-production`, `masterKey`), a reference (`postgres://u:${DB_PASSWORD}@db`)
    or a placeholder (`user:pass@host`, `<token>`) opens nothing that was not open already;
    default-credentials-exposed judges a guessable password on a published service."""
    kind = credential_kind(name, value)
    if kind is None or value is None:
        return None
    if kind == "password in a URL":
        password = _url_password(value.strip().strip("\"'"))
        return kind if password and "$" not in password and not is_placeholder(password) and looks_random(password) else None
    if kind == "credential":
        return kind if looks_random(value) else None
    return kind  # a token shape


def _url_password(url: str) -> str:
    """The password of `scheme://user:password@host/...`, with `${...}` references kept whole
    (`${USER:-app}:${PASSWORD}` is a user and a password, not a user `${USER` and the rest)."""
    authority = url.split("://", 1)[1]
    depth, end = 0, len(authority)
    for index, char in enumerate(authority):
        depth += char == "{"
        depth -= char == "}" and depth > 0
        if char in "/?#" and depth == 0:
            end = index
            break
    userinfo = authority[:end].rpartition("@")[0]
    depth = 0
    for index, char in enumerate(userinfo):
        depth += char == "{"
        depth -= char == "}" and depth > 0
        if char == ":" and depth == 0:
            return userinfo[index + 1:]
    return ""


def _judge(path: str, setting, where: str, seen: set) -> Iterator[Finding]:
    kind = leaked_kind(setting.name, setting.value)
    if kind is None or (path, setting.line, setting.name) in seen:
        return
    seen.add((path, setting.line, setting.name))
    yield RULE.finding(path, setting.line, f"{where} is given `{setting.name}` as a literal {kind} (value not shown): "
                       "pass the name and keep the value out of the file", name=setting.name, kind=kind)


RULE = Rule(
    id="secret-in-run-config",
    title="Credential in a run configuration",
    severity=Severity.HIGH,
    category="supply-chain",
    why="Run configurations are copied, committed and readable by every program of the user; a literal token leaks with them.",
    remedy="Rotate it; pass only the name (-e NAME, environment: [NAME], secretKeyRef, the client's secret inputs).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec", "BuildArguments", "ClientServer"),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "`env_file:` kept out of git, or `secrets:`; `environment: [GITHUB_TOKEN]` passes the host's value"),
        ("Kubernetes", "`valueFrom: {secretKeyRef: {name: ..., key: ...}}`"),
        ("docker run", "`-e GITHUB_TOKEN` (the name only) with the value in the environment"),
        ("client config", "`\"-e\", \"GITHUB_TOKEN\"` in `args` and the value in the client's `env` or `inputs` (`${input:token}`)"),
        ("MCP manifest", "declare the variable with `isSecret: true` and no default"),
    ),
    cwe=("CWE-798", "CWE-214"),
    peers=("KICS Passwords And Secrets", "Checkov CKV_SECRET_*"),
)
