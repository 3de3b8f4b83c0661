"""`.dockerignore` files and Docker's path patterns, matched as Docker matches them.

Docker reads an ignore file line by line (moby/patternmatcher `ignorefile.ReadAll`): a line that
starts with `#` in its first column is a comment; the rest is trimmed, `!` marks an exception,
and each pattern is cleaned like Go's `filepath.Clean` (`./a/` is `a`, `a/../b` is `b`) with
one leading `/` dropped. A path of the build context is excluded when the last pattern that
matches it, or one of its parent folders, is not an exception (`MatchesOrParentMatches`).

A pattern is Go's `filepath.Match` over the whole relative path (`*` and `?` never match `/`,
`[...]` classes with `^` for "not", `\\` escapes the next character), plus `**`, which matches
any number of folders, none included: `**/.env` is `.env` at every depth and `secrets/**`
everything below `secrets`. Docker rejects a pattern `filepath.Match` rejects (an unclosed
`[`), and a lone `!`: such a file fails every build (IgnoreFileError).

`COPY` sources are `filepath.Match` patterns of their own (`go_match`), without `**`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache

MAX_PATTERNS = 10_000  # a longer ignore file is read up to here (real ones hold a few dozen)


class IgnoreFileError(ValueError):
    """An ignore file Docker refuses: the build fails before anything is copied."""


@dataclass(frozen=True)
class IgnorePattern:
    pattern: str  # cleaned, without its `!`
    exception: bool  # `!pattern`: put back what an earlier pattern excluded
    line: int


@dataclass(frozen=True)
class IgnoreRules:
    """The patterns of one ignore file, in order."""

    patterns: tuple[IgnorePattern, ...]

    def excludes(self, path: str) -> bool:
        """Whether the context path `path` (relative, `/`-separated) is left out of the context."""
        return excluded(self.patterns, path)

    def excluded_by(self, path: str) -> IgnorePattern | None:
        """The pattern that decides to leave `path` out, or None when it is sent."""
        decided = None
        for pattern in self.patterns:
            if pattern.exception == (decided is not None) and _matches_or_parent(pattern.pattern, path):
                decided = None if pattern.exception else pattern
        return decided


def parse_ignore_file(text: str) -> IgnoreRules:
    """The patterns of an ignore file as Docker reads them; IgnoreFileError when Docker refuses it."""
    patterns = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        if line:
            line = clean(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
        if not line:
            raise IgnoreFileError(f'line {number}: illegal exclusion pattern: "!"')
        if _compiled(line) is None:
            raise IgnoreFileError(f"line {number}: syntax error in pattern {line!r}")
        patterns.append(IgnorePattern(line, exception, number))
        if len(patterns) >= MAX_PATTERNS:
            break
    return IgnoreRules(tuple(patterns))


def clean(path: str) -> str:
    """Go's `filepath.Clean` on a `/` path: `.` for nothing, no `.`, `..` resolved, no trailing `/`."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def excluded(patterns: tuple[IgnorePattern, ...], path: str) -> bool:
    """patternmatcher's MatchesOrParentMatches: the last pattern that matches the path or one
    of its parent folders decides (an exception only counts once something was excluded)."""
    path = clean(path)
    if path == ".":
        return False
    matched = False
    for pattern in patterns:
        if pattern.exception != matched:
            continue  # an exception cannot put back what nothing took out, nor a pattern take out twice
        if _matches_or_parent(pattern.pattern, path):
            matched = not pattern.exception
    return matched


def path_match(pattern: str, path: str) -> bool:
    """One pattern against one path (no parent folders, no exceptions)."""
    return _match(clean(pattern), path)


def _matches_or_parent(pattern: str, path: str) -> bool:
    if _match(pattern, path):
        return True
    parts = path.split("/")[:-1]
    return any(_match(pattern, "/".join(parts[: index + 1])) for index in range(len(parts)))


def _match(pattern: str, path: str) -> bool:
    compiled = _compiled(pattern)
    if compiled is None:
        return False
    kind, value = compiled
    if kind == "exact":
        return path == value
    if kind == "prefix":
        return path.startswith(value)
    if kind == "suffix":
        return path.endswith(value) or (value.startswith("/") and path == value[1:])
    return value.fullmatch(path) is not None


