"""Judging host paths and capabilities with runtime.toml."""

from __future__ import annotations

import posixpath
import re
from functools import cache

from mcpharden.knowledge import load_table
from mcpharden.util.globs import glob_match

# A home folder however a file names it: the shell's `$HOME`, Windows' `%USERPROFILE%`, VS Code's
# `${userHome}` and `${env:HOME}`, dev containers' `${localEnv:HOME}` (one or both, as
# `${localEnv:HOME}${localEnv:USERPROFILE}` is written for every OS), PowerShell's `$env:USERPROFILE`, `~`.
_HOME_VARIABLE = r"(?:\$\{?HOME\}?|\$\{?USERPROFILE\}?|%USERPROFILE%|%HOMEPATH%|\$\{userHome\}|\$\{(?:env|localEnv):(?:HOME|USERPROFILE)\}|\$[Ee][Nn][Vv]:(?:HOME|USERPROFILE))"
_HOME = re.compile(rf"^(?:{_HOME_VARIABLE}+|~[^/\\]*)(?=$|[/\\])")
_GIT_BASH_DRIVE = re.compile(r"^//?([A-Za-z])(?=/)")  # Git Bash and MSYS: `//c/Users/me`, `/c/Users/me`
_XDG = re.compile(r"^\$\{?XDG_RUNTIME_DIR\}?(?=$|/)")


@cache
def _table() -> dict:
    return load_table("runtime.toml")


def normalize_host_path(source: str) -> str:
    """`${HOME}/.ssh/` → `~/.ssh`; `C:\\Users\\me` → `C:/Users/me`; `$XDG_RUNTIME_DIR/docker.sock`
    → `/run/user/*/docker.sock` (so the socket table matches)."""
    text = source.strip().strip("'\"")
    text = _HOME.sub("~", text)
    text = _XDG.sub("/run/user/*", text)
    text = text.replace("\\", "/")
    if text.startswith("//") and _GIT_BASH_DRIVE.match(text):
        text = _GIT_BASH_DRIVE.sub(lambda match: match.group(1).upper() + ":", text)
    if len(text) >= 2 and text[1] == ":":
        text = text[0].upper() + text[1:]
    if text.startswith("//"):
        return text  # a Windows named pipe keeps its prefix
    normalized = posixpath.normpath(text) if text else text
    return "/" if normalized == "//" else normalized


def socket_exposed(source: str) -> str | None:
    """The engine socket a host path exposes: the socket itself, or a directory above it
    (`/var/run`, `/run`, `/`, a home folder holding `~/.docker/run/docker.sock`)."""
    path = _components(normalize_host_path(source))
    for socket in _table()["sockets"]["paths"]:
        pattern = _components(socket.replace("\\", "/"))
        if len(path) <= len(pattern) and all(glob_match(p, q) for p, q in zip(path, pattern)):
            return socket
    return None


def _component_match(path: str, pattern: str) -> bool:
    ours, theirs = _components(path), _components(pattern)
    return len(ours) == len(theirs) and all(glob_match(p, q) for p, q in zip(ours, theirs))


def _components(path: str) -> list[str]:
    """Path components, one `*` matching exactly one of them; `/` is the empty prefix."""
    if path.startswith("//"):
        return ["//"] + [c for c in path[2:].split("/") if c]
    parts = [c for c in path.split("/") if c]
    return ([""] if path.startswith("/") else []) + parts


def sensitive_mount(source: str) -> str | None:
    """Why a host path must not be mounted, or None."""
    path = normalize_host_path(source)
    table = _table()["sensitive_mounts"]
    in_home = _relative_to_home(path, table["homes"])
    for credential in table["credentials"]:
        if in_home == credential or in_home.startswith(credential + "/"):
            return f"credentials ({credential})"
    if in_home in table["credential_folders"]:
        return f"credentials ({in_home})"
    if any(_component_match(path, home) for home in table["homes"]):
        return "a whole home folder"
    if path in table["exact"]:
        return "the host's root file system" if path in ("/", "C:/") else f"the host's {path}"
    for below in table["below"]:
        if path.startswith(below + "/"):
            return f"part of the host's {below}"
    for tree in table["device_trees"]:
        if (path == tree or path.startswith(tree + "/")) and not any(path == h or path.startswith(h + "/") for h in table["harmless_devices"]):
            return f"a host device tree (part of the host's {tree})"
    return None


def _relative_to_home(path: str, homes: list[str]) -> str:
    """`/Users/me/.kube/config` → `~/.kube/config`, so credentials are found in any home."""
    parts = _components(path)
    for home in homes:
        pattern = _components(home)
        if len(parts) > len(pattern) and all(glob_match(p, q) for p, q in zip(parts, pattern)):
            return "/".join(["~", *parts[len(pattern):]])
    if path.startswith("/root/"):
        return "~/" + path[len("/root/"):]
    return path


def normalize_capability(name: str) -> str:
    return name.strip().upper().removeprefix("CAP_")


def dangerous_capabilities(added: tuple[str, ...]) -> list[str]:
    dangerous = set(_table()["capabilities"]["dangerous"])
    return [cap for cap in (normalize_capability(c) for c in added) if cap in dangerous]


def limits_asked(origin: str) -> tuple[str, ...]:
    """The ContainerSpec limits (memory_limit, pids_limit, cpu_limit) no-resource-limits asks a
    container run by `origin` (compose, kubernetes, docker-run, ...) for."""
    table = _table()["resource_limits"]
    return tuple(table.get(origin, table["default"]))
