"""A small, side-effect-free renderer for the Go templates Helm charts are written in.

It renders what can be known from the chart's own files: `.Values` references, `default`,
`quote`, `toYaml | nindent`, `if`/`else`/`with`/`range` on values, variables, `define` and
`include`, and the pure text functions of Sprig that charts use. Nothing is executed and
nothing outside the data given is read: `lookup`, `.Files`, `tpl` of a template, regular
expressions and the like are *unknown*. An unknown value prints as nothing; an `if` on an
unknown condition takes its first branch (so that a literal `privileged: true` inside it is
still judged); a `range` over an unknown list is skipped. Each such construct is named in
`Rendered.unrendered`.

Every line of the output knows the template line it came from (`Rendered.lines`), so that a
finding on the rendered manifest points at the template.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_OUTPUT_CHARS = 4 * 1024 * 1024  # a chart's template renders to a few KiB
MAX_INCLUDE_DEPTH = 40
MAX_STEPS = 200_000


class TemplateError(ValueError):
    """A template that does not parse, or renders past a budget."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Unknown:
    """A value that cannot be known without a cluster, a release or files we do not read."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


class _Fail(Exception):
    """The template called `fail`: Helm would stop rendering this file."""


@dataclass
class Rendered:
    text: str
    lines: list[int]  # template line of each output line (1-based), by output line index
    unrendered: list[str] = field(default_factory=list)  # constructs left unknown, once each

    def template_line(self, output_line: int) -> int:
        if 1 <= output_line <= len(self.lines):
            return self.lines[output_line - 1]
        return self.lines[-1] if self.lines else 1


# Lexing ------------------------------------------------------------------------------------


@dataclass
class _Text:
    text: str
    line: int


@dataclass
class _Action:
    source: str
    line: int


def _lex(text: str) -> list[_Text | _Action]:
    """Text and actions, trim markers (`{{-`, `-}}`) applied to the text around them;
    comments dropped. Each item knows the line it starts on."""
    items: list[_Text | _Action] = []
    counted, counted_line = 0, 1

    def line_at(offset: int) -> int:  # offsets only grow, so lines are counted once
        nonlocal counted, counted_line
        counted_line += text.count("\n", counted, offset)
        counted = offset
        return counted_line

    position = 0
    trim_next = False
    while True:
        start = text.find("{{", position)
        end_of_text = len(text) if start < 0 else start
        if trim_next:
            while position < end_of_text and text[position].isspace():
                position += 1
        trim_before = start >= 0 and text[start + 2:start + 4] in ("- ", "-\n", "-\t", "-\r")
        chunk = text[position:end_of_text]
        if trim_before:
            chunk = chunk.rstrip()
        if chunk:
            items.append(_Text(chunk, line_at(position)))
        if start < 0:
            return items
        end = _action_end(text, start + 2)
        if end < 0:
            raise TemplateError("an action `{{` is not closed", line_at(start))
        body = text[start + 2:end]
        trim_next = body.endswith((" -", "\n-", "\t-"))
        body = body[1:] if trim_before else body
        body = body[:-1] if trim_next else body
        body = body.strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            items.append(_Action(body, line_at(start)))
        position = end + 2


def _action_end(text: str, position: int) -> int:
    """Where the action starting at `position` closes (`}}` outside string literals)."""
    quote = ""
    index = position
    while index < len(text) - 1:
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"`":
            quote = char
        elif char == "'" and (text[index + 2:index + 3] == "'" or text[index + 1:index + 2] == "\\"):
            index = text.find("'", index + 2)  # a rune literal: 'a', '\n'
            if index < 0:
                return -1
        elif char == "}" and text[index + 1] == "}":
            return index
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            if close < 0:
                return -1
            index = close + 2
            continue
        index += 1
    return -1


# Expressions -------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<rune>'(?:[^'\\]|\\.)')
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<pipe>\|)
  | (?P<comma>,)
""", re.VERBOSE)


def _tokens(source: str, line: int) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match:
            raise TemplateError(f"cannot read `{source[position:position + 20]}`", line)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "field" and tokens and tokens[-1][0] in ("close", "variable", "field_after") and \
                position > 0 and not source[position - 1].isspace():
            kind = "field_after"  # `(pipeline).a`, `$x.a`: a field of what precedes it
        if kind != "space":
            tokens.append((kind, value))
        position = match.end()
    return tokens


