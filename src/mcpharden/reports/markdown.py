"""Markdown for pull-request comments: a summary line, a table per rule, the most severe findings
and the rest under <details>, always under MAX_CHARS (a line says what was left out).

Every string from a scan (a path, a message, a server's name) is data: `text` and `code` make it
inert in a table cell or a list item of any Markdown report (this one, `mcpharden report`'s) -
no HTML, no link or emphasis it did not mean, no pipe that ends a cell, no line break that ends a
row, no control character that reaches a terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from mcpharden.model.findings import PARSE_ERROR, SUPPRESSION
from mcpharden.reports.entries import entries, places_text
from mcpharden.rules.pages import page_url
from mcpharden.safety import strip_control

if TYPE_CHECKING:
    from mcpharden.reports import Report

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
    notices = _notices(report)
    if report.findings:
        budget = MAX_CHARS - _length(lines) - _length(notices) - _MARGIN
        lines += _findings(report, budget)
    else:
        lines.append("No findings. ✅")
    return "\n".join(lines + notices) + "\n"


def _notices(report: Report) -> list[str]:
    """Files that do not parse, in view (they fail the gate as findings do); suppressions that
    hide nothing and files not scanned, folded; each list cut to its share of the budget."""
    notices: list[str] = []
    if report.parse_errors:
        gate = "the gate fails" if report.fail_on_parse_error and report.fail_on is not None else "not judged"
        shown = [f"- ❌ {code(notice.path)}: {text(notice.message)}" for _, notice in report.parse_errors]
        kept = _fitting(shown, MAX_CHARS // 8)
        notices += ["", f"**Files that do not parse ({gate}):**", "", *kept]
        if len(kept) < len(shown):
            notices.append(f"- _{len(shown) - len(kept)} more files that do not parse left out to keep this report short_")
    for summary, kinds in (("Suppressions that hide nothing, or no longer", {SUPPRESSION}), ("Files not scanned", None)):
        shown = [notice for _, notice in report.notices
                 if (notice.kind in kinds if kinds else notice.kind not in (PARSE_ERROR, SUPPRESSION))]
        if shown:
            folded = ["", f"<details><summary>{summary}</summary>", ""]
            folded += [f"- {code(notice.path)}: {text(notice.message)}" for notice in shown]
            folded += ["", "</details>"]
            notices += _within(folded, MAX_CHARS // 8, summary.lower())
    return notices


# GitHub refuses a comment over 65,536 characters; the report stays under this whatever the
# repository, with room for what a workflow adds around it.
MAX_CHARS = 60_000
_MARGIN = 200  # the closing lines that say what was left out
TOP_ENTRIES = 25  # the most severe entries, shown in the open table; the rest under <details>
PLACES_SHOWN = 5  # per table cell
_TABLE = ["| Severity | Rule | Location | Finding | Fix |", "| --- | --- | --- | --- | --- |"]


def _findings(report: Report, budget: int) -> list[str]:
    """A summary table, the most severe entries, the rest under <details>, and a line saying
    what did not fit in `budget` characters. Entries from files that ship come first, most
    severe first; documentation entries after them."""
    listed = [entry for result in report.results for entry in entries(result.findings, report.rule)]
    ordered = (sorted((e for e in listed if not e.documentation), key=lambda e: -e.severity)  # stable: file order
               + sorted((e for e in listed if e.documentation), key=lambda e: -e.severity))
    lines = _summary_table(report, listed)
    # The rest have their fix shorter (each rule's page has it whole) so that more of them fit.
    top = [_row(entry) for entry in ordered[:TOP_ENTRIES]]
    rest = [_row(entry, fix_chars=120) for entry in ordered[TOP_ENTRIES:]]
    lines += ["", "### Most severe findings", "", *_TABLE]
    shown = _fitting(top, budget - _length(lines))
    lines += shown
    if len(shown) == len(top) and rest:
        opening = ["", f"<details><summary>{len(rest)} more findings</summary>", "", *_TABLE]
        closing = ["", "</details>"]
        room = budget - _length(lines) - _length(opening) - _length(closing)
        if room > 0:
            more = _fitting(rest, room)
            lines += opening + more + closing
            shown += more
    shown_count = len(shown)
    if shown_count < len(ordered):
        left = ordered[shown_count:]
        places = sum(len(entry.places) for entry in left)
        lines += ["", f"_{len(left)} more findings ({places} places) are left out to keep this report under "
                      f"{MAX_CHARS:,} characters: `mcpharden scan --format json` or `--format sarif` lists every one._"]
    return lines


def _fitting(rows: list[str], room: int) -> list[str]:
    """The first rows that fit in `room` characters together."""
    kept: list[str] = []
    for row in rows:
        room -= _size(row) + 1
        if room < 0:
            break
        kept.append(row)
    return kept


def _summary_table(report: Report, listed) -> list[str]:
    """One row per rule: its worst severity, its findings, and where it was found (files that
    ship, documentation), counted in places."""
    findings = Counter(finding.rule_id for _, finding in report.findings)
    rows: dict[str, list] = {}
    for entry in listed:
        for rule_id in entry.rule_ids:
            row = rows.setdefault(rule_id, [entry.severity, 0, 0])
            row[0] = max(row[0], entry.severity)
            row[2 if entry.documentation else 1] += len(entry.places)
    lines = ["| Rule | Severity | Findings | Places in files that ship | Places in documentation |",
             "| --- | --- | --- | --- | --- |"]
    for rule_id, (severity, shipped, documented) in sorted(rows.items(), key=lambda item: (-item[1][0], item[0])):
        lines.append(f"| [`{rule_id}`]({page_url(rule_id)}) | {_ICONS[severity.label]} {severity.label} | {findings[rule_id]} "
                     f"| {shipped} | {documented} |")
    return lines


def _row(entry, fix_chars: int = 600) -> str:
    location = places_text(entry, PLACES_SHOWN, code)
    where = f"{location} (documentation)" if entry.documentation else location
    rules = ", ".join(f"[`{rule_id}`]({page_url(rule_id)})" for rule_id in entry.rule_ids)
    return (f"| {_ICONS[entry.severity.label]} {entry.severity.label} | {rules} | {where} "
            f"| {text(_clipped(entry.message))} | {text(_clipped(entry.fix, fix_chars))} |")


def _clipped(value: str, limit: int = 600) -> str:
    """A cell's text: one message that lists thousands of files must not fill the report."""
    return value if len(value) <= limit else value[:limit].rstrip() + " …"


def _within(lines: list[str], budget: int, what: str) -> list[str]:
    """`lines` (a <details> list ending in `</details>`) cut to `budget` characters, with a line
    that says how many were left out."""
    if _length(lines) <= budget:
        return lines
    body = lines[:-2]
    kept = _fitting(body, budget - 200)
    left = len(body) - len(kept)
    return kept + [f"- _{left} more {what} left out to keep this report short_", "", "</details>"]


def _length(lines: list[str]) -> int:
    """Counted in UTF-8 bytes, more than characters and UTF-16 units (an emoji is two of
    those): whichever way the comment's host counts, the report is under MAX_CHARS."""
    return sum(_size(line) + 1 for line in lines)


def _size(line: str) -> int:
    return len(line.encode("utf-8", "surrogateescape"))


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
