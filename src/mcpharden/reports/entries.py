"""What the reports for people (text, Markdown) list: one entry per finding, except that one
container's run-time hardening findings (rules with `keeps`: capabilities, writable root,
privilege escalation, limits) become one entry. JSON and SARIF keep one result per rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule


@dataclass(frozen=True)
class Entry:
    severity: Severity
    rule_ids: tuple[str, ...]
    path: str
    line: int
    message: str
    why: str
    fix: str

    @property
    def rule_label(self) -> str:
        return self.rule_ids[0] if len(self.rule_ids) == 1 else f"run-time hardening ({len(self.rule_ids)} rules)"


def entries(findings: Iterable[Finding], rule_of: Callable[[str], Rule]) -> list[Entry]:
    """Entries in the findings' order; a gathered entry stands where its first finding stood."""
    findings = list(findings)
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
            listed.append(Entry(finding.severity, (finding.rule_id,), finding.path, finding.line, finding.message, rule.why,
                                fix_of(finding, rule.remedy)))
        elif key not in done:
            done.add(key)
            listed.append(_gathered(groups[key], rule_of))
    return listed


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
    return Entry(
        severity=first.severity,
        rule_ids=tuple(rule.id for rule in rules),
        path=first.path,
        line=int(details.get("container_line") or first.line),
        message=f"{details['container']} at {first.path}:{details.get('container_line') or first.line} keeps: "
                + ", ".join(rule.keeps for rule in rules),
        why=" ".join(rule.why for rule in rules),
        fix=" ".join(rule.remedy for rule in rules) + " (`mcpharden fix` adds these settings to compose files, "
            "Kubernetes manifests and client configurations.)",
    )
