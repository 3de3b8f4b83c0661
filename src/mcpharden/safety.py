"""What every output passes through before anyone sees it.

- `redact_text` masks credential values (keeping the names) wherever they appear in text a
  report, a diff or an error message is about to show: `NAME=value` assignments, `"name":
  value` and `name: value` settings, Kubernetes `name:`/`value:` pairs, `--token value`
  flags (also as list items: `"--api-key", "value"`), options of known commands whose names
  do not say so (`curl -u user:pass`, `mysql -pPASS`, `sshpass -p PASS`), passwords in URLs,
  and well-known token shapes under any name. `redact_lines` does the same line for line, for
  a diff that shows some lines of a file but must judge them in the whole file.
- `escape_control` makes file names and messages inert in text and Markdown: control
  characters (ANSI escapes, `\\r`, newlines) and bytes that are not UTF-8 are shown escaped,
  so a file name cannot forge a report line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote

from mcpharden.knowledge.credentials import (
    CredentialOption,
    credential_options,
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
# Between an option and its value: spaces, or the next item of a list (`"--api-key", "v"`, `[--token, v]`).
_GAP = r"(?:[ \t]+|[\"'][ \t]*,[ \t]*[\"']|,[ \t]*)"
# A value that is the next argument never starts with `-`: that is the next option (`--password-stdin -u me`);
# an unquoted value ends where a flow list or mapping does.
_FLAG = re.compile(rf"(?P<head>(?<![A-Za-z0-9])--?(?P<name>{_NAME})(?:=|{_GAP}(?!-)))(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',\]}}]+)")
# The same as the items of a YAML block list (`- --api-key` then `- value`), on the next line.
_LISTED_FLAG = re.compile(
    rf"(?P<head>-[ \t]+[\"']?--?(?P<name>{_NAME})[\"']?[ \t]*\r?\n[ \t]*-[ \t]+(?!-))(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'#]+)"
)
# An option's value, and where a command's arguments end (`;`, `&`, `|`, a line end without `\\`).
_OPTION_VALUE = r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;&|)}\]\\]+)"
_COMMAND_END = re.compile(r"(?:[^;&|\n\\]|\\[\s\S])*")
_WORD_BEFORE, _WORD_AFTER = re.compile(r"[\w.\-]"), re.compile(r"[\s\"',\]]")
_OPTION_START = re.compile(r"[\s\"'\[,]-")
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
    return _redact(text, MASK)


def redact_lines(lines: Sequence[str]) -> list[str]:
    """`lines` (without line endings) as redact_text shows them together, line for line: a value
    over several lines (a private key) is masked on each of them, so line i of the answer is line
    i of `lines`, and each line is judged with the lines around it (`name:` above `value:`)."""
    text = "\n".join(lines)
    shown = _redact(text, _mask_keeping_lines)
    return list(lines) if shown == text else shown.split("\n")


def _mask_keeping_lines(match: re.Match[str]) -> str:
    """A match over several lines masked on each line (indentation kept), its line breaks kept."""
    return "\n".join(part[: len(part) - len(part.lstrip())] + MASK if part.strip() else part
                     for part in match.group(0).split("\n"))


def _redact(text: str, shape_mask) -> str:
    """Every pattern of the gate; `shape_mask` replaces a token shape (`***`, or one per line)."""
    if shape_prefixes().search(text):
        for prefixes, source in shape_searches():
            if any(prefix in text for prefix in prefixes):
                text = shape_pattern(source).sub(shape_mask, text)
    if "://" in text:
        text = _URL_PASSWORD.sub(_mask_url, text)
    if "value:" in text:
        text = _PAIR.sub(_mask_named, text)
    if "- " in text and "\n" in text:
        text = _LISTED_FLAG.sub(_mask_named, text)
    text = _mask_options(text)
    return _mask_named_lines(text)


def _mask_options(text: str) -> str:
    """Values of the options in credentials.toml `[[options]]`, where one follows its command."""
    if not _OPTION_START.search(text):  # most strings of a report have no option at all
        return text
    present = [needle for needle in _command_needles() if needle in text]
    if not present:
        return text
    masked: dict[int, tuple[int, str]] = {}  # value start -> (value end, shown instead)
    for command, after in _command_words(text, present):
        end = _COMMAND_END.match(text, after).end()
        for option in _option_pattern(command).finditer(text, after, end):
            value = option.group("value")
            shown = _masked_option_value(value, option.groupdict().get("userinfo") is not None)
            if shown != value:
                masked[option.start("value")] = (option.end("value"), shown)
    if not masked:
        return text
    parts, position = [], 0
    for start in sorted(masked):
        if start >= position:
            end, shown = masked[start]
            parts += [text[position:start], shown]
            position = end
    return "".join(parts) + text[position:]


def _masked_option_value(value: str, userinfo: bool) -> str:
    quote = value[0] if value[:1] in "\"'" and len(value) > 1 and value[-1] == value[0] else ""
    inner = value[1:-1] if quote else value
    if userinfo:  # user:password, the user kept; no colon: a user name only (curl asks for the password)
        user, colon, password = inner.partition(":")
        if not colon or is_reference(password) or password == MASK:
            return value
        return f"{quote}{user}:{MASK}{quote}"
    return value if is_reference(inner) or inner == MASK else f"{quote}{MASK}{quote}"


@lru_cache(maxsize=1)
def _options_by_command() -> dict[str, tuple[CredentialOption, ...]]:
    table: dict[str, tuple[CredentialOption, ...]] = {}
    for row in credential_options():
        for command in row.commands:
            table[command] = table.get(command, ()) + (row,)
    return table


@lru_cache(maxsize=1)
def _command_needles() -> dict[str, tuple[str, ...]]:
    """Each command that holds no other command (`mysql`, not `mysqldump`) -> the commands holding
    it: a report runs to megabytes, and one substring search per needle finds them all."""
    commands = tuple(_options_by_command())
    needles = [c for c in commands if not any(other != c and other in c for other in commands)]
    return {needle: tuple(c for c in commands if needle in c) for needle in needles}


def _command_words(text: str, needles: list[str]):
    """(command, where its arguments start) for each command written as a word: after a space, a
    quote or a path's `/`, not inside a longer name (`nologin`, `mysql:8`)."""
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            for command in _command_needles()[needle]:
                start = at - command.index(needle)
                end = start + len(command)
                if start >= 0 and text.startswith(command, start) and _is_word(text, start, end):
                    yield command, end
            at = text.find(needle, at + 1)


