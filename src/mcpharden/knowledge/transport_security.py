"""What protects an MCP server's HTTP transport, as its settings and start arguments show it
(transport_security.toml): the Host/Origin checks, authentication, the address it binds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from mcpharden.knowledge import load_table
from mcpharden.util.globs import glob_match


@dataclass(frozen=True)
class Check:
    """A setting or flag of a protection: what it protects, and which values turn it off."""

    what: str
    off: str  # "wildcard", "false" or "true"
    names: tuple[str, ...]
    flags: tuple[str, ...]


@cache
def _table() -> dict:
    return load_table("transport_security.toml")


@cache
def checks() -> tuple[Check, ...]:
    return tuple(Check(raw["what"], raw["off"], tuple(raw.get("names", ())), tuple(raw.get("flags", ())))
                 for raw in _table()["checks"])


def _matches(name: str, patterns: Sequence[str]) -> bool:
    upper = name.upper()
    return any(glob_match(upper, pattern.upper()) for pattern in patterns)


def _words(name: str) -> list[str]:
    return [word for word in re.split(r"[^A-Z0-9]+", name.upper()) if word]


def _clean(value: str) -> str:
    return value.strip().strip("\"'").strip().lower()


def _is_wildcard(value: str) -> bool:
    """`*`, `["*"]`, `*,localhost`, `all`: a list with an item that lets every host or origin in."""
    items = [item.strip().strip("\"'") for item in re.split(r"[,;\s]+", value.strip().strip("[]")) if item.strip()]
    return any(item.lower() in _table()["wildcards"] for item in items)


def _turns_off(check: Check, value: str | None) -> bool:
    if check.off == "true" and value is None:
        return True  # a bare flag
    if value is None:
        return False
    if check.off == "wildcard":
        return _is_wildcard(value)
    return _clean(value) in _table()["false_values" if check.off == "false" else "true_values"]


def setting_turns_check_off(name: str, value: str | None) -> str | None:
    """What a setting (`MCP_ALLOWED_HOSTS=*`) turns off, or None. `value` None: passed through, unknown."""
    if value is None or _matches(name, _table()["not_checks"]):
        return None
    for check in checks():
        if _matches(name, check.names) and _turns_off(check, value):
            return check.what
    return None


def flag_turns_check_off(flag: str, value: str | None) -> str | None:
    """What a start argument (`--allowed-hosts '*'`, `--disable-host-check`) turns off, or None."""
    for check in checks():
        if flag in check.flags and _turns_off(check, value):
            return check.what
    return None


def takes_value(flag: str) -> bool:
    """Whether a check's flag is followed by its value (`--allowed-hosts *`), not a bare switch."""
    return any(flag in check.flags and check.off != "true" for check in checks())


# Authentication ----------------------------------------------------------------------------------


def _auth() -> dict:
    return _table()["authentication"]


def setting_asks_for_credentials(name: str, value: str | None = None) -> bool:
    """A setting named for the server's own authentication (MCP_AUTH_TOKEN, OAUTH_ISSUER, MCP_API_KEY),
    or one that makes it take its callers' own credentials (`CLOUD_SERVICE=true`)."""
    words = _words(name)
    if any(word in _auth()["words"] for word in words):
        return True
    if value is not None and _matches(name, _auth()["switches"]) and _clean(value) not in _auth()["off_values"]:
        return True  # REQUIRE_REQUEST_TOKEN=true
    if any(word in _auth()["server_words"] for word in words) and any(word in _auth()["credential_words"] for word in words):
        return True
    return any(f"{name}={_clean(value)}".upper() == entry.upper() for entry in _auth()["caller_credentials"]
               if value is not None)


def setting_turns_authentication_off(name: str, value: str | None) -> bool:
    """AUTH_ENABLED=false, AUTH_MODE=none, DANGEROUSLY_OMIT_AUTH=true."""
    if value is None:
        return False
    folded = _clean(value)
    if _matches(name, _auth()["disabling"]):
        return folded in _table()["true_values"]
    return _matches(name, _auth()["switches"]) and folded in _auth()["off_values"]


def flag_asks_for_credentials(flag: str) -> bool:
    return any(glob_match(flag, pattern) for pattern in _auth()["flags"]) and flag not in _auth()["off_flags"]


def flag_turns_authentication_off(flag: str) -> bool:
    return flag in _auth()["off_flags"]


# Bind address ------------------------------------------------------------------------------------


def _every_interface(value: str, address_like: bool) -> bool:
    """`0.0.0.0`, `::`, `0.0.0.0:8080`, `http://0.0.0.0:8080`, and (address-like names only) `:8080`."""
    text = _clean(value)
    text = text.split("://", 1)[1] if "://" in text else text
    text = text.split("/", 1)[0]
    if address_like and re.fullmatch(r":\d+", text):
        return True
    for address in _table()["bind"]["every_interface"]:
        if text == address or (text.startswith(address + ":") and text[len(address) + 1:].isdigit()):
            return True
    return text.startswith("[::]:") and text[5:].isdigit()


def setting_binds_every_interface(name: str, value: str | None) -> bool:
    """HOST=0.0.0.0, MCP_LISTEN_ADDR=:8080, BIND_ADDRESS=0.0.0.0:9080."""
    bind = _table()["bind"]
    return value is not None and _matches(name, bind["names"]) and _every_interface(value, _matches(name, bind["address_names"]))


def flag_binds_every_interface(flag: str, value: str | None) -> bool:
    """`--host 0.0.0.0`, `--http-addr=0.0.0.0:8080`, `-addr :8443`."""
    bind = _table()["bind"]
    return value is not None and flag in bind["flags"] and _every_interface(value, flag in bind["address_flags"])


def is_bind_flag(flag: str) -> bool:
    return flag in _table()["bind"]["flags"]


# Is it an MCP server, and which transport --------------------------------------------------------


def _mcp() -> dict:
    return _table()["mcp"]


def is_mcp_image(repository: str) -> bool:
    return any(glob_match(repository.lower(), pattern) for pattern in _mcp()["images"])


def authenticates_by_default(repository: str) -> bool:
    """An MCP server image that asks its callers for credentials unless a setting turns it off."""
    return any(glob_match(repository.lower(), pattern) for pattern in _mcp()["authenticated_by_default"])


def names_mcp(name: str) -> bool:
    """A setting whose name says MCP (MCP_HOST, BRAVE_MCP_PORT, FASTMCP_TRANSPORT)."""
    return any(word in _mcp()["name_words"] for word in _words(name))


def is_transport_setting(name: str) -> bool:
    return _matches(name, _mcp()["transport_names"])


def is_transport_flag(flag: str) -> bool:
    return flag in _mcp()["transport_flags"]


def transport_listens(value: str) -> bool | None:
    """True for an HTTP or SSE transport, False for stdio, None for anything else."""
    folded = _clean(value)
    if folded in _mcp()["http_words"]:
        return True
    if folded in _mcp()["stdio_words"]:
        return False
    return None
