"""## What it does
Finds health checks that can never pass, or that never look at the server, in a Dockerfile's
`HEALTHCHECK` and in a compose service's `healthcheck:`:

- **no shell**: a shell-form check (`HEALTHCHECK CMD curl … || exit 1`, compose `CMD-SHELL` or a
  plain string, `["CMD", "sh", "-c", …]`) in an image that has no shell (distroless, Chainguard,
  chiseled, `scratch`): Docker runs it with `/bin/sh -c`, which is not there;
- **a missing tool**: `curl` or `wget` in an image that does not ship it: distroless, Chainguard
  and `scratch` have neither, Debian and Ubuntu images (`-slim` language images too) have
  neither, Alpine has only busybox's `wget`, Red Hat's UBI only `curl`. A tool installed in the
  image that ships (`apk add curl`, `apt-get install -y curl`, also in a stage it is built
  `FROM`) or copied into it (`COPY --from=curlimages/curl:8 /usr/bin/curl …`) is there;
- **a check that never looks at the server**: one that runs only `exit 0`, `true`, `echo ok`,
  `node -e "process.exit(0)"`, `console.log('healthy')`, `python -c "import sys; sys.exit(0)"`, or
  only imports the server's package (`python -c "import my_server"`: it passes while the server
  hangs), and one whose result is thrown away (`curl -f … || echo down`, `curl …; exit 0`);
- **shell syntax in exec form**: `["CMD", "curl", "-f", URL, "||", "exit", "1"]` hands `||`,
  `exit` and `1` to curl as more URLs, `["CMD", "ps", "aux", "|", "grep", "node"]` runs no pipe,
  `["CMD", "curl -f URL"]` names a program that does not exist, and `["CMD", "exit", "0"]` a
  shell builtin; a check that always exits non-zero (`exit 1`) never passes either.

A compose health check applies to the image the service runs: the stage its `build:` builds
(its `target:`, else the Dockerfile's last stage) or, for `image:`, what the base-image table
knows of that image. What an image ships comes from that table (`http_clients`); images it
does not know are assumed to have every tool, and scripts with more than lists of commands
(`if`, subshells, `$(…)`) are judged only by their form.

## Why is this bad?
A health check that can never pass marks a working server `unhealthy` (orchestrators restart
it or stop routing to it, `depends_on: condition: service_healthy` never starts what waits for
it); one that cannot fail marks a hung or half-started server `healthy`, so nothing restarts it
and nobody notices the MCP endpoint is gone. Either way the check gives false confidence, and
adding `curl` to a distroless image to make it work hands an attacker a download tool.

## Example
```dockerfile
<!-- sample: bad.Dockerfile -->
```

Use instead:
```dockerfile
<!-- sample: good.Dockerfile -->
```

## How to fix
Make the check request the server with what the image already has, in exec form: the runtime
itself (`["CMD", "node", "-e", "fetch('http://127.0.0.1:8080/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]`,
`["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"]`),
or the server's own health subcommand. On Alpine use busybox's `wget -q --spider`. A stdio
server has no endpoint to probe: remove the `HEALTHCHECK` instead of keeping one that cannot
fail.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mcpharden.knowledge.base_images import profile_for
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule
from mcpharden.sources.installs import build_knowledge

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel, HealthcheckStep, HealthcheckTest, Stage
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.project import Project

PASS, FAIL = "pass", "fail"
HTTP_CLIENTS = ("curl", "wget")
# Files that give an image a shell when copied in, and folders that may hold anything.
_SHELL_FILES = frozenset({"sh", "bash", "ash", "dash", "busybox"})
_WHOLE_FOLDERS = frozenset({"/", "/bin", "/usr", "/usr/bin", "/usr/local", "/usr/local/bin", "/sbin", "/usr/sbin", "/busybox"})
# Shell builtins that exec form cannot run (there is no such program), and simple programs that
# come with the shell's userland (coreutils, busybox): absent where the shell is.
_BUILTINS = frozenset({"exit", ":"})
_USERLAND = frozenset({"echo", "true", "false", "printf", "sleep"})
_QUIET = {"true": PASS, ":": PASS, "false": FAIL, "echo": PASS, "printf": PASS, "sleep": PASS}
# `grep` reading an empty pipe fails: `curl … | grep -q ok` fails when curl is missing.
_FAILS_ON_EMPTY_INPUT = frozenset({"grep", "egrep", "fgrep"})
# Shell syntax that exec form passes to the program as plain arguments.
_SHELL_OPERATORS = frozenset({"||", "&&", "|", ";", "&", ">", ">>", "<", "2>&1", ">/dev/null", "2>/dev/null"})
SHOWN_CHARS = 100


@dataclass(frozen=True)
class Runtime:
    """What the image a health check runs in has, as far as the models tell."""

    what: str  # for messages: "its base image node:22-slim"
    shell: bool
    http_clients: frozenset[str] | None  # None: not known
    installs: bool = False  # whether the answer considered packages installed or copied in the image


@dataclass
class _Run:
    """What running a test can end with, and what it touched on the way."""

    outcomes: set[str] = field(default_factory=set)
    looks: list[str] = field(default_factory=list)  # programs that look at something (the server, a file)
    missing: list[str] = field(default_factory=list)  # programs it calls that the image does not have
    builtins: list[str] = field(default_factory=list)  # shell builtins exec form calls as programs
    imports: list[str] = field(default_factory=list)  # modules a Python one-liner only imports


def check(project: Project) -> Iterator[Finding]:
    builds = {build.path: build for build in project.builds}
    for build in project.builds:
        healthcheck = build.final.healthcheck
        if healthcheck and healthcheck.test:
            problem = judge(healthcheck.test, stage_runtime(build, build.final))
            if problem:
                message = f"the HEALTHCHECK `{_shown(healthcheck.test)}` {problem}"
                yield RULE.finding(build.path, healthcheck.line, message, stage=build.final.label)
    for spec in project.containers:
        if spec.healthcheck and spec.healthcheck.form != "none":
            problem = judge(spec.healthcheck, _service_runtime(spec, builds))
            if problem:
                message = f"the health check of {spec.where} `{_shown(spec.healthcheck)}` {problem}"
                yield RULE.finding(spec.path_of("healthcheck"), spec.line_of("healthcheck"), message)


# What the image has ------------------------------------------------------------------------


def stage_runtime(build: BuildModel, stage: Stage) -> Runtime:
    """The image a stage builds: its base image's table entry, and what its steps install or copy."""
    profile = stage.profile
    names: set[str] = set()
    whole_folder = False
    for copied in stage.copied_paths:
        names.add(posixpath.basename(copied.source.rstrip("/")))
        names.add(posixpath.basename(copied.destination.rstrip("/")))
        if copied.origin != "context" and (posixpath.normpath("/" + copied.source.lstrip("/")) in _WHOLE_FOLDERS
                                           or posixpath.normpath(copied.destination) in _WHOLE_FOLDERS):
            whole_folder = True  # `COPY --from=tools /mnt/rootfs /`: anything may arrive
    packages = build_knowledge()["http_client_packages"]
    installed = {tool for tool in HTTP_CLIENTS if any(p.name in packages.get(tool, ()) for p in stage.os_packages)}
    known = profile.http_clients
    clients = None if known is None or whole_folder else known | installed | (names & set(HTTP_CLIENTS))
    shell = profile.shell or bool(stage.shell_instruction) or bool(names & _SHELL_FILES) or whole_folder
    return Runtime(f"its base image {build.root_base(stage).display}", shell, clients, installs=True)


