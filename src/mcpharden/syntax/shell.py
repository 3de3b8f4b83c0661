"""Split shell scripts (RUN lines, CI steps, hook scripts) into simple commands.

Three layers, fastest first:
- a lexer for plain command lists (words, quotes, `&&`, `||`, `;`, `|`, redirections),
  which is what most RUN lines are; it hands anything else to
- bashlex, a port of bash's own parser, for subshells, `if`/`for`/`case` bodies, command
  substitutions and heredocs;
- and, for scripts bashlex rejects, a lexer with shlex's tokens that still honours quoting
  and control operators, so a scan never fails on exotic syntax.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in",
                       "case", "esac", "{", "}", "!", "(", ")", "function", "time"})
_OPERATORS = frozenset({";", "&&", "||", "|", "&", ";;", "(", ")", "|&"})
# Wrappers that run the command that follows them.
_WRAPPERS = frozenset({"sudo", "exec", "nice", "nohup", "time", "command", "builtin", "xargs", "gosu", "su-exec",
                       "corepack", "uvx"})  # corepack pnpm install, uvx poetry install: the tool runs
_DURATION = re.compile(r"^\d+(\.\d+)?[smhd]?$")
# Two-word launchers: `pipx run poetry install` runs `poetry install`.
_LAUNCHERS = frozenset({("pipx", "run"), ("uv", "tool"), ("npm", "exec"), ("pnpm", "dlx")})


@dataclass(frozen=True)
class SimpleCommand:
    """One command: its words, the `VAR=value` assignments before it, its line in the script."""

    argv: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    line_offset: int = 0  # 0-based line within the script
    # The 0-based line of each word of argv, where the parser knows it (a flag on a continuation
    # line of a long `docker run`); empty when it does not. Not part of equality: two commands
    # with the same words are the same command wherever their words stand.
    word_lines: tuple[int, ...] = field(default=(), compare=False)

    def line_of_word(self, index: int) -> int:
        """The 0-based script line of argv[index], the command's own line when not known."""
        return self.word_lines[index] if index < len(self.word_lines) else self.line_offset

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""


def split_commands(script: str, keep_launchers: bool = False) -> tuple[SimpleCommand, ...]:
    """All simple commands of a script, in order, with wrappers (`sudo`, `sh -c`) unwrapped.
    Launchers that download what they run (`uvx`, `pipx run`, `npm exec`, `pnpm dlx`, `uv tool
    run`) are unwrapped too, unless `keep_launchers` asks to see them."""
    return _split_cached(script, keep_launchers)


# bashlex is a recursive, pure-Python parser: past these bounds a script is split by the
# simple lexer instead, which is linear and cannot run away.
MAX_PARSER_CHARS = 32 * 1024
MAX_PARSER_NESTING = 64
_NESTING = re.compile(r"\$\(|`|<\(|>\(|\$\{")


def _parser_can_take(script: str) -> bool:
    return len(script) <= MAX_PARSER_CHARS and len(_NESTING.findall(script)) <= MAX_PARSER_NESTING


@lru_cache(maxsize=4096)
def _split_cached(script: str, keep_launchers: bool = False) -> tuple[SimpleCommand, ...]:
    try:
        commands = _PlainLexer(script).commands()
    except _ParserRejects:
        commands = _with_lexer(script)
    except _NeedsParser:
        commands = _with_bashlex_or_lexer(script) if _parser_can_take(script) else _with_lexer(script)
    return tuple(unwrapped for command in commands for unwrapped in _unwrap(command, keep_launchers))


def _with_bashlex_or_lexer(script: str) -> list[SimpleCommand]:
    try:
        return _with_bashlex(script)
    except Exception:  # bashlex raises many types on syntax it does not know
        return _with_lexer(script)


