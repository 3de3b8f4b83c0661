"""GitHub Actions workflow commands: each finding an annotation on its file and line
(`::error file=Dockerfile,line=2,title=root-user::...`), shown on the pull request's diff."""

from __future__ import annotations

import posixpath

from mcpharden.model.findings import PARSE_ERROR, Severity
from mcpharden.reports import Report
from mcpharden.safety import strip_control

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice", Severity.INFO: "notice"}


def render(report: Report) -> str:
    lines = []
    for result, finding in report.findings:
        path = posixpath.normpath(posixpath.join(result.root, finding.path))
        properties = f"file={_property(path)},line={finding.line},title={_property(f'mcpharden {finding.rule_id}')}"
        lines.append(f"::{LEVEL[finding.severity]} {properties}::{_data(finding.message)}")
    for result, notice in report.notices:
        path = posixpath.normpath(posixpath.join(result.root, notice.path))
        level, title = ("error", "mcpharden parse error") if notice.kind == PARSE_ERROR else ("warning", "mcpharden")
        lines.append(f"::{level} file={_property(path)}{f',line={notice.line}' if notice.line else ''},"
                     f"title={_property(title)}::{_data(notice.message)}")
    counts = ", ".join(f"{count} {label}" for label, count in report.counts().items())
    lines.append(f"mcpharden: {counts}")
    return "\n".join(lines) + "\n"


def _data(text: str) -> str:
    """A command's message, escaped as GitHub's toolkit escapes it (`%`, CR and LF would end or
    forge the command); then terminal sequences and every other control character are removed:
    the log is a terminal to whoever reads it, and an ESC or an OSC sequence (`ESC ] 8 ;; url BEL`)
    acts in it."""
    return strip_control(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _property(text: str) -> str:
    """A property's value (file, title): `:` and `,` would also end it."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
