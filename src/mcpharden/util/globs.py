"""Shell-style name patterns, matched the way `fnmatch.fnmatchcase` matches them.

fnmatch compiles a regular expression for every new pattern, and a scan meets about a hundred
(discovery, client files, base images, CI actions): a few milliseconds of every start-up. The
shapes the tables use, a literal with at most one `*` or a `*part*`, are answered with string
operations; anything else goes to fnmatch. As in fnmatch, `*` also matches `/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache


def glob_match(text: str, pattern: str) -> bool:
    """fnmatchcase(text, pattern)."""
    return _matches(text, pattern, _shape(pattern))


def _matches(text: str, pattern: str, shape: tuple[str, str, str] | None) -> bool:
    if shape is None:
        from fnmatch import fnmatchcase

        return fnmatchcase(text, pattern)
    kind, first, last = shape
    if kind == "literal":
        return text == first
    if kind == "contains":
        return first in text
    return len(text) >= len(first) + len(last) and text.startswith(first) and text.endswith(last)


@lru_cache(maxsize=4096)
def _shape(pattern: str) -> tuple[str, str, str] | None:
    if any(char in pattern for char in "?[]"):
        return None
    stars = pattern.count("*")
    if stars == 0:
        return "literal", pattern, ""
    if stars == 1:
        first, last = pattern.split("*")
        return "around", first, last
    if stars == 2 and len(pattern) > 2 and pattern.startswith("*") and pattern.endswith("*"):
        return "contains", pattern[1:-1], ""
    return None


class GlobSet:
    """Patterns asked together, first match wins: what `next(i for i, p in enumerate(patterns)
    if glob_match(text, p))` answers, with the literal patterns found by one dictionary look-up
    and the others tested as prepared shapes. Discovery asks it of every file in a target."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._literals: dict[str, int] = {}
        self._others: list[tuple[int, str, tuple[str, str, str] | None]] = []  # index, pattern, shape
        for index, pattern in enumerate(self.patterns):
            shape = _shape(pattern)
            if shape is not None and shape[0] == "literal":
                self._literals.setdefault(pattern, index)
            else:
                self._others.append((index, pattern, shape))

    def first(self, text: str) -> int | None:
        """The index of the first pattern `text` matches, or None."""
        literal = self._literals.get(text)
        for index, pattern, shape in self._others:
            if literal is not None and index > literal:
                break
            if _matches(text, pattern, shape):
                return index
        return literal

    def matches(self, text: str) -> bool:
        return self.first(text) is not None


class GlobIndex:
    """Whether any of many patterns matches: `any(glob_match(text, p) for p in patterns)` at a
    cost that does not grow with the number of patterns, for lists a repository writes itself
    (`exclude`: thousands of entries, asked of every file). Each shape has its own index:
    literals in a set, `first*last` by `first` then `last`, `*part*` by `part`, each looked up
    once per length it holds (never more lengths than the text has characters). The rest (`?`,
    `[...]`, several `*`) are grouped by their longest literal run, which any match contains:
    only the groups whose run occurs in the text are tried, each as one regular expression."""

    def __init__(self, patterns: Iterable[str]) -> None:
        literals: set[str] = set()
        around: dict[str, set[str]] = {}  # first -> the lasts that go with it
        parts: set[str] = set()
        anchored: dict[str, list[str]] = {}  # longest literal run -> the patterns that hold it
        for pattern in dict.fromkeys(patterns):  # once each, in order
            shape = _shape(pattern)
            if shape is None:
                anchored.setdefault(max(_literal_runs(pattern), key=len, default=""), []).append(pattern)
            elif shape[0] == "literal":
                literals.add(pattern)
            elif shape[0] == "contains":
                parts.add(shape[1])
            else:
                around.setdefault(shape[1], set()).add(shape[2])
        self._literals = frozenset(literals)
        self._around = {first: _Strings(lasts) for first, lasts in around.items()}
        self._first_lengths = sorted({len(first) for first in around})
        self._parts = _Strings(parts)
        unanchored = anchored.pop("", [])
        self._anchors = _Strings(set(anchored))
        self._anchored = {anchor: _one_expression(group) for anchor, group in anchored.items()}
        self._unanchored = _one_expression(unanchored) if unanchored else None

    def matches(self, text: str) -> bool:
        if text in self._literals:
            return True
        size = len(text)
        for length in self._first_lengths:
            if length > size:
                break
            lasts = self._around.get(text[:length])
            if lasts is not None and lasts.ends(text, size - length):
                return True
        if next(self._parts.occurring(text), None) is not None:
            return True
        if any(self._anchored[anchor].match(text) for anchor in self._anchors.occurring(text)):
            return True
        return self._unanchored is not None and self._unanchored.match(text) is not None


