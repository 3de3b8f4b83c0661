"""`fix --rewrite-distroless`: a single-stage Node.js or Python server Dockerfile becomes the
three-stage pattern: a build stage (the original steps), a production-dependency stage,
and a distroless `:nonroot` runtime that gets the application, its production
dependencies, and the original entry point, ports, environment and labels.

It refuses (with the reason) whatever it cannot carry over safely: a start command that
needs a shell or a package manager, a runtime version distroless does not ship, an
install it does not recognize.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpharden.fixes.dockerfile import probe_command
from mcpharden.sources.installs import classify
from mcpharden.syntax.shell import split_commands
from mcpharden.syntax.text import content_lines, parsable

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel

# Distroless images by runtime version (what gcr.io/distroless publishes).
NODE_RUNTIMES = {"18": "gcr.io/distroless/nodejs18-debian12:nonroot", "20": "gcr.io/distroless/nodejs20-debian12:nonroot",
                 "22": "gcr.io/distroless/nodejs22-debian12:nonroot", "24": "gcr.io/distroless/nodejs24-debian12:nonroot"}
PYTHON_RUNTIMES = {"3.11": "gcr.io/distroless/python3-debian12:nonroot", "3.13": "gcr.io/distroless/python3-debian13:nonroot"}
NODE_BINARY, PYTHON_BINARY = "/nodejs/bin/node", "/usr/bin/python3"
_RUNTIME_STEPS = {"ENV", "LABEL", "EXPOSE", "STOPSIGNAL", "VOLUME"}
_PROD_INSTALL = {
    "npm": "npm ci --omit=dev", "yarn": "yarn install --production --frozen-lockfile",
    "pnpm": "pnpm install --prod --frozen-lockfile",
}
# What the production-dependency stage copies when the original copied the whole context.
_MANIFEST_COPY = {
    "npm": "COPY package*.json ./", "yarn": "COPY package.json yarn.lock ./", "pnpm": "COPY package.json pnpm-lock.yaml ./",
}
_MANIFESTS = re.compile(r"(package(-lock)?\.json|package\*\.json|yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json|requirements[\w.-]*\.txt)$")


class CannotRewrite(Exception):
    """Why the Dockerfile is left alone."""


@dataclass(frozen=True)
class _Step:
    name: str
    text: str  # the instruction as written (continuations kept)
    value: tuple[str, ...]
    json: bool
    flags: tuple[str, ...]


def rewrite_distroless(text: str, build: BuildModel, healthcheck_port: str | None) -> str:
    if len(build.stages) != 1:
        raise CannotRewrite("only single-stage Dockerfiles are rewritten")
    steps = _steps(text)
    name = build.stages[0].base.name
    if name is None or name.registry != "docker.io" or name.repository not in ("library/node", "library/python"):
        raise CannotRewrite("only official node and python base images are rewritten")
    runtime, binary = _runtime(name.repository, name.tag or "")
    workdir = build.stages[0].workdir
    if workdir == "/":
        raise CannotRewrite("the application needs its own WORKDIR to be copied between stages")
    install, manager, manifests = _dependency_install(steps, build, workdir)
    start = _start(steps, binary)

    header, build_steps, runtime_steps = [], [], []
    seen_from = False
    for step in steps:
        if step.name == "FROM":
            seen_from = True
            build_steps.append(f"{step.text} AS build")
        elif not seen_from:
            header.append(step.text)
        elif step.name in _RUNTIME_STEPS:
            runtime_steps.append(step.text)
        elif step.name in ("CMD", "ENTRYPOINT", "USER", "HEALTHCHECK"):
            continue  # the runtime stage gets its own
        else:
            build_steps.append(step.text)
    base = build.stages[0].base.written
    leading = _leading_comments(text)  # parser directives (# syntax=...) and the file's own header
    lines = [*leading, "# Rewritten by `mcpharden fix --rewrite-distroless`: build, production dependencies, distroless runtime.", *header]
    lines += build_steps
    if manager in _PROD_INSTALL:
        lines.append("RUN rm -rf node_modules")
    lines += ["", f"FROM {base} AS prod-deps", f"WORKDIR {workdir}", *manifests]
    lines.append(f"RUN {_production_install(manager, install)}")
    lines += ["", f"FROM {runtime}", f"WORKDIR {workdir}", *runtime_steps]
    if manager == "pip":
        lines.append(f"ENV PYTHONPATH={workdir}/deps")
    lines.append(f"COPY --from=build {workdir} {workdir}")
    deps = "node_modules" if manager in _PROD_INSTALL else "deps"
    lines.append(f"COPY --from=prod-deps {workdir}/{deps} {workdir}/{deps}")
    probe = probe_command(runtime, healthcheck_port) if healthcheck_port else None
    if probe:
        lines.append(f"HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD {json.dumps(probe)}")
    lines += start
    return "\n".join(lines) + "\n"


def _leading_comments(text: str) -> list[str]:
    lines = []
    for line in content_lines(text):
        if not line.strip().startswith("#"):
            break
        lines.append(line)
    return lines


def _steps(text: str) -> list[_Step]:
    import dockerfile

    source = content_lines(text)  # Docker's lines: its line numbers index these
    return [
        _Step(c.cmd.upper(), "\n".join(source[c.start_line - 1 : c.end_line]), c.value, c.json, c.flags)
        for c in dockerfile.parse_string(parsable(text))
    ]


def _runtime(repository: str, tag: str) -> tuple[str, str]:
    if repository == "library/node":
        major = tag.split(".", 1)[0].split("-", 1)[0]
        if major not in NODE_RUNTIMES:
            raise CannotRewrite(f"node:{tag} has no distroless runtime (available: {', '.join(NODE_RUNTIMES)})")
        return NODE_RUNTIMES[major], NODE_BINARY
    version = ".".join(tag.split("-", 1)[0].split(".")[:2])
    if version not in PYTHON_RUNTIMES:
        raise CannotRewrite(f"python:{tag} has no distroless runtime of the same version (available: {', '.join(PYTHON_RUNTIMES)}); "
                            "dependencies built for another version would not load")
    return PYTHON_RUNTIMES[version], PYTHON_BINARY


def _dependency_install(steps: list[_Step], build: BuildModel, workdir: str) -> tuple[str, str, list[str]]:
    """The install command, its manager, and the COPY steps that bring its manifests."""
    for step in steps:
        if step.name != "RUN" or step.json:
            continue
        for command in split_commands(step.value[0] if step.value else ""):
            action = classify(command, {}, workdir)
            if action and not action.prunes and action.manager in (*_PROD_INSTALL, "pip"):
                if action.manager == "pip" and "-r" not in command.argv:
                    raise CannotRewrite("only `pip install -r requirements.txt` installs are rewritten")
                manifests = [s.text for s in steps if s.name == "COPY" and not any(f.startswith("--from") for f in s.flags)
                             and s.value and all(_MANIFESTS.search(v) for v in s.value[:-1])]
                install = " ".join(command.argv)
                if not manifests:  # the original copied the whole context: copy just the manifests
                    manifests = [_MANIFEST_COPY.get(action.manager) or f"COPY {install.split('-r', 1)[1].split()[0]} ./"]
                return install, action.manager, manifests
    raise CannotRewrite("no npm, yarn, pnpm or pip install found")


def _production_install(manager: str, install: str) -> str:
    if manager == "npm" and install.split()[1:2] != ["ci"]:
        return "npm install --omit=dev"  # no lockfile assumed when the original did not use one
    if manager in _PROD_INSTALL:
        return _PROD_INSTALL[manager]
    requirements = install.split("-r", 1)[1].split()[0]
    return f"pip install --no-cache-dir --target deps -r {requirements}"


def _start(steps: list[_Step], binary: str) -> list[str]:
    """ENTRYPOINT/CMD for a runtime whose entry point is the interpreter itself."""
    entrypoint = next((s for s in reversed(steps) if s.name == "ENTRYPOINT"), None)
    cmd = next((s for s in reversed(steps) if s.name == "CMD"), None)
    if entrypoint is not None:
        if not entrypoint.json or not entrypoint.value or entrypoint.value[0].rsplit("/", 1)[-1] not in ("node", "python", "python3"):
            raise CannotRewrite("the ENTRYPOINT does not start node or python directly (exec form)")
        lines = [f"ENTRYPOINT {json.dumps([binary, *entrypoint.value[1:]])}"]
        if cmd is not None:
            lines.append(cmd.text)
        return lines
    if cmd is None or not cmd.json or not cmd.value or cmd.value[0].rsplit("/", 1)[-1] not in ("node", "python", "python3"):
        raise CannotRewrite("the CMD does not start node or python directly (exec form): distroless has no shell or npm")
    return [f"CMD {json.dumps(list(cmd.value[1:]))}"]
