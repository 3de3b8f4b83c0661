"""## What it does
Finds containers whose kernel security profiles are turned off: `--security-opt
seccomp=unconfined`, `apparmor=unconfined`, `label=disable` (SELinux), `systempaths=unconfined`
(in either `=` or `:` spelling, in `docker run`, compose `security_opt` and MCP client
configurations), and Kubernetes `seccompProfile` / `appArmorProfile` of type `Unconfined` at
pod or container level, the legacy `seccomp.security.alpha.kubernetes.io` and
`container.apparmor.security.beta.kubernetes.io` annotations set to `unconfined`, and the
SELinux type `spc_t`.

## Why is this bad?
Docker's default seccomp profile blocks about 40 system calls (`mount`, `keyctl`, `bpf`,
`unshare`, kernel module loading) that most container escapes go through; AppArmor and SELinux
confine what a root process in the container may touch on the host. `systempaths=unconfined`
unmasks `/proc` and `/sys` paths. A compromised MCP server without them is one kernel bug
closer to the host.

## Example
```sh
<!-- sample: bad.sh -->
```

Use instead:
```sh
<!-- sample: good.sh -->
```

## How to fix
Remove the option and keep the runtime's default profiles:
- `docker run` and MCP client configurations: drop `--security-opt seccomp=unconfined`
  (or `apparmor=unconfined`, `label=disable`, `systempaths=unconfined`); if one system call is
  missing, write a profile that adds only it (`seccomp=profile.json`);
- compose: remove the entry from `security_opt`;
- Kubernetes: `seccompProfile: {type: RuntimeDefault}` (and `appArmorProfile: {type:
  RuntimeDefault}`), and remove the `unconfined` annotations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule

if TYPE_CHECKING:
    from mcpharden.model.project import Project

# (option, value) pairs that turn a profile off, and what the message calls them.
_DISABLED = {
    ("seccomp", "unconfined"): "seccomp",
    ("apparmor", "unconfined"): "AppArmor",
    ("label", "disable"): "SELinux labelling",
    ("systempaths", "unconfined"): "masked /proc and /sys paths",
}


def _option(text: str) -> tuple[str, str]:
    separator = min((i for i in (text.find("="), text.find(":")) if i >= 0), default=-1)
    if separator < 0:
        return text.strip().lower(), ""
    return text[:separator].strip().lower(), text[separator + 1 :].strip().lower()


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        for label in dict.fromkeys(_DISABLED[o] for o in map(_option, spec.security_opts) if o in _DISABLED):
            yield RULE.finding(spec.path_of("security_opts"), spec.line_of("security_opts"), f"{spec.where} runs with {label} turned off",
                               profile=label)


RULE = Rule(
    id="security-profile-disabled",
    title="Security profile turned off",
    severity=Severity.HIGH,
    category="privilege",
    why="seccomp, AppArmor and SELinux block the system calls and host paths most container escapes need.",
    remedy="Keep the runtime's default profiles (remove unconfined / label=disable; Kubernetes RuntimeDefault).",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.1.0",
    remedy_by_source=(
        ("compose", "remove `seccomp:unconfined`, `apparmor:unconfined`, `label:disable` from `security_opt`"),
        ("Kubernetes", "`seccompProfile: {type: RuntimeDefault}`; no `Unconfined` AppArmor profile"),
        ("docker run", "remove `--security-opt seccomp=unconfined` (and the like)"),
        ("client config", "remove those `--security-opt` values from `args`"),
    ),
    cwe=("CWE-693",),
    cis=(
        "Ensure that the default seccomp profile is not disabled",
        "Ensure that, if applicable, an AppArmor Profile is enabled",
        "Ensure that, if applicable, SELinux security options are set",
    ),
    peers=("Checkov CKV_K8S_31", "Trivy KSV104"),
)
