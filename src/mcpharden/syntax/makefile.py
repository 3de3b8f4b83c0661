"""Makefile recipes as make hands them to the shell.

A recipe line that ends with `\\` continues on the next line: make passes both lines to one
shell, backslash-newline included, after dropping the recipe's leading tab from the
continuation. Make expands its own variables first: `$(VAR)` and `${VAR}` from `VAR := value`,
`VAR = value`, `VAR ?= value` (and `::=`, `+=`, `override`, `export`), and `$$` becomes the
shell's `$`. A variable whose value calls a make function (`$(shell git describe)`) or that is
not defined in the file keeps its reference as written: nothing here can know it, and a reader
of the result sees that something was left open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASSIGNMENT = re.compile(r"^(?:(?:override|export|private)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(:{1,3}=|\?=|\+=|!=|=)\s*(.*)$")
_RULE = re.compile(r"^([^\s:=#][^:=]*?)\s*::?(?![=])(.*)$")
_REFERENCE = re.compile(r"\$\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\$|\$\(([^()$]*)\)|\$\{([^{}$]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
MAX_EXPANSIONS = 32  # a value that names itself (`A = $(A)`), or a chain, stops here
MAX_VALUE_CHARS = 64 * 1024


@dataclass(frozen=True)
class Recipe:
    """One recipe command: its target, its first line in the file, and the text the shell runs
    (continuation lines joined by backslash-newline, make variables expanded)."""

    target: str
    line: int
    text: str
    written: str = ""  # the same command before make expanded it, for messages (`node:$(NODE_VERSION)`)


@dataclass(frozen=True)
class Makefile:
    variables: dict[str, str]  # as written, the last assignment winning (`?=` only when unset)
    recipes: tuple[Recipe, ...]
    # target -> its prerequisites, targets in the order the file names them (the first is make's default goal)
    prerequisites: dict[str, list[str]]

    def expand(self, text: str) -> str:
        return expand(text, self.variables)


def read_makefile(text: str) -> Makefile:
    """The variables and recipe commands of a Makefile (conditionals are read through, both
    branches: a scanner sees every command a user may run)."""
    variables: dict[str, str] = {}
    prerequisites: dict[str, list[str]] = {}
    raw: list[tuple[str, int, str]] = []  # target, first line, text with its continuations
    lines = text.replace("\r\n", "\n").split("\n")
    targets: list[str] = []
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index]
        index += 1
        if line.startswith("\t") and targets:
            body = [line[1:]]
            while body[-1].endswith("\\") and not body[-1].endswith("\\\\") and index < len(lines):
                following = lines[index]
                body.append(following[1:] if following.startswith("\t") else following)
                index += 1
            command = "\n".join(body).lstrip(" \t@-+")
            for target in targets:
                raw.append((target, number, command))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        while line.endswith("\\") and index < len(lines):  # a continued assignment or rule line
            line = line[:-1] + " " + lines[index].strip()
            index += 1
        assignment = _ASSIGNMENT.match(line.strip())
        if assignment:
            name, operator, value = assignment.groups()
            value = value.split(" #", 1)[0].strip() if "#" in value else value.strip()
            if operator == "?=" and name in variables:
                continue
            if operator == "+=" and name in variables:
                value = f"{variables[name]} {value}".strip()
            if operator == "!=":
                value = f"$(shell {value})"  # the output of a command: not knowable
            if operator in (":=", "::=", ":::=") and "$$" not in value:
                value = expand(value, variables)  # simply expanded: the value as it stands now
            variables[name] = value
            targets = []
            continue
        rule = _RULE.match(line)
        if rule and not line.startswith((" ", "\t")):
            targets = [t for t in rule.group(1).split() if not t.startswith(".") and "%" not in t] or []
            for target in targets:
                prerequisites.setdefault(target, []).extend(rule.group(2).split(";")[0].split())
            continue
        if not line.startswith((" ", "\t")):
            targets = []  # `include`, `ifeq`, `define`: a recipe does not continue past them
    recipes = tuple(Recipe(target, number, expand(command, variables), command) for target, number, command in raw)
    return Makefile(variables, recipes, prerequisites)


def expand(text: str, variables: dict[str, str], depth: int = 0) -> str:
    """Make's expansion of `text`: `$$` -> `$`, `$(VAR)`/`${VAR}` -> the value; `$${VAR}` (the
    shell's variable) takes the Makefile's value when the file defines it. References that
    cannot be known (a function call, an unknown variable) stay as written."""
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        shell_name, name = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
        if shell_name is not None:
            value = _value(shell_name, variables, depth) if shell_name in variables else None
            return "${" + shell_name + "}" if value is None else value
        if name is None:
            return "$"  # `$$`
        name = name.strip()
        value = _value(name, variables, depth) if _NAME.match(name) and name in variables else None
        return match.group(0) if value is None else value

    return _REFERENCE.sub(replace, text)


def _value(name: str, variables: dict[str, str], depth: int) -> str | None:
    """The expanded value of a variable, or None when it cannot be known (a function call such
    as `$(shell git describe)`, an unknown variable in it, a chain too deep or too long)."""
    value = variables[name]
    if depth >= MAX_EXPANSIONS or len(value) > MAX_VALUE_CHARS:
        return None
    expanded = expand(value, variables, depth + 1)
    return expanded if len(expanded) <= MAX_VALUE_CHARS and "$(" not in expanded and "${" not in expanded else None
