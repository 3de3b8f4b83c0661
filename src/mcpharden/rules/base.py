"""What a rule is: metadata, a page of documentation, and a check over a Project."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Severity

if TYPE_CHECKING:
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.project import Project

# The phases a rule can judge (Rule.phase). "run", not "runtime": in rule ids and messages
# "runtime" names the stage or image that ships (dev-dependencies-in-runtime).
PHASES = ("build", "run", "image", "pipeline")

# The models a rule can read (Rule.reads), in this order, with the fields of Project that hold
# them. A test runs every rule on its samples and holds its declaration to the fields it used.
READS = {
    "BuildModel": ("builds", "image_dockerfile"),  # Dockerfiles; with `scan --image`, the one built
    "ServerFacts": ("servers",),  # transport and ports of the server a Dockerfile packages
    "Pipeline": ("pipelines",),  # CI definitions and git hooks
    "ContainerSpec": ("containers",),  # compose services, Kubernetes containers, docker run lines
    "BuildArguments": ("build_arguments",),  # `--build-arg` values given to image builds
    "ClientServer": ("client_servers",),  # the servers MCP client configurations start
    "ImageModel": ("images",),  # built images
}
# What Project holds besides models: context a rule may consult without reading a source.
PROJECT_CONTEXT = ("scope", "parsed_files")

# Whether `mcpharden fix` edits files for a rule's findings (Rule.fix), as Ruff's
# FixAvailability: "always"; "sometimes" (some formats or cases, else it leaves a decision that
# says why); "none" (it never edits, and may leave a decision that says what to change by hand).
FIX_AVAILABILITY = ("always", "sometimes", "none")


@dataclass(frozen=True)
class Rule:
    """A rule's identity and documentation, with the function that checks a project."""

    id: str
    title: str
    severity: Severity
    # What the rule protects: "privilege", "attack-surface", "supply-chain" or "operations".
    category: str
    why: str  # one sentence: why it matters, shown under each finding
    remedy: str  # one sentence: how to fix, shown under each finding ("fix:" in the reports)
    # The rule page (Markdown): what it does, why it is bad, example, fix; its examples are
    # `<!-- sample: NAME -->` lines that rules.pages replaces with the rule's samples.
    page: str
    check: Callable[[Project], Iterable[Finding]]
    # What the rule judges, one of PHASES: "build" (how an image is built: Dockerfiles, and the
    # same facts in built images), "run" (how a container is run: compose, Kubernetes, docker
    # run lines, client configurations), "image" (what only a built image can tell), "pipeline"
    # (CI definitions and git hooks).
    phase: str
    reads: tuple[str, ...]  # the models it reads: keys of READS, in that order
    fix: str  # one of FIX_AVAILABILITY
    since: str  # the mcpharden version the rule appeared in
    # The page's "Fix by source": (source format, how to fix it there), for every format the
    # rule judges in ("Dockerfile", "compose", "Kubernetes", "docker run", "client config", ...).
    remedy_by_source: tuple[tuple[str, str], ...]
    # For the run-time defaults a container keeps (capabilities, a writable root, ...): what it
    # keeps, in a few words. Text and Markdown reports gather one container's findings of
    # these rules into one entry ("keeps: the default capabilities, a writable root file system").
    keeps: str = ""
    # References on the page. `cwe`: the weaknesses (also SARIF tags); `cis`: CIS Docker Benchmark
    # recommendations by title (their numbers move between versions); `peers`: the checks of
    # other scanners that overlap (hadolint DL*, Trivy AVD-DS-*/KSV*, Checkov CKV_*, KICS by name).
    cwe: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()

    def finding(self, path: str, line: int, message: str, **details: str) -> Finding:
        return Finding(
            rule_id=self.id,
            severity=self.severity,
            path=path,
            line=max(line, 1),
            message=message,
            details=tuple(sorted(details.items())),
        )


def listing(items: list[str], limit: int = 8) -> str:
    """`a, b, c and 12 more`: long lists in messages stay readable."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def container_finding(rule: Rule, spec: ContainerSpec, line: int, message: str, **details: str) -> Finding:
    """A finding about one container, naming it in the details so reports can gather the
    container's run-time hardening findings."""
    return rule.finding(spec.path, line, message, container=spec.where, container_line=str(spec.line), **details)
