"""GitHub Actions workflow commands: each finding an annotation on its file and line
(`::error file=Dockerfile,line=2,title=root-user::...`), shown on the pull request's diff."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from mcpharden.model.findings import PARSE_ERROR, Severity
from mcpharden.safety import strip_control

if TYPE_CHECKING:
    from mcpharden.reports import Report

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice", Severity.INFO: "notice"}


# GitHub shows at most 10 annotations of each level per step (50 per job) and drops the rest
# silently, in the order they are printed: the most severe are printed first, and one notice says
# how many were left out and where to find them.
PER_LEVEL = 10


def render(report: Report) -> str:
    commands: dict[str, list[str]] = {"error": [], "warning": [], "notice": []}
    # Files that did not parse are errors, unreadable ones warnings, before the findings: nothing in them was judged.
    for result, notice in report.notices:
        path = posixpath.normpath(posixpath.join(result.root, notice.path))
        level, title = ("error", "mcpharden parse error") if notice.kind == PARSE_ERROR else ("warning", "mcpharden")
        commands[level].append(f"::{level} file={_property(path)}{f',line={notice.line}' if notice.line else ''},"
                               f"title={_property(title)}::{_data(notice.message)}")
    for result, finding in sorted(report.findings, key=lambda pair: -pair[1].severity):  # stable: file order kept
        path = posixpath.normpath(posixpath.join(result.root, finding.path))
        properties = f"file={_property(path)},line={finding.line},title={_property(f'mcpharden {finding.rule_id}')}"
        commands[LEVEL[finding.severity]].append(f"::{LEVEL[finding.severity]} {properties}::{_data(finding.message)}")
    caps = dict.fromkeys(commands, PER_LEVEL)
    if any(len(shown) > PER_LEVEL for shown in commands.values()):
        caps["notice"] = PER_LEVEL - 1  # the closing notice takes one place of its level
    left_out = sum(max(0, len(shown) - caps[level]) for level, shown in commands.items())
    lines = [command for level, shown in commands.items() for command in shown[:caps[level]]]
    if left_out:
        lines.append(f"::notice title=mcpharden::{left_out} more finding(s) or notice(s) are not annotated (GitHub "
                     f"shows {PER_LEVEL} of each level per step): the job summary and the SARIF report hold them all")
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
