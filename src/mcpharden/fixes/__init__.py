"""Fixes: edits that resolve findings, planned per file and shown as a unified diff.

A fixer reads the same models as the rules plus the file's instruction positions, and
returns line edits and, where a safe edit is not possible, decisions for a person. Every
planned file must still parse before anything is written.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace lines start..end (1-based, inclusive) with `lines`; end == start - 1 inserts
    before `start`."""

    start: int
    end: int
    lines: tuple[str, ...]
    rule_id: str


@dataclass(frozen=True)
class Decision:
    """A finding that is not fixed automatically, and why."""

    path: str
    line: int
    rule_id: str
    message: str


@dataclass(frozen=True)
class FilePlan:
    path: str
    original: str
    edits: tuple[Edit, ...]

    def fixed_text(self) -> str:
        lines = self.original.splitlines(keepends=True)
        newline = "\r\n" if self.original.count("\r\n") * 2 > self.original.count("\n") else "\n"
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        # Bottom-up, so earlier line numbers stay valid; insertions before replacements at a line.
        for edit in sorted(self.edits, key=lambda e: (e.start, e.end - e.start), reverse=True):
            lines[edit.start - 1 : edit.end] = [line + newline for line in edit.lines]
        return "".join(lines)

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.fixed_text().splitlines(keepends=True),
            fromfile=f"a/{self.path}" if self.original else "/dev/null",
            tofile=f"b/{self.path}",
        ))
