"""What the reports for people (text, Markdown) list: entries, not raw findings.

- One container's run-time hardening findings (rules with `keeps`: capabilities, writable root,
  privilege escalation, limits) become one entry.
- The same weakness repeated in N places (the same `docker run` line in seven README snippets,
  the same compose service in five override files) is one entry that lists its places once.
- Entries from documentation (README and docs snippets) come after those from files that ship.

JSON and SARIF keep one result per rule and place; they carry `group_key` so that a machine can
gather them the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpharden.model.findings import Finding, Severity
    from mcpharden.rules.base import Rule

# What discovery reads as documentation: Markdown (README files and docs/ folders).
_DOCUMENTATION_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class Entry:
    severity: Severity
    rule_ids: tuple[str, ...]
    message: str
    why: str
    fix: str
    places: tuple[tuple[str, int], ...]  # (path, line), in the findings' order, each once
    findings: int = 1  # how many findings the entry stands for (JSON and SARIF list each)

    @property
    def path(self) -> str:
        return self.places[0][0]

    @property
    def line(self) -> int:
        return self.places[0][1]

    @property
    def documentation(self) -> bool:
        return is_documentation(self.path)

    @property
    def rule_label(self) -> str:
        return self.rule_ids[0] if len(self.rule_ids) == 1 else f"run-time hardening ({len(self.rule_ids)} rules)"


def is_documentation(path: str) -> bool:
    """A finding in a README or docs snippet: an example a reader may copy, not a file that ships."""
    return path.lower().endswith(_DOCUMENTATION_SUFFIXES)


def group_key(finding: Finding) -> str:
    """The same for every finding of one weakness repeated in several places (rule, severity,
    message and whether it is documentation), whatever the file and line."""
    import hashlib  # here: OpenSSL's bindings cost a scan without findings a few ms of start-up

    data = f"{finding.rule_id}|{finding.severity.label}|{is_documentation(finding.path)}|{finding.message}"
    return hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def entries(findings: Iterable[Finding], rule_of: Callable[[str], Rule]) -> list[Entry]:
    """Entries from files that ship, then entries from documentation; within each, in the
    findings' order (a gathered or repeated entry stands where its first finding stood)."""
    single = _hardening_gathered(list(findings), rule_of)
    repeated: dict[tuple, list[Entry]] = {}
    for entry in single:
        repeated.setdefault((entry.rule_ids, entry.severity, entry.documentation, entry.message), []).append(entry)
    merged = [_merged(group) for group in repeated.values()]  # dicts keep the first entry's order
    return [entry for entry in merged if not entry.documentation] + [entry for entry in merged if entry.documentation]


def _hardening_gathered(findings: list[Finding], rule_of: Callable[[str], Rule]) -> list[Entry]:
    groups: dict[tuple, list[Finding]] = {}
    for finding in findings:
        if key := _hardening_key(finding, rule_of(finding.rule_id)):
            groups.setdefault(key, []).append(finding)
    listed: list[Entry] = []
    done: set[tuple] = set()
    for finding in findings:
        key = _hardening_key(finding, rule_of(finding.rule_id))
        if key is None or len(groups[key]) == 1:
            rule = rule_of(finding.rule_id)
            listed.append(Entry(finding.severity, (finding.rule_id,), finding.message, rule.why, fix_of(finding, rule.remedy),
                                ((finding.path, finding.line),)))
        elif key not in done:
            done.add(key)
            listed.append(_gathered(groups[key], rule_of))
    return listed


def _merged(group: list[Entry]) -> Entry:
    if len(group) == 1:
        return group[0]
    places = tuple(dict.fromkeys(place for entry in group for place in entry.places))
    first = group[0]
    return Entry(first.severity, first.rule_ids, first.message, first.why, first.fix, places,
                 sum(entry.findings for entry in group))


def fix_of(finding: Finding, remedy: str) -> str:
    """How to fix this finding: its own text (`details["fix"]`: the port it is about, in its
    source's syntax) where the rule wrote one, else the rule's."""
    return dict(finding.details).get("fix") or remedy


def _hardening_key(finding: Finding, rule: Rule) -> tuple | None:
    details = dict(finding.details)
    if not rule.keeps or "container" not in details:
        return None
    return (finding.path, details.get("container_line"), details["container"], finding.severity)


def _gathered(group: list[Finding], rule_of: Callable[[str], Rule]) -> Entry:
    rules = [rule_of(finding.rule_id) for finding in group]
    details = dict(group[0].details)
    first = min(group, key=lambda f: f.line)
    # The message names the container, not its place: the same container repeated in several
    # files (override files, README snippets) is then one entry with its places listed.
    return Entry(
        severity=first.severity,
        rule_ids=tuple(rule.id for rule in rules),
        message=f"{details['container']} keeps: " + ", ".join(rule.keeps for rule in rules),
        why=" ".join(rule.why for rule in rules),
        fix=" ".join(rule.remedy for rule in rules) + " (`mcpharden fix` adds these settings to compose files, "
            "Kubernetes manifests and client configurations.)",
        places=((first.path, int(details.get("container_line") or first.line)),),
        findings=len(group),
    )


def places_text(entry: Entry, shown: int, format_place: Callable[[str], str] = str) -> str:
    """`a:1, b:2, … and N more places`: each place once, at most `shown` of them."""
    listed = [format_place(f"{path}:{line}") for path, line in entry.places[:shown]]
    more = len(entry.places) - shown
    return ", ".join(listed) + (f" and {more} more place{'s' if more > 1 else ''}" if more > 0 else "")
