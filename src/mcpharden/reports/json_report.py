"""JSON for machines: {"version", "findings": [...], "notices": [...], "summary": {...}}."""

from __future__ import annotations

from mcpharden.reports import Report

ENSURE_ASCII = True
# The report's own version: docs/report.schema.json describes it; a change that removes or
# retypes a field gets a new number.
FORMAT = "mcpharden-report/1"
from mcpharden.reports.entries import fix_of
from mcpharden.safety import escape_bytes


def document(report: Report) -> dict:
    value, grade = report.score
    result = {
        "format": FORMAT,
        "version": report.version,
        "findings": [
            {
                "rule_id": finding.rule_id,
                "severity": finding.severity.label,
                "path": escape_bytes(finding.path),
                "line": finding.line,
                "message": escape_bytes(finding.message),
                "title": report.rule(finding.rule_id).title,
                "why": report.rule(finding.rule_id).why,
                "fix": fix_of(finding, report.rule(finding.rule_id).remedy),
                "target": escape_bytes(result.target),
                "details": {key: escape_bytes(value) if isinstance(value, str) else value for key, value in finding.details},
                "fingerprint": finding.fingerprint,
            }
            for result, finding in report.findings
        ],
        "notices": [
            {"path": escape_bytes(notice.path), "line": notice.line, "message": escape_bytes(notice.message),
             "target": escape_bytes(result.target)}
            for result, notice in report.notices
        ],
        "servers": [
            {"client": s.client, "name": escape_bytes(s.name), "path": escape_bytes(s.path), "line": s.line,
             "command": escape_bytes(s.command), "in_container": s.in_container, "target": escape_bytes(result.target)}
            for result in report.results for s in result.servers
        ],
        "cards": [dict(card.document(), target=escape_bytes(result.target))
                  for result in report.results for card in result.cards],
        "summary": {
            "counts": report.counts(),
            "total": len(report.findings),
            "suppressed": sum(r.suppressed for r in report.results),
            "files_scanned": sum(r.files_scanned for r in report.results),
            "score": None if report.nothing_scanned else value,
            "grade": None if report.nothing_scanned else grade,
            "fail_on": report.fail_on.label if report.fail_on is not None else "never",
            "failed": report.failed,
        },
    }
    return result
