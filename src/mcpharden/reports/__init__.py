"""Reports: one module per output format. Text formats have `render(report) -> str`; JSON
formats have `document(report) -> dict`, serialised here, so that the safety gate masks each
string of the document rather than the escaped text.

Formats are imported only when used, so `mcpharden --version` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING

from mcpharden.model.findings import PARSE_ERROR, Finding, Notice, Severity

if TYPE_CHECKING:
    from mcpharden.rules.base import Rule
    from mcpharden.scan.results import TargetResult
    from mcpharden.verdicts.scoring import Verdict

FORMATS = {
    "text": "mcpharden.reports.text",
    "json": "mcpharden.reports.json_report",
    "sarif": "mcpharden.reports.sarif",
    "markdown": "mcpharden.reports.markdown",
    "github": "mcpharden.reports.github",
}


@dataclass(frozen=True)
class Report:
    """The results of one run, with what every output format needs."""

    version: str
    results: tuple[TargetResult, ...]
    fail_on: Severity | None  # None: never fail
    # A file of a known kind that does not parse fails the gate too (as hadolint does), unless
    # `--no-fail-on-parse-error` / `fail-on-parse-error = false`; `--fail-on never` never fails.
    fail_on_parse_error: bool = True

    # Cached: every format asks for these many times (a report holds thousands of findings).
    @cached_property
    def findings(self) -> tuple[tuple[TargetResult, Finding], ...]:
        return tuple((result, finding) for result in self.results for finding in result.findings)

    @cached_property
    def notices(self) -> tuple[tuple[TargetResult, Notice], ...]:
        return tuple((result, notice) for result in self.results for notice in result.notices)

    @cached_property
    def parse_errors(self) -> tuple[tuple[TargetResult, Notice], ...]:
        """The notices of files of a known kind that do not parse: nothing in them was judged."""
        return tuple((result, notice) for result, notice in self.notices if notice.kind == PARSE_ERROR)

    @property
    def nothing_scanned(self) -> bool:
        """No file the rules judge was read (an empty folder, a file of no known kind): a
        grade would claim a verdict that was never made."""
        return sum(result.files_scanned for result in self.results) == 0 and not self.findings

    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule (SARIF describes them all); a format that names only the rules of its
        findings asks `rule`, which imports no other."""
        from mcpharden.rules import all_rules

        return all_rules()

    @cached_property
    def verdict(self) -> Verdict:
        """The grade of what was scanned: its worst server card, or not graded with the reason."""
        from mcpharden.verdicts.scoring import verdict

        return verdict((card for result in self.results for card in result.cards), (n for _, n in self.notices),
                       sum(result.files_scanned for result in self.results),
                       clients=bool(self.results) and all(result.scope == "clients" for result in self.results))

    @property
    def score(self) -> tuple[int | None, str | None]:
        """(score, grade) of the verdict: (None, None) when not graded."""
        return self.verdict.score, self.verdict.grade

    def counts(self) -> dict[str, int]:
        counts = {severity.label: 0 for severity in reversed(Severity)}
        for _, finding in self.findings:
            counts[finding.severity.label] += 1
        return counts

    def rule(self, rule_id: str) -> Rule:
        from mcpharden.rules import rule

        return rule(rule_id)

    @property
    def failed(self) -> bool:
        if self.fail_on is None:
            return False
        return any(f.severity >= self.fail_on for _, f in self.findings) or (self.fail_on_parse_error and bool(self.parse_errors))


def render(format_name: str, report: Report, quiet: bool = False, colour: bool = False, cards: bool = False) -> str:
    """Every format passes the same gate: no credential value leaves mcpharden. `quiet` and
    `colour` shape the text report (one line per finding; ANSI colours for a terminal)."""
    from mcpharden.safety import redact_document, redact_text

    module = import_module(FORMATS[format_name])
    if hasattr(module, "document"):
        from mcpharden.util.jsontext import dumps

        return dumps(redact_document(module.document(report)), ensure_ascii=module.ENSURE_ASCII) + "\n"
    style = {"quiet": quiet, "colour": colour, "cards": cards} if format_name == "text" else {}
    return redact_text(module.render(report, **style))