class _Strings:
    """A set of strings found in a text by one set look-up per length the set holds."""

    def __init__(self, strings: set[str]) -> None:
        self.strings = frozenset(strings)
        self.lengths = sorted({len(string) for string in strings})
        self.firsts = frozenset(string[:1] for string in strings)  # where `occurring` may start

    def ends(self, text: str, room: int) -> bool:
        """Whether one of the strings ends `text` within its last `room` characters."""
        size = len(text)
        for length in self.lengths:
            if length > room:
                return False
            if text[size - length:] in self.strings:
                return True
        return False

    def occurring(self, text: str) -> Iterator[str]:
        """The strings that occur in `text`, each once."""
        if not self.strings:
            return
        size, found = len(text), set()
        for start, char in enumerate(text):
            if char not in self.firsts:
                continue
            for length in self.lengths:
                if start + length > size:
                    break
                piece = text[start:start + length]
                if piece in self.strings and piece not in found:
                    found.add(piece)
                    yield piece


def _literal_runs(pattern: str) -> list[str]:
    """The runs of plain characters between `*`, `?` and `[...]` classes, as fnmatch reads
    them (a `[` without its `]` is a plain character): any text the pattern matches holds each."""
    runs, run, index, size = [], [], 0, len(pattern)
    while index < size:
        char = pattern[index]
        index += 1
        if char in "*?":
            runs.append("".join(run))
            run = []
        elif char == "[":
            end = index + (index < size and pattern[index] == "!")
            end += end < size and pattern[end] == "]"
            end = pattern.find("]", end)
            if end < 0:
                run.append(char)
            else:
                runs.append("".join(run))
                run, index = [], end + 1
        else:
            run.append(char)
    return [*runs, "".join(run)]


def is_plain(pattern: str) -> bool:
    """Whether GlobIndex answers `pattern` by look-ups alone (no regular expression)."""
    return _shape(pattern) is not None


def _one_expression(patterns: list[str]):
    """fnmatch's translations joined into one compiled alternative."""
    import re
    from fnmatch import translate

    return re.compile("|".join(f"(?:{translate(pattern)})" for pattern in patterns))


class GlobExpression:
    """Patterns asked together, first match wins (what GlobSet.first answers), as one compiled
    regular expression: each pattern is one named alternative, so a text is answered by one
    match in C instead of a loop over the patterns in Python (2.5 times faster over a corpus).
    Compiling costs about as much as a thousand answers, so the first questions of a process
    are answered by a GlobSet and the expression is compiled only when a run asks many (a
    large repository, a batch): a scan of one small folder pays nothing at start-up."""

    COMPILE_AFTER = 512  # questions

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._expression = None
        self._set: GlobSet | None = None
        self._asked = 0

    def first(self, text: str) -> int | None:
        """The index of the first pattern `text` matches, or None."""
        if self._expression is None:
            self._asked += 1
            if self._asked <= self.COMPILE_AFTER:
                if self._set is None:
                    self._set = GlobSet(self.patterns)
                return self._set.first(text)
            self._expression = _first_match_expression(self.patterns)
        match = self._expression.match(text)
        return None if match is None else int(match.lastgroup[1:])

    def matches(self, text: str) -> bool:
        return self.first(text) is not None


def _first_match_expression(patterns: tuple[str, ...]):
    """One alternative per pattern, named by its index. Each translation ends at the end of the
    text, so the alternative that matches is the first pattern that matches the whole text."""
    import re
    from fnmatch import translate

    if not patterns:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(f"(?P<p{index}>{translate(pattern)})" for index, pattern in enumerate(patterns)))