@dataclass
class _Pipeline:
    declare: tuple[str, ...]  # variables it declares (`$x :=`, `$i, $e :=`)
    assign: bool  # `$x = ...` (sets a variable declared before)
    commands: list[list[Any]]  # each command: operands (nodes)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], line: int) -> None:
        self.tokens = tokens
        self.position = 0
        self.line = line

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.position += 1
        return token

    def pipeline(self, allow_declare: bool = True) -> _Pipeline:
        declare: tuple[str, ...] = ()
        assign = False
        if allow_declare and self.peek()[0] == "variable":
            names = []
            saved = self.position
            while self.peek()[0] == "variable":
                names.append(self.take()[1])
                if self.peek()[0] == "comma":
                    self.take()
                    continue
                break
            if self.peek()[0] in ("declare", "assign"):
                assign = self.take()[0] == "assign"
                declare = tuple(names)
            else:
                self.position = saved
        commands = [self.command()]
        while self.peek()[0] == "pipe":
            self.take()
            commands.append(self.command())
        return _Pipeline(declare, assign, commands)

    def command(self) -> list[Any]:
        operands: list[Any] = []
        while self.peek()[0] not in ("end", "pipe", "close"):
            operands.append(self.operand())
        if not operands:
            raise TemplateError("an empty command", self.line)
        return operands

    def operand(self) -> Any:
        kind, value = self.take()
        if kind == "open":
            node: Any = ("pipeline", self.pipeline(allow_declare=False))
            if self.take()[0] != "close":
                raise TemplateError("a `(` is not closed", self.line)
        elif kind == "string":
            node = ("literal", _unquote(value))
        elif kind == "raw":
            node = ("literal", value[1:-1])
        elif kind == "rune":
            node = ("literal", ord(_unquote('"' + value[1:-1] + '"')[:1] or "\0"))
        elif kind == "number":
            node = ("literal", float(value) if any(c in value for c in ".eE") and not value.startswith("0x") else int(value, 0))
        elif kind == "variable":
            node = ("variable", value)
        elif kind == "field":
            node = ("field", ("dot",), tuple(part for part in value.split(".") if part))
        elif kind == "ident":
            node = {"true": ("literal", True), "false": ("literal", False), "nil": ("literal", None)}.get(value, ("function", value))
        else:
            raise TemplateError(f"unexpected `{value}`", self.line)
        while self.peek()[0] == "field_after":
            node = ("field", node, tuple(part for part in self.take()[1].split(".") if part))
        return node


def _unquote(value: str) -> str:
    try:
        result = json.loads(value)
    except ValueError:
        return value[1:-1]
    return result if isinstance(result, str) else value[1:-1]


def _parse_pipeline(source: str, line: int) -> _Pipeline:
    parser = _Parser(_tokens(source, line), line)
    pipeline = parser.pipeline()
    if parser.peek()[0] != "end":
        raise TemplateError(f"unexpected `{parser.peek()[1]}`", line)
    return pipeline


# Tree --------------------------------------------------------------------------------------


@dataclass
class _Node:
    kind: str  # "text" | "output" | "if" | "with" | "range" | "template"
    line: int
    text: str = ""
    pipeline: _Pipeline | None = None
    body: list[_Node] = field(default_factory=list)
    # if: (condition, body) branches, then `otherwise`; with/range: body then `otherwise`
    branches: list[tuple[_Pipeline, list[_Node]]] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)
    name: str = ""


_KEYWORD = re.compile(r"^(if|else if|else with|else|end|with|range|define|template|block|break|continue)\b\s*")


