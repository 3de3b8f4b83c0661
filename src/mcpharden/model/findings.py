"""Severities, findings and the notices a scan gives about files it could not read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that comparisons read naturally: HIGH > MEDIUM."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

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

    def sort_key(self) -> tuple:
        return (self.path, self.line, -self.severity, self.rule_id, self.message)


@dataclass(frozen=True)
class Notice:
    """A file the scan could not read or parse; the rest of the scan goes on."""

    path: str
    message: str
    line: int | None = None
