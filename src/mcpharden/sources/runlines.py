"""`docker run` / `podman run` lines in shell scripts, Makefiles and Markdown (README and docs)
→ ContainerSpecs, with the line of every flag. Markdown JSON blocks that configure MCP clients
are read as client configurations. Specs from Markdown are marked as documentation.

A script's own variables are resolved as the shell would at that point: `IMAGE=...`,
`IMAGE="${IMAGE:-ghcr.io/acme/srv@sha256:...}"` and `export IMAGE=...` earlier in the script,
and `${VAR:-default}` / `${VAR-default}` in the run line itself. Makefile recipes are joined
at their backslash continuations and their make variables expanded first (syntax/makefile.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath

from mcpharden.knowledge.clients import ClientFile
from mcpharden.model.container import BuildArguments, ContainerSpec
from mcpharden.model.references import ImageRef
from mcpharden.sources.ci import build_tags
from mcpharden.sources.clients import parse_client_file
from mcpharden.sources.runargs import ENGINES, build_arguments, parse_run, run_arguments
from mcpharden.syntax.makefile import read_makefile
from mcpharden.syntax.shell import SimpleCommand, split_commands
from mcpharden.syntax.variables import ExpansionTooLong, expand
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


def specs_in_script(path: str, text: str, first_line: int = 1, documentation: bool = False, written: str = "") -> list[ContainerSpec]:
    """The run lines of a script; `written` is the script as the file spells it when `text` was
    expanded first (a Makefile recipe), so that messages quote the image as written."""
    specs = []
    variables: dict[str, str | None] = {}
    spelled = iter(_run_words(written) if written else ())
    for command in split_commands(text):
        arguments = run_arguments(command.argv)
        if arguments is None:
            _assign(command, variables)
            continue
        as_written = next(spelled, None)
        specs.append(_run_spec(path, command, arguments, first_line, variables, documentation,
                               as_written if as_written is not None and len(as_written) == len(command.argv) else None))
    return specs


def _run_words(script: str) -> list[tuple[str, ...]]:
    return [command.argv for command in split_commands(script) if run_arguments(command.argv) is not None]


# Builtins whose `NAME=value` arguments set a shell variable.
_DECLARATIONS = frozenset({"export", "readonly", "local", "declare", "typeset"})


def _assign(command: SimpleCommand, variables: dict[str, str | None]) -> None:
    """Record what `NAME=value` (alone on its line) or `export NAME=value` sets; a value that
    depends on something unknown makes the variable unknown again."""
    if command.argv and command.program not in _DECLARATIONS:
        return  # `A=b cmd` sets A for cmd only
    pairs = list(command.assignments)
    pairs += [tuple(word.split("=", 1)) for word in command.argv[1:] if "=" in word and not word.startswith("-")]
    for name, value in pairs:
        variables[name] = _resolved(value, variables)


_NAMES = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _resolved(text: str, variables: dict[str, str | None]) -> str | None:
    """`text` with the script's variables and `${VAR:-default}` defaults expanded; None when a
    variable in it has no value the script gives (it comes from the caller's environment), or
    was set from something unknown (`TAG=$(git describe)`: its default never applies)."""
    if any(name in variables and variables[name] is None for name in _NAMES.findall(text)):
        return None
    try:
        value = expand(text, variables, keep_unknown=True)
    except ExpansionTooLong:
        return None
    return None if "$" in value else value


_ENV_OPTIONS = frozenset({"-e", "--env"})


def _run_spec(path: str, command: SimpleCommand, arguments: list[str], first_line: int,
              variables: dict[str, str | None], documentation: bool, spelled: tuple[str, ...] | None = None) -> ContainerSpec:
    offset = len(command.argv) - len(arguments)  # argv index of arguments[0]

    def line_of_argument(index: int) -> int:
        return first_line + command.line_of_word(offset + index)

    # The flags as the shell passes them: the script's variables resolved (`-v "$DATA:/data"`),
    # an environment setting left as written (its own reader knows `${TOKEN:-default}`).
    words = [word if "$" not in word or (index and arguments[index - 1] in _ENV_OPTIONS) or word.startswith(("-e", "--env"))
             else _expanded_word(word, variables) for index, word in enumerate(arguments)]
    spec = parse_run(words, path, "docker-run", first_line + command.line_offset, line_of_argument=line_of_argument,
                     from_documentation=documentation)
    engine = command.program.removesuffix(".exe")
    image = spec.image
    if image is not None:
        position = words.index(image.written) if image.written in words else None
        written = image.written if position is None else (spelled[offset + position] if spelled else arguments[position])
        image = ImageRef(written, None if ("$(" in image.written or "{{" in image.written or "$" in image.written)
                         else image.written)
    return replace(spec, engine=engine, image=image)


def _expanded_word(word: str, variables: dict[str, str | None]) -> str:
    """The word with what the script knows expanded; as written when it names a variable the
    script set from something unknown."""
    if any(name in variables and variables[name] is None for name in _NAMES.findall(word)):
        return word
    try:
        return expand(word, variables, keep_unknown=True)
    except ExpansionTooLong:
        return word


def build_arguments_in_file(path: str, text: str) -> list[BuildArguments]:
    """`--build-arg NAME=value` and the `-t` tags of the image builds a script, Makefile or README runs."""
    if "--build-arg" not in text and " build" not in text and " bud" not in text:
        return []
    text = text.replace("\r\n", "\n")
    name = PurePosixPath(path).name
    if name.lower().endswith((".md", ".markdown")):
        scripts = [(first, _documented_script(body)) for language, first, body in _code_blocks(text) if language in _SHELL_LANGUAGES]
    elif name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        scripts = [(recipe.line, recipe.text) for recipe in read_makefile(text).recipes]
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
    """Each recipe command as make runs it: continuations joined, make variables expanded. A
    recipe that several targets share is read once."""
    specs = []
    seen: set[int] = set()
    for recipe in read_makefile(text).recipes:
        if recipe.line not in seen and mentions_engine(recipe.text):
            seen.add(recipe.line)
            specs.extend(specs_in_script(path, recipe.text, recipe.line, written=recipe.written))
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
