"""Simple commands of a shell script from tree-sitter-bash's syntax tree.

tree-sitter's bash grammar is compiled C: it parses any script in linear time, never raises, and
recovers from what it cannot read (an `ERROR` node around the part, the rest parsed as usual), so
one grammar serves every RUN line, CI step, hook script and README block. GitHub's `${{ … }}`
expressions are masked before parsing, as the runner substitutes them before bash sees the script,
and given back in the words."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tree_sitter import Node

# A GitHub expression, masked as a plain word holding its number (control characters are never in
# a script the readers pass on). An expression over several lines would move the lines after it
# up; the runner's expressions are one line in practice.
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_MASK = "\x01"
_MASKED = re.compile("\x01([0-9a-f]+)\x01")
# Statements whose children hold commands (bodies, conditions, list members).
_CONTAINERS = frozenset({
    "program", "list", "pipeline", "subshell", "compound_statement", "if_statement", "elif_clause", "else_clause",
    "while_statement", "for_statement", "c_style_for_statement", "do_group", "case_statement", "case_item",
    "function_definition", "redirected_statement", "negated_command", "ERROR", "command_substitution",
    "process_substitution", "heredoc_redirect", "herestring_redirect", "file_redirect", "arithmetic_expansion",
    "string", "concatenation", "expansion", "binary_expression", "unary_expression", "parenthesized_expression",
    "ternary_expression", "postfix_expression", "subscript", "array", "declaration_command", "unset_command",
    "variable_assignment", "variable_assignments", "test_command",
})
_EXPRESSIONS = frozenset({"binary_expression", "unary_expression", "parenthesized_expression", "negated_expression"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Keywords that recovery from a syntax error can leave where a command name stands.
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "in", "{", "}",
                       "!", "function", "select"})
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_DOUBLE_QUOTE_ESCAPE = re.compile(r'\\([$`"\\\n])')


class Found(NamedTuple):
    argv: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]
    line: int  # 0-based, within the script
    word_lines: tuple[int, ...] = ()  # the line of each word of argv


@lru_cache(maxsize=1)
def _parser():
    from tree_sitter import Language, Parser
    from tree_sitter_bash import language

    return Parser(Language(language()))


def commands(script: str) -> list[Found]:
    """Every simple command of `script`, in source order, the commands of a substitution after
    the command that holds it."""
    expressions: list[str] = []

    def mask(match: re.Match[str]) -> str:
        expressions.append(match.group())
        return f"{_MASK}{len(expressions) - 1:x}{_MASK}"

    masked = _EXPRESSION.sub(mask, script) if "${{" in script else script
    data = masked.encode("utf-8", "surrogateescape")
    return _collect(data, _Reader(data, expressions), 0, by_line=False)


def _collect(data: bytes, reader: _Reader, first_row: int, by_line: bool) -> list[Found]:
    tree = _parser().parse(data)
    found: list[Found] = []
    extras: dict[int, list[Node]] = {}  # command -> words the grammar put in a redirection after it
    # An explicit stack: nesting as deep as a script may hold never reaches Python's recursion limit.
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "ERROR" and not by_line and node.start_point[0] != node.end_point[0]:
            # Recovery from an error can swallow the lines after it (prose in a README block, a
            # PowerShell step): its region is read again a logical line at a time, as a shell
            # reading line by line would still run the commands after the bad one.
            found.extend(_line_by_line(data, node, reader, first_row))
            continue
        if kind == "redirected_statement":
            body = node.child_by_field_name("body")
            redirects = [child for child in node.children if child.type in _REDIRECTS]
            # The grammar reads `echo >&2 'x' y` as one redirection with three destinations;
            # bash, as `echo x y` writing to 2: the words after the first belong to the command
            # the redirection ends (the last of a list or pipeline).
            target = body
            while target is not None and target.type in ("list", "pipeline"):
                target = target.named_children[-1] if target.named_children else None
            if target is not None and target.type == "command":
                # A word between the command and its first redirection that no node holds
                # (`--notes-file - << EOF`: the grammar drops the `-`) is still an argument.
                gap = reader.gap(target.end_byte, redirects[0].start_byte) if redirects else []
                extras[target.id] = gap + [destination for redirect in redirects if redirect.type == "file_redirect"
                                           for destination in redirect.children_by_field_name("destination")[1:]]
            tail = _dedupe([n for r in redirects for n in _substitutions(r)])  # heredoc bodies' too
            stack.extend(reversed(tail))
            if body is not None:
                stack.append(body)
            continue
        if kind == "heredoc_body":
            stack.extend(reversed(_substitutions(node)))
            continue
        if kind == "command":
            command, nested = reader.command(node, extras.pop(node.id, None))
            if command is not None:
                found.append(command)
            stack.extend(reversed(nested))
            continue
        if kind in ("variable_assignment", "variable_assignments") and _is_statement(node):
            found.append(Found((), tuple(reader.assignment(a) for a in _assignments(node)), node.start_point[0]))
            stack.extend(reversed(_substitutions(node)))
            continue
        if kind in ("declaration_command", "unset_command", "test_command"):
            words, lines = reader.words_of_statement(node)
            found.append(Found(tuple(words), (), node.start_point[0], tuple(lines)))
            stack.extend(reversed(_substitutions(node)))
            continue
        if kind in _CONTAINERS or kind.endswith("_statement"):
            stack.extend(reversed([child for child in node.children if child.is_named]))
    return found


def _line_by_line(data: bytes, node: Node, reader: _Reader, first_row: int) -> list[Found]:
    found: list[Found] = []
    row = node.start_point[0]
    carried, carried_row = b"", row
    for line in data[node.start_byte:node.end_byte].split(b"\n"):
        if not carried:
            carried_row = row
        if line.endswith(b"\\"):
            carried += line[:-1] + b" "
        else:
            text = carried + line
            carried = b""
            if text.strip():
                for command in _collect(text, _Reader(text, reader.expressions), 0, by_line=True):
                    found.append(_moved(command, first_row + carried_row))
        row += 1
    if carried.strip():
        found.extend(_moved(c, first_row + carried_row)
                     for c in _collect(carried, _Reader(carried, reader.expressions), 0, by_line=True))
    return found


def _moved(found: Found, rows: int) -> Found:
    return found._replace(line=found.line + rows, word_lines=tuple(line + rows for line in found.word_lines))


def _is_statement(node: Node) -> bool:
    parent = node.parent
    return parent is None or parent.type != "command"


def _assignments(node: Node) -> list[Node]:
    return [node] if node.type == "variable_assignment" else [c for c in node.children if c.type == "variable_assignment"]


def _substitutions(node: Node) -> list[Node]:
    """The command and process substitutions inside `node`, outermost first, in order."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        for child in reversed(current.children):
            if child.type in ("command_substitution", "process_substitution"):
                found.append(child)
            elif child.child_count:
                stack.append(child)
    return sorted(found, key=lambda n: n.start_byte)


