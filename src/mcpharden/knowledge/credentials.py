"""Credential names, value shapes and placeholders (credentials.toml), as predicates."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from mcpharden.knowledge import load_table

_SEPARATORS = re.compile(r"[_\-.\s]")


@cache
def _table() -> dict:
    return load_table("credentials.toml")


@cache
def shape_searches() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(literal prefixes, pattern source) per token shape: a pattern is compiled (`shape_pattern`)
    and run only where its text can be, so most runs compile none of them."""
    return tuple((tuple(shape["prefixes"]), shape["pattern"]) for shape in _table()["shapes"])


@cache
def shape_pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


@cache
def shape_prefixes() -> re.Pattern[str]:
    """Any token shape's literal prefix: most text has none, and one search tells."""
    return re.compile("|".join(re.escape(prefix) for prefixes, _ in shape_searches() for prefix in prefixes) or "(?!)")


@cache
def name_stems() -> tuple[str, ...]:
    return tuple(_table()["name_stems"])


@dataclass(frozen=True)
class CredentialOption:
    """Options of some commands whose value is a credential though their name does not say so."""

    commands: tuple[str, ...]
    options: tuple[str, ...]
    joined_only: bool  # `-pPASS` only: the next argument is not the option's value
    userinfo: bool  # `user:password`: only the part after the first colon is the credential


@cache
def credential_options() -> tuple[CredentialOption, ...]:
    return tuple(CredentialOption(tuple(row["commands"]), tuple(row["options"]), row.get("joined_only", False),
                                  row.get("userinfo", False)) for row in _table().get("options", ()))


def _first_shape(value: str) -> str | None:
    """The leftmost well-known token in `value` (the first shape in table order where two start
    together), trying only the shapes whose literal prefix `value` contains."""
    found = [(match.start(), order, match.group(0)) for order, (prefixes, source) in enumerate(shape_searches())
             if any(prefix in value for prefix in prefixes) and (match := shape_pattern(source).search(value))]
    return min(found)[2] if found else None


def is_credential_name(name: str) -> bool:
    folded = _SEPARATORS.sub("", name).lower()
    table = _table()
    if folded in table["not_names"]:
        return False
    return any(word in folded for word in table["name_words"])


def is_reference(value: str) -> bool:
    """A value that names where the credential comes from (`${TOKEN}`, `${input:x}`, `<token>`,
    `{{ secret }}`): the only kind the output gate shows, since masking an example costs nothing."""
    folded = value.strip().strip("\"'").strip()
    return not folded or folded.startswith(("$", "<", "{{", "%", "***"))


def is_placeholder(value: str) -> bool:
    """A reference (`${TOKEN}`, `${input:x}`, `<your-token>`) or an example, not a credential."""
    folded = value.strip().strip("\"'").strip().lower()
    table = _table()
    return (folded in table["placeholder_values"] or folded.startswith(tuple(table["placeholder_prefixes"]))
            or any(marker in folded for marker in table["placeholder_markers"]))


def credential_kind(name: str, value: str | None) -> str | None:
    """What kind of credential `name=value` holds, or None: a well-known token shape under any
    name, or a credential-named setting with a real-looking value. References, placeholders,
    URLs without a password and short values are not credentials."""
    if value is None or is_placeholder(value):
        return None
    value = value.strip().strip("\"'")
    shape = _first_shape(value)
    if shape:
        return next(s["kind"] for s in _table()["shapes"] if shape_pattern(s["pattern"]).search(shape))
    if "://" in value:
        userinfo = value.split("://", 1)[1].split("/", 1)[0]
        if "@" not in userinfo or ":" not in userinfo.rsplit("@", 1)[0]:
            return None
        password = userinfo.rsplit("@", 1)[0].split(":", 1)[1]
        return None if not password or is_placeholder(password) else "password in a URL"
    if value.startswith(("/", "./", "../", "~/")):
        return None  # a path to where the credential is kept (TOKEN_FILE=/run/secrets/token)
    if is_credential_name(name) and len(value) >= 8 and not value.isdigit() and " " not in value:
        return "credential"
    return None


# A generated secret (hex, base64, a UUID) is long, varied and not made of words; a value a person
# made up for a development setup (`dev-secret-change-in-production`, `masterKey`, `postgres`) is not.
_RANDOM_MIN_LENGTH = 16
_RANDOM_MIN_BITS_PER_CHARACTER = 3.0
_WORD = re.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{4,}")
_VOWELS = re.compile("[aeiouyAEIOUY]")  # `Kvpbcr` in a base64 key is no word


def looks_random(value: str) -> bool:
    """Whether `value` has the shape of a generated secret: at least 16 characters, at least 3
    bits of Shannon entropy per character, not only digits, not a phrase of letters-only words
    joined by `-`, `_` or `.`, and no more than half of it words
    (runs of 4+ letters of one case with a vowel, `camelCase` split): what a person types to fill a
    development setup is made of words, what a key generator prints is not."""
    text = value.strip().strip("\"'")
    if len(text) < _RANDOM_MIN_LENGTH or text.isdigit() or any(c.isspace() for c in text):
        return False
    counts = Counter(text)
    bits = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    if bits < _RANDOM_MIN_BITS_PER_CHARACTER:
        return False
    segments = [segment for segment in re.split(r"[-_.]", text) if segment]
    if len(segments) >= 2 and all(segment.isalpha() for segment in segments):
        return False  # a phrase: `dev-insecure-key`, `local_zero_admin`
    in_words = sum(len(word) for word in _WORD.findall(text) if len(word) >= 4 and _VOWELS.search(word))
    return in_words * 2 <= len(text)