def _is_word(text: str, start: int, end: int) -> bool:
    return (start == 0 or not _WORD_BEFORE.match(text, start - 1)) and (end == len(text) or bool(_WORD_AFTER.match(text, end)))


@lru_cache(maxsize=64)
def _option_pattern(command: str) -> re.Pattern[str]:
    """A command's credential options with their values (`-p VALUE`, `-pVALUE`, `--user=VALUE`,
    `"-p", "VALUE"`); the group `userinfo` matches for `user:password` options."""
    kinds: dict[bool, list[str]] = {True: [], False: []}
    for row in _options_by_command()[command]:
        for option in row.options:
            separator = "" if row.joined_only else rf"(?:=|{_GAP}(?!-))"
            if separator and not option.startswith("--"):
                separator += "?"  # `-pVALUE` as well as `-p VALUE`
            # `curl -fsu user:pass`: a one-letter `user:password` option ends a cluster of flags.
            cluster = "[A-Za-z]*" if row.userinfo and len(option) == 2 and option[0] == "-" else ""
            kinds[row.userinfo].append(re.escape(option[:1]) + cluster + re.escape(option[1:]) + separator)
    groups = [rf"(?P<{name}>{'|'.join(kinds[userinfo])})" for name, userinfo in (("userinfo", True), ("plain", False))
              if kinds[userinfo]]
    return re.compile(rf"(?<![\w\-])(?:{'|'.join(groups)}){_OPTION_VALUE}")


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


# What a terminal or a renderer acts on: OSC sequences (`ESC ] 8 ;; url BEL` makes a link), CSI
# sequences (colours, cursor moves), in their 7-bit and 8-bit forms.
_TERMINAL_SEQUENCE = re.compile("\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x9d[^\x07\x1b]*(?:\x07|\x1b\\\\)?"
                                "|\x1b\\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]")
# Control and bidirectional-override characters, but line breaks and tabs (shown as escapes).
_STRIPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """For what is rendered rather than read raw (Markdown, GitHub workflow commands): terminal
    sequences and control characters removed whole, so none acts and no `\\x1b]8;;url` litters
    a comment; line breaks and bytes that are not UTF-8 still shown as escapes."""
    return escape_control(_STRIPPED.sub("", _TERMINAL_SEQUENCE.sub("", text)))


def shown_line(text: str) -> str:
    """A line for a person (a terminal, a tool answer): control characters escaped, then credential
    values masked."""
    return redact_text(escape_control(text))


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
