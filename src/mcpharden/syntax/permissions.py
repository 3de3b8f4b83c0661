"""File modes that build steps set, read for one question: does a path end up writable by
every user (the "other" write bit), and with the sticky bit?

Modes are read as GNU coreutils reads them: an octal mode sets every bit (`777`, `0666`,
`1777` with the sticky bit; fewer than four digits clear the sticky bit); a symbolic mode is
clauses (`u+x,go-w`, `a=rwx`, `o+w`) applied in order, and a clause without `u`, `g`, `o` or
`a` is masked by the umask, which Docker builds run with at 022: `chmod +w` and `chmod =rwx`
never give others write access. Commands: `chmod` (with `-R`), `mkdir -m`, `install -m`, and
`find … -exec chmod MODE {} …` (read as a recursive change of the folders find starts from).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OCTAL = re.compile(r"^[0-7]{1,4}$")
_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")
_OPERATION = re.compile(r"([-+=])([rwxXstugo]*)")
_CHMOD_FLAGS = frozenset({"-R", "--recursive", "-c", "--changes", "-f", "--silent", "--quiet", "-v", "--verbose",
                          "--preserve-root", "--no-preserve-root", "-H", "-L", "-P", "-h", "--dereference",
                          "--no-dereference"})


@dataclass(frozen=True)
class ModeEffect:
    """What a mode does to the "other" write bit and to the sticky bit: True (set), False
    (cleared) or None (left as it was)."""

    others_write: bool | None
    sticky: bool | None


@dataclass(frozen=True)
class ModeChange:
    """One path a command gives a mode."""

    path: str  # as written in the command (relative paths are the caller's to resolve)
    effect: ModeEffect
    recursive: bool
    how: str  # the command, shortened


def mode_effect(mode: str) -> ModeEffect | None:
    """The effect of a chmod-style mode on others' write bit and the sticky bit; None when the
    mode is not one (`--reference=x`, a variable)."""
    mode = mode.strip()
    if _OCTAL.match(mode):
        value = int(mode, 8)
        return ModeEffect(bool(value & 0o002), bool(value & 0o1000))
    others: bool | None = None
    sticky: bool | None = None
    clauses = mode.split(",")
    if not all(_CLAUSE.match(clause) for clause in clauses):
        return None
    for clause in clauses:
        match = _CLAUSE.match(clause)
        who = match.group(1)
        explicit_others = "o" in who or "a" in who
        for operator, permissions in _OPERATION.findall(match.group(2)):
            # Without `who`, the umask (022) keeps the operation away from others' write bit.
            if explicit_others:
                if operator == "+" and "w" in permissions:
                    others = True
                elif operator == "-" and "w" in permissions:
                    others = False
                elif operator == "=":
                    others = "w" in permissions if not set(permissions) & set("ugo") else others
            elif operator == "=" and not who:
                others = False  # `=rwx`: others get r-x through the umask
            if "t" in permissions and ("o" in who or "a" in who or not who):
                if operator in "+=":
                    sticky = True
                elif operator == "-":
                    sticky = False
            elif operator == "=" and (explicit_others or not who) and not set(permissions) & set("ugo"):
                sticky = False
    return ModeEffect(others, sticky)


def mode_changes(argv: tuple[str, ...]) -> list[ModeChange]:
    """The modes a command sets: chmod, mkdir -m, install -m, find -exec chmod."""
    if not argv:
        return []
    program = argv[0].rsplit("/", 1)[-1]
    if program == "chmod":
        return _chmod(argv)
    if program == "mkdir":
        return _with_mode_option(argv, directories_only=True)
    if program == "install":
        return _with_mode_option(argv, directories_only=False)
    if program == "find":
        return _find_chmod(argv)
    return []


def _shown(argv: tuple[str, ...]) -> str:
    text = " ".join(argv)
    return text if len(text) <= 80 else text[:77] + "..."


def _chmod(argv: tuple[str, ...]) -> list[ModeChange]:
    recursive = False
    mode = None
    paths = []
    for word in argv[1:]:
        if mode is None and (word in _CHMOD_FLAGS or word.startswith("--reference")
                             or re.fullmatch(r"-[RcfvHLPh]+", word)):
            recursive = recursive or word == "--recursive" or (word.startswith("-") and not word.startswith("--") and "R" in word)
            if word.startswith("--reference"):
                return []  # the mode of another file: not known here
            continue
        if mode is None:
            mode = word
        elif word.startswith("-") and (word in _CHMOD_FLAGS or re.fullmatch(r"-[RcfvHLPh]+", word)):
            recursive = recursive or word == "--recursive" or (not word.startswith("--") and "R" in word)
        else:
            paths.append(word)
    effect = mode_effect(mode) if mode else None
    if effect is None:
        return []
    return [ModeChange(path, effect, recursive, _shown(argv)) for path in paths]


def _with_mode_option(argv: tuple[str, ...], directories_only: bool) -> list[ModeChange]:
    """`mkdir -m 777 -p /a`, `install -d -m 0777 /a`, `install -m 666 src /dest`."""
    mode = None
    positionals = []
    directories = directories_only
    words = iter(argv[1:])
    for word in words:
        if word in ("-m", "--mode"):
            mode = next(words, None)
        elif word.startswith("--mode="):
            mode = word.split("=", 1)[1]
        elif word.startswith("-m") and len(word) > 2 and not word.startswith("--"):
            mode = word[2:]
        elif word in ("-o", "--owner", "-g", "--group", "-S", "--suffix", "-t", "--target-directory", "--context", "-Z"):
            value = next(words, None)
            if word in ("-t", "--target-directory") and value:
                positionals.append(value)
                directories = True
        elif word in ("-d", "--directory"):
            directories = True
        elif word.startswith("-") and word != "-":
            if not word.startswith("--") and "d" in word[1:] and argv[0].rsplit("/", 1)[-1] == "install":
                directories = True
        else:
            positionals.append(word)
    effect = mode_effect(mode) if mode else None
    if effect is None or not positionals:
        return []
    targets = positionals if directories else positionals[-1:]
    return [ModeChange(path, effect, False, _shown(argv)) for path in targets]


def _find_chmod(argv: tuple[str, ...]) -> list[ModeChange]:
    """`find /app -type d -exec chmod 777 {} \\;`: the folders find starts from, recursively;
    only a change that gives others write access counts (what find selects is not known)."""
    words = list(argv[1:])
    roots = []
    for word in words:
        if word.startswith(("-", "(", "!")):
            break
        roots.append(word)
    for index, word in enumerate(words):
        if word in ("-exec", "-execdir") and index + 1 < len(words) and words[index + 1].rsplit("/", 1)[-1] == "chmod":
            inner = tuple(w for w in words[index + 1:] if w not in (";", "+", "\\;"))
            changes = _chmod(inner)
            if changes and changes[0].effect.others_write:
                return [ModeChange(root, changes[0].effect, True, _shown(argv)) for root in roots or ["."]]
    return []
