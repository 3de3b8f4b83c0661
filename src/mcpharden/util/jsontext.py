"""JSON text for people and machines at the C encoder's speed. `json.dumps(indent=2)` runs the
pure-Python encoder (CPython's C encoder only writes unindented JSON), which made rendering the
JSON report about a tenth of a whole-corpus run. Here the outer levels are laid out with
indentation and everything deeper is written by the C encoder on one line: a report reads as
one finding (or card) per line."""

from __future__ import annotations

import json
from typing import Any

_INDENT = "  "


def dumps(value: Any, ensure_ascii: bool = True, levels: int = 2) -> str:
    """`value` as JSON: containers less than `levels` deep one member per line, deeper ones
    on one line each."""
    encode = _encoder(ensure_ascii)
    parts: list[str] = []
    _write(value, encode, levels, 0, parts)
    return "".join(parts)


def _encoder(ensure_ascii: bool):
    """One C encoder for every value (JSONEncoder.encode makes a new one per call, which costs
    as much as encoding a finding); the documented encoder where the C one is missing."""
    from json import encoder

    def default(value: Any) -> Any:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    strings = encoder.c_encode_basestring_ascii if ensure_ascii else encoder.c_encode_basestring
    try:
        make = encoder.c_make_encoder(None, default, strings, None, ": ", ", ", False, False, True)
    except (TypeError, AttributeError):  # an interpreter without the C accelerator, or another signature
        return json.JSONEncoder(ensure_ascii=ensure_ascii, separators=(", ", ": "), check_circular=False).encode

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return strings(value)
        return "".join(make(value, 0))

    return encode


def _write(value: Any, encode, levels: int, depth: int, parts: list[str]) -> None:
    if depth >= levels or not isinstance(value, (dict, list, tuple)) or not value:
        parts.append(encode(value))
        return
    inner = "\n" + _INDENT * (depth + 1)
    if isinstance(value, dict):
        parts.append("{")
        for number, (key, item) in enumerate(value.items()):
            parts.append(("," if number else "") + inner + encode(str(key)) + ": ")
            _write(item, encode, levels, depth + 1, parts)
        parts.append("\n" + _INDENT * depth + "}")
    else:
        parts.append("[")
        for number, item in enumerate(value):
            parts.append(("," if number else "") + inner)
            _write(item, encode, levels, depth + 1, parts)
        parts.append("\n" + _INDENT * depth + "]")
