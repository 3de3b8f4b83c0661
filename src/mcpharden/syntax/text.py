"""A file's bytes as text and lines, and back, without losing a byte.

`str.splitlines()` splits at form feeds, `\\x1c`-`\\x1e`, `\\x85` and U+2028, where Docker does not,
so a line number from Docker's parser would point at the wrong line. Each format's lines are
split where its own parser splits them, and a fix edits exactly those lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

BOM = "\ufeff"
# Docker (Go's bufio.ScanLines), TOML and shell: a line ends at `\n` (a `\r` before it belongs to the ending).
_NEWLINE_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")
# YAML (and JSON, which mcpharden reads through the YAML composer): libyaml's line breaks.
_YAML_LINES = re.compile(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029])|[^\r\n\x85\u2028\u2029]+\Z")
_ENDINGS = {"newline": re.compile(r"\r?\n\Z"), "yaml": re.compile(r"(?:\r\n|[\r\n\x85\u2028\u2029])\Z")}
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")

YAML_SUFFIXES = (".yaml", ".yml", ".json", ".jsonc", ".json5")


def line_breaks_for(path: str) -> str:
    """"yaml" for files read through the YAML composer, "newline" for the rest."""
    return "yaml" if path.lower().endswith(YAML_SUFFIXES) else "newline"


def split_lines(text: str, breaks: str = "newline") -> list[str]:
    """Lines with their endings, split as the format's parser splits them."""
    pattern = _YAML_LINES if breaks == "yaml" else _NEWLINE_LINES
    return pattern.findall(text)


def strip_ending(line: str, breaks: str = "newline") -> str:
    """A line without its line break (for `newline` files, `\\r\\n` or `\\n`)."""
    return _ENDINGS[breaks].sub("", line)


def has_ending(line: str, breaks: str = "newline") -> bool:
    return _ENDINGS[breaks].search(line) is not None


def content_lines(text: str, breaks: str = "newline") -> list[str]:
    return [strip_ending(line, breaks) for line in split_lines(text, breaks)]


def decode(data: bytes) -> SourceText:
    """Bytes to text that encodes back to the same bytes: a UTF-8 BOM is remembered, and
    bytes that are not UTF-8 (a Latin-1 comment) survive as surrogate escapes."""
    bom = data.startswith(b"\xef\xbb\xbf")
    return SourceText(data[3:].decode("utf-8", "surrogateescape") if bom else data.decode("utf-8", "surrogateescape"), bom)


@dataclass(frozen=True)
class SourceText:
    """A file's text as decoded, with what is needed to write it back byte for byte."""

    text: str  # without the BOM; undecodable bytes as U+DC80..U+DCFF
    bom: bool = False

    def encode(self, text: str | None = None) -> bytes:
        """`text` (default: the original) as bytes, with this file's BOM and byte escapes."""
        body = self.text if text is None else text
        return ((BOM if self.bom else "") + body).encode("utf-8", "surrogateescape")

    @cached_property
    def valid_utf8(self) -> bool:
        return _ESCAPED_BYTE.search(self.text) is None

    @cached_property
    def parsable(self) -> str:
        """The text for parsers, which need valid Unicode: each undecodable byte becomes
        U+FFFD, so lines and columns stay where they are."""
        return parsable(self.text)


def parsable(text: str) -> str:
    return _ESCAPED_BYTE.sub("\ufffd", text)


def newline_of(lines: list[str]) -> str:
    """The file's usual line ending (CRLF when most lines have it)."""
    crlf = sum(1 for line in lines if line.endswith("\r\n"))
    return "\r\n" if crlf * 2 > len(lines) else "\n"
