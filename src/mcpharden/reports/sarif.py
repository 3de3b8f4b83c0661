"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run. Artifact URIs are relative to the repository root (the folder that holds `.git`) of
what was scanned, so a scan of a sub-folder (`scan services/api`) uploaded from the checkout
places every result on its line; outside a repository they are relative to the scanned root
(or, with several targets, to where mcpharden ran). `originalUriBaseIds` says which folder
`%SRCROOT%` is. Image findings point at the Dockerfile the image was built from when it is
known (`scan --image`), otherwise at the image file or reference as a relative URI. Files
mcpharden could not read become tool execution notifications, not results. Each advisory of
`known-vulnerability` is a rule of its own, ranked by its CVSS score.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden.model.findings import PARSE_ERROR, Finding, Notice, Severity
from mcpharden.reports.entries import group_key
from mcpharden.rules.pages import page_markdown, page_url
from mcpharden.safety import escape_bytes, uri_path

if TYPE_CHECKING:
    from mcpharden.reports import Report
    from mcpharden.rules.base import Rule
    from mcpharden.scan import TargetResult

ENSURE_ASCII = False
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mcpharden/mcpharden"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
# GitHub maps security-severity to critical (9.0+), high (7.0+), medium (4.0+) and low (0.1+).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0", Severity.INFO: "1.0"}
VULNERABILITY_RULE = "known-vulnerability"


def document(report: Report) -> dict:
    rules = list(report.rules)
    advisories = _advisory_rules(report)
    descriptors = [_rule(rule) for rule in rules] + list(advisories.values())
    index = {descriptor["id"]: position for position, descriptor in enumerate(descriptors)}
    base = _base(report)
    run = {
        "tool": {
            "driver": {
                "name": "mcpharden",
                "version": report.version,
                "semanticVersion": report.version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    _notification(result, notice, base) for result, notice in report.notices
                ],
            }
        ],
        "originalUriBaseIds": {"%SRCROOT%": _base_description(base)},
        "results": [_result(result, finding, index, base) for result, finding in report.findings],
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


@dataclass(frozen=True)
class _Base:
    """The folder result URIs are relative to: a repository root (`repository`), or else the
    scanned root (one target) or where mcpharden ran (several)."""

    folder: str  # absolute
    repository: bool


def _base(report: Report) -> _Base:
    roots = [os.path.abspath(result.root) for result in report.results] or [os.getcwd()]
    repositories = {_repository_root(root) for root in roots}
    if len(repositories) == 1 and None not in repositories:
        return _Base(repositories.pop(), True)
    return _Base(roots[0] if len(roots) == 1 else os.getcwd(), False)


@lru_cache(maxsize=256)
def _repository_root(folder: str) -> str | None:
    """The nearest folder at or above `folder` that holds `.git` (a folder, or the file of a
    worktree or submodule), as git finds it; None outside a repository."""
    current = Path(folder)
    for candidate in (current, *current.parents):
        if os.path.lexists(candidate / ".git"):
            return str(candidate)
    return None


def _base_description(base: _Base) -> dict:
    text = "The repository's root." if base.repository else "The scanned directory."
    return {"uri": Path(base.folder).as_uri().rstrip("/") + "/", "description": {"text": text}}


def _uri(result: TargetResult, path: str, base: _Base) -> str:
    absolute = os.path.normpath(os.path.join(os.path.abspath(result.root), path))
    relative = os.path.relpath(absolute, base.folder).replace(os.sep, "/")
    # A `:` in the first segment would read as a URI scheme (`app:1` of an image reference).
    return uri_path(relative).replace(":", "%3A")


def _location(result: TargetResult, path: str, line: int | None, base: _Base) -> dict:
    physical: dict = {"artifactLocation": {"uri": _uri(result, path, base), "uriBaseId": "%SRCROOT%"}}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _result(result: TargetResult, finding: Finding, index: dict[str, int], base: _Base) -> dict:
    rule_id = _advisory_id(finding) or finding.rule_id
    path, line = finding.path, finding.line
    if _from_image(result, finding):  # where the image's user, tools and packages are decided
        path, line = result.image_dockerfile, 1
    return {
        "ruleId": rule_id,
        "ruleIndex": index[rule_id],
        "level": LEVEL[finding.severity],
        "message": {"text": escape_bytes(finding.message)},
        "locations": [_location(result, path, line, base)],
        "partialFingerprints": {"mcphardenFinding/v2": finding.fingerprint},
        # The same weakness repeated in several places shares the key (text and Markdown show one entry).
        "properties": {"group": group_key(finding)},
    }


def _from_image(result: TargetResult, finding: Finding) -> bool:
    """A finding about a built image itself (at the image's path), in a scan that knows the
    Dockerfile it was built from."""
    return bool(result.image_dockerfile) and finding.path in result.image_paths and finding.path != result.image_dockerfile


def _advisory_id(finding: Finding) -> str | None:
    if finding.rule_id != VULNERABILITY_RULE:
        return None
    return dict(finding.details).get("advisory") or None


def _advisory_rules(report: Report) -> dict[str, dict]:
    """One rule per advisory the findings name: code scanning ranks alerts by their rule's
    security-severity, so each advisory carries its own CVSS score (or its label's)."""
    rules: dict[str, dict] = {}
    for _, finding in report.findings:
        advisory = _advisory_id(finding)
        if advisory is None or advisory in rules:
            continue
        details = dict(finding.details)
        summary = str(details.get("summary") or f"{advisory} in {details.get('package', 'a package')}")
        score = str(details.get("cvss") or "") or SECURITY_SEVERITY[finding.severity]
        known = report.rule(VULNERABILITY_RULE)
        rules[advisory] = {
            "id": advisory,
            "name": "KnownVulnerability",
            "shortDescription": {"text": escape_bytes(summary)},
            "fullDescription": {"text": escape_bytes(f"{advisory}: {summary}")},
            "helpUri": f"https://osv.dev/vulnerability/{uri_path(advisory)}",
            "help": {"text": known.remedy, "markdown": f"[{advisory}](https://osv.dev/vulnerability/{uri_path(advisory)}): "
                     f"{known.remedy} See [{VULNERABILITY_RULE}]({page_url(VULNERABILITY_RULE)})."},
            "defaultConfiguration": {"level": LEVEL[finding.severity]},
            "properties": {"tags": ["security", "vulnerability", VULNERABILITY_RULE], "precision": "high",
                           "security-severity": score},
        }
    return rules


def _notification(result: TargetResult, notice: Notice, base: _Base) -> dict:
    """A file that does not parse is an error (it fails the gate unless told otherwise); a file
    read only in part, a warning."""
    notification = {
        "level": "error" if notice.kind == PARSE_ERROR else "warning",
        "message": {"text": escape_bytes(f"{notice.path}: {notice.message}")},
        "locations": [_location(result, notice.path, notice.line, base)],
    }
    if notice.kind == PARSE_ERROR:
        notification["descriptor"] = {"id": PARSE_ERROR}
    return notification
