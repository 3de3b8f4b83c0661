"""Health check tests (a Dockerfile `HEALTHCHECK`, a compose `healthcheck.test`) → HealthcheckTest
with the steps it runs: the argv of exec form, or the command lists of a shell script.

A health check is a one-liner (`curl -f http://localhost:8080/health || exit 1`), so its script
is read as lists of pipelines joined by `&&`, `||`, `;` and newlines, with redirections left
out. Anything more (`if`, loops, subshells, `$(...)`, functions, heredocs) leaves the steps
unknown: a rule then judges only what the form says.
"""

from __future__ import annotations

import posixpath
import shlex

from mcpharden.model.build import HealthcheckStep, HealthcheckTest

# Shells whose `-c SCRIPT` an exec-form test may run (`["CMD", "sh", "-c", "curl … || exit 1"]`).
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
# Words that open compound commands (or close them): beyond a command list.
_COMPOUND = frozenset({"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
                       "{", "}", "!", "[[", "function", "select", "coproc"})
_OPERATORS = {"&&": "&&", "||": "||", ";": ";", "\n": ";", "&": ";"}
MAX_SCRIPT_CHARS = 4096


def healthcheck_test(form: str, command: tuple[str, ...]) -> HealthcheckTest:
    """The test with its steps: exec form runs its argv (or, for `sh -c SCRIPT`, that script in
    that shell); shell form runs its script in the image's shell."""
    if form == "exec" and command:
        program = posixpath.basename(command[0])
        if program in SHELLS and len(command) >= 3 and command[1] == "-c":
            return HealthcheckTest(form, command, steps=script_steps(command[2]), shell=command[0])
        return HealthcheckTest(form, command, steps=(HealthcheckStep("", (command,)),))
    if form == "shell" and command:
        return HealthcheckTest(form, command, steps=script_steps(command[0]), shell="/bin/sh")
    return HealthcheckTest(form, command)


def script_steps(script: str) -> tuple[HealthcheckStep, ...] | None:
    """The pipelines of a command list and the operator before each; None for other syntax."""
    if len(script) > MAX_SCRIPT_CHARS or "`" in script or "$(" in script or "<<" in script:
        return None
    lexer = shlex.shlex(script.replace("\\\n", " "), posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:  # an open quote
        return None
    steps: list[HealthcheckStep] = []
    operator, pipeline, words = "", [], []
    skip_next = in_comment = False
    for token in tokens:
        if in_comment:
            in_comment = token != "\n"
            if in_comment:
                continue
        if skip_next:  # the target of a redirection
            skip_next = False
            continue
        if token in ("(", ")") or (not words and token in _COMPOUND):
            return None
        if token.startswith("#"):  # a word that starts with `#` starts a comment
            in_comment = True
            continue
        if set(token) <= set("<>&|") and ("<" in token or ">" in token):
            if words and words[-1].isdigit():
                words.pop()  # `2>&1`: the descriptor is not an argument
            skip_next = True
            continue
        if token in ("|", "|&"):
            if not words:
                return None
            pipeline.append(tuple(words))
            words = []
        elif token in _OPERATORS:
            if words:
                pipeline.append(tuple(words))
                words = []
            if pipeline:
                steps.append(HealthcheckStep(operator, tuple(pipeline)))
                pipeline = []
                operator = _OPERATORS[token]
            elif token in ("&&", "||"):
                return None  # an operator with nothing before it
        elif set(token) <= set(";&|<>\n"):
            return None  # `;;`, `|||` and the like
        else:
            words.append(token)
    if words:
        pipeline.append(tuple(words))
    if pipeline:
        steps.append(HealthcheckStep(operator, tuple(pipeline)))
    elif operator in ("&&", "||"):
        return None  # a script that ends with `&&`
    return tuple(steps) or None
