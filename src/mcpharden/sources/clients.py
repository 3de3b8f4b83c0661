"""MCP client configurations and server manifests → ContainerSpecs (and the list of servers).

Client formats: the `mcpServers` map (Claude Desktop, Claude Code, Cursor, Windsurf, Cline,
Gemini CLI, Kiro), VS Code's `servers` (mcp.json) and `mcp.servers` (settings.json), Zed's
`context_servers`, Continue's `mcpServers` list (YAML), Codex's `[mcp_servers.NAME]`
(TOML). Manifests: the MCP registry's `server.json` (OCI packages with
`runtimeArguments`, snake_case too) and Docker's MCP catalog `server.yaml`. A server whose
command is `docker`/`podman` `run` becomes a ContainerSpec; placeholders such as
`${input:token}` stay as written.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from mcpharden.knowledge import load_table
from mcpharden.knowledge.client_files import ClientFile
from mcpharden.model.container import ClientServer, ContainerSpec
from mcpharden.sources.jsonc import load_jsonc
from mcpharden.sources.runargs import parse_run, run_arguments
from mcpharden.sources.shell import words_of
from mcpharden.sources.yamlnodes import YamlError, YamlList, YamlMap, load_documents


@dataclass
class _Result:
    specs: list[ContainerSpec]
    servers: list[ClientServer]


def parse_client_file(path: str, text: str, client: ClientFile, from_documentation: bool = False) -> tuple[list[ContainerSpec], list[ClientServer]]:
    """Specs and server entries of one client configuration or manifest.
    Raises YamlError for files that do not parse."""
    result = _Result([], [])
    suffix = PurePosixPath(path).suffix
    if suffix == ".toml":
        _codex(path, text, client, result)
        return result.specs, result.servers
    document = load_jsonc(text) if suffix in (".json", ".jsonc") or from_documentation else _first_yaml(text)
    if client.client == "MCP registry":
        _registry_manifest(path, document, result)
    elif client.client == "Docker MCP catalog":
        _catalog_entry(path, document, result)
    else:
        for name, entry, line in _server_entries(document):
            _server(path, client.client, name, entry, line, result, from_documentation)
    return result.specs, result.servers


def _first_yaml(text: str) -> Any:
    documents = load_documents(text)
    return documents[0] if documents else None


# Client configurations ---------------------------------------------------------------------------


def _server_entries(document: Any):
    """(name, entry, line) for every server of any known client layout."""
    if not isinstance(document, YamlMap):
        return
    containers: list[Any] = [document.get("mcpServers"), document.get("servers"), document.get("context_servers")]
    mcp = document.get("mcp")
    if isinstance(mcp, YamlMap):
        containers.append(mcp.get("servers"))
    containers.append(document.get("mcp.servers"))
    projects = document.get("projects")  # ~/.claude.json keeps servers per project
    if isinstance(projects, YamlMap):
        containers.extend(p.get("mcpServers") for p in projects.values() if isinstance(p, YamlMap))
    for container in containers:
        if isinstance(container, YamlMap):
            for name, entry in container.items():
                if isinstance(entry, YamlMap):
                    yield str(name), entry, container.line_of(name)
        elif isinstance(container, YamlList):  # Continue: a list of {name, command, args}
            for index, entry in enumerate(container):
                if isinstance(entry, YamlMap):
                    yield str(entry.get("name", f"#{index}")), entry, container.line_of(index)


def _server(path: str, client: str, name: str, entry: YamlMap, line: int, result: _Result, from_documentation: bool) -> None:
    command = entry.get("command")
    args = entry.get("args")
    if isinstance(command, YamlMap):  # Zed: {"command": {"path": ..., "args": [...]}}
        args, command = command.get("args"), command.get("path")
    if not isinstance(command, str):
        url = entry.get("url") or entry.get("serverUrl") or entry.get("httpUrl")
        label = f"remote server {url}" if isinstance(url, str) else "no command"
        result.servers.append(ClientServer(path, line, client, name, label, in_container=False))
        return
    argument_lines: list[int] = []
    words = [command] if args is not None or " " not in command.strip() else words_of(command)
    if isinstance(args, YamlList):
        words += [str(a) for a in args]
        argument_lines = list(args.item_lines)
    arguments = run_arguments(words)
    if arguments is None:
        result.servers.append(ClientServer(path, line, client, name, " ".join(words[:6]), in_container=False))
        return
    offset = len(words) - len(arguments) - 1  # index in `args` of arguments[0]

    def line_of_argument(index: int) -> int:
        position = index + offset
        return argument_lines[position] if 0 <= position < len(argument_lines) else line

    origin = "client-config"
    result.specs.append(parse_run(arguments, path, origin, line, name, line_of_argument, from_documentation))
    result.servers.append(ClientServer(path, line, client, name, " ".join(words[:6]), in_container=True))


_CODEX_HEADER = re.compile(r'^\s*\[mcp_servers\.("?)([^"\]]+)\1\]\s*$')


def _codex(path: str, text: str, client: ClientFile, result: _Result) -> None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise YamlError(f"invalid TOML: {error}") from None
    header_lines = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _CODEX_HEADER.match(line)
        if match:
            header_lines[match.group(2)] = number
    servers = document.get("mcp_servers", {})
    for name, entry in servers.items() if isinstance(servers, dict) else []:
        if not isinstance(entry, dict):
            continue
        line = header_lines.get(name, 1)
        mapping = YamlMap()
        mapping.line = line
        for key, value in entry.items():
            if isinstance(value, list):
                items = YamlList()
                items.extend(str(v) for v in value)
                items.item_lines = [line] * len(value)
                value = items
            mapping[key] = value
        _server(path, client.client, name, mapping, line, result, False)


# Server manifests -----------------------------------------------------------------------------------


def _registry_manifest(path: str, document: Any, result: _Result) -> None:
    """server.json: OCI packages run as `docker run [runtimeArguments] IMAGE [packageArguments]`."""
    if not isinstance(document, YamlMap):
        return
    packages = document.get("packages")
    server_name = str(document.get("name", ""))
    for index, package in enumerate(packages if isinstance(packages, YamlList) else []):
        if not isinstance(package, YamlMap):
            continue
        registry = str(package.get("registryType") or package.get("registry_type") or package.get("registry_name") or "")
        if registry.lower() not in ("oci", "docker"):
            continue
        image = str(package.get("identifier") or package.get("name") or "")
        version = package.get("version")
        if version and ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
            image = f"{image}:{version}"
        words: list[str] = []
        lines: list[int] = []
        runtime = package.get("runtimeArguments") or package.get("runtime_arguments")
        for position, argument in enumerate(runtime if isinstance(runtime, YamlList) else []):
            for word in _manifest_argument(argument):
                words.append(word)
                lines.append(runtime.line_of(position))
        package_line = packages.line_of(index)
        spec = parse_run([*words, image], path, "mcp-manifest", package_line, server_name,
                         lambda i: lines[i] if i < len(lines) else package.line_of("identifier"))
        result.specs.append(spec)


def _manifest_argument(argument: Any) -> list[str]:
    """A runtimeArguments entry as words: named `-v VALUE`, positional `VALUE`; the value is
    `value`, else `default`, else the documented `placeholder`/`valueHint`."""
    if not isinstance(argument, YamlMap):
        return []
    value = next((str(argument[k]) for k in ("value", "default", "placeholder", "valueHint", "value_hint") if argument.get(k)), "")
    if str(argument.get("type", "")) == "named":
        name = str(argument.get("name", ""))
        return [name, value] if value else [name]
    return [value] if value else []


def _catalog_entry(path: str, document: Any, result: _Result) -> None:
    """Docker MCP catalog server.yaml: `image` and `run: {volumes, user, command}`, run by the
    gateway with its own defaults (knowledge/clients.toml)."""
    if not isinstance(document, YamlMap) or not isinstance(document.get("image"), str):
        return
    words = list(load_table("clients.toml")["docker_catalog"]["gateway_run_arguments"])
    lines: list[int] = [document.line_of("image")] * len(words)
    run = document.get("run") if isinstance(document.get("run"), YamlMap) else YamlMap()
    volumes = run.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, YamlList) else []):
        words += ["-v", str(volume)]
        lines += [volumes.line_of(index)] * 2
    if isinstance(run.get("user"), str) and run["user"] and "{{" not in run["user"]:
        words += ["--user", run["user"]]
        lines += [run.line_of("user")] * 2
    if run.get("disableNetwork") is True:
        words += ["--network", "none"]
        lines += [run.line_of("disableNetwork")] * 2
    image = document["image"]
    spec = parse_run([*words, image], path, "mcp-manifest", document.line_of("image"), str(document.get("name", "")),
                     lambda i: lines[i] if i < len(lines) else document.line_of("image"))
    result.specs.append(spec)
