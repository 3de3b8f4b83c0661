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

Docker compiles a pattern into a regular expression character by character; here the same
pieces are matched by a table (linear in the pattern times the path, as Go's engine is, where
a backtracking engine is not: an ignore file is input from the scanned repository). One
difference: a `[...]` class is a class here, while Docker also rewrites a `*` or `?` inside it
(`[*]` becomes an odd expression); no real ignore file writes that. Files of more than
MAX_PATTERNS patterns, or with a pattern longer than MAX_PATTERN_CHARS, are not judged.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import lru_cache

# Bounds of what is judged (real ignore files hold a few dozen short patterns): matching costs
# a pattern's length times a path's, for every pattern and path.
MAX_PATTERNS = 1_000
MAX_PATTERN_CHARS = 1_024


class IgnoreFileError(ValueError):
    """An ignore file Docker refuses: the build fails before anything is copied."""


class IgnoreFileTooLarge(ValueError):
    """An ignore file past the bounds above: Docker reads it, mcpharden does not judge it."""


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
        if len(line) > MAX_PATTERN_CHARS or len(patterns) >= MAX_PATTERNS:
            raise IgnoreFileTooLarge(f"more than {MAX_PATTERNS} patterns, or one longer than {MAX_PATTERN_CHARS} characters")
        if _compiled(line) is None:
            raise IgnoreFileError(f"line {number}: syntax error in pattern {line!r}")
        patterns.append(IgnorePattern(line, exception, number))
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
    compiled = _compiled(pattern)
    if compiled is not None and compiled[0] == "tokens":  # the path and its parent folders in one pass
        matched = _matched_prefixes(compiled[1], path)
        return matched[len(path)] or any(matched[at] for at, char in enumerate(path) if char == "/")
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
    return _matched_prefixes(value, path)[len(path)]


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> tuple[str, object] | None:
    """How patternmatcher matches `pattern`: ("exact", text), ("prefix", text) for `a/**`,
    ("suffix", text) for `**/a`, or ("tokens", tokens) for what it compiles to a regular
    expression; None for a pattern Docker refuses.

    The regular expression is matched here token by token, in time proportional to the
    pattern's length times the path's (Go's regexp engine is linear; a backtracking one is
    not, and an ignore file is input from the scanned repository)."""
    if not _valid_go_pattern(pattern):
        return None
    tokens: list[tuple] = []
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
                        tokens.append(("all",))  # `.*`
                        kind = "regexp"
                else:
                    tokens.append(("dirs",))  # `(.*/)?`
                    kind = "regexp"
                if position == 0:
                    kind = "suffix"
                position += 1
                continue
            tokens.append(("star",))  # `[^/]*`
            kind = "regexp"
        elif char == "?":
            tokens.append(("one",))  # `[^/]`
            kind = "regexp"
        elif char == "\\":
            if index + 1 < len(pattern):
                index += 1
                tokens.append(("char", pattern[index]))
                kind = "regexp"
            else:
                tokens.append(("char", "\\"))
        elif char == "[":
            token, index = _class(pattern, index)
            tokens.append(token)
            kind = "regexp"
        elif char == "^":
            tokens.append(("start",))  # copied into the expression as it is: an anchor
        else:
            tokens.append(("char", char))
        index += 1
        position += 1
    if kind == "exact":
        return kind, pattern
    if kind == "prefix":
        return kind, pattern[:-2]
    if kind == "suffix":
        return kind, pattern[2:]
    return "tokens", tuple(tokens)


def _class(pattern: str, index: int) -> tuple[tuple, int]:
    """The class that starts at `pattern[index]` (`[`): ("class", negated, ranges), and the
    index of its closing `]`. _valid_go_pattern made sure it closes."""
    index += 1
    negated = pattern[index] == "^"
    if negated:
        index += 1
    ranges = []
    while pattern[index] != "]" or not ranges:
        low, index = _class_char(pattern, index)
        high = low
        if pattern[index] == "-":
            high, index = _class_char(pattern, index + 1)
        ranges.append((low, high))
    return ("class", negated, tuple(ranges)), index


def _token_takes(token: tuple, char: str) -> bool:
    kind = token[0]
    if kind == "char":
        return char == token[1]
    if kind == "one":
        return char != "/"
    _, negated, ranges = token
    return any(low <= char <= high for low, high in ranges) != negated


def _matched_prefixes(tokens: tuple, text: str) -> list[bool]:
    """For each length n, whether the tokens match all of `text[:n]`: one row per token of a
    table built from the first token on, each from the one before (no backtracking)."""
    size = len(text)
    row = [True] + [False] * size
    for token in tokens:
        kind = token[0]
        next_row = [False] * (size + 1)
        if kind in ("star", "all"):
            for at in range(size + 1):
                next_row[at] = row[at] or (at > 0 and next_row[at - 1] and (kind == "all" or text[at - 1] != "/"))
        elif kind == "dirs":  # `(.*/)?`: nothing, or anything that ends with `/`
            seen = False
            for at in range(size + 1):
                next_row[at] = row[at] or (seen and text[at - 1] == "/")
                seen = seen or row[at]
        elif kind == "start":
            next_row[0] = row[0]
        else:
            for at in range(1, size + 1):
                next_row[at] = row[at - 1] and _token_takes(token, text[at - 1])
        row = next_row
    return row


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
def _go_tokens(pattern: str) -> tuple | None:
    """Go's `filepath.Match` pattern as tokens: `*` never crosses `/` (`**` is two of them)."""
    if not _valid_go_pattern(pattern):
        return None
    tokens: list[tuple] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            tokens.append(("star",))
        elif char == "?":
            tokens.append(("one",))
        elif char == "\\":
            index += 1
            tokens.append(("char", pattern[index]))
        elif char == "[":
            token, index = _class(pattern, index)
            tokens.append(token)
        else:
            tokens.append(("char", char))
        index += 1
    return tuple(tokens)


def go_match(pattern: str, name: str) -> bool:
    """Go's `filepath.Match(pattern, name)` on `/` paths (what COPY sources are matched with)."""
    tokens = _go_tokens(pattern)
    return tokens is not None and _matched_prefixes(tokens, name)[len(name)]


def has_wildcard(pattern: str) -> bool:
    return any(char in pattern for char in "*?[\\")
