"""JSON and JSON-with-comments (VS Code's flavour: `//`, `/* */`, trailing commas) with line
numbers. Comments and trailing commas are blanked out in place, so every character keeps
its line, and the result (JSON being YAML) goes through the same line-keeping composer as
YAML files. Nesting is checked first, so a deeply nested file fails fast and safely.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcpharden.syntax.yamlnodes import YamlError, load_documents

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


# What the blanking pass stops at: a string, a comment, a tab, a bracket, a comma, or a run of
# any other text (which ends a trailing-comma candidate); whitespace in between is passed over.
_TOKEN = re.compile(r'(")|(//)|(/\*)|(\t)|([\[{])|([\]}])|(,)|[^\s"/\[\]{},]+|/')
_STRING_BODY = re.compile(r'(?:[^"\\]|\\[\s\S])*"')


def _blank_comments_and_trailing_commas(text: str) -> str:
    out = list(text)
    depth = 0
    length = len(text)
    last_comma: int | None = None
    search = _TOKEN.search
    match = search(text)
    while match:
        index = match.start()
        kind = match.lastindex
        end = match.end()
        if kind == 1:  # a string: skipped whole
            body = _STRING_BODY.match(text, end)
            if body is None:
                raise YamlError("invalid JSON: unterminated string")
            end = body.end()
            last_comma = None
        elif kind == 2:
            newline = text.find("\n", index)
            end = length if newline < 0 else newline
            _blank(out, index, end)
        elif kind == 3:
            close = text.find("*/", index + 2)
            end = length if close < 0 else close + 2
            _blank(out, index, end)
        elif kind == 4:
            out[index] = " "  # YAML does not allow tabs where JSON does
        elif kind == 5:
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
            last_comma = None
        elif kind == 6:
            depth -= 1
            if last_comma is not None:
                out[last_comma] = " "  # trailing comma
            last_comma = None
        elif kind == 7:
            last_comma = index
        else:  # other text
            last_comma = None
        match = search(text, end)
    return "".join(out)


def _blank(out: list[str], start: int, end: int) -> None:
    for position in range(start, end):
        if out[position] != "\n":
            out[position] = " "
