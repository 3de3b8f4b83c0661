"""JSON for machines: {"version", "findings": [...], "notices": [...], "summary": {...}}."""

from __future__ import annotations

import json

from mcpharden.reports import Report


def render(report: Report) -> str:
    value, grade = report.score
    document = {
        "version": report.version,
        "findings": [
            {
                "rule_id": finding.rule_id,
                "severity": finding.severity.label,
                "path": finding.path,
                "line": finding.line,
                "message": finding.message,
                "title": report.rule(finding.rule_id).title,
                "why": report.rule(finding.rule_id).why,
                "fix": report.rule(finding.rule_id).fix,
                "target": result.target,
                "details": dict(finding.details),
            }
            for result, finding in report.findings
        ],
        "notices": [
            {"path": notice.path, "line": notice.line, "message": notice.message, "target": result.target}
            for result, notice in report.notices
        ],
        "servers": [
            {"client": s.client, "name": s.name, "path": s.path, "line": s.line, "command": s.command,
             "in_container": s.in_container, "target": result.target}
            for result in report.results for s in result.servers
        ],
        "summary": {
            "counts": report.counts(),
            "total": len(report.findings),
            "suppressed": sum(r.suppressed for r in report.results),
            "files_scanned": sum(r.files_scanned for r in report.results),
            "score": value,
            "grade": grade,
            "fail_on": report.fail_on.label if report.fail_on is not None else "never",
            "failed": report.failed,
        },
    }
    return json.dumps(document, indent=2) + "\n"
