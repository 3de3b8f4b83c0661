"""## What it does
Finds files and folders that every user may write, in the image that ships, except the sticky
temporary folders meant for that (`/tmp`, `/var/tmp`, `/dev/shm`, … with the sticky bit, as in
`chmod 1777 /tmp`).

In a Dockerfile: `chmod 777`, `chmod 666`, `chmod -R a+w`, `chmod o+w` (and `find … -exec
chmod 777 {} +`), `mkdir -m 777`, `install -m 777`, `COPY --chmod=777` and `ADD --chmod=…` in
the final stage, in a stage it is built `FROM`, or in a builder stage whose files the final
stage copies with `COPY --from` (which keeps their modes, unless it sets `--chmod`). A later
`chmod o-w` / `chmod 755` of the same path takes it back. Modes are read as `chmod` reads them:
a mode without `o` or `a` (`chmod +w`, `chmod g+w`) does not reach other users.

In a built image: every file and folder whose mode has the "other" write bit. Symbolic links
are not counted (their mode means nothing).

## Why is this bad?
A world-writable file or directory in the image lets any process (whichever user the
attacker ends up as) replace code, configuration or libraries that the server, or root,
will later load, which turns a foothold into persistence or privilege escalation. Without
the sticky bit, anyone can also delete or rename the others' files in a shared folder.

## Example
```dockerfile
<!-- sample: bad/Dockerfile, line 2 -->
```

Use instead:
```dockerfile
<!-- sample: good/Dockerfile, line 2 -->
```

## How to fix
Give write access only to the user that needs it, on the directories it writes to
(`install -d -o 10001 -m 0750 /app/data`, `COPY --chown=10001 --chmod=0750`); keep code and
configuration owned by root and read-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.image_contents import writable_allowed
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel, WorldWritable
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        yield from _in_dockerfile(build)
    for image in project.images:
        found = sorted(f.path for f in image.files.values()
                       if f.kind in ("file", "dir") and f.mode & 0o002 and not _shared_folder(f.path, f.kind == "dir" and bool(f.mode & 0o1000)))
        if found:
            shown = listing(found)
            yield RULE.finding(image.source_path, 1, f"image {image.label} has {len(found)} world-writable path(s): {shown}",
                               image=image.reference, paths=", ".join(found))


def _shared_folder(path: str, sticky: bool) -> bool:
    """A sticky temporary folder meant for every user (`/tmp`), or one inside it (`/tmp/.X11-unix`)."""
    return sticky and (writable_allowed(path) or writable_allowed(path.rsplit("/", 1)[0] or "/"))


def _in_dockerfile(build: BuildModel) -> Iterator[Finding]:
    final = build.final_phrase()
    by_step: dict[tuple, list[WorldWritable]] = {}
    for entry in build.final.world_writable:
        if not _shared_folder(entry.path, entry.sticky):
            by_step.setdefault((entry.line, entry.how, entry.arrived_via or ("", 0)), []).append(entry)
    for (line, _, _), entries in sorted(by_step.items()):
        first = entries[0]
        paths = listing(list(dict.fromkeys(e.path for e in entries)))
        if first.how.startswith(("`COPY", "`ADD")):
            what = f"{first.how} makes the files it copies to {paths} writable by every user"
        else:
            below = " and everything below" if any(e.recursive for e in entries) else ""
            what = f"{first.how} makes {paths}{below} writable by every user"
        message = f"{what} in {final}"
        if first.arrived_via:
            how, at = first.arrived_via
            message = (f"{first.how} in stage '{first.stage}' leaves files writable by every user, and line {at} copies "
                       f"them into {final} at {paths} with their modes" if how == "copied"
                       else f"{what} in stage '{first.stage}', which {final} is built FROM (line {at})")
        yield RULE.finding(build.path, line, message, paths=", ".join(e.path for e in entries))


RULE = Rule(
    id="world-writable-path",
    title="World-writable paths in the image",
    severity=Severity.MEDIUM,
    category="privilege",
    why="World-writable code or configuration lets any process replace what the server or root loads next.",
    remedy="Give write access only to the directories the server writes to, owned by its user; keep code read-only.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ImageModel"),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("Dockerfile", "`RUN chmod o-w …` / `COPY --chmod=0755`; the server's own folder as "
                       "`install -d -o 10001 -m 0750 /app/data`; `chmod 1777` only for a shared temporary folder"),
        ("built image", "`chmod o-w` the paths in the Dockerfile; give the server's user its own writable folder"),
    ),
    cwe=("CWE-732",),
)
