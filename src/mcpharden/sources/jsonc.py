"""JSON and JSON-with-comments (VS Code's flavour: `//`, `/* */`, trailing commas) with line
numbers. Comments and trailing commas are blanked out in place, so every character keeps
its line, and the result (JSON being YAML) goes through the same line-keeping composer as
YAML files. Nesting is checked first, so a deeply nested file fails fast and safely.
"""

from __future__ import annotations

import json
from typing import Any

from mcpharden.sources.yamlnodes import YamlError, load_documents

MAX_DEPTH = 100


def load_jsonc(text: str) -> Any:
    cleaned = _blank_comments_and_trailing_commas(text)
    if not cleaned.strip():
        raise YamlError("invalid JSON: empty document")
    try:  # JSON's own grammar first: YAML would accept `...` or unquoted words
        json.loads(cleaned)
    except ValueError as error:
        raise YamlError(f"invalid JSON: {error}") from None
    try:
        documents = load_documents(cleaned)
    except YamlError as error:
        raise YamlError(str(error).replace("invalid YAML", "invalid JSON", 1)) from None
    if len(documents) != 1:
        raise YamlError("invalid JSON: expected one document")
    return documents[0]


def _blank_comments_and_trailing_commas(text: str) -> str:
    out = list(text)
    depth = 0
    index = 0
    length = len(text)
    last_comma: int | None = None
    while index < length:
        char = text[index]
        if char == '"':
            index = _string_end(text, index)
            last_comma = None
            continue
        if char == "/" and text.startswith("//", index):
            end = text.find("\n", index)
            end = length if end < 0 else end
            _blank(out, index, end)
            index = end
            continue
        if char == "/" and text.startswith("/*", index):
            end = text.find("*/", index + 2)
            end = length if end < 0 else end + 2
            _blank(out, index, end)
            index = end
            continue
        if char == "\t":
            out[index] = " "  # YAML does not allow tabs where JSON does
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
            last_comma = None
        elif char in "]}":
            depth -= 1
            if last_comma is not None:
                out[last_comma] = " "  # trailing comma
            last_comma = None
        elif char == ",":
            last_comma = index
        elif not char.isspace():
            last_comma = None
        index += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text[index] == '"':
            return index + 1
        else:
            index += 1
    raise YamlError("invalid JSON: unterminated string")


def _blank(out: list[str], start: int, end: int) -> None:
    for position in range(start, end):
        if out[position] != "\n":
            out[position] = " "
