"""Credential names, value shapes and placeholders (credentials.toml), as predicates."""

from __future__ import annotations

import re
from functools import cache

from mcpharden.knowledge import load_table

_SEPARATORS = re.compile(r"[_\-.\s]")


@cache
def _table() -> dict:
    return load_table("credentials.toml")


@cache
def value_shapes() -> re.Pattern[str]:
    """One pattern matching any well-known token shape."""
    return re.compile("|".join(f"(?:{shape['pattern']})" for shape in _table()["shapes"]))


def is_credential_name(name: str) -> bool:
    folded = _SEPARATORS.sub("", name).lower()
    table = _table()
    if folded in table["not_names"]:
        return False
    return any(word in folded for word in table["name_words"])


def is_placeholder(value: str) -> bool:
    """A reference (`${TOKEN}`, `${input:x}`, `<your-token>`) or an example, not a credential."""
    folded = value.strip().strip("\"'").strip().lower()
    table = _table()
    return folded in table["placeholder_values"] or folded.startswith(tuple(table["placeholder_prefixes"]))
