"""Markdown for pull-request comments: a summary line and a table of findings."""

from __future__ import annotations

from mcpharden.reports import Report
from mcpharden.reports.entries import entries
from mcpharden.rules.pages import page_url
from mcpharden.reports.safety import escape_control

_ICONS = {"high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def render(report: Report) -> str:
    value, grade = report.score
    counts = " · ".join(f"{_ICONS[label]} {count} {label}" for label, count in report.counts().items())
    heading = "nothing scanned, no score" if report.nothing_scanned else f"container score {value}/100 (grade {grade})"
    lines = [f"## mcpharden: {heading}", "", counts, ""]
    if report.findings:
        lines += ["| Severity | Rule | Location | Finding | Fix |", "| --- | --- | --- | --- | --- |"]
        listed = [entry for result in report.results for entry in entries(result.findings, report.rule)]
        for entry in sorted(listed, key=lambda entry: -entry.severity):  # stable: file order within a severity
            location = _code(f"{entry.path}:{entry.line}")
            rules = ", ".join(f"[`{rule_id}`]({page_url(rule_id)})" for rule_id in entry.rule_ids)
            lines.append(
                f"| {_ICONS[entry.severity.label]} {entry.severity.label} | {rules} | {location} "
                f"| {_cell(entry.message)} | {_cell(entry.fix)} |"
            )
    else:
        lines.append("No findings. ✅")
    if report.notices:
        lines += ["", "<details><summary>Files not scanned</summary>", ""]
        lines += [f"- {_code(notice.path)}: {_cell(notice.message)}" for _, notice in report.notices]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Table-cell text: control characters escaped, Markdown and HTML made inert."""
    return escape_control(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """Inline code that a backtick in a file name cannot close early."""
    text = escape_control(text).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"
