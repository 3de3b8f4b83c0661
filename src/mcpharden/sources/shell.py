"""Split shell scripts (RUN lines, CI steps, hook scripts) into simple commands.

bashlex, a port of bash's own parser, gives the command structure: `&&`, `;`, `|`,
subshells, `if`/`for` bodies and command substitutions all yield their simple commands.
Scripts bashlex rejects fall back to a lexer (shlex) that still honours quoting and
splits on control operators, so a scan never fails on exotic syntax.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in",
                       "case", "esac", "{", "}", "!", "(", ")", "function", "time"})
_OPERATORS = frozenset({";", "&&", "||", "|", "&", ";;", "(", ")", "|&"})
# Wrappers that run the command that follows them.
_WRAPPERS = frozenset({"sudo", "exec", "nice", "nohup", "time", "command", "builtin", "xargs", "gosu", "su-exec"})


@dataclass(frozen=True)
class SimpleCommand:
    """One command: its words, the `VAR=value` assignments before it, its line in the script."""

    argv: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    line_offset: int = 0  # 0-based line within the script

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""


def split_commands(script: str) -> tuple[SimpleCommand, ...]:
    """All simple commands of a script, in order, with wrappers (`sudo`, `sh -c`) unwrapped."""
    return _split_cached(script)


@lru_cache(maxsize=4096)
def _split_cached(script: str) -> tuple[SimpleCommand, ...]:
    try:
        commands = _with_bashlex(script)
    except Exception:  # bashlex raises many types on syntax it does not know
        commands = _with_lexer(script)
    return tuple(unwrapped for command in commands for unwrapped in _unwrap(command))


def _with_bashlex(script: str) -> list[SimpleCommand]:
    import bashlex  # heavy: only when a script is parsed

    line_starts = _line_starts(script)
    found: list[SimpleCommand] = []

    class Visitor(bashlex.ast.nodevisitor):
        def visitcommand(self, node, parts):
            words: list[str] = []
            assignments: list[tuple[str, str]] = []
            for part in parts:
                if part.kind == "word":
                    words.append(part.word)
                elif part.kind == "assignment" and not words:
                    name, _, value = part.word.partition("=")
                    assignments.append((name, value))
                elif part.kind == "assignment":
                    words.append(part.word)  # `export A=b`: an argument, not a prefix
            if words or assignments:
                found.append(SimpleCommand(tuple(words), tuple(assignments), _line_of(line_starts, node.pos[0])))
            return True  # keep walking: command substitutions hold commands too

    for tree in bashlex.parse(script):
        Visitor().visit(tree)
    return found


def _with_lexer(script: str) -> list[SimpleCommand]:
    found: list[SimpleCommand] = []
    for offset, line in enumerate(_logical_lines(script)):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # unbalanced quotes: fall back to whitespace
            tokens = line.split()
        current: list[str] = []
        for token in tokens + [";"]:
            if token in _OPERATORS:
                command = _from_words(current, offset)
                if command:
                    found.append(command)
                current = []
            else:
                current.append(token)
    return found


def _from_words(words: list[str], offset: int) -> SimpleCommand | None:
    while words and words[0] in _RESERVED:
        words = words[1:]
    assignments = []
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words[0].partition("=")
        assignments.append((name, value))
        words = words[1:]
    if not words and not assignments:
        return None
    return SimpleCommand(tuple(words), tuple(assignments), offset)


def _unwrap(command: SimpleCommand) -> tuple[SimpleCommand, ...]:
    """`sudo npm ci` is `npm ci`; `sh -c "npm ci"` is the commands of its script; `env A=b x`."""
    argv = list(command.argv)
    assignments = list(command.assignments)
    while argv:
        program = argv[0].rsplit("/", 1)[-1]
        if program in _WRAPPERS:
            argv = _drop_options(argv[1:])
        elif program == "env":
            argv = _drop_options(argv[1:])
            while argv and _ASSIGNMENT.match(argv[0]):
                name, _, value = argv.pop(0).partition("=")
                assignments.append((name, value))
        elif program in ("sh", "bash", "ash", "dash", "zsh") and "-c" in argv[1:]:
            script = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
            inner = split_commands(script)
            return tuple(
                SimpleCommand(c.argv, tuple(assignments) + c.assignments, command.line_offset + c.line_offset)
                for c in inner
            )
        else:
            break
    if not argv and not assignments:
        return ()
    return (SimpleCommand(tuple(argv), tuple(assignments), command.line_offset),)


def _drop_options(argv: list[str]) -> list[str]:
    while argv and argv[0].startswith("-"):
        argv = argv[1:]
    return argv


def _logical_lines(script: str) -> list[str]:
    """Lines with backslash continuations joined, one entry per physical line kept for offsets."""
    lines = script.split("\n")
    joined: list[str] = []
    carry = ""
    for line in lines:
        if line.endswith("\\"):
            carry += line[:-1] + " "
            joined.append("")
        else:
            joined.append(carry + line)
            carry = ""
    if carry:
        joined.append(carry)
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