_TOKEN = re.compile(
    r"""(?P<blank>[ \t]+|\\\n)"""
    r"""|(?P<newline>\n)"""
    r"""|(?P<operator>&&|\|\||;;|[;&|])"""
    r"""|(?P<complex>\$\(\(|<<)"""
    r"""|(?P<substitution>\$\(|`)"""
    r"""|(?P<paren>[()])"""
    r"""|(?P<redirect>\d*(?:>>|<<<|>&|<&|&>>?|>\||[<>]))"""
    r"""|(?P<single>'[^']*')"""
    r"""|(?P<double>")"""
    r"""|(?P<escape>\\.)"""
    r"""|(?P<parameter>\$\{[^}`]*\})"""
    r"""|(?P<text>[^\s'"\\;&|<>()`$]+|\$)"""
)
# Reserved words that open or continue a compound command: the command follows them.
_LEADING_WORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
# Reserved words that close one: nothing follows them in the same command.
_CLOSING_WORDS = frozenset({"fi", "done", "}"})
# Headers that are not commands: `for NAME in WORDS`, `select NAME in WORDS`.
_HEADER_WORDS = frozenset({"for", "select"})
# Syntax left to the full parser.
_UNSUPPORTED_WORDS = frozenset({"case", "esac", "function", "coproc", "[[", "in"})
_ARRAY_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=$")
_DOUBLE_QUOTE_ESCAPES = re.compile(r'\\([$`"\\\n])')


class _NeedsParser(Exception):
    """The script uses syntax the plain lexer does not handle."""


class _ParserRejects(_NeedsParser):
    """Syntax bashlex rejects too, wherever it stands in a script: `[[ … ]]`, `$(( … ))`, array
    assignments and a `(` after two words. Such scripts go straight to the lexer fallback: in
    CI files they are the common case, and a failed bashlex parse costs more than the lexer."""


def plain_command_list(script: str) -> list[SimpleCommand] | None:
    """Simple commands of a script, for the shell syntax MCP builds use: command lists,
    pipelines, `if`/`while`/`for` bodies, subshells, `$(...)` and backticks, quoting and
    redirections. None for syntax left to the full parser (`case`, functions, heredocs,
    arithmetic, unterminated quotes)."""
    try:
        return _PlainLexer(script).commands()
    except _NeedsParser:
        return None


