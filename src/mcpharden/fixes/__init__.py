"""Fixes: edits that resolve findings, planned per file and shown as a unified diff.

A fixer reads the same models as the rules plus the file's instruction positions, and
returns line edits and, where a safe edit is not possible, decisions for a person. Every
planned file must still parse before anything is written.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from mcpharden.syntax.text import SourceText, has_ending, newline_of, split_lines, strip_ending


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
    """The edits to one file. `original` is the file's text as `syntax.text.decode` gives it
    (bytes that are not UTF-8 kept as escapes); lines are split where the file's own parser
    splits them (`breaks`), so an edit lands on the line the parser reported."""

    path: str
    original: str
    edits: tuple[Edit, ...]
    breaks: str = "newline"
    bom: bool = False

    def fixed_text(self) -> str:
        lines = split_lines(self.original, self.breaks)
        ended = not lines or has_ending(lines[-1], self.breaks)
        newline = newline_of(lines)
        # Bottom-up, so earlier line numbers stay valid; insertions before replacements at a line.
        for edit in sorted(self.edits, key=lambda e: (e.start, e.end - e.start), reverse=True):
            replaced = lines[edit.start - 1 : edit.end]
            new = list(edit.lines)
            if len(replaced) == len(new):  # a line edited in place keeps its own line ending
                new = [line if has_ending(line, self.breaks) else line + _ending_of(old, self.breaks)
                       for line, old in zip(new, replaced)]
            lines[edit.start - 1 : edit.end] = new
        fixed = [line if has_ending(line, self.breaks) else line + newline for line in lines]
        if fixed and not ended:  # the file had no final line break, and still has none
            fixed[-1] = strip_ending(fixed[-1], self.breaks)
        return "".join(fixed)

    def fixed_bytes(self) -> bytes:
        return SourceText(self.original, self.bom).encode(self.fixed_text())

    def original_bytes(self) -> bytes:
        return SourceText(self.original, self.bom).encode()

    def diff(self) -> str:
        """A unified diff for people: credential values masked, other control characters
        escaped (the diff is a report, not a patch to apply byte for byte)."""
        from mcpharden.safety import redact_text

        before = [_display(line) for line in split_lines(self.original, self.breaks)]
        after = [_display(line) for line in split_lines(self.fixed_text(), self.breaks)]
        diff = "".join(_terminated(difflib.unified_diff(
            before, after,
            fromfile=f"a/{_display(self.path)}" if self.original else "/dev/null",
            tofile=f"b/{_display(self.path)}",
        )))
        return redact_text(diff)


def _ending_of(line: str, breaks: str) -> str:
    return line[len(strip_ending(line, breaks)):]


def _display(line: str) -> str:
    from mcpharden.safety import escape_control

    body = strip_ending(line, "yaml")
    return escape_control(body) + ("\n" if body != line else "")


def _terminated(lines):
    """difflib joins lines as given; each of ours has no ending, so add one per line."""
    for line in lines:
        yield line if line.endswith("\n") else line + "\n"
