"""JSON for machines: {"version", "findings": [...], "notices": [...], "summary": {...}}."""

from __future__ import annotations


from mcpharden.reports import Report

ENSURE_ASCII = True
# The report's own version: docs/report.schema.json describes it; a change that removes or
# retypes a field gets a new number.
FORMAT = "mcpharden-report/1"
from mcpharden.safety import escape_bytes as shown


def document(report: Report) -> dict:
    value, grade = report.score
    result = {
        "format": FORMAT,
        "version": report.version,
        "findings": [
            {
                "rule_id": finding.rule_id,
                "severity": finding.severity.label,
                "path": shown(finding.path),
                "line": finding.line,
                "message": shown(finding.message),
                "title": report.rule(finding.rule_id).title,
                "why": report.rule(finding.rule_id).why,
                "fix": report.rule(finding.rule_id).fix,
                "target": shown(result.target),
                "details": {key: shown(value) if isinstance(value, str) else value for key, value in finding.details},
                "fingerprint": finding.fingerprint,
            }
            for result, finding in report.findings
        ],
        "notices": [
            {"path": shown(notice.path), "line": notice.line, "message": shown(notice.message), "target": shown(result.target)}
            for result, notice in report.notices
        ],
        "servers": [
            {"client": s.client, "name": shown(s.name), "path": shown(s.path), "line": s.line, "command": shown(s.command),
             "in_container": s.in_container, "target": shown(result.target)}
            for result in report.results for s in result.servers
        ],
        "cards": [dict(card.document(), target=shown(result.target)) for result in report.results for card in result.cards],
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