class _PlainLexer:
    def __init__(self, script: str) -> None:
        self.script = script
        self.found: list[SimpleCommand] = []
        self.nested: list[SimpleCommand] = []  # substitutions, listed after their command
        self.words: list[str] = []
        self.word_lines: list[int] = []
        self.assignments: list[tuple[str, str]] = []
        self.word: list[str] | None = None
        self.word_line = 0  # where the word being read starts
        self.word_is_assignment = False
        self.line = 0
        self.command_line = 0
        self.skip_next_word = False  # the target of a redirection is not an argument

    def commands(self) -> list[SimpleCommand]:
        script, position, length = self.script, 0, len(self.script)
        while position < length:
            if self.word is None and script[position] == "#":
                newline = script.find("\n", position)  # a comment runs to the end of the line
                position = length if newline < 0 else newline
                continue
            match = _TOKEN.match(script, position)
            if match is None:
                raise _NeedsParser
            if match.lastgroup == "complex":
                raise _ParserRejects if match.group() == "$((" else _NeedsParser
            position = self._token(match.lastgroup, match, position)
        self._end_command()
        return self.found

    def _token(self, kind: str, match: re.Match[str], position: int) -> int:
        token = match.group()
        if kind == "blank":
            self._end_word()
        elif kind in ("newline", "operator"):
            self._end_command()
            self.command_line = self.line + token.count("\n")
        elif kind == "paren":
            if token == "(" and self.word is not None and _ARRAY_ASSIGNMENT.match("".join(self.word)):
                raise _ParserRejects  # `names=(a b)`
            if token == "(" and len(self.words) + (self.word is not None) >= 2:
                raise _ParserRejects  # only `name ()` defines a function: prose in a README block
            if token == "(" and (self.word is not None or self.words):
                raise _NeedsParser  # `name()` function definitions and the like
            self._end_command()
        elif kind == "redirect":
            self._end_word()
            self.skip_next_word = True
        elif kind == "substitution":
            end = _substitution_end(self.script, match.end(), closing=")" if token == "$(" else "`")
            self._inner(self.script[match.end() : end - 1], self.line)
            self._append(self.script[match.start() : end], match.start())
            self.line += self.script.count("\n", match.start(), end)
            return end
        elif kind == "double":
            end = self._double_quoted(match.end())
            self._append(_DOUBLE_QUOTE_ESCAPES.sub(r"\1", self.script[match.end() : end - 1]), match.start())
            self.line += self.script.count("\n", match.start(), end)
            return end
        elif kind == "single":
            self._append(token[1:-1], match.start())
        elif kind == "escape":
            self._append(token[1], match.start())
        else:
            self._append(token, match.start())
        self.line += token.count("\n")
        return match.end()

    def _double_quoted(self, position: int) -> int:
        """End of a double-quoted string (after its quote); substitutions in it are parsed."""
        script = self.script
        while position < len(script):
            char = script[position]
            if char == "\\":
                position += 2
            elif char == '"':
                return position + 1
            elif char == "`" or script.startswith("$(", position):
                if script.startswith("$((", position):
                    raise _ParserRejects
                opener = 1 if char == "`" else 2
                end = _substitution_end(script, position + opener, closing="`" if char == "`" else ")")
                self._inner(script[position + opener : end - 1], self.line + script.count("\n", 0, position) - script.count("\n", 0, position))
                position = end
            else:
                position += 1
        raise _NeedsParser  # unterminated

    def _inner(self, text: str, line: int) -> None:
        inner = _PlainLexer(text).commands()  # raises what the substitution needs
        self.nested.extend(SimpleCommand(c.argv, c.assignments, line + c.line_offset, tuple(line + w for w in c.word_lines))
                           for c in inner)

    def _append(self, text: str, start: int) -> None:
        if self.word is None:
            self.word = []
            self.word_line = self.line
            self.word_is_assignment = not self.words and bool(_ASSIGNMENT.match(self.script[start : start + 80]))
            if not self.words and not self.assignments:
                self.command_line = self.line
        self.word.append(text)

    def _end_word(self) -> None:
        if self.word is None:
            return
        text = "".join(self.word)
        self.word = None
        if self.skip_next_word:
            self.skip_next_word = False
        elif self.word_is_assignment:
            name, _, value = text.partition("=")
            self.assignments.append((name, value))
        elif not self.words and not self.assignments and text in _LEADING_WORDS:
            pass  # `if`, `then`, `do`, `{`: the command starts with the next word
        else:
            if not self.words and text == "[[":
                raise _ParserRejects
            if not self.words and text in _UNSUPPORTED_WORDS:
                raise _NeedsParser
            self.words.append(text)
            self.word_lines.append(self.word_line)

    def _end_command(self) -> None:
        self._end_word()
        words = self.words
        if words and (words[0] in _HEADER_WORDS or (words[0] in _CLOSING_WORDS and len(words) == 1)):
            words = []
        if words and words[0] in _CLOSING_WORDS:
            raise _NeedsParser
        if words or self.assignments:
            lines = tuple(self.word_lines) if words else ()
            self.found.append(SimpleCommand(tuple(words), tuple(self.assignments), self.command_line, lines))
        self.found.extend(self.nested)
        self.nested = []
        self.words = []
        self.word_lines = []
        self.assignments = []


def _substitution_end(script: str, position: int, closing: str) -> int:
    """Index just past the `)` or backtick that closes a substitution starting at position."""
    depth = 1
    while position < len(script):
        char = script[position]
        if char == "\\":
            position += 2
            continue
        if char == "'" and closing == ")":
            quote = script.find("'", position + 1)
            if quote < 0:
                raise _NeedsParser
            position = quote + 1
            continue
        if char == closing and (closing == "`" or depth == 1):
            return position + 1
        if closing == ")" and script.startswith("$(", position):
            depth += 1
            position += 2
            continue
        if closing == ")" and char == ")":
            depth -= 1
        elif closing == ")" and char == "(":
            depth += 1
        position += 1
    raise _NeedsParser


def _with_bashlex(script: str) -> list[SimpleCommand]:
    from mcpharden.syntax.bashlex_tables import import_bashlex

    bashlex = import_bashlex()  # only when a script needs the full parser; tables from the cache

    line_starts = _line_starts(script)
    found: list[SimpleCommand] = []

    class Visitor(bashlex.ast.nodevisitor):
        def visitcommand(self, node, parts):
            words: list[str] = []
            lines: list[int] = []
            assignments: list[tuple[str, str]] = []
            for part in parts:
                if part.kind == "word" or (part.kind == "assignment" and words):
                    words.append(part.word)  # `export A=b`: an argument, not a prefix
                    lines.append(_line_of(line_starts, part.pos[0]))
                elif part.kind == "assignment":
                    name, _, value = part.word.partition("=")
                    assignments.append((name, value))
            if words or assignments:
                found.append(SimpleCommand(tuple(words), tuple(assignments), _line_of(line_starts, node.pos[0]), tuple(lines)))
            return True  # keep walking: command substitutions hold commands too

    for tree in bashlex.parse(script):
        Visitor().visit(tree)
    return found


