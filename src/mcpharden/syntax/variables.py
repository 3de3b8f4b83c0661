"""Variable expansion shared by Dockerfiles and compose files: `$VAR`, `${VAR}`,
`${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR:?error}`.

The two differ only in their escape (`\\$` in a Dockerfile, `$$` in compose) and in what an
unknown variable becomes: a Dockerfile build fails without it (Unresolved), while compose
analysis keeps it as written so that `${HOME}/.ssh` still reads as a home path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<word>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
_PATTERNS = {"dockerfile": re.compile(r"\\\$" + _REFERENCE), "compose": re.compile(r"\$\$" + _REFERENCE)}


# Real values are short; chained `ARG B=${A}${A}` lines double at every step and would fill
# the memory. Past this bound a value is not worth knowing: the instruction is reported.
MAX_EXPANDED_CHARS = 64 * 1024


class Unresolved(Exception):
    """A variable has no value we can know (a build argument without a default)."""


class ExpansionTooLong(ValueError):
    def __init__(self) -> None:
        super().__init__(f"a variable expands to more than {MAX_EXPANDED_CHARS // 1024} KiB")


def expand(text: str, variables: Mapping[str, str | None], *, syntax: str = "dockerfile", keep_unknown: bool = False) -> str:
    """Expand variables; an unknown one raises Unresolved, or stays as written with keep_unknown."""
    pattern = _PATTERNS[syntax]
    produced = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal produced
        value = _substitute(match)
        produced += len(value)
        if produced + len(text) > MAX_EXPANDED_CHARS:
            raise ExpansionTooLong()
        return value

    def _substitute(match: re.Match[str]) -> str:
        if match.group("braced") is None and match.group("bare") is None:
            return "$"  # the escape: `\$` or `$$`
        name = match.group("braced") or match.group("bare")
        value = variables.get(name)
        op = match.group("op")
        if op is None or op.endswith("?"):
            if value is None:
                if keep_unknown:
                    return match.group(0)
                raise Unresolved(name)
            return value
        word = expand(match.group("word") or "", variables, syntax=syntax, keep_unknown=keep_unknown)
        is_set = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if is_set else word
        return word if is_set else ""

    return pattern.sub(replace, text)


def try_expand(text: str, variables: Mapping[str, str | None]) -> str | None:
    try:
        return expand(text, variables)
    except Unresolved:
        return None


def fallback(text: str | None, variables: Mapping[str, str | None], *, syntax: str = "compose") -> str | None:
    """What `text` becomes when its references take their defaults (`${PASSWORD:-admin}` ->
    `admin`), `variables` known besides; None when it references nothing, or a variable that
    has neither a value in `variables` nor a default (`${TOKEN}`, `${TOKEN:?required}`)."""
    if not text or "$" not in text:
        return None
    pattern = _PATTERNS[syntax]
    if not any(m.group("braced") or m.group("bare") for m in pattern.finditer(text)):
        return None  # only escapes (`$$`, `\\$`): a literal
    try:
        return expand(text, variables, syntax=syntax)
    except (Unresolved, ExpansionTooLong):
        return None
