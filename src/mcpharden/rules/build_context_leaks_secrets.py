"""## What it does
Finds `COPY`/`ADD` instructions that bring files holding credentials from the build context
into the image that ships: `COPY . .` (or any source that covers them) while the context holds
an `.env` with credential values, a private key (`*.pem`, `*.key`, `id_rsa`, …), an `.npmrc`,
`.pypirc` or `.netrc` with a token, cloud or OAuth credential files, or `.git/`, and the
`.dockerignore` does not exclude them.

The build context is the folder a compose `build:` or a CI build (`docker build -f F DIR`,
docker/build-push-action's `context:`) names for the Dockerfile, or else the Dockerfile's own
folder. The ignore file is read as Docker reads it: `<Dockerfile>.dockerignore` beside the
Dockerfile first, then the context's `.dockerignore` (`.containerignore` first for a
Containerfile), with Go's path patterns, `**`, `!` exceptions and the last matching line
deciding. A file copied into a builder stage counts when the final stage copies it on
(`COPY --from=builder /app /app`), or is built `FROM` that stage; `COPY --exclude` is honoured.

The severity is HIGH when a file in the repository holds a credential, MEDIUM for `.git/`
(history, remotes) and for credential files that are not in the repository because
`.gitignore` keeps them out of Git: every developer's checkout has them (`.env`,
`credentials.json`, `token.json`), and a `docker build .` from that checkout copies them
unless the ignore file excludes them too. Templates (`.env.example`, `.env.sample`,
`.env.template`) and files whose values are references (`_authToken=${NPM_TOKEN}`) are not
credentials. Only a scanned directory has a build context: a Dockerfile scanned alone is not
judged. Messages name the files, never what they hold.

## Why is this bad?
Everything `COPY` copies is in a layer of the image, for anyone who can pull it, forever: a
later `RUN rm .env` hides the file but the layer keeps it. An attacker who gets code
execution in the server reads the keys and tokens from its own file system, and whoever
pulls a pushed image has them without attacking anything. `.git/` carries the history
(credentials once committed and removed) and, after actions/checkout, the job's token.

## Example
```dockerfile
<!-- sample: bad/Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good/Dockerfile -->
```

with a `.dockerignore` beside it:
```text
<!-- sample: good/.dockerignore -->
```

## How to fix
Add a `.dockerignore` (or `<Dockerfile>.dockerignore`) that excludes environment files, Git
metadata, keys and token files, or copy only what the server needs (`COPY package.json
package-lock.json ./`, `COPY src/ ./src/`). Pass build-time credentials as BuildKit secrets
(`RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci`) and run-time ones as the
container's environment, never as files in the context. A credential that was in a pushed
image is compromised: rotate it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing

if TYPE_CHECKING:
    from mcpharden.model.build import BuildContext, ContextFile, ContextLeak
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        by_line: dict[int, list[tuple[BuildContext, ContextLeak]]] = {}
        for context in build.contexts:
            for leak in context.leaks:
                by_line.setdefault(leak.copy.line, []).append((context, leak))
        for line, found in sorted(by_line.items()):
            yield _finding(build.path, build.final_phrase(), line, found)


def _finding(path: str, final: str, line: int, found: list[tuple[BuildContext, ContextLeak]]) -> Finding:
    context, leak = found[0]
    files: dict[str, ContextFile] = {}
    for _, other in found:
        for file in other.files:
            files.setdefault(file.path, file)
    present = [f for f in files.values() if f.present]
    absent = [f for f in files.values() if not f.present]
    parts = []
    if present:
        parts.append(listing([f"{f.path} ({f.kind})" for f in present], 6))
    if absent:
        parts.append(listing([f"a checkout's {f.path} ({f.kind}; {f.evidence} keeps it out of Git)" for f in absent], 4))
    copy = leak.copy
    into = f"into {final}"
    if copy.arrived_via:
        how, at = copy.arrived_via
        into = (f"into stage '{copy.stage}', from which line {at} copies them into {final}" if how == "copied"
                else f"into stage '{copy.stage}', which {final} is built FROM (line {at})")
    named = "" if context.named_by == "the Dockerfile's folder" else \
        f" (the build context is `{context.directory or '.'}`, as {context.named_by} builds it)"
    them = "them" if len(files) > 1 else "it"
    ignore = f"{context.ignore_file} does not exclude {them}" if context.ignore_file else f"no .dockerignore excludes {them}"
    verb = "copies" if present else "would copy"
    message = f"`{copy.written}` {verb} {' and '.join(parts)} {into}{named}; {ignore}"
    # The card lists the files an image built from the repository holds (details are names, never contents).
    finding = RULE.finding(path, line, message, files=", ".join(f.path for f in present),
                           checkout_files=", ".join(f.path for f in absent), context=context.directory or ".")
    if any(f.credential for f in present):
        return finding
    return replace(finding, severity=Severity.MEDIUM)


RULE = Rule(
    id="build-context-leaks-secrets",
    title="Build context copies credential files into the image",
    severity=Severity.HIGH,
    category="attack-surface",
    why="Files copied into an image stay in its layers: whoever runs or pulls it reads the keys and tokens.",
    remedy="Exclude them in .dockerignore (`.env*`, `.git`, `*.pem`, `*.key`, token files), or copy only what the server needs.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel",),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("Dockerfile", "copy only what the server needs (`COPY package.json src/ ./`), or `COPY --exclude=.env . .`; "
                       "build-time credentials as `RUN --mount=type=secret`"),
        (".dockerignore", "list `.env`, `.env.*`, `!.env.example`, `.git`, `**/*.pem`, `**/*.key`, `.npmrc` and the other "
                          "credential files"),
    ),
    cwe=("CWE-538", "CWE-312"),
    cis=("Ensure secrets are not stored in Dockerfiles",),
)
