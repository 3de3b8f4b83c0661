"""Reports: one module per output format, each with `render(report) -> str`.

Formats are imported only when used, so `mcpharden --version` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from mcpharden.model.findings import Finding, Notice, Severity
from mcpharden.rules.base import Rule
from mcpharden.scan import TargetResult
from mcpharden.scoring import score

FORMATS = {
    "text": "mcpharden.reports.text",
    "json": "mcpharden.reports.json_report",
    "sarif": "mcpharden.reports.sarif",
    "markdown": "mcpharden.reports.markdown",
}


@dataclass(frozen=True)
class Report:
    version: str
    results: tuple[TargetResult, ...]
    rules: tuple[Rule, ...]
    fail_on: Severity | None  # None: never fail

    @property
    def findings(self) -> tuple[tuple[TargetResult, Finding], ...]:
        return tuple((result, finding) for result in self.results for finding in result.findings)

    @property
    def notices(self) -> tuple[tuple[TargetResult, Notice], ...]:
        return tuple((result, notice) for result in self.results for notice in result.notices)

    @property
    def score(self) -> tuple[int, str]:
        return score(finding for _, finding in self.findings)

    def counts(self) -> dict[str, int]:
        counts = {severity.label: 0 for severity in reversed(Severity)}
        for _, finding in self.findings:
            counts[finding.severity.label] += 1
        return counts

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.rules if rule.id == rule_id)

    @property
    def failed(self) -> bool:
        return self.fail_on is not None and any(f.severity >= self.fail_on for _, f in self.findings)


def render(format_name: str, report: Report) -> str:
    """Every format passes the same gate: no credential value leaves mcpharden."""
    from mcpharden.reports.safety import redact_text

    return redact_text(import_module(FORMATS[format_name]).render(report))

