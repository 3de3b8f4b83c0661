"""JSON for machines: {"version", "findings": [...], "notices": [...], "summary": {...}}."""

from __future__ import annotations

from mcpharden.reports.entries import group_key

ENSURE_ASCII = True
# The report's own version: docs/report.schema.json describes it; a change that removes or
# retypes a field gets a new number.
FORMAT = "mcpharden-report/1"
from typing import TYPE_CHECKING

from mcpharden.reports.entries import fix_of
from mcpharden.safety import escape_bytes

if TYPE_CHECKING:
    from mcpharden.reports import Report


def document(report: Report) -> dict:
    verdict = report.verdict
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
                # Shared by the findings of one weakness repeated in several places.
                "group": group_key(finding),
            }
            for result, finding in report.findings
        ],
        "notices": [
            {"path": escape_bytes(notice.path), "line": notice.line, "message": escape_bytes(notice.message),
             "kind": notice.kind, "target": escape_bytes(result.target)}
            for result, notice in report.notices
        ],
        # What the repository's own suppressions hide (inline comments with their reason, the
        # ignore file's entries with theirs, per-file-ignores): out of `findings` when honoured.
        "suppressions": [
            {"rule_id": s.finding.rule_id, "path": escape_bytes(s.finding.path), "line": s.finding.line,
             "by": escape_bytes(s.by), "target": escape_bytes(result.target)}
            for result in report.results for s in result.repository_suppressions
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
            "score": verdict.score,
            "grade": verdict.grade,
            # Why there is no grade (nothing judged, a file that did not parse, no server), or how
            # the grade was reached (the worst server card).
            "grade_reason": escape_bytes(verdict.reason),
            "fail_on": report.fail_on.label if report.fail_on is not None else "never",
            "parse_errors": len(report.parse_errors),
            "fail_on_parse_error": report.fail_on_parse_error,
            "failed": report.failed,
        },
    }
    return result
