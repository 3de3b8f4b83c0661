"""Guessable logins (default_credentials.toml): the passwords tried first, the settings that set
a service's own login, and what well-known images accept when no password is set."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from mcpharden.knowledge import load_table
from mcpharden.util.globs import glob_match

# How a password is guessable, as messages name it (never with the password).
WEAKNESSES = {
    "common": "a common default password",
    "user-name": "a user name as password",
    "own-name": "the service's own name as password (its service, image or database name)",
    "common-words": "a guessable secret made of common words and the service's own names",
}


@dataclass(frozen=True)
class Login:
    """A login a service takes: the setting of its password, of its user, and the user when
    that setting is absent. `combined`: one setting holds `user/password` (NEO4J_AUTH)."""

    password: str
    user: str | None
    default_user: str | None
    combined: bool


@dataclass(frozen=True)
class AuthOff:
    """A setting that turns a service's password check off when it holds one of `values`
    (and, when `together_with` is named, while that other setting is true)."""

    name: str
    values: tuple[str, ...]
    together_with: str | None


@dataclass(frozen=True)
class Service:
    """A well-known image and the logins it takes."""

    name: str
    images: tuple[str, ...]
    logins: tuple[Login, ...]
    when_unset: str | None  # "documented-default", "no-password" or None
    unset_also: tuple[str, ...]  # settings (`NAME`, `NAME=pattern`) that set a password too
    unset_also_arguments: tuple[str, ...]  # start arguments that do (`--requirepass`, `*.conf`)
    ports: tuple[str, ...]  # the container ports its default guards (empty: every port)
    auth_off: tuple[AuthOff, ...]

    def login_for(self, setting: str) -> Login | None:
        return next((login for login in self.logins if login.password.upper() == setting.upper()), None)


@cache
def _table() -> dict:
    return load_table("default_credentials.toml")


@cache
def services() -> tuple[Service, ...]:
    return tuple(
        Service(
            name=raw["name"],
            images=tuple(raw["images"]),
            logins=tuple(Login(login["password"], login.get("user"), login.get("default_user"),
                               login.get("format") == "user/password") for login in raw.get("logins", ())),
            when_unset=raw.get("when_unset"),
            unset_also=tuple(raw.get("unset_also", ())),
            unset_also_arguments=tuple(raw.get("unset_also_arguments", ())),
            ports=tuple(str(port) for port in raw.get("ports", ())),
            auth_off=tuple(AuthOff(off["name"], tuple(v.lower() for v in off["values"]), off.get("with"))
                           for off in raw.get("auth_off", ())),
        )
        for raw in _table()["services"]
    )


def service_for(repository: str | None) -> Service | None:
    """The service an image repository (`library/postgres`, `grafana/grafana`) runs, if known."""
    if not repository:
        return None
    name = repository.lower().removeprefix("library/")
    return next((service for service in services() if any(glob_match(name, pattern) for pattern in service.images)), None)


def is_login_setting(name: str) -> bool:
    """A setting that sets a service's own login whatever the image (`*ADMIN_PASSWORD`, `MCP_AUTH_TOKEN`)."""
    upper = name.upper()
    return any(glob_match(upper, pattern) for pattern in _table()["login_settings"])


def user_settings(password_setting: str) -> tuple[str, ...]:
    """The settings that may name the user of a password setting: `KEYCLOAK_ADMIN_PASSWORD` ->
    `KEYCLOAK_ADMIN`, `KEYCLOAK_ADMIN_USER`, ...; `PASSWORD` alone -> `USER`, `USERNAME`, ..."""
    upper = password_setting.upper()
    for word in _table()["password_words"]:
        if upper == word or upper.endswith("_" + word):
            stem = upper[: -len(word)].rstrip("_")
            if not stem:
                return tuple(suffix.lstrip("_") for suffix in _table()["user_suffixes"] if suffix)
            return tuple(stem + suffix for suffix in _table()["user_suffixes"])
    return ()


_SEPARATORS = re.compile(r"[^a-z0-9]+")


def weakness(password: str, users: Iterable[str] = (), names: Iterable[str] = ()) -> str | None:
    """How a password can be guessed (a key of WEAKNESSES), or None. `users` are the user names
    of the service's logins, `names` the names around it: its service, image, database, the
    words of its setting's name."""
    value = password.strip().strip("\"'")
    folded = value.lower()
    if not folded:
        return None
    users = [user.strip().lower() for user in users if user and user.strip()]
    if folded in users:
        return "user-name"
    if _is_common(folded):
        return "common"
    names = [name for name in names if name]
    own = {part for name in names for part in _parts(name.lower()) if len(part) >= 3}
    if folded in own or _SEPARATORS.sub("", folded) in {_SEPARATORS.sub("", name.lower()) for name in names}:
        return "own-name"
    vocabulary = frozenset(_table()["common_words"]) | own | frozenset(users)
    if _made_of(folded, vocabulary):
        return "common-words"
    return None


def _is_common(folded: str) -> bool:
    common = _common_passwords()
    if folded in common:
        return True
    limit = _table()["common_suffix_length"]
    stem = folded.rstrip("0123456789!@#$%^&*._-+?")
    return stem != folded and len(folded) - len(stem) <= limit and stem in common


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(_table()["common_passwords"])


def _parts(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text) if part]


def _made_of(folded: str, vocabulary: frozenset[str]) -> bool:
    """Every part of the password is a word of `vocabulary` (or several glued together:
    `adminadmin`) or a short number; at least one part is a word."""
    parts = _parts(folded)
    if not parts or len(folded) > 64:
        return False
    words = 0
    for part in parts:
        if part.isdigit():
            if len(part) > 4 and not _is_common(part):
                return False
            continue
        if not _segments(part, vocabulary):
            return False
        words += 1
    return words > 0


def _segments(part: str, vocabulary: frozenset[str]) -> bool:
    """`part` is words of `vocabulary` and short numbers glued together (`adminadmin`, `admin2`)."""
    reachable = [True] + [False] * len(part)
    for end in range(1, len(part) + 1):
        for start in range(max(0, end - 24), end):
            if reachable[start]:
                piece = part[start:end]
                if piece in vocabulary or (piece.isdigit() and len(piece) <= 4):
                    reachable[end] = True
                    break
    return reachable[-1]
