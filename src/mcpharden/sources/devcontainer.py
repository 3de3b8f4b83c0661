"""Dev containers (`.devcontainer/devcontainer.json`, `.devcontainer.json`) → a ContainerSpec.

A dev container is how contributors run the repository, not the server that ships: it is
judged on what it turns on (`runArgs` such as `--privileged` or `-v /var/run/docker.sock:...`,
`mounts` of the home folder or its credentials, `privileged`, `capAdd`, `securityOpt`, literal
credentials in `containerEnv`), not on the hardening a development container is not expected
to have (dropped capabilities, a read-only root, limits). `${localEnv:HOME}` and
`${localWorkspaceFolder}` stay as written; syntax/knowledge read the first as the home folder.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcpharden.model.container import ContainerSpec, EnvSetting, Mount
from mcpharden.sources.runargs import mount_option, parse_run
from mcpharden.syntax.jsonc import load_jsonc
from mcpharden.syntax.yamlnodes import YamlList, YamlMap


def parse_devcontainer(path: str, text: str) -> list[ContainerSpec]:
    """The container a devcontainer.json starts; none for a compose-based one (the compose file
    is read on its own) or a file that is not a dev container. Raises YamlError when the JSON
    does not parse."""
    document = load_jsonc(text)
    if not isinstance(document, YamlMap) or "dockerComposeFile" in document:
        return []
    words: list[str] = []
    lines: list[int] = []

    def add(line: int, *added: str) -> None:
        words.extend(added)
        lines.extend([line] * len(added))

    run_args = document.get("runArgs")
    for index, argument in enumerate(run_args if isinstance(run_args, YamlList) else []):
        if isinstance(argument, str | int | float):
            add(run_args.line_of(index), str(argument))
    if document.get("privileged") is True:
        add(document.line_of("privileged"), "--privileged")
    for key, flag in (("capAdd", "--cap-add"), ("securityOpt", "--security-opt")):
        values = document.get(key)
        for index, value in enumerate(values if isinstance(values, YamlList) else []):
            if isinstance(value, str):
                add(values.line_of(index), flag, value)
    user = document.get("containerUser")
    if isinstance(user, str) and user:
        add(document.line_of("containerUser"), "--user", user)
    # The image is not judged: which image a contributor's tools run in is not what ships.
    add(document.line, "devcontainer")
    spec = parse_run(words, path, "devcontainer", document.line, str(document.get("name", "")),
                     lambda index: lines[index] if index < len(lines) else document.line)
    mounts = list(spec.mounts) + _mounts(document)
    env = list(spec.env) + _environment(document)
    return [replace(spec, image=None, mounts=tuple(mounts), env=tuple(env), command=(), start_fetches=(),
                    # Only what the file turns on is judged, never a default it leaves.
                    settable=frozenset())]


def _mounts(document: YamlMap) -> list[Mount]:
    """`mounts` (strings in `--mount` syntax, or objects) and `workspaceMount`."""
    found = []
    mounts = document.get("mounts")
    for index, mount in enumerate(mounts if isinstance(mounts, YamlList) else []):
        line = mounts.line_of(index)
        if isinstance(mount, str):
            found.append(mount_option(mount, line))
        elif isinstance(mount, YamlMap):
            source, target = str(mount.get("source", "")), str(mount.get("target", ""))
            found.append(Mount(source, target, str(mount.get("type", "bind")), False, line))
    workspace = document.get("workspaceMount")
    if isinstance(workspace, str) and workspace:
        found.append(mount_option(workspace, document.line_of("workspaceMount")))
    # The repository's own folder, writable, is what a dev container is for (the default
    # workspace mount): only the host paths beyond it are worth a finding.
    return [mount for mount in found if not mount.source.startswith("${localWorkspaceFolder}")]


def _environment(document: YamlMap) -> list[EnvSetting]:
    env: Any = document.get("containerEnv")
    if not isinstance(env, YamlMap):
        return []
    return [EnvSetting(str(name), None if value is None else str(value), env.line_of(name)) for name, value in env.items()]