class _Reader:
    def __init__(self, data: bytes, expressions: list[str]) -> None:
        self.data = data
        self.expressions = expressions
        self._newlines: list[int] | None = None  # offsets of the script's newlines, built on first need

    def text(self, node: Node) -> str:
        text = self.data[node.start_byte:node.end_byte].decode("utf-8", "surrogateescape")
        return self._unmask(text) if self.expressions and _MASK in text else text

    def _unmask(self, text: str) -> str:
        return _MASKED.sub(lambda match: self.expressions[int(match.group(1), 16)], text)

    def command(self, node: Node, extra: list[Node | str] | None = None) -> tuple[Found | None, list[Node]]:
        words: list[str] = []
        lines: list[int] = []
        assignments: list[tuple[str, str]] = []
        nested: list[Node] = []
        end = -1  # where the last word ended: pieces that touch it are the same word
        cursor = node.start_byte
        for child in [*node.children, *(extra or ())]:
            if isinstance(child, str):
                words.append(child)
                lines.append(self.row(node.end_byte))
                end = -1
                continue
            kind = child.type
            start = child.start_byte
            if cursor < start <= node.end_byte and cursor != node.start_byte and self.data[cursor:start].strip(b" \t\\\n"):
                lost = self.gap(cursor, start)
                words.extend(lost)
                lines.extend([self.row(cursor)] * len(lost))
                end = -1
            cursor = max(cursor, child.end_byte)
            if child.child_count or kind in ("command_substitution", "process_substitution"):
                nested.extend([child] if kind in ("command_substitution", "process_substitution") else _substitutions(child))
            if kind in _REDIRECTS or kind == "comment":
                end = -1
                continue
            if kind == "variable_assignment" and not words and self._assigns(child):
                assignments.append(self.assignment(child))
                continue
            text = self.word(child) if kind != "variable_assignment" else self.text(child)
            # The grammar splits some words (`$IMAGE:$TAG-amd64`, `$HOME/a:$HOME/b`) into pieces
            # that touch; bash reads one word wherever no blank separates them.
            if words and start == end:
                words[-1] += text
            else:
                words.append(text)
                lines.append(child.start_point[0])
            end = child.end_byte
        while words and words[0] in _RESERVED and not (len(words) > 1 and words[0] in ("[", "[[")):
            words.pop(0)  # `fi`, `done`, `then cmd` where recovery left a keyword as a command
            lines.pop(0)
        if not words and not assignments:
            return None, _dedupe(nested)
        return Found(tuple(words), tuple(assignments), node.start_point[0], tuple(lines)), _dedupe(nested)

    def gap(self, start: int, end: int) -> list[str]:
        """Words in source text that no node covers (what the grammar dropped), split on blanks."""
        text = self.data[start:end].decode("utf-8", "surrogateescape").replace("\\\n", " ")
        return [self._unmask(word) if _MASK in word else word for word in text.split()]

    def row(self, offset: int) -> int:
        """The 0-based line of a byte offset, for words no node holds: the script's newlines are
        indexed once, so that a script of many such words costs a search each, not a count."""
        if self._newlines is None:
            self._newlines = [match.start() for match in re.finditer(b"\n", self.data)]
        return bisect.bisect_left(self._newlines, offset)

    def _assigns(self, node: Node) -> bool:
        """`NAME=value` or `NAME[i]=value` assigns; `--auth=x` is a word the grammar took for one."""
        name = node.child_by_field_name("name")
        return name is not None and (name.type == "subscript" or _NAME.fullmatch(self.text(name)) is not None)

    def assignment(self, node: Node) -> tuple[str, str]:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        return (self.text(name) if name is not None else "", self.word(value) if value is not None else "")

    def words_of_statement(self, node: Node) -> tuple[list[str], list[int]]:
        """`export A=b C`, `unset X`, `[ -f x ]`: the keyword and each argument as a word (a
        test's expression flattened into its operands and operators, as `test` receives them;
        pieces that touch are one word, as in `[[ $v == *-* ]]`), and the line of each."""
        words: list[str] = []
        lines: list[int] = []
        end = -1
        for child, text in self._statement_pieces(node):
            if words and child.start_byte == end:
                words[-1] += text
            else:
                words.append(text)
                lines.append(child.start_point[0])
            end = child.end_byte
        return words, lines

    def _statement_pieces(self, node: Node) -> Iterator[tuple[Node, str]]:
        for child in node.children:
            kind = child.type
            if kind == "comment":
                continue
            if kind in _EXPRESSIONS:
                yield from self._statement_pieces(child)
            elif kind == "variable_assignment":
                yield child, self._assignment_word(child)
            elif kind == "test_operator" or not child.is_named:
                yield child, self.text(child)
            else:
                yield child, self.word(child)

    def _assignment_word(self, node: Node) -> str:
        name, value = self.assignment(node)
        return f"{name}={value}" if node.child_by_field_name("value") is not None or b"=" in self.data[node.start_byte:node.end_byte] \
            else name

    def word(self, node: Node) -> str:
        """A word as the shell reads it before expansion: quotes removed, backslash escapes
        applied; expansions and substitutions kept as written."""
        kind = node.type
        if kind == "command_name":
            return "".join(self.word(child) for child in node.children) if node.child_count else self.text(node)
        if kind == "raw_string":
            return self.text(node)[1:-1]
        if kind == "string":
            return self._double_quoted(node)
        if kind == "concatenation":
            return "".join(self._piece(node, child) for child in node.children)
        if kind == "word":
            text = self.text(node)
            return _ESCAPE.sub(_escaped, text) if "\\" in text else text
        if kind == "ansi_c_string":
            return self.text(node)
        if kind in ("binary_expression", "unary_expression", "parenthesized_expression"):
            return self.text(node)
        return self.text(node)

    def _piece(self, parent: Node, child: Node) -> str:
        return self.word(child)

    def _double_quoted(self, node: Node) -> str:
        inner = self.data[node.start_byte + 1:node.end_byte - 1].decode("utf-8", "surrogateescape")
        if self.expressions and _MASK in inner:
            inner = self._unmask(inner)
        return _DOUBLE_QUOTE_ESCAPE.sub(_newline_or_char, inner) if "\\" in inner else inner


def _escaped(match: re.Match[str]) -> str:
    return "" if match.group(1) == "\n" else match.group(1)


def _newline_or_char(match: re.Match[str]) -> str:
    return "" if match.group(1) == "\n" else match.group(1)


def _dedupe(nodes: list[Node]) -> list[Node]:
    seen: set[int] = set()
    kept = []
    for node in sorted(nodes, key=lambda n: n.start_byte):
        if node.start_byte not in seen:
            seen.add(node.start_byte)
            kept.append(node)
    return kept
