"""## What it does
Finds build steps, in any stage, that install code by a reference that moves: a package named
with no version (`npm install -g pkg`, `pip install pkg`, `cargo install pkg`, `gem install
pkg`, `uv tool install pkg`, `pipx install pkg`), a moving tag or branch (`npm install -g
pkg@latest`, `go install example.com/tool@latest`, `pip install git+https://…@main`), a
repository with no reference at all (`pip install git+https://…`, `git clone URL` with no
`--branch` and no `git checkout <commit>` after it), and a download of a branch archive or of
the latest release (`…/archive/master.zip`, `…/main.tar.gz`, `…/releases/latest/download/…`).

An exact version (`pkg@1.2.3`, `pkg==1.2.3`, `--version 1.2.3`), a tag (`@v1.2`), a commit, a
version from a build argument (`pnpm@${PNPM_VERSION}`) or a range (`pkg>=1.2`) is not reported;
neither are installs governed by a lock or requirements file (`npm ci`, `pip install -r
requirements.txt`, `pip install -c constraints.txt pkg`), local paths and wheels. Operating
system packages (`apt-get`, `apk`) are out of scope; `remote-code-at-build` covers scripts piped
into a shell.

## Why is this bad?
The image holds whatever the registry or the branch served at build time: two builds of the
same commit differ, a release published with a hijacked account (or a typosquat) lands in the
next build unreviewed, and nothing records which version the image got. In a builder stage it
reaches the server through what that stage builds.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Name an exact version (`npm install -g pkg@1.2.3`, `pip install pkg==1.2.3`, `cargo install
pkg --version 1.2.3 --locked`, `go install example.com/tool@v1.2.3`), install from a lock or
requirements file with hashes, and pin Git sources to a commit (`pip install
git+https://github.com/o/r@<commit>`, `git clone` then `git checkout <commit>`). Let Dependabot or
Renovate move the pins.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.model.packages import MOVING_PINS, PackageInstall, PackageRef
from mcpharden.rules.base import Rule, listing

if TYPE_CHECKING:
    from mcpharden.model.project import Project


def check(project: Project) -> Iterator[Finding]:
    for build in project.builds:
        for stage in build.stages:
            where = "the build" if len(build.stages) == 1 else f"stage '{stage.name}'" if stage.name else f"stage #{stage.index}"
            by_line: dict[int, list[PackageInstall]] = {}  # `pip install uv || pip install --user uv` is one finding
            for install in stage.package_installs:
                if any(ref.pin in MOVING_PINS for ref in install.packages):
                    by_line.setdefault(install.line, []).append(install)
            for line, installs in by_line.items():
                from mcpharden.safety import redact_text  # the gate's tables load with the first finding

                moving = list(dict.fromkeys(ref for install in installs for ref in install.packages if ref.pin in MOVING_PINS))
                shown = listing([_shown(ref) for ref in moving], limit=4)
                notes = "".join(f" ({install.note})" for install in installs if install.note)
                message = redact_text(f"{where} installs {shown} (`{installs[0].command}`): each build takes whatever is "
                                      f"published that day{notes}")
                yield RULE.finding(build.path, line, message, stage=stage.label, tool=installs[0].tool,
                                   packages=", ".join(ref.name for ref in moving))


def _shown(ref: PackageRef) -> str:
    """The package and what its reference leaves open."""
    if ref.registry == "Git":
        return f"`{ref.name}` at {'the branch `' + ref.version + '`' if ref.version else 'its default branch'}"
    if ref.registry == "URL":
        return f"`{ref.name}`, " + ("the latest release" if ref.version == "latest release" else f"an archive of the branch `{ref.version}`")
    if ref.pin == "moving":
        return f"`{ref.name}@{ref.version}` from {ref.registry}, a moving tag"
    return f"`{ref.name}` from {ref.registry} with no version"


RULE = Rule(
    id="unpinned-remote-install",
    title="Code installed at build by a moving reference",
    severity=Severity.LOW,
    category="supply-chain",
    why="An unpinned install takes whatever the registry or branch serves at build time: builds differ and a bad release lands unreviewed.",
    remedy="Pin an exact version, tag or commit (`pkg@1.2.3`, `pkg==1.2.3`, `git+https://…@<commit>`), or install from a lock file.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel",),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("Dockerfile", "`RUN npm install -g pkg@1.2.3`, `RUN pip install pkg==1.2.3`, `RUN go install example.com/tool@v1.2.3`, `RUN pip install git+https://github.com/o/r@<commit>`"),
    ),
    cwe=("CWE-494", "CWE-1357"),
    peers=("hadolint DL3013", "hadolint DL3016", "hadolint DL3028"),
)
