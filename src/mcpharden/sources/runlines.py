"""`docker run` / `podman run` lines in shell scripts, Makefiles and Markdown (README and docs)
→ ContainerSpecs, with their line numbers. Markdown JSON blocks that configure MCP clients
are read as client configurations. Specs from Markdown are marked as documentation."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from mcpharden.knowledge.clients import ClientFile
from mcpharden.model.container import BuildArguments, ContainerSpec
from mcpharden.sources.ci import build_tags, parse_makefile
from mcpharden.sources.clients import parse_client_file
from mcpharden.sources.runargs import ENGINES, build_arguments, parse_run, run_arguments
from mcpharden.syntax.shell import split_commands
from mcpharden.syntax.yamlnodes import YamlError

_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
_SHELL_LANGUAGES = frozenset({"", "sh", "bash", "shell", "console", "zsh", "shell-session", "terminal", "powershell", "ps1", "cmd", "text"})
_JSON_LANGUAGES = frozenset({"json", "jsonc", "json5"})
_PROMPT = re.compile(r"^\s*(\$|#|>|PS>|PS [^>]*>)\s+")
# Documentation placeholders (`<your-token>`, `<PATH_TO_DIR>`, `<your service account token>`) are
# words to fill in, not redirections.
_PLACEHOLDER = re.compile(r"<([A-Za-z][\w.:/-]*(?: [\w.:/-]+)*)>")


def _documented_script(body: str) -> str:
    """A code block as the script a reader would run: prompts dropped, placeholders as words."""
    lines = (_PROMPT.sub("", line) for line in body.split("\n"))
    return _PLACEHOLDER.sub(lambda match: "PLACEHOLDER_" + re.sub(r"\W", "_", match.group(1)).upper(), "\n".join(lines))


def mentions_engine(text: str) -> bool:
    return any(f"{engine} run" in text or f"{engine} container run" in text for engine in ENGINES)


def specs_in_script(path: str, text: str, first_line: int = 1, documentation: bool = False) -> list[ContainerSpec]:
    specs = []
    for command in split_commands(text):
        arguments = run_arguments(command.argv)
        if arguments is not None:
            specs.append(parse_run(arguments, path, "docker-run", first_line + command.line_offset, from_documentation=documentation))
    return specs


def build_arguments_in_file(path: str, text: str) -> list[BuildArguments]:
    """`--build-arg NAME=value` and the `-t` tags of the image builds a script, Makefile or README runs."""
    if "--build-arg" not in text and " build" not in text and " bud" not in text:
        return []
    text = text.replace("\r\n", "\n")
    name = PurePosixPath(path).name
    if name.lower().endswith((".md", ".markdown")):
        scripts = [(first, _documented_script(body)) for language, first, body in _code_blocks(text) if language in _SHELL_LANGUAGES]
    elif name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        scripts = [(line, command) for _target, (_prerequisites, commands) in parse_makefile(text).items()
                   for line, command in commands]
    else:
        scripts = [(1, text)]
    found = []
    for first, script in scripts:
        for command in split_commands(script):
            line = first + command.line_offset
            arguments, tags = build_arguments(command.argv, line), build_tags(command.argv)
            if arguments or tags:
                found.append(BuildArguments(path, line, tuple(arguments), tags))
    return found


def specs_in_makefile(path: str, text: str) -> list[ContainerSpec]:
    specs = []
    for _target, (_prerequisites, commands) in parse_makefile(text).items():
        for line, command in commands:
            if mentions_engine(command):
                specs.extend(specs_in_script(path, command, line))
    return specs


def specs_in_markdown(path: str, text: str) -> list[ContainerSpec]:
    specs: list[ContainerSpec] = []
    for language, first_line, body in _code_blocks(text):
        if language in _SHELL_LANGUAGES and mentions_engine(body):
            specs.extend(specs_in_script(path, _documented_script(body), first_line, documentation=True))
        elif language in _JSON_LANGUAGES and any(f'"{engine}"' in body for engine in ENGINES):
            try:
                found, _servers = parse_client_file(path, "\n" * (first_line - 1) + body, ClientFile("documentation", False), from_documentation=True)
            except YamlError:
                continue  # snippets with "..." are not JSON: nothing to judge
            specs.extend(found)
    return specs


def _code_blocks(text: str):
    """(language, first line of the body, body) of each fenced code block."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, language = match.group(2), match.group(3).lower()
        start = index + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        yield language, start + 1, "\n".join(lines[start:end])
        index = end + 1


def specs_in_file(path: str, text: str) -> list[ContainerSpec]:
    """Dispatch on the kind of file: Markdown, Makefile or shell script."""
    if not any(engine in text for engine in ENGINES):
        return []
    text = text.replace("\r\n", "\n")  # a CRLF file keeps its `\` continuations
    name = PurePosixPath(path).name
    if name.lower().endswith((".md", ".markdown")):
        return specs_in_markdown(path, text)
    if name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        return specs_in_makefile(path, text)
    return specs_in_script(path, text)
