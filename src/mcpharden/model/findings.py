"""Severities, findings and the notices a scan gives about files it could not read."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that comparisons read naturally: CRITICAL > HIGH > MEDIUM."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    # Reserved for what hands over the host at once or is exploited in the wild (Trivy's top level).
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in reversed(cls))
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


def fail_threshold(text: str) -> Severity | None:
    """`--fail-on` value → the lowest severity that fails the run; None for "never"."""
    if text.strip().lower() == "never":
        return None
    return Severity.parse(text)


_LINE_NUMBERS = re.compile(r"\blines? \d+(?:[-–]\d+)?|:\d+\b")


@dataclass(frozen=True)
class Finding:
    """One problem at one place. `path` is relative to the scanned root, with `/`."""

    rule_id: str
    severity: Severity
    path: str
    line: int
    message: str
    end_line: int | None = None
    # Extra machine-readable facts (stage name, image reference, ...), for JSON consumers.
    details: tuple[tuple[str, str], ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """Stable across edits that only move the finding: rule, file and message with line
        numbers taken out (`(line 4)`, `Dockerfile:12`). Baselines and SARIF match on it."""
        import hashlib

        message = _LINE_NUMBERS.sub("", self.message)
        data = f"{self.rule_id}|{self.path}|{message}".encode("utf-8", "surrogateescape")
        return hashlib.sha256(data).hexdigest()[:32]

    def sort_key(self) -> tuple:
        return (self.path, self.line, -self.severity, self.rule_id, self.message)


@dataclass(frozen=True)
class Notice:
    """A file the scan could not read or parse; the rest of the scan goes on."""

    path: str
    message: str
    line: int | None = None
    # PARSE_ERROR: a file of a known kind (Dockerfile, compose, manifest, client config) that
    # does not parse, so nothing in it was judged; SUPPRESSION: a suppression that hides nothing
    # (it names no rule) or no longer (its ignore expired); every other notice is NOTE.
    kind: str = "note"


NOTE = "note"
PARSE_ERROR = "parse-error"
SUPPRESSION = "suppression"
