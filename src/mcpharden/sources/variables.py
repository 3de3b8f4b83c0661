"""Dockerfile variable expansion: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`."""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(
    r"\\\$"  # an escaped dollar stays literal
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class Unresolved(Exception):
    """A variable has no value we can know (a build argument without a default)."""


def expand(text: str, variables: Mapping[str, str | None]) -> str:
    """Expand variables the way BuildKit does for ARG/ENV/FROM/USER; raise Unresolved when
    a referenced variable is unknown or declared without a value."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "\\$":
            return "$"
        name = match.group("braced") or match.group("bare")
        value = variables.get(name)
        op = match.group("op")
        if op is None:
            if value is None:
                raise Unresolved(name)
            return value
        word = expand(match.group("word") or "", variables)
        is_set = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if is_set else word
        return word if is_set else ""

    return _REFERENCE.sub(replace, text)


def try_expand(text: str, variables: Mapping[str, str | None]) -> str | None:
    try:
        return expand(text, variables)
    except Unresolved:
        return None
