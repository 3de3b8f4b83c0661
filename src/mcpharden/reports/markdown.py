"""Markdown for pull-request comments: a summary line and a table of findings.

Every string from a scan (a path, a message, a server's name) is data: `text` and `code` make it
inert in a table cell or a list item of any Markdown report (this one, `mcpharden report`'s) -
no HTML, no link or emphasis it did not mean, no pipe that ends a cell, no line break that ends a
row, no control character that reaches a terminal.
"""

from __future__ import annotations

import re

from mcpharden.model.findings import PARSE_ERROR, SUPPRESSION
from mcpharden.reports import Report
from mcpharden.reports.entries import entries
from mcpharden.rules.pages import page_url
from mcpharden.safety import strip_control

_ICONS = {"critical": "🟣", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def render(report: Report) -> str:
    verdict = report.verdict
    counts = " · ".join(f"{_ICONS[label]} {count} {label}" for label, count in report.counts().items())
    if report.nothing_scanned:
        heading = "nothing scanned, no score"
    else:
        heading = f"container score {verdict.score}/100 (grade {verdict.grade})" if verdict.graded else "not graded"
    lines = [f"## mcpharden: {heading}", "", counts, ""]
    if not report.nothing_scanned:
        lines += [f"{'Graded by' if verdict.graded else 'Not graded'}: {text(verdict.reason)}", ""]
    if report.findings:
        lines += ["| Severity | Rule | Location | Finding | Fix |", "| --- | --- | --- | --- | --- |"]
        listed = [entry for result in report.results for entry in entries(result.findings, report.rule)]
        for entry in sorted(listed, key=lambda entry: -entry.severity):  # stable: file order within a severity
            location = code(f"{entry.path}:{entry.line}")
            rules = ", ".join(f"[`{rule_id}`]({page_url(rule_id)})" for rule_id in entry.rule_ids)
            lines.append(
                f"| {_ICONS[entry.severity.label]} {entry.severity.label} | {rules} | {location} "
                f"| {text(entry.message)} | {text(entry.fix)} |"
            )
    else:
        lines.append("No findings. ✅")
    if report.parse_errors:  # in view, not folded: they fail the gate as findings do
        gate = "the gate fails" if report.fail_on_parse_error and report.fail_on is not None else "not judged"
        lines += ["", f"**Files that do not parse ({gate}):**", ""]
        lines += [f"- ❌ {code(notice.path)}: {text(notice.message)}" for _, notice in report.parse_errors]
    for summary, kinds in (("Suppressions that hide nothing, or no longer", {SUPPRESSION}), ("Files not scanned", None)):
        shown = [notice for _, notice in report.notices
                 if (notice.kind in kinds if kinds else notice.kind not in (PARSE_ERROR, SUPPRESSION))]
        if shown:
            lines += ["", f"<details><summary>{summary}</summary>", ""]
            lines += [f"- {code(notice.path)}: {text(notice.message)}" for notice in shown]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


_TICKS = re.compile(r"`+")
_PROSE_SPECIAL = re.compile(r"([\\`*\[\]~|])")  # backslash-escaped: literal in Markdown, and `\|` in a table
_UNDERSCORES = re.compile(r"_+")


def text(value: object) -> str:
    """Prose that may hold `code spans` (a finding's message): the spans stay code, the rest is
    shown as written."""
    written = strip_control(str(value))
    return "".join(code(part) if is_code else _prose(part) for is_code, part in _code_spans(written))


def code(value: object) -> str:
    """Inline code whatever it holds: its fence is longer than any backtick run inside, so no
    backtick in a file name closes it early; inside, only the table's `|` needs escaping."""
    inside = strip_control(str(value)).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _TICKS.findall(inside)), default=0) + 1)
    padded = f" {inside} " if inside[:1] in ("`", " ") or inside[-1:] in ("`", " ") else inside
    return f"{fence}{padded}{fence}"


def _prose(part: str) -> str:
    escaped = _UNDERSCORES.sub(_underscores, _PROSE_SPECIAL.sub(r"\\\1", part))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _underscores(match: re.Match[str]) -> str:
    """Underscores between two letters or digits (`owner__name`) never emphasise: kept as written,
    so names stay readable in the Markdown source; any other run is escaped."""
    text, start, end = match.string, match.start(), match.end()
    inside_word = start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    return match.group() if inside_word else "\\_" * (end - start)


def _code_spans(written: str) -> list[tuple[bool, str]]:
    """(is code, text) parts as CommonMark pairs backticks: a run opens a span that the next run
    of the same length closes; a run nothing closes is literal. Linear in the runs."""
    runs = list(_TICKS.finditer(written))
    closer: dict[int, int] = {}  # a run's index -> the next run of its length
    last: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = len(runs[index].group())
        if length in last:
            closer[index] = last[length]
        last[length] = index
    parts: list[tuple[bool, str]] = []
    position, index = 0, 0
    while index < len(runs):
        if index not in closer:
            index += 1
            continue
        closing = closer[index]
        parts.append((False, written[position:runs[index].start()]))
        parts.append((True, written[runs[index].end():runs[closing].start()]))
        position, index = runs[closing].end(), closing + 1
    parts.append((False, written[position:]))
    return [(is_code, part) for is_code, part in parts if part or is_code]
