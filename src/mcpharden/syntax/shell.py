"""Split shell scripts (RUN lines, CI steps, hook scripts, README blocks) into simple commands.

One grammar, tree-sitter's bash (`syntax.bashtree`): compiled, linear in the script's length, and
recovering from what it cannot read instead of failing, so that no script needs a guessing
fallback. Here the commands it finds are unwrapped: `sudo npm ci` is `npm ci`, and `sh -c "…"`
is the commands of its script.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
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


@lru_cache(maxsize=4096)
def _split_cached(script: str, keep_launchers: bool = False) -> tuple[SimpleCommand, ...]:
    from mcpharden.syntax import bashtree

    commands = [SimpleCommand(found.argv, found.assignments, found.line, found.word_lines) for found in bashtree.commands(script)]
    return tuple(unwrapped for command in commands for unwrapped in _unwrap(command, keep_launchers))


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


def words_of(script: str) -> list[str]:
    """Words of a single command line, honouring quotes (for exec-form-like strings)."""
    try:
        return shlex.split(script, comments=False)
    except ValueError:
        return script.split()
