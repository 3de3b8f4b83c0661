"""What every output passes through before anyone sees it.

- `redact_text` masks credential values (keeping the names) wherever they appear in text a
  report, a diff or an error message is about to show: `NAME=value` assignments, `"name":
  value` and `name: value` settings, Kubernetes `name:`/`value:` pairs, `--token value`
  flags, passwords in URLs, and well-known token shapes under any name.
- `escape_control` makes file names and messages inert in text and Markdown: control
  characters (ANSI escapes, `\\r`, newlines) and bytes that are not UTF-8 are shown escaped,
  so a file name cannot forge a report line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from mcpharden.knowledge.credentials import (
    is_credential_name,
    is_reference,
    name_stems,
    shape_pattern,
    shape_prefixes,
    shape_searches,
)

MASK = "***"
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_ASSIGNMENT = re.compile(rf"(?P<head>(?<![A-Za-z0-9_.\-])(?P<name>{_NAME})=)(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;&|)}}\]]+)")
_SETTING = re.compile(
    rf"(?P<head>(?P<quote>[\"']?)(?P<name>{_NAME})(?P=quote)[ \t]*:[ \t]*)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s,{}\[\]#\"'][^,}\]\n#]*)"
)
_PAIR = re.compile(
    rf"(?P<head>name:[ \t]*[\"']?(?P<name>{_NAME})[\"']?[ \t]*\r?\n[ \t\-]*value:[ \t]*)(?P<value>[^\n]+)"
)
_FLAG = re.compile(rf"(?P<head>(?<![A-Za-z0-9])--?(?P<name>{_NAME})(?:=|[ \t]+))(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',]+)")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@\"'<>]*:)(?P<value>[^\s@/\"'<>]+)(?=@)")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def _mask_named(match: re.Match[str]) -> str:
    value = match.group("value")
    if not is_credential_name(match.group("name")) or is_reference(value) or value.strip("\"'") == MASK:
        return match.group(0)
    quote = value[0] if value[:1] in "\"'" and len(value) > 1 and value[-1] == value[0] else ""
    return f"{match.group('head')}{quote}{MASK}{quote}"


def _mask_url(match: re.Match[str]) -> str:
    return match.group(0) if is_reference(match.group("value")) else match.group("head") + MASK


def redact_text(text: str) -> str:
    """`text` with every credential value it shows replaced by `***` (names kept). Reports run
    to megabytes, so each pattern runs only where a substring search says it can match."""
    if shape_prefixes().search(text):
        for prefixes, source in shape_searches():
            if any(prefix in text for prefix in prefixes):
                text = shape_pattern(source).sub(MASK, text)
    if "://" in text:
        text = _URL_PASSWORD.sub(_mask_url, text)
    if "value:" in text:
        text = _PAIR.sub(_mask_named, text)
    return _mask_named_lines(text)


def _mask_named_lines(text: str) -> str:
    """The NAME=value, name: value and --name value patterns, on the lines with a credential stem."""
    lowered = text.lower()
    stems = [stem for stem in name_stems() if stem in lowered]
    if not stems:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        folded = line.lower()
        if any(stem in folded for stem in stems):
            for pattern in (_ASSIGNMENT, _SETTING, _FLAG):
                line = pattern.sub(_mask_named, line)
            lines[index] = line
    return "\n".join(lines)


def redact_document(value):
    """A JSON document with every string in it (keys kept) passed through redact_text."""
    if isinstance(value, str):
        return _redact_string(value)
    if isinstance(value, dict):
        return {key: redact_document(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_document(item) for item in value]
    return value


@lru_cache(maxsize=8192)
def _redact_string(text: str) -> str:
    """redact_text for the strings of a document, most of which repeat (each finding's why/fix)."""
    return redact_text(text)


def _escape_character(match: re.Match[str]) -> str:
    character = match.group(0)
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (kept by surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """Control characters, bidirectional overrides and undecodable bytes shown as escapes."""
    return _CONTROL.sub(_escape_character, text)


def escape_bytes(text: str) -> str:
    """Only the bytes that are not UTF-8, for formats that escape control characters themselves (JSON)."""
    return re.sub("[\udc80-\udcff]", _escape_character, text)


def uri_path(path: str) -> str:
    """A relative path as a URI reference: the file's real bytes, percent-encoded where needed."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/-._~!$&'()*+,;=:@")


def for_terminal(text: str) -> str:
    """A line the command line prints (an error, a progress line): credential values masked,
    control characters escaped."""
    return redact_text(escape_control(text))