def _service_runtime(spec: ContainerSpec, builds: dict[str, BuildModel]) -> Runtime:
    if spec.built_locally:
        build = builds.get(spec.dockerfile or "")
        if build is None:
            return Runtime("its image", True, None)
        stage = build.final
        if spec.build_target:
            stage = next((s for s in build.stages if s.name and s.name.lower() == spec.build_target.lower()), stage)
        runtime = stage_runtime(build, stage)
        return Runtime(f"{runtime.what} (built from {build.path})", runtime.shell, runtime.http_clients, installs=True)
    if spec.image is None or not spec.image.resolved:
        return Runtime("its image", True, None)
    profile = profile_for(spec.image.resolved)
    return Runtime(f"its image {spec.image.written}", profile.shell, profile.http_clients)


# What the test does ------------------------------------------------------------------------


def judge(test: HealthcheckTest, runtime: Runtime) -> str | None:
    """Why the test can never pass or never looks at the server, or None when it may work."""
    if test.shell and not runtime.shell:
        how = "runs `/bin/sh -c`" if test.form == "shell" else f"runs `{posixpath.basename(test.shell)}`"
        return f"can never pass: its shell form {how} and {runtime.what} has no shell" if test.form == "shell" \
            else f"can never pass: it {how} and {runtime.what} has no shell"
    if test.form == "exec" and not test.shell and test.command:
        program = test.command[0]
        name = posixpath.basename(program)
        at = next((index for index, word in enumerate(test.command[1:], 1) if word in _SHELL_OPERATORS), None)
        if at is not None and name in HTTP_CLIENTS:
            extra = ", ".join(f"`{_masked_cut(word)}`" for word in test.command[at:at + 3])
            return (f"can never pass: exec form runs no shell, so {extra}{' …' if len(test.command) > at + 3 else ''} "
                    f"are more URLs for `{name}` to fetch, and fetching them fails")
        if at is not None and test.command[at] == "|":
            return (f"does not run as written: exec form runs no shell, so `|` and what follows it are arguments "
                    f"of `{name}`, not a pipe")
        if any(character.isspace() for character in program.strip()):
            return (f"can never pass: exec form runs no shell, and no program is named `{_masked_cut(program)}` (the command "
                    "and each of its arguments are separate items)")
    if test.steps is None:
        return None
    run = _run(test.steps, runtime, in_shell=bool(test.shell))
    if run.outcomes == {FAIL}:
        if run.builtins:
            return f"can never pass: `{run.builtins[0]}` is a shell builtin, not a program, and exec form runs no shell"
        if run.missing:
            return f"can never pass: {_missing(run.missing, runtime)}"
        return "can never pass: it exits non-zero whatever the server does"
    if run.outcomes == {PASS}:
        if not run.looks:
            return "never looks at the server: it passes whether the server answers or not"
        probes = ", ".join(f"`{name}`" for name in dict.fromkeys(run.looks))
        return f"can never fail: it passes whatever {probes} finds"
    if run.imports and not run.looks and not run.missing:
        modules = ", ".join(f"`{name}`" for name in dict.fromkeys(run.imports))
        return f"never looks at the server: it only imports {modules}, which passes while the server hangs or is down"
    return None


