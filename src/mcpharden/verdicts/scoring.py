"""The container score: 100, minus 20 per HIGH, 10 per MEDIUM, 5 per LOW finding (floor 0).

Grades: A ≥ 90 with no HIGH finding, B ≥ 80, C ≥ 70, D ≥ 60, else F. docs/scoring.md
explains the choice.
"""

from __future__ import annotations

from collections.abc import Iterable

from mcpharden.model.findings import Finding, Severity

PENALTY = {Severity.CRITICAL: 20, Severity.HIGH: 20, Severity.MEDIUM: 10, Severity.LOW: 5, Severity.INFO: 0}
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def score(findings: Iterable[Finding]) -> tuple[int, str]:
    findings = list(findings)
    value = max(0, 100 - sum(PENALTY[f.severity] for f in findings))
    has_high = any(f.severity >= Severity.HIGH for f in findings)
    for threshold, grade in GRADES:
        if value >= threshold and not (grade == "A" and has_high):
            return value, grade
    return value, "F"