_ESCAPED = frozenset(".+()|{}$")


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> tuple[str, object] | None:
    """How patternmatcher matches `pattern`: ("exact", text), ("prefix", text) for `a/**`,
    ("suffix", text) for `**/a`, or ("regexp", compiled); None for a pattern Docker refuses."""
    if not _valid_go_pattern(pattern):
        return None
    regexp = ""
    kind = "exact"
    index = 0
    position = 0  # how many characters (or `**`) were read: `**` first makes a suffix match
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            if pattern[index + 1:index + 2] == "*":
                index += 2
                if pattern[index:index + 1] == "/":
                    index += 1
                if index >= len(pattern):
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regexp += ".*"
                        kind = "regexp"
                else:
                    regexp += "(.*/)?"
                    kind = "regexp"
                if position == 0:
                    kind = "suffix"
                position += 1
                continue
            regexp += "[^/]*"
            kind = "regexp"
        elif char == "?":
            regexp += "[^/]"
            kind = "regexp"
        elif char in _ESCAPED:
            regexp += "\\" + char
        elif char == "\\":
            if index + 1 < len(pattern):
                index += 1
                regexp += "\\" + pattern[index]
                kind = "regexp"
            else:
                regexp += "\\\\"
        elif char in "[]":
            regexp += char
            kind = "regexp"
        else:
            regexp += char  # as Docker does: a `^` becomes an anchor
        index += 1
        position += 1
    if kind == "exact":
        return kind, pattern
    if kind == "prefix":
        return kind, pattern[:-2]
    if kind == "suffix":
        return kind, pattern[2:]
    try:
        return kind, re.compile(regexp, re.DOTALL)
    except re.error:
        return None


def _valid_go_pattern(pattern: str) -> bool:
    """What Go's `filepath.Match(pattern, ".")` does not reject: classes closed, not empty,
    ranges in order, no trailing `\\`."""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 >= len(pattern):
                return False
            index += 2
            continue
        if char == "[":
            index += 1
            if index < len(pattern) and pattern[index] == "^":
                index += 1
            count = 0
            while True:
                if index >= len(pattern):
                    return False
                if pattern[index] == "]" and count > 0:
                    break
                low, index = _class_char(pattern, index)
                if low is None:
                    return False
                if index < len(pattern) and pattern[index] == "-":
                    high, index = _class_char(pattern, index + 1)
                    if high is None or high < low:
                        return False
                count += 1
        index += 1
    return True


def _class_char(pattern: str, index: int) -> tuple[str | None, int]:
    if index >= len(pattern) or pattern[index] in "-]":
        return None, index
    if pattern[index] == "\\":
        if index + 1 >= len(pattern):
            return None, index
        return pattern[index + 1], index + 2
    return pattern[index], index + 1


@lru_cache(maxsize=1024)
def _go_regexp(pattern: str) -> re.Pattern[str] | None:
    if not _valid_go_pattern(pattern):
        return None
    regexp = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            regexp += "[^/]*"
        elif char == "?":
            regexp += "[^/]"
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            regexp += re.escape(pattern[index])
        elif char == "[":
            end = index + 1
            if end < len(pattern) and pattern[end] == "^":
                end += 1
            end += 1  # a class holds at least one character, `]` included
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            body = pattern[index + 1:end]
            negated = body.startswith("^")
            body = body[1:] if negated else body
            regexp += "[" + ("^" if negated else "") + body.replace("[", "\\[") + "]"
            index = end
        else:
            regexp += re.escape(char)
        index += 1
    try:
        return re.compile(regexp, re.DOTALL)
    except re.error:
        return None


def go_match(pattern: str, name: str) -> bool:
    """Go's `filepath.Match(pattern, name)` on `/` paths (what COPY sources are matched with)."""
    compiled = _go_regexp(pattern)
    return compiled is not None and compiled.fullmatch(name) is not None


def has_wildcard(pattern: str) -> bool:
    return any(char in pattern for char in "*?[\\")