def _run(steps: tuple[HealthcheckStep, ...], runtime: Runtime, in_shell: bool) -> _Run:
    """Run the steps over the sets of statuses they can have: `live` are the statuses the script
    can be in, `ended` those an `exit` already returned."""
    run = _Run()
    live, ended = {PASS}, set()
    for step in steps:
        entering = live if step.operator in ("", ";") else live & ({PASS} if step.operator == "&&" else {FAIL})
        if not entering:
            continue
        skipped = live - entering if step.operator in ("&&", "||") else set()
        argv = step.commands[-1]
        if in_shell and len(step.commands) == 1 and argv and argv[0] == "exit":
            code = _exit_code(argv)
            ended |= entering if code is None and len(argv) == 1 else ({PASS, FAIL} if code is None else {PASS if code == 0 else FAIL})
            live = skipped
            continue
        live = skipped | _pipeline(step.commands, runtime, in_shell, run)
    run.outcomes = live | ended
    return run


def _pipeline(commands: tuple[tuple[str, ...], ...], runtime: Runtime, in_shell: bool, run: _Run) -> set[str]:
    results = [_command(argv, runtime, in_shell, run) for argv in commands]
    last = commands[-1]
    reads_the_pipe = last and posixpath.basename(last[0]) in _FAILS_ON_EMPTY_INPUT and \
        len([word for word in last[1:] if not word.startswith("-")]) <= 1  # a pattern, no file
    if reads_the_pipe and any(result == {FAIL} for result in results[:-1]):
        return {FAIL}
    return results[-1]


