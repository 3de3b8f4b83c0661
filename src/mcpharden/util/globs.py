"""Shell-style name patterns, matched the way `fnmatch.fnmatchcase` matches them.

fnmatch compiles a regular expression for every new pattern, and a scan meets about a hundred
(discovery, client files, base images, CI actions): a few milliseconds of every start-up. The
shapes the tables use, a literal with at most one `*` or a `*part*`, are answered with string
operations; anything else goes to fnmatch. As in fnmatch, `*` also matches `/`.
"""

from __future__ import annotations

from collections.abc import Iterable
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
