"""JSON with comments (and trailing commas), parsed into nodes that know where they are in the
text, so that an editor can replace one value and keep every other byte: comments, spacing and
key order stay. Only what `fix --clients` edits needs it; loading goes through syntax.jsonc."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'''\s+|//[^\n]*|/\*.*?\*/|"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"/]+''', re.S)


class JsonSpanError(ValueError):
    pass


@dataclass
class Node:
    start: int  # offset of the value's first character
    end: int  # offset just past it
    value: object = None  # a string, number, bool or None for scalars
    items: list[Node] = field(default_factory=list)  # array elements
    members: list[tuple[str, Node, Node]] = field(default_factory=list)  # (key, key node, value node)
    kind: str = "scalar"  # "object" | "array" | "scalar"

    def get(self, key: str) -> Node | None:
        return next((value for name, _, value in self.members if name == key), None)

    def key_node(self, key: str) -> Node | None:
        return next((node for name, node, _ in self.members if name == key), None)


def parse_spans(text: str) -> Node:
    tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)
              if not m.group(0).isspace() and not m.group(0).startswith(("//", "/*"))]
    covered = sum(len(m.group(0)) for m in _TOKEN.finditer(text))
    if covered != len(text):
        raise JsonSpanError("characters outside any JSON token")
    node, position = _value(tokens, 0, 0)
    if position != len(tokens):
        raise JsonSpanError("text after the document")
    return node


# Nesting past this is no client configuration, and would exhaust the interpreter's stack.
MAX_DEPTH = 256


def _value(tokens, index: int, depth: int) -> tuple[Node, int]:
    if index >= len(tokens):
        raise JsonSpanError("unexpected end")
    token, offset = tokens[index]
    if token in ("{", "[") and depth >= MAX_DEPTH:
        raise JsonSpanError(f"nested more than {MAX_DEPTH} deep at offset {offset}")
    if token == "{":
        node = Node(offset, offset, kind="object")
        index += 1
        while tokens[index][0] != "}":
            key, key_offset = tokens[index]
            if not key.startswith('"') or tokens[index + 1][0] != ":":
                raise JsonSpanError(f"expected a key at offset {key_offset}")
            value, index = _value(tokens, index + 2, depth + 1)
            node.members.append((json.loads(key), Node(key_offset, key_offset + len(key), json.loads(key)), value))
            if tokens[index][0] == ",":
                index += 1
            elif tokens[index][0] != "}":
                raise JsonSpanError(f"expected , or }} at offset {tokens[index][1]}")
        node.end = tokens[index][1] + 1
        return node, index + 1
    if token == "[":
        node = Node(offset, offset, kind="array")
        index += 1
        while tokens[index][0] != "]":
            value, index = _value(tokens, index, depth + 1)
            node.items.append(value)
            if tokens[index][0] == ",":
                index += 1
            elif tokens[index][0] != "]":
                raise JsonSpanError(f"expected , or ] at offset {tokens[index][1]}")
        node.end = tokens[index][1] + 1
        return node, index + 1
    try:
        value = json.loads(token)
    except ValueError:
        raise JsonSpanError(f"not a JSON value at offset {offset}") from None
    return Node(offset, offset + len(token), value), index + 1