def _command(argv: tuple[str, ...], runtime: Runtime, in_shell: bool, run: _Run) -> set[str]:
    if not argv:
        return {PASS}
    program = posixpath.basename(argv[0])
    if program in HTTP_CLIENTS and runtime.http_clients is not None and program not in runtime.http_clients:
        run.missing.append(program)
        return {FAIL}
    if not in_shell and program in _BUILTINS:
        run.builtins.append(program)
        return {FAIL}
    if not in_shell and program in _USERLAND and not runtime.shell:
        run.missing.append(program)
        return {FAIL}
    if program == "exit":
        code = _exit_code(argv)
        return {PASS, FAIL} if code is None else {PASS if code == 0 else FAIL}
    if program in _QUIET:
        return {_QUIET[program]}
    quiet = _quiet_interpreter(argv)
    if quiet is not None:
        result, modules = quiet
        if result == IMPORTS:
            run.imports.extend(modules)
            return {PASS, FAIL}
        return {result}
    run.looks.append(program)
    return {PASS, FAIL}


def _exit_code(argv: tuple[str, ...]) -> int | None:
    if len(argv) == 1:
        return None
    return int(argv[1]) % 256 if argv[1].isdigit() else None


def _missing(programs: list[str], runtime: Runtime) -> str:
    names = list(dict.fromkeys(programs))
    shown = " and ".join(f"`{name}`" for name in names)
    verb = "is" if len(names) == 1 else "are"
    if not any(name in HTTP_CLIENTS for name in names):
        return f"{shown} {verb} not in the image: {runtime.what} has no shell, and with it none of the shell's tools"
    has = runtime.http_clients or frozenset()
    ships = f"only {next(iter(has))}" if len(has) == 1 else "neither curl nor wget" if not has else "other tools"
    installed = ", and no step of the image installs or copies it" if runtime.installs else ""
    return f"{shown} {verb} not in the image: {runtime.what} ships {ships}{installed}"


# Interpreter one-liners that look at nothing -------------------------------------------------

IMPORTS = "imports"  # code that only imports modules: it fails when one is missing, whatever the server does
_LITERAL = r"""(?:'[^'\\\n]*'|"[^"\\\n]*"|`[^`$\\\n]*`)"""
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
_JS_EXIT = re.compile(r"^process\.exit\(\s*(\d*)\s*\)$")
_JS_QUIET = re.compile(rf"^(?:console\.(?:log|info|warn|error)\(\s*{_LITERAL}?\s*\)|(['\"])use strict\1|)$")
_PY_EXIT = re.compile(r"^(?:(sys|os)\.)?(exit|quit|_exit)\(\s*(\d*)\s*\)$")
_PY_QUIET = re.compile(rf"^(?:print\(\s*(?:{_LITERAL}|{_DOTTED})?\s*\)|pass|sys\.path\.(?:insert\(\s*\d+\s*,\s*{_LITERAL}\s*\)|append\(\s*{_LITERAL}\s*\))|)$")
_PY_IMPORT = re.compile(rf"^(?:import\s+{_DOTTED}(?:\s+as\s+{_NAME})?(?:\s*,\s*{_DOTTED}(?:\s+as\s+{_NAME})?)*"
                        rf"|from\s+{_DOTTED}\s+import\s+\(?\s*{_NAME}(?:\s+as\s+{_NAME})?(?:\s*,\s*{_NAME}(?:\s+as\s+{_NAME})?)*\s*\)?)$")
_ALWAYS_THERE = frozenset({"sys", "os"})  # modules whose import cannot fail
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_PYTHON_FLAGS = frozenset({"-u", "-B", "-E", "-I", "-s", "-S", "-O", "-OO"})


