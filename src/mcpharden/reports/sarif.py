"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; artifact URIs are relative to the scanned root (`%SRCROOT%`), so uploading the
file from the repository's root places every result on its line. Files mcpharden could
not read become tool execution notifications, not results.
"""

from __future__ import annotations

import posixpath

from mcpharden.model.findings import PARSE_ERROR, Finding, Notice, Severity
from mcpharden.reports import Report

ENSURE_ASCII = False
from mcpharden.rules.base import Rule
from mcpharden.rules.pages import page_markdown, page_url
from mcpharden.safety import escape_bytes, uri_path
from mcpharden.scan import TargetResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
# GitHub maps security-severity to critical (9.0+), high (7.0+), medium (4.0+) and low (0.1+).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0", Severity.INFO: "1.0"}


def document(report: Report) -> dict:
    rules = list(report.rules)
    index = {rule.id: position for position, rule in enumerate(rules)}
    several = len(report.results) > 1
    run = {
        "tool": {
            "driver": {
                "name": "mcpharden",
                "version": report.version,
                "semanticVersion": report.version,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    _notification(result, notice, several) for result, notice in report.notices
                ],
            }
        ],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The scanned directory."}}},
        "results": [_result(result, finding, index, several) for result, finding in report.findings],
        # One category per kind of scan, so code scanning keeps repository and image results apart.
        "automationDetails": {"id": f"mcpharden/{_category(report)}/"},
    }
    result = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return result


def _category(report: Report) -> str:
    scopes = sorted({result.scope for result in report.results})
    return "-".join(scopes) or "repository"


def _rule(rule: Rule) -> dict:
    cwes = [f"external/cwe/{cwe.lower()}" for cwe in rule.cwe]
    properties: dict = {"tags": ["security", "container", rule.category, *cwes], "precision": "high",
                        "security-severity": SECURITY_SEVERITY[rule.severity]}
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "helpUri": page_url(rule.id),
        "help": {"text": rule.remedy, "markdown": page_markdown(rule).strip()},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }


def _uri(result: TargetResult, path: str, several: bool) -> str:
    """Relative to the scanned root; with several targets, relative to where mcpharden ran."""
    return uri_path(posixpath.normpath(posixpath.join(result.root, path)) if several else path)


def _location(result: TargetResult, path: str, line: int | None, several: bool) -> dict:
    physical: dict = {"artifactLocation": {"uri": _uri(result, path, several), "uriBaseId": "%SRCROOT%"}}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _result(result: TargetResult, finding: Finding, index: dict[str, int], several: bool) -> dict:
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": LEVEL[finding.severity],
        "message": {"text": escape_bytes(finding.message)},
        "locations": [_location(result, finding.path, finding.line, several)],
        "partialFingerprints": {"mcphardenFinding/v2": finding.fingerprint},
    }


def _notification(result: TargetResult, notice: Notice, several: bool) -> dict:
    """A file that does not parse is an error (it fails the gate unless told otherwise); a file
    read only in part, a warning."""
    notification = {
        "level": "error" if notice.kind == PARSE_ERROR else "warning",
        "message": {"text": escape_bytes(f"{notice.path}: {notice.message}")},
        "locations": [_location(result, notice.path, notice.line, several)],
    }
    if notice.kind == PARSE_ERROR:
        notification["descriptor"] = {"id": PARSE_ERROR}
    return notification
