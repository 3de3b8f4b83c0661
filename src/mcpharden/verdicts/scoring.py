"""The score: what an attacker who runs code in a server gains, per server card (docs/scoring.md).

Each card starts at 100 and loses the points of each dimension of its blast radius that it shows
(root, the engine socket, a shell, secrets, ...), once however many findings or snippets show it.
The repository is graded by its worst server card; documentation examples weigh apart (a bounded
deduction); helpers are shown and never graded. Nothing judged, nothing graded: no container
setup, a failed audit or a file that did not parse gives no grade, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from mcpharden.model.card import DOCUMENTATION, SERVER, Loss, ServerCard
from mcpharden.model.findings import PARSE_ERROR, Notice, Severity


@dataclass(frozen=True)
class Dimension:
    """One thing an attacker gains, the points it costs, and the worst grade a card showing it can
    have (engine socket or privileged mode: the host is theirs, whatever else is right)."""

    name: str
    points: int
    rules: frozenset[str]
    fact: Callable[[ServerCard], bool] = lambda card: False
    ceiling: str = "A"


def _rules(*ids: str) -> frozenset[str]:
    return frozenset(ids)


# Weights, worst first. Facts read the card where no repository rule says it (a shell and a package
# manager come from the base image's profile); everything else is what the findings say, so a
# suppressed or ignored finding costs nothing.
DIMENSIONS = (
    Dimension("engine socket", 60, _rules("docker-socket-mount"), ceiling="F"),
    Dimension("privileged", 60, _rules("privileged-container"), ceiling="F"),
    Dimension("host mounts and devices", 40, _rules("sensitive-host-mount", "host-device-exposed"), ceiling="D"),
    Dimension("host namespaces", 35, _rules("host-namespace-shared"), ceiling="D"),
    Dimension("dangerous capabilities", 35, _rules("dangerous-capability-added"), ceiling="D"),
    Dimension("kernel confinement off", 20, _rules("security-profile-disabled", "seccomp-profile-not-set")),
    Dimension("root", 25, _rules("root-user")),
    Dimension("secrets", 25, _rules("secret-in-run-config", "secret-in-image", "build-context-leaks-secrets")),
    Dimension("open to others", 25, _rules("mcp-transport-unprotected", "default-credentials-exposed")),
    Dimension("exposure", 10, _rules("port-exposed-on-all-interfaces")),
    Dimension("code fetched at start", 10, _rules("package-fetched-at-start")),
    Dimension("shell", 8, _rules("shell-in-runtime-image"), lambda card: card.shell is True),
    Dimension("package manager", 7, _rules("package-manager-in-runtime-image", "sudo-in-image"),
              lambda card: bool(card.package_manager)),
    Dimension("full OS", 5, _rules("full-os-base-image", "ssh-server-in-image")),
    Dimension("writable root", 5, _rules("root-filesystem-writable")),
    Dimension("no image scan", 10, _rules("no-image-scan-in-ci")),
    Dimension("dev dependencies", 10, _rules("dev-dependencies-in-runtime")),
    Dimension("code fetched at build", 5, _rules("remote-code-at-build", "unpinned-remote-install")),
    Dimension("digest pinning", 5, _rules("image-not-pinned-by-digest")),
)
MAPPED = frozenset(rule for dimension in DIMENSIONS for rule in dimension.rules)
# Any other rule costs by its severity, once per rule (CRITICAL is a severity like any other).
SEVERITY_POINTS = {Severity.CRITICAL: 30, Severity.HIGH: 15, Severity.MEDIUM: 5, Severity.LOW: 2, Severity.INFO: 0}
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))
ORDER = "ABCDF"
# Documentation examples (README and docs snippets): what they show beyond the shipped cards costs a
# quarter of its points, at most this many in all.
DOCUMENTATION_SHARE, DOCUMENTATION_CAP = 4, 10


@dataclass(frozen=True)
class Verdict:
    """The repository's score and grade, or None with the reason nothing was graded."""

    score: int | None
    grade: str | None
    reason: str  # why it is not graded, or how the grade was reached

    @property
    def graded(self) -> bool:
        return self.grade is not None