def parse(text: str) -> tuple[list[_Node], dict[str, list[_Node]]]:
    """The template's tree and the templates it defines (`define`, `block`)."""
    defines: dict[str, list[_Node]] = {}
    items = _lex(text)
    position = 0

    def block(closing: tuple[str, ...]) -> tuple[list[_Node], str, _Action | None]:
        nonlocal position
        nodes: list[_Node] = []
        while position < len(items):
            item = items[position]
            position += 1
            if isinstance(item, _Text):
                nodes.append(_Node("text", item.line, text=item.text))
                continue
            match = _KEYWORD.match(item.source)
            keyword = match.group(1) if match else ""
            rest = item.source[match.end():] if match else item.source
            if keyword in ("end", "else", "else if", "else with"):
                if keyword not in closing and not (keyword.startswith("else") and "else" in closing):
                    raise TemplateError(f"unexpected `{keyword}`", item.line)
                return nodes, keyword, item
            if keyword in ("if", "with"):
                node = _Node(keyword, item.line)
                condition = _parse_pipeline(rest, item.line)
                while True:
                    body, ended, at = block(("end", "else"))
                    node.branches.append((condition, body))
                    if ended in ("else if", "else with"):
                        condition = _parse_pipeline(at.source.split(None, 2)[2], at.line)
                        continue
                    if ended == "else":
                        node.otherwise, ended, _ = block(("end",))
                    break
                nodes.append(node)
            elif keyword == "range":
                node = _Node("range", item.line, pipeline=_parse_pipeline(rest, item.line))
                node.body, ended, _ = block(("end", "else"))
                if ended == "else":
                    node.otherwise, _, _ = block(("end",))
                nodes.append(node)
            elif keyword in ("define", "block"):
                name_match = re.match(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`', rest)
                if not name_match:
                    raise TemplateError(f"`{keyword}` without a name", item.line)
                body, _, _ = block(("end",))
                defines[name_match.group(1) or name_match.group(2) or ""] = body
                if keyword == "block":
                    argument = rest[name_match.end():].strip() or "."
                    nodes.append(_Node("template", item.line, name=name_match.group(1) or "",
                                       pipeline=_parse_pipeline(argument, item.line)))
            elif keyword == "template":
                name_match = re.match(r'"((?:[^"\\]|\\.)*)"', rest)
                if not name_match:
                    raise TemplateError("`template` without a name", item.line)
                argument = rest[name_match.end():].strip()
                nodes.append(_Node("template", item.line, name=name_match.group(1),
                                   pipeline=_parse_pipeline(argument, item.line) if argument else None))
            elif keyword in ("break", "continue"):
                nodes.append(_Node(keyword, item.line))
            else:
                nodes.append(_Node("output", item.line, pipeline=_parse_pipeline(item.source, item.line)))
        if closing:
            raise TemplateError("a block is not closed with `end`", items[-1].line if items else 1)
        return nodes, "", None

    nodes, _, _ = block(())
    return nodes, defines


# Rendering ---------------------------------------------------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Renderer:
    """Renders templates against `data` (`{"Values": ..., "Chart": ..., "Release": ...}`)
    with the `define`d templates of the chart."""

    def __init__(self, data: dict[str, Any], defines: dict[str, list[_Node]] | None = None) -> None:
        self.data = data
        self.defines = dict(defines or {})
        self.unrendered: list[str] = []
        self.steps = 0
        self.size = 0
        self.depth = 0

    def add_defines(self, text: str) -> None:
        """The `define`s of a helpers file (`_helpers.tpl`)."""
        _, defines = parse(text)
        self.defines.update(defines)

    def render(self, text: str) -> Rendered:
        nodes, defines = parse(text)
        self.defines.update(defines)
        self.unrendered = []
        self.steps = self.size = 0
        out: list[tuple[str, int]] = []
        try:
            self._nodes(nodes, self.data, {"$": self.data}, out)
        except _Fail as failure:
            self._note(f"`fail` {failure}: the rest of the file is not rendered")
        except (_Break, _Continue):
            pass
        return _assemble(out, self.unrendered)

    def _note(self, what: str) -> None:
        if what not in self.unrendered:
            self.unrendered.append(what)

    def _step(self, line: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateError("renders past its step budget", line)

    def _nodes(self, nodes: list[_Node], dot: Any, variables: dict[str, Any], out: list[tuple[str, int]]) -> None:
        for node in nodes:
            self._step(node.line)
            if node.kind == "text":
                _emit_text(out, node.text, node.line)
                self.size += len(node.text)
            elif node.kind == "output":
                value = self._pipeline(node.pipeline, dot, variables, node.line)
                if node.pipeline.declare:
                    continue
                if value is UNKNOWN:
                    self._note(f"line {node.line}: `{{{{ {_short(node.pipeline)} }}}}`")
                    continue
                out.append((_print(value), node.line))
                self.size += len(out[-1][0])
            elif node.kind in ("if", "with"):
                self._conditional(node, dot, dict(variables), out)
            elif node.kind == "range":
                self._range(node, dot, variables, out)
            elif node.kind == "template":
                argument = self._pipeline(node.pipeline, dot, variables, node.line) if node.pipeline else None
                rendered = self._include(node.name, argument, node.line)
                if rendered is UNKNOWN:
                    self._note(f"line {node.line}: template \"{node.name}\"")
                else:
                    out.append((rendered, node.line))
                    self.size += len(rendered)
            elif node.kind == "break":
                raise _Break()
            elif node.kind == "continue":
                raise _Continue()
            if self.size > MAX_OUTPUT_CHARS:  # counted as written (an include's text twice: a bound, not a total)
                raise TemplateError("renders past its size budget", node.line)

    def _conditional(self, node: _Node, dot: Any, variables: dict[str, Any], out: list[tuple[str, int]]) -> None:
        for condition, body in node.branches:
            value = self._pipeline(condition, dot, variables, node.line)
            if value is UNKNOWN:
                self._note(f"line {node.line}: `{node.kind} {_short(condition)}` (its first branch is read)")
                self._nodes(body, dot if node.kind == "if" else UNKNOWN, variables, out)
                return
            if truth(value):
                self._nodes(body, dot if node.kind == "if" else value, variables, out)
                return
        self._nodes(node.otherwise, dot, variables, out)

    def _range(self, node: _Node, dot: Any, variables: dict[str, Any], out: list[tuple[str, int]]) -> None:
        pipeline = node.pipeline
        value = self._pipeline(_Pipeline((), False, pipeline.commands), dot, variables, node.line)
        if value is UNKNOWN:
            self._note(f"line {node.line}: `range {_short(pipeline)}` (skipped)")
            return
        if isinstance(value, dict):
            pairs = sorted(value.items(), key=lambda kv: str(kv[0]))
        elif isinstance(value, (list, tuple)):
            pairs = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            pairs = [(index, index) for index in range(min(value, 10_000))]
        else:
            pairs = []
        if not pairs:
            self._nodes(node.otherwise, dot, variables, out)
            return
        for key, item in pairs:
            scope = dict(variables)
            names = pipeline.declare
            if len(names) == 1:
                scope[names[0]] = item
            elif len(names) >= 2:
                scope[names[0]], scope[names[1]] = key, item
            try:
                self._nodes(node.body, item, scope, out)
            except _Continue:
                continue
            except _Break:
                break

    def _pipeline(self, pipeline: _Pipeline, dot: Any, variables: dict[str, Any], line: int) -> Any:
        value: Any = None
        for index, command in enumerate(pipeline.commands):
            value = self._command(command, dot, variables, line, piped=(value,) if index else ())
        if pipeline.declare:
            variables[pipeline.declare[-1]] = value
        return value

    def _command(self, command: list[Any], dot: Any, variables: dict[str, Any], line: int, piped: tuple) -> Any:
        head = command[0]
        if head[0] == "function":
            name = head[1]
            if name in ("and", "or"):  # Go evaluates these lazily
                return self._logic(name, [*command[1:]], piped, dot, variables, line)
            arguments = [self._operand(operand, dot, variables, line) for operand in command[1:]] + list(piped)
            return self._call(name, arguments, line)
        if len(command) > 1 or piped:
            value = self._operand(head, dot, variables, line)
            return UNKNOWN if callable(value) else value  # a method call on data: not ours to run
        return self._operand(head, dot, variables, line)

    def _logic(self, name: str, operands: list[Any], piped: tuple, dot: Any, variables: dict[str, Any], line: int) -> Any:
        values = [lambda operand=operand: self._operand(operand, dot, variables, line) for operand in operands]
        values += [lambda value=value: value for value in piped]
        unknown = False
        last: Any = None
        for get in values:
            last = get()
            if last is UNKNOWN:
                unknown = True
                continue
            if (name == "and" and not truth(last)) or (name == "or" and truth(last)):
                return last
        return UNKNOWN if unknown else last

    def _operand(self, operand: Any, dot: Any, variables: dict[str, Any], line: int) -> Any:
        kind = operand[0]
        if kind == "literal":
            return operand[1]
        if kind == "variable":
            return variables.get(operand[1], UNKNOWN)
        if kind == "pipeline":
            return self._pipeline(operand[1], dot, dict(variables), line)
        if kind == "function":
            return self._call(operand[1], [], line)
        if kind == "field":
            base = dot if operand[1] == ("dot",) else self._operand(operand[1], dot, variables, line)
            for part in operand[2]:
                base = _field(base, part)
            return base
        return UNKNOWN

    def _include(self, name: str, argument: Any, line: int) -> Any:
        body = self.defines.get(name)
        if body is None or self.depth >= MAX_INCLUDE_DEPTH:
            return UNKNOWN
        self.depth += 1
        out: list[tuple[str, int]] = []
        try:
            self._nodes(body, argument, {"$": argument}, out)
        except (_Break, _Continue):
            pass
        finally:
            self.depth -= 1
        return "".join(text for text, _ in out)

    def _call(self, name: str, arguments: list[Any], line: int) -> Any:
        if name == "include":
            if len(arguments) < 2 or not isinstance(arguments[0], str):
                return UNKNOWN
            return self._include(arguments[0], arguments[1], line)
        if name == "tpl":
            if arguments and isinstance(arguments[0], str) and "{{" not in arguments[0]:
                return arguments[0]
            return UNKNOWN
        if name == "fail":
            raise _Fail(_print(arguments[0]) if arguments else "")
        function = _FUNCTIONS.get(name)
        if function is None:
            self._note(f"function `{name}`")
            return UNKNOWN
        if name not in _TAKES_UNKNOWN and any(argument is UNKNOWN for argument in arguments):
            return UNKNOWN
        try:
            return function(*arguments)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ZeroDivisionError):
            return UNKNOWN


def _short(pipeline: _Pipeline) -> str:
    """A pipeline named briefly in a notice."""
    parts = []
    for command in pipeline.commands:
        words = []
        for operand in command:
            if operand[0] == "field" and operand[1] == ("dot",):
                words.append("." + ".".join(operand[2]))
            elif operand[0] in ("function", "variable"):
                words.append(str(operand[1]))
            elif operand[0] == "literal":
                words.append(json.dumps(operand[1]) if isinstance(operand[1], str) else str(operand[1]))
            else:
                words.append("(…)")
        parts.append(" ".join(words))
    text = " | ".join(parts)
    return text if len(text) <= 80 else text[:77] + "…"


def _field(base: Any, name: str) -> Any:
    if base is UNKNOWN:
        return UNKNOWN
    if isinstance(base, dict):
        return base.get(name)  # a missing key of a map is nil, as in Helm
    return None if base is None else UNKNOWN


def truth(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) > 0
    return True


def _print(value: Any) -> str:
    if value is None:
        return ""  # Helm prints nothing for a missing value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_print(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_print(item)}" for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))) + "]"
    return str(value)


def _emit_text(out: list[tuple[str, int]], text: str, line: int) -> None:
    for offset, piece in enumerate(text.split("\n")):
        out.append((("\n" if offset else "") + piece, line + offset))


def _assemble(out: list[tuple[str, int]], unrendered: list[str]) -> Rendered:
    """The output text, and for each output line the template line of its first
    non-blank character (else of where the line started)."""
    text_parts: list[str] = []
    lines: list[int] = []
    current: int | None = None
    started_at = out[0][1] if out else 1
    for chunk, line in out:
        text_parts.append(chunk)
        pieces = chunk.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append(current if current is not None else started_at)
                current, started_at = None, line
            if current is None and piece.strip():
                current = line
    lines.append(current if current is not None else started_at)
    return Rendered("".join(text_parts), lines, list(unrendered))


# Functions ---------------------------------------------------------------------------------


def _to_yaml(value: Any) -> Any:
    import yaml

    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return "null"
    text = yaml.safe_dump(_plain(value), default_flow_style=False, sort_keys=True, allow_unicode=True, width=1_000_000)
    return text[:-1] if text.endswith("\n") else text


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is UNKNOWN:
        return None
    if isinstance(value, str):
        return str(value)
    return value


MAX_WIDTH = 1000  # an indent or a printf width past this is no chart's: unknown, not a memory bill


def _indent(width: Any, text: Any) -> Any:
    if not 0 <= int(width) <= MAX_WIDTH:
        return UNKNOWN
    pad = " " * int(width)
    return pad + _print(text).replace("\n", "\n" + pad)


def _newline(text: Any) -> Any:
    return UNKNOWN if text is UNKNOWN else "\n" + text


def _from_yaml(text: Any) -> Any:
    """A YAML text as data, under the node budget of every YAML the scan reads."""
    from mcpharden.syntax.yamlnodes import YamlError, load_documents

    try:
        documents = load_documents(_print(text))
    except YamlError:
        return UNKNOWN
    return documents[0] if documents else {}


def _default(*arguments: Any) -> Any:
    if len(arguments) == 1:
        return arguments[0]
    fallback, given = arguments[0], arguments[-1]
    if given is UNKNOWN:
        return UNKNOWN
    return given if truth(given) else fallback


def _coalesce(*arguments: Any) -> Any:
    for argument in arguments:
        if argument is UNKNOWN:
            return UNKNOWN
        if truth(argument):
            return argument
    return None


def _empty(value: Any = None) -> Any:
    return UNKNOWN if value is UNKNOWN else not truth(value)


def _ternary(true_value: Any, false_value: Any, condition: Any) -> Any:
    return UNKNOWN if condition is UNKNOWN else (true_value if truth(condition) else false_value)


def _printf(form: str, *arguments: Any) -> Any:
    if any(int(width) > MAX_WIDTH for width in re.findall(r"%[-+ #0]*(\d+)", form)) or "*" in form or "%(" in form:
        return UNKNOWN
    converted = []
    for argument in arguments:
        converted.append(argument if isinstance(argument, (int, float)) and not isinstance(argument, bool) else _print(argument))
    return re.sub(r"%v|%q", "%s", form) % tuple(converted)


def _number(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip() or 0
    return int(float(value))


def _compare(operator: str) -> Any:
    def compare(first: Any, *others: Any) -> Any:
        def normal(value: Any) -> Any:
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        if operator == "eq":
            return any(normal(first) == normal(other) for other in others)
        second = normal(others[0])
        first = normal(first)
        return {"ne": first != second, "lt": first < second, "le": first <= second,
                "gt": first > second, "ge": first >= second}[operator]
    return compare


def _dict(*pairs: Any) -> dict:
    return {str(pairs[index]): pairs[index + 1] if index + 1 < len(pairs) else None for index in range(0, len(pairs), 2)}


def _merge(target: Any, *sources: Any) -> Any:
    if not isinstance(target, dict):
        return UNKNOWN
    result = dict(target)
    for source in sources:
        for key, value in (source.items() if isinstance(source, dict) else []):
            if key not in result or result[key] is None:
                result[key] = value
            elif isinstance(result[key], dict) and isinstance(value, dict):
                result[key] = _merge(result[key], value)
    return result


def _trunc(length: Any, text: Any) -> str:
    text, length = _print(text), int(length)
    return text[:length] if length >= 0 else text[length:]


_FUNCTIONS: dict[str, Any] = {
    "default": _default, "coalesce": _coalesce, "empty": _empty, "ternary": _ternary,
    "required": lambda message, value: value,
    "quote": lambda *values: " ".join(json.dumps(_print(v)) for v in values if v is not None),
    "squote": lambda *values: " ".join(f"'{_print(v)}'" for v in values if v is not None),
    "toYaml": _to_yaml, "toJson": lambda value: json.dumps(_plain(value), separators=(",", ":")),
    "toPrettyJson": lambda value: json.dumps(_plain(value), indent=2),
    "fromYaml": lambda text: _from_yaml(text),
    "indent": _indent, "nindent": lambda width, text: _newline(_indent(width, text)),
    "trim": lambda text: _print(text).strip(), "trimSuffix": lambda suffix, text: _print(text).removesuffix(suffix),
    "trimPrefix": lambda prefix, text: _print(text).removeprefix(prefix), "trimAll": lambda chars, text: _print(text).strip(chars),
    "upper": lambda text: _print(text).upper(), "lower": lambda text: _print(text).lower(),
    "title": lambda text: _print(text).title(), "replace": lambda old, new, text: _print(text).replace(old, new),
    "trunc": _trunc, "printf": _printf, "print": lambda *values: "".join(_print(v) for v in values),
    "println": lambda *values: " ".join(_print(v) for v in values) + "\n",
    "cat": lambda *values: " ".join(_print(v) for v in values if v is not None),
    "toString": _print, "int": _number, "int64": _number, "float64": lambda value: float(value),
    "atoi": lambda text: int(text), "len": lambda value: len(value) if value is not None else 0,
    "contains": lambda part, text: part in _print(text), "hasPrefix": lambda prefix, text: _print(text).startswith(prefix),
    "hasSuffix": lambda suffix, text: _print(text).endswith(suffix),
    "not": lambda value: not truth(value),
    "eq": _compare("eq"), "ne": _compare("ne"), "lt": _compare("lt"), "le": _compare("le"),
    "gt": _compare("gt"), "ge": _compare("ge"),
    "hasKey": lambda mapping, key: isinstance(mapping, dict) and key in mapping,
    "get": lambda mapping, key: mapping.get(key, "") if isinstance(mapping, dict) else "",
    "pluck": lambda key, *maps: [m[key] for m in maps if isinstance(m, dict) and key in m],
    "keys": lambda *maps: [k for m in maps if isinstance(m, dict) for k in m],
    "dict": _dict, "list": lambda *items: list(items), "tuple": lambda *items: list(items),
    "merge": _merge, "mergeOverwrite": lambda target, *sources: _merge(*reversed((target, *sources))),
    "first": lambda items: items[0] if items else None, "last": lambda items: items[-1] if items else None,
    "join": lambda separator, items: separator.join(_print(item) for item in items),
    "splitList": lambda separator, text: _print(text).split(separator),
    "split": lambda separator, text: {f"_{i}": part for i, part in enumerate(_print(text).split(separator))},
    "has": lambda item, items: item in (items or []), "uniq": lambda items: list(dict.fromkeys(items)),
    "compact": lambda items: [item for item in items if truth(item)],
    "kindIs": lambda kind, value: _kind(value) == kind, "kindOf": lambda value: _kind(value),
    "typeIs": lambda kind, value: _kind(value) == kind.split(".")[-1],
    "b64enc": lambda text: base64.b64encode(_print(text).encode()).decode(),
    "sha256sum": lambda text: hashlib.sha256(_print(text).encode()).hexdigest(),
    "add": lambda *numbers: sum(_number(n) for n in numbers), "add1": lambda number: _number(number) + 1,
    "sub": lambda first, second: _number(first) - _number(second),
    "mul": lambda first, second: _number(first) * _number(second),
    "max": lambda *numbers: max(_number(n) for n in numbers), "min": lambda *numbers: min(_number(n) for n in numbers),
    "until": lambda count: list(range(min(int(count), 10_000))),
    "toStrings": lambda items: [_print(item) for item in items],
    "index": lambda collection, *keys: _index(collection, keys), "set": lambda mapping, key, value: _set(mapping, key, value),
    "unset": lambda mapping, key: (mapping.pop(key, None), mapping)[1],
}
_TAKES_UNKNOWN = frozenset({"default", "coalesce", "empty", "ternary", "toYaml"})  # toYaml: a map may hold an unknown


def _index(collection: Any, keys: tuple) -> Any:
    for key in keys:
        if isinstance(collection, dict):
            collection = collection.get(key)
        elif isinstance(collection, (list, tuple)) and isinstance(key, int):
            collection = collection[key]
        else:
            return None if collection is None else UNKNOWN
    return collection


def _set(mapping: Any, key: Any, value: Any) -> Any:
    """Sprig's `set` changes a dict the template made (`dict`), never the chart's values."""
    if not isinstance(mapping, dict):
        return UNKNOWN
    mapping[str(key)] = value
    return mapping


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, tuple)):
        return "slice"
    return "invalid" if value is None else "unknown"
