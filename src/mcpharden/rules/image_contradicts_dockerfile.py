"""## What it does
With `mcpharden scan PATH --image REF`, compares the built image with the Dockerfile it
was built from (the only one, or the one named with `--dockerfile`) and reports where the
image contradicts it:

- the Dockerfile's final stage runs as a non-root user, but the image runs as root;
- the Dockerfile has a `HEALTHCHECK`, but the image's config has none;
- the Dockerfile's runtime is distroless or `scratch`, but the image ships a shell.

## Why is this bad?
A contradiction means what ships is not what was reviewed: the image was built from
another stage (`--target`), another version of the Dockerfile, or a pipeline step changed
it (`docker commit`, a conversion that dropped the health check). Every other check of the
Dockerfile is then about an image nobody runs.

## Example
```dockerfile
<!-- sample: bad/Dockerfile, line 1 -->
...
<!-- sample: bad/Dockerfile, lines 5-6 -->
```
built with `docker build --target build -t app .`: the image is the root, full-OS
build stage.

Use instead:
```sh
<!-- sample: good/build.sh -->
```

## How to fix
Build the stage that was reviewed (no `--target`, or the same one mcpharden was given),
from the current Dockerfile, and do not change the image after the build.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.knowledge.image_contents import shells, uid_of
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    build = next((b for b in project.builds if b.path == project.image_dockerfile), None)
    if build is None:
        return
    final = build.final
    for image in project.images:
        if final.user.is_root is False and uid_of(image, image.config_user) == 0:
            yield RULE.finding(build.path, final.user.line, f"the Dockerfile runs as `{final.user.written}` but image "
                               f"{image.label} runs as root (its configured user is `{image.config_user}`)", image=image.reference)
        if final.healthcheck and not final.healthcheck.disabled and image.healthcheck != "present":
            yield RULE.finding(build.path, final.healthcheck.line, f"the Dockerfile has a HEALTHCHECK but image {image.label} "
                               "has none in its config", image=image.reference)
        found = shells(image)
        if final.profile.kind in ("distroless", "empty") and not final.profile.shell and found:
            yield RULE.finding(build.path, final.line, f"the Dockerfile's runtime has no shell but image {image.label} "
                               f"ships {', '.join(found)}", image=image.reference)


RULE = Rule(
    id="image-contradicts-dockerfile",
    title="Built image contradicts its Dockerfile",
    severity=Severity.MEDIUM,
    category="supply-chain",
    why="What ships is not what was reviewed: another stage, another version, or a changed image.",
    remedy="Build the reviewed stage from the current Dockerfile and do not change the image after the build.",
    page=__doc__,
    check=check,
    phase="image",
    reads=("BuildModel", "ImageModel"),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("built image", "rebuild from the Dockerfile as it is, or find what changed the image after the build"),
    ),
)