def grade_of(value: int) -> str:
    return next((grade for threshold, grade in GRADES if value >= threshold), "F")


def losses(card: ServerCard) -> tuple[Loss, ...]:
    """The points a card loses, dimension by dimension, each once."""
    found = dict(card.weaknesses)
    lost = []
    for dimension in DIMENSIONS:
        rules = sorted(rule for rule in dimension.rules if rule in found)
        if rules or dimension.fact(card):
            lost.append(Loss(dimension.name, dimension.points, ", ".join(rules) or "the card"))
    for rule, label in sorted(found.items()):
        points = SEVERITY_POINTS[Severity.parse(label)]
        if rule not in MAPPED and points:
            lost.append(Loss(rule, points, f"{rule} ({label})"))
    return tuple(lost)


def scored(card: ServerCard) -> ServerCard:
    """The card with its score, grade and what cost its points."""
    lost = losses(card)
    value = max(0, 100 - sum(loss.points for loss in lost))
    grade = grade_of(value)
    ceilings = [d.ceiling for d in DIMENSIONS if any(loss.dimension == d.name for loss in lost)]
    ceilings += ["D" for loss in lost if loss.dimension not in {d.name for d in DIMENSIONS}
                 and loss.points >= SEVERITY_POINTS[Severity.CRITICAL]]
    grade = max([grade, *ceilings], key=ORDER.index)
    return replace(card, score=value, grade=grade, losses=lost)


def verdict(cards: Iterable[ServerCard], notices: Iterable[Notice] = (), files_scanned: int = 1,
            failures: Iterable[str] = (), clients: bool = False) -> Verdict:
    """The repository's grade: its worst shipped server card, less what its documentation
    examples show beyond it; not graded, with the reason, when nothing (or not all) was judged."""
    failures = list(failures)
    if failures:
        return Verdict(None, None, "the audit failed: " + "; ".join(failures))
    broken = [notice for notice in notices if notice.kind == PARSE_ERROR]
    if broken:
        listed = ", ".join(sorted({notice.path for notice in broken}))
        return Verdict(None, None, f"{listed} did not parse, so what it sets was never judged")
    if not files_scanned:
        return Verdict(None, None, "nothing scanned: no Dockerfile, compose file, Kubernetes manifest, CI definition "
                                   "or MCP client configuration could be read")
    cards = [card if card.grade is not None else scored(card) for card in cards]
    servers = [card for card in cards if card.role == SERVER]
    if not servers and clients:
        return Verdict(None, None, "no MCP server runs in a container: every server the clients start runs on the host")
    if not servers:
        return Verdict(None, None, _no_server(cards))
    worst = max(servers, key=lambda card: (ORDER.index(card.grade or "F"), -(card.score or 0)))
    shown = {loss.dimension for card in servers for loss in card.losses}
    extra = {loss.dimension: loss.points for card in cards if card.role == DOCUMENTATION
             for loss in card.losses if loss.dimension not in shown}
    penalty = min(DOCUMENTATION_CAP, sum(points // DOCUMENTATION_SHARE for points in extra.values()))
    value = max(0, (worst.score or 0) - penalty)
    grade = max(grade_of(value), worst.grade or "F", key=ORDER.index)
    how = f"the worst of {len(servers)} server card(s): {worst.name}"
    if penalty:
        how += f"; documentation examples show {', '.join(sorted(extra))} (-{penalty})"
    return Verdict(value, grade, how)


def _no_server(cards: list[ServerCard]) -> str:
    if cards and all(card.role == DOCUMENTATION for card in cards):
        return "no container setup ships: only documentation examples run a container"
    if cards:
        helpers = [card.name for card in cards if card.role != DOCUMENTATION]
        more = f" and {len(helpers) - 5} more" if len(helpers) > 5 else ""
        return f"no server container: only helpers ({', '.join(helpers[:5])}{more})"
    return "no container setup: no Dockerfile, run configuration or image of a server was found"
