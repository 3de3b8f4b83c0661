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
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from mcpharden.knowledge.clients import ClientFile, gateway_run_arguments
from mcpharden.model.container import ClientServer, ContainerSpec, EnvSetting
from mcpharden.sources.runargs import parse_run, run_arguments
from mcpharden.syntax.jsonc import load_jsonc
from mcpharden.syntax.shell import words_of
from mcpharden.syntax.yamlnodes import YamlError, YamlList, YamlMap, load_documents


@dataclass
class _Result:
    """The containers and host-run servers one client file launches."""

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
    env = tuple(_env_block(entry))
    arguments = run_arguments(words)
    if arguments is None:
        from mcpharden.sources.packages import fetches_in_argv  # the package tables load only for a server on the host

        word_lines = [line] * (len(words) - len(argument_lines)) + argument_lines
        fetches = fetches_in_argv(words, lambda index: word_lines[index] if index < len(word_lines) else line, path)
        result.servers.append(ClientServer(path, line, client, name, " ".join(words[:6]), in_container=False, env=env,
                                           arguments=tuple(words[1:]), start_fetches=tuple(fetches)))
        return
    offset = len(words) - len(arguments) - 1  # index in `args` of arguments[0]

    def line_of_argument(index: int) -> int:
        position = index + offset
        return argument_lines[position] if 0 <= position < len(argument_lines) else line

    origin = "client-config"
    spec = parse_run(arguments, path, origin, line, name, line_of_argument, from_documentation)
    result.specs.append(replace(spec, env=_with_client_env(spec.env, env)))
    result.servers.append(ClientServer(path, line, client, name, " ".join(words[:6]), in_container=True, env=env,
                                       arguments=tuple(words[1:])))


def _env_block(entry: YamlMap) -> list[EnvSetting]:
    """The entry's `env` (or Zed's `command.env`): NAME → value, with each value's line."""
    env = entry.get("env")
    if not isinstance(env, YamlMap) and isinstance(entry.get("command"), YamlMap):
        env = entry["command"].get("env")
    if not isinstance(env, YamlMap):
        return []
    return [EnvSetting(str(name), None if value is None else str(value), env.line_of(name)) for name, value in env.items()]


def _with_client_env(flags: tuple[EnvSetting, ...], block: tuple[EnvSetting, ...]) -> tuple[EnvSetting, ...]:
    """`-e NAME` takes its value from the environment the client gives docker (its `env`)."""
    given = {setting.name: setting for setting in block}
    passed = tuple(given.get(s.name, s) if s.value is None else s for s in flags)
    named = {s.name for s in flags}
    return passed + tuple(s for s in block if s.name not in named)


_CODEX_HEADER = re.compile(r'^\s*\[mcp_servers\.("?)([^"\]]+)\1\]\s*$')


def _codex(path: str, text: str, client: ClientFile, result: _Result) -> None:
    import tomllib  # loaded only when a TOML file is read

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
        result.specs.append(replace(spec, env=spec.env + tuple(_manifest_environment(package))))


def _manifest_environment(package: YamlMap) -> list[EnvSetting]:
    """server.json `environmentVariables`: a literal `value` or `default` is what users run with."""
    variables = package.get("environmentVariables") or package.get("environment_variables")
    found = []
    for index, variable in enumerate(variables if isinstance(variables, YamlList) else []):
        if isinstance(variable, YamlMap) and isinstance(variable.get("name"), str):
            value = variable.get("value", variable.get("default"))
            found.append(EnvSetting(variable["name"], None if value is None else str(value), variables.line_of(index)))
    return found


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
    words = list(gateway_run_arguments())
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
    command = run.get("command")  # the arguments the gateway gives the image's entry point
    command_words = [str(word) for word in command] if isinstance(command, YamlList) else []
    lines += [document.line_of("image")] + [command.line_of(index) for index in range(len(command_words))]
    spec = parse_run([*words, image, *command_words], path, "mcp-manifest", document.line_of("image"), str(document.get("name", "")),
                     lambda i: lines[i] if i < len(lines) else document.line_of("image"))
    # The catalog format says which image, volumes and user; the gateway decides the rest.
    result.specs.append(replace(spec, settable=frozenset({"user"})))