def _with_lexer(script: str) -> list[SimpleCommand]:
    found: list[SimpleCommand] = []
    for offset, segments in _logical_lines(script):
        line = " ".join(segments)
        try:
            tokens = shell_words(line)
        except ValueError:  # unbalanced quotes: fall back to whitespace
            tokens = line.split()
        lines = _token_lines(segments, len(tokens), offset)
        current: list[str] = []
        current_lines: list[int] = []
        for token, token_line in zip([*tokens, ";"], [*lines, offset]):
            if token in _OPERATORS:
                command = _from_words(current, current_lines[0] if current_lines else offset, current_lines)
                if command:
                    found.append(command)
                current, current_lines = [], []
            else:
                current.append(token)
                current_lines.append(token_line)
    return found


MAX_TRACKED_SEGMENTS = 64  # past this, a long continued line's words all take its first line


def _token_lines(segments: list[str], count: int, offset: int) -> list[int]:
    """The 0-based line of each of the `count` tokens of the joined segments: the tokens the
    first i segments give end on line offset + i - 1. A quote open across a continuation, or a
    very long line, gives every token the first line."""
    if len(segments) == 1 or len(segments) > MAX_TRACKED_SEGMENTS:
        return [offset] * count
    lines: list[int] = []
    for index in range(len(segments)):
        try:
            reached = len(shell_words(" ".join(segments[: index + 1]))) if index + 1 < len(segments) else count
        except ValueError:
            return [offset] * count
        lines.extend([offset + index] * max(0, min(reached, count) - len(lines)))
    return lines + [offset] * (count - len(lines))


_BLANK = " \t\r\n"
_PUNCTUATION = ";&|()"
_WORD_RUN = re.compile(r"[^ \t\r\n#\\'\";&|()]+")
_PUNCTUATION_RUN = re.compile(r"[;&|()]+")
_DOUBLE_QUOTED_RUN = re.compile(r'[^"\\]+')


def shell_words(line: str) -> list[str]:
    """The tokens of `shlex.shlex(line, posix=True, punctuation_chars=";&|()")` with
    `whitespace_split` and `#` comments, and its ValueError on an open quote or a trailing
    backslash; a run of text at a time instead of shlex's character at a time, and in linear
    time however a word is pieced together. The lexer fallback meets the largest scripts (CI
    steps, README blocks), where shlex was the slowest part of a scan; tests hold it to shlex's
    own output."""
    tokens: list[str] = []
    word: list[str] | None = None  # the pieces of the word being read; None between words
    position, length = 0, len(line)
    while position < length:
        char = line[position]
        if char in _BLANK:
            if word is not None:
                tokens.append("".join(word))
                word = None
            position += 1
        elif char == "#":  # a comment, also inside a word: shlex drops the rest of the line
            if word is not None:
                tokens.append("".join(word))
                word = None
            newline = line.find("\n", position)
            position = length if newline < 0 else newline + 1
        elif char in _PUNCTUATION:
            if word is not None:
                tokens.append("".join(word))
                word = None
            run = _PUNCTUATION_RUN.match(line, position)
            tokens.append(run.group())
            position = run.end()
        else:
            if word is None:
                word = []
            if char == "\\":
                if position + 1 >= length:
                    raise ValueError("No escaped character")
                word.append(line[position + 1])
                position += 2
            elif char == "'":
                end = line.find("'", position + 1)
                if end < 0:
                    raise ValueError("No closing quotation")
                word.append(line[position + 1 : end])
                position = end + 1
            elif char == '"':
                position = _double_quoted_word(line, position + 1, word)
            else:
                run = _WORD_RUN.match(line, position)
                word.append(run.group())
                position = run.end()
    if word is not None:
        tokens.append("".join(word))
    return tokens


