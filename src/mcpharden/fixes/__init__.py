"""Fixes: edits that resolve findings, planned per file and shown as a unified diff.

A fixer reads the same models as the rules plus the file's instruction positions, and
returns line edits and, where a safe edit is not possible, decisions for a person. Every
planned file must still parse before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mcpharden.syntax.text import SourceText, has_ending, newline_of, split_lines, strip_ending

# Above a hunk of a dry-run diff that shows a masked value or an escape: it no longer applies as a patch.
REDACTED_HUNK = ("# mcpharden: the next hunk is shown with credential values masked (***), so it does not apply as a patch; "
                 "`mcpharden fix --write` applies the real change\n")
ESCAPED_HUNK = ("# mcpharden: the next hunk shows control characters or line breaks as escapes, so it does not apply as a "
                "patch; `mcpharden fix --write` applies the real change\n")


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
        """A unified diff that `git apply` applies, for people: each line with its own ending
        (`\\r\\n` kept, a missing final one marked as unified diffs mark it), tabs as they are,
        the BOM on the first line; other control characters escaped and credential values masked,
        each line judged in its whole file (a `name:` above the hunk, a private key that starts
        before it). A hunk that shows an escape or a masked value, changed or context line, no
        longer applies as a patch: a line above it says so, and stops `git apply` (it refuses
        the whole patch) where it would otherwise write `***`."""
        from difflib import SequenceMatcher

        from mcpharden.safety import redact_text

        before, before_exact = self._shown(self.original)
        after, after_exact = self._shown(self.fixed_text())
        shown_before, shown_after = _redacted(before), _redacted(after)
        header = [f"--- {f'a/{_display(self.path)}' if self.original else '/dev/null'}\n", f"+++ b/{_display(self.path)}\n"]
        shown = [redact_text(line) for line in header]
        renamed = shown != header  # a path that shows a credential: the patch would name another file
        for group in SequenceMatcher(None, before, after).get_grouped_opcodes(3):
            hunk = _hunk(group, shown_before, shown_after)
            if renamed or hunk != _hunk(group, before, after):
                shown.append(REDACTED_HUNK)
            elif not all(before_exact[i] for _, i1, i2, _, _ in group for i in range(i1, i2)) or \
                    not all(after_exact[j] for _, _, _, j1, j2 in group for j in range(j1, j2)):
                shown.append(ESCAPED_HUNK)
            shown += hunk
            renamed = False
        return "".join(shown) if len(shown) > len(header) else ""

    def _shown(self, text: str) -> tuple[list[str], list[bool]]:
        """The diff lines of `text` (each with its ending, as the file has it), and whether each
        is shown byte for byte (False: an escape stands for a character the file holds)."""
        from mcpharden.safety import escape_control

        lines, exact = [], []
        for number, line in enumerate(split_lines(text, self.breaks)):
            body = strip_ending(line, self.breaks)
            ending = line[len(body):]
            shown = "\t".join(escape_control(part) for part in body.split("\t"))
            kept = ending in ("", "\n", "\r\n")
            lines.append(("\ufeff" if self.bom and number == 0 else "") + shown + (ending if kept else "\n"))
            exact.append(kept and shown == body)
        return lines, exact


def shown_decisions(decisions: Sequence[Decision]) -> str:
    """What `fix` leaves to a person, as `fix` prints it and `preview_fix` answers it: every line
    through the credential gate (values masked, control characters escaped)."""
    from mcpharden.safety import shown_line

    if not decisions:
        return ""
    return "Not fixed automatically:\n" + "".join(
        shown_line(f"  {d.path}:{d.line}: {f'{d.rule_id}: ' if d.rule_id else ''}{d.message}") + "\n" for d in decisions)


def _redacted(lines: list[str]) -> list[str]:
    """Diff lines (each with its ending where the file had one) as the credential gate shows them,
    judged together in their file."""
    from mcpharden.safety import redact_lines

    bodies = [line.removesuffix("\n").removesuffix("\r") for line in lines]
    shown = redact_lines(bodies)
    if shown == bodies:
        return lines
    return [body + line[len(original):] for body, line, original in zip(shown, lines, bodies)]


def _hunk(group, before: list[str], after: list[str]) -> list[str]:
    """One hunk of a unified diff as difflib.unified_diff writes it, every line ending in "\\n"."""
    first, last = group[0], group[-1]
    lines = [f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"]
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            lines += [" " + line for line in before[i1:i2]]
            continue
        if tag in ("replace", "delete"):
            lines += ["-" + line for line in before[i1:i2]]
        if tag in ("replace", "insert"):
            lines += ["+" + line for line in after[j1:j2]]
    return [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it (difflib's own formatting)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if not length else start + 1},{length}"


def _ending_of(line: str, breaks: str) -> str:
    return line[len(strip_ending(line, breaks)):]


def _display(line: str) -> str:
    from mcpharden.safety import escape_control

    body = strip_ending(line, "yaml")
    return escape_control(body) + ("\n" if body != line else "")