def _quiet_interpreter(argv: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """For `node -e CODE`, `python -c CODE` (and bun, deno eval) whose code only prints, exits or
    imports: PASS, FAIL or IMPORTS, with the modules it imports; None when it does anything else."""
    program = posixpath.basename(argv[0])
    if program in ("node", "nodejs", "bun") and len(argv) >= 3 and argv[1] in ("-e", "--eval", "-p", "--print"):
        return _quiet_js(argv[2])
    if program == "deno" and len(argv) >= 3 and argv[1] == "eval":
        return _quiet_js(argv[2])
    if _PYTHON.match(program):
        position = 1
        while position < len(argv) and argv[position] in _PYTHON_FLAGS:
            position += 1
        if position + 1 < len(argv) and argv[position] == "-c":
            return _quiet_python(argv[position + 1])
    return None


def _statements(code: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", code)]


def _quiet_js(code: str) -> tuple[str, tuple[str, ...]] | None:
    for statement in _statements(code):
        exited = _JS_EXIT.match(statement)
        if exited:
            return (PASS if int(exited.group(1) or 0) % 256 == 0 else FAIL), ()
        if not _JS_QUIET.match(statement):
            return None
    return PASS, ()


def _quiet_python(code: str) -> tuple[str, tuple[str, ...]] | None:
    imported: list[str] = []
    for statement in _statements(code):
        if _PY_IMPORT.match(statement):
            words = statement.replace(",", " ").replace("(", " ").replace(")", " ").split()
            modules = [words[1]] if words[0] == "from" else [w for i, w in enumerate(words[1:], 1) if words[i - 1] != "as" and w != "as"]
            imported.extend(module.split(".", 1)[0] for module in modules)
            continue
        exited = _PY_EXIT.match(statement)
        if exited:
            module, _, code_text = exited.groups()
            if module and module not in imported:
                return FAIL, ()  # NameError: `sys` was never imported
            result = PASS if int(code_text or 0) % 256 == 0 else FAIL
            return _imports_or(result, imported)
        if not _PY_QUIET.match(statement) or (statement.startswith("sys.") and "sys" not in imported):
            return None
    return _imports_or(PASS, imported)


def _imports_or(result: str, imported: list[str]) -> tuple[str, tuple[str, ...]]:
    """A result that an import of a module that may be missing can turn into a failure."""
    modules = tuple(dict.fromkeys(m for m in imported if m not in _ALWAYS_THERE))
    return (IMPORTS, modules) if modules and result == PASS else (result, ())


def _shown(test: HealthcheckTest) -> str:
    """The test as written (exec form as its JSON list), credentials masked, long ones cut."""
    words = [" ".join(word.replace("\\\n", " ").split()) for word in test.command]  # continuation lines joined
    written = words[0] if test.form == "shell" and words else "[" + ", ".join(json.dumps(word) for word in words) + "]"
    return _masked_cut(written)


def _masked_cut(text: str) -> str:
    """Credentials masked (the safety gate loads only when a health check is quoted), long text cut."""
    from mcpharden.safety import redact_text

    return _cut(redact_text(text))


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


RULE = Rule(
    id="healthcheck-cannot-work",
    title="Health check that cannot work",
    severity=Severity.LOW,
    category="operations",
    why="A health check that can never pass, or never looks at the server, reports the wrong state: a working server is "
        "restarted, or a hung one stays 'healthy'.",
    remedy="Probe the server with what the image has, in exec form (the runtime itself, or busybox wget on Alpine); "
           "drop checks that cannot fail.",
    page=__doc__,
    check=check,
    phase="build",
    reads=("BuildModel", "ContainerSpec"),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("Dockerfile", "`HEALTHCHECK CMD [\"node\", \"-e\", \"fetch('http://127.0.0.1:8080/health').then(r => "
                       "process.exit(r.ok ? 0 : 1), () => process.exit(1))\"]`"),
        ("compose", "`healthcheck: {test: [\"CMD\", \"python\", \"-c\", \"import urllib.request; "
                    "urllib.request.urlopen('http://127.0.0.1:8000/health')\"]}`"),
    ),
    cwe=("CWE-754",),
)