def _double_quoted_word(line: str, position: int, word: list[str]) -> int:
    """Adds the text of a double-quoted string opened before `position` to `word`; the index
    past it. A backslash escapes only `"` and itself, as in shlex's posix mode."""
    while True:
        run = _DOUBLE_QUOTED_RUN.match(line, position)
        if run:
            word.append(run.group())
            position = run.end()
        if position >= len(line):
            raise ValueError("No closing quotation")
        if line[position] == '"':
            return position + 1
        if position + 1 >= len(line):  # a backslash as the last character
            raise ValueError("No escaped character")
        escaped = line[position + 1]
        word.append(escaped if escaped in '"\\' else "\\" + escaped)
        position += 2


def _from_words(words: list[str], offset: int, lines: list[int] | None = None) -> SimpleCommand | None:
    lines = list(lines) if lines is not None and len(lines) == len(words) else [offset] * len(words)
    while words and words[0] in _RESERVED:
        words, lines = words[1:], lines[1:]
    assignments = []
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words[0].partition("=")
        assignments.append((name, value))
        words, lines = words[1:], lines[1:]
    if not words and not assignments:
        return None
    return SimpleCommand(tuple(words), tuple(assignments), lines[0] if lines else offset, tuple(lines))


def _unwrap(command: SimpleCommand, keep_launchers: bool = False) -> tuple[SimpleCommand, ...]:
    """`sudo npm ci` is `npm ci`; `sh -c "npm ci"` is the commands of its script; `env A=b x`."""
    argv = list(command.argv)
    assignments = list(command.assignments)
    while argv:
        program = argv[0].rsplit("/", 1)[-1]
        if keep_launchers and (program == "uvx" or (len(argv) > 1 and (program, argv[1]) in _LAUNCHERS)):
            break
        if program in _WRAPPERS:
            argv = _drop_options(argv[1:])
        elif program == "timeout":  # timeout [OPTIONS] DURATION COMMAND
            argv = _drop_options(argv[1:])
            argv = argv[1:] if argv and _DURATION.match(argv[0]) else argv
        elif len(argv) > 1 and (program, argv[1]) in _LAUNCHERS:
            argv = _drop_options(argv[2:])
            if argv and argv[0] == "run" and program == "uv":  # uv tool run X
                argv = _drop_options(argv[1:])
        elif program == "env":
            argv = _drop_options(argv[1:])
            while argv and _ASSIGNMENT.match(argv[0]):
                name, _, value = argv.pop(0).partition("=")
                assignments.append((name, value))
        elif program in ("sh", "bash", "ash", "dash", "zsh") and "-c" in argv[1:]:
            position = argv.index("-c") + 1
            script = argv[position] if position < len(argv) else ""
            inner = split_commands(script, keep_launchers)
            start = command.line_of_word(len(command.argv) - len(argv) + position) if position < len(argv) else command.line_offset
            return tuple(
                SimpleCommand(c.argv, tuple(assignments) + c.assignments, command.line_offset + c.line_offset,
                              tuple(start + w for w in c.word_lines))
                for c in inner
            )
        else:
            break
    if not argv and not assignments:
        return ()
    kept = command.word_lines[len(command.argv) - len(argv):] if command.word_lines else ()  # argv is a suffix
    return (SimpleCommand(tuple(argv), tuple(assignments), command.line_offset, kept),)


def _drop_options(argv: list[str]) -> list[str]:
    while argv and argv[0].startswith("-"):
        argv = argv[1:]
    return argv


def _logical_lines(script: str) -> list[tuple[int, list[str]]]:
    """(0-based first physical line, its physical pieces) of each line, backslash continuations
    joined: a continued command is found on the line where it starts."""
    joined: list[tuple[int, list[str]]] = []
    pieces: list[str] = []
    start = 0
    for number, line in enumerate(script.split("\n")):
        if not pieces:
            start = number
        if line.endswith("\\"):
            pieces.append(line[:-1])
        else:
            joined.append((start, [*pieces, line]))
            pieces = []
    if pieces:
        joined.append((start, pieces))
    return joined


def _line_starts(script: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(script):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _line_of(line_starts: list[int], position: int) -> int:
    import bisect

    return bisect.bisect_right(line_starts, position) - 1


def words_of(script: str) -> list[str]:
    """Words of a single command line, honouring quotes (for exec-form-like strings)."""
    try:
        return shlex.split(script, comments=False)
    except ValueError:
        return script.split()
