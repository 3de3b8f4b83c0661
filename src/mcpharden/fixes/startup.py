"""What a service does when it starts, read before `fix` hardens it: packages installed at start,
programs that need root, paths written outside /tmp and its mounts, ports below 1024, stateful
images. Read from the run configuration's command, the Dockerfile's ENTRYPOINT/CMD and the start
scripts the image copies from the build context (never run), and knowledge/service_needs.toml.

Each hardening step asks one question of the result: what stops it (a reason a person reads),
and what it must add to keep the server working (NET_BIND_SERVICE, a tmpfs per start-empty
folder)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mcpharden.knowledge.service_needs import StatefulImage, image_program, stateful_image, table, writable_paths

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel, Stage
    from mcpharden.model.container import ContainerSpec

# Paths a command writes: redirections, tee, touch, mkdir, sed -i, and cp/mv/ln destinations.
_WRITES = re.compile(r"""(?:>>?|\btee(?:\s+-a)?|\btouch|\bmkdir(?:\s+-p)?|\bsed\s+-i\S*\s+(?:'[^']*'|"[^"]*"|\S+)"""
                     r"""|\b(?:cp|mv|ln)(?:\s+-\w+)*\s+\S+)\s+["']?(/[^\s;&|'"<>)]+)""")
_SEGMENTS = re.compile(r"&&|\|\||[;|&\n]|\$\(|`")
_WRAPPERS = frozenset({"exec", "sudo", "nohup", "env", "tini", "dumb-init", "--", "time", "command"})
_ALWAYS_WRITABLE = ("/tmp", "/dev", "/proc", "/var/tmp")  # tmpfs the fix adds, or the kernel's


@dataclass(frozen=True)
class StartNeeds:
    """What the service needs at start. `where` names what was read, for the messages."""

    where: str = "its start command"
    installs: str = ""  # the install command seen, as written (`apk add --no-cache sqlite`)
    root_program: str = ""  # a program that needs root (`nginx`)
    low_ports: tuple[str, ...] = ()  # container ports below 1024 it listens on
    writes: tuple[str, ...] = ()  # paths written at start outside /tmp and the mounts
    stateful: StatefulImage | None = None
    tmpfs: tuple[str, ...] = field(default=())  # start-empty folders that need a tmpfs under a read-only root

    def merged(self, other: StartNeeds) -> StartNeeds:
        return StartNeeds(self.where if self.installs or self.root_program or self.writes else other.where,
                          self.installs or other.installs, self.root_program or other.root_program,
                          tuple(dict.fromkeys(self.low_ports + other.low_ports)), tuple(dict.fromkeys(self.writes + other.writes)),
                          self.stateful or other.stateful, tuple(dict.fromkeys(self.tmpfs + other.tmpfs)))

    def user_blocker(self) -> str | None:
        """Why a non-root user would break it (None: nothing known does)."""
        if self.stateful:
            return f"it is {self.stateful.name}, which starts as root and steps down to its own user"
        if self.installs:
            return f"{self.where} installs packages at start (`{self.installs}`), which needs root: install them in the image"
        if self.root_program:
            return f"{self.where} runs `{self.root_program}`, which needs root at start: run it as its unprivileged variant"
        if self.low_ports:
            return (f"it listens on port {', '.join(self.low_ports)}, below 1024: a non-root user binds it only where the "
                    "engine allows unprivileged ports (Docker since 20.10; Kubernetes and Podman may not): move the server "
                    "to a port above 1023 (8080), then set the user")
        return None

    def capabilities_blocker(self) -> str | None:
        """Why dropping every capability would break it (a low port is kept with NET_BIND_SERVICE instead)."""
        if self.stateful:
            return f"it is {self.stateful.name}, which switches users at start (CHOWN, SETUID, SETGID)"
        if self.installs:
            return f"{self.where} installs packages at start (`{self.installs}`), which needs CHOWN, FOWNER and DAC_OVERRIDE"
        if self.root_program:
            return f"{self.where} runs `{self.root_program}`, which needs capabilities of root at start"
        return None

    def read_only_blocker(self) -> str | None:
        """Why a read-only root file system (with a tmpfs for /tmp and the known start-empty folders) would break it."""
        if self.stateful:
            kept = ", ".join(self.stateful.data + self.stateful.writes)
            return f"it is {self.stateful.name}, which writes {kept or 'its data folder'}"
        if self.installs:
            return f"{self.where} installs packages at start (`{self.installs}`) into the root file system"
        if self.writes:
            return (f"{self.where} writes {', '.join(self.writes)} at start: mount a volume (or a tmpfs, if it may start "
                    "empty) there, then set the root file system read-only")
        if self.root_program and not self.tmpfs:
            return f"{self.where} runs `{self.root_program}`, which writes folders mcpharden does not know"
        return None


def needs_in_text(text: str, where: str, mounted: tuple[str, ...] = ()) -> StartNeeds:
    """The needs a shell command or script shows: installs, programs that need root, writes."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    body = "\n".join(lines)
    folded = " ".join(body.split()) + " "
    installs = next((_installed(folded, installer) for installer in table()["start_installers"] if installer in folded), "")
    program = ""
    for segment in _SEGMENTS.split(body):
        words = [w for w in segment.split() if "=" not in w or w.startswith("-")]
        while words and words[0].rsplit("/", 1)[-1] in _WRAPPERS:
            words.pop(0)
        name = words[0].strip("\"'").rsplit("/", 1)[-1] if words else ""
        if name in table()["root_programs"]:
            program = name
            break
    writes = tuple(dict.fromkeys(path for path in _WRITES.findall(body) if not _within(path, _ALWAYS_WRITABLE + mounted)))
    return StartNeeds(where, installs, program, (), writes, None, writable_paths(program))


def _installed(folded: str, installer: str) -> str:
    """The install command as written, up to the next separator (for the message)."""
    start = folded.index(installer)
    return re.split(r"\s*(?:&&|\|\||;|\||\"|')", folded[start:], maxsplit=1)[0].strip()


def _within(path: str, folders: tuple[str, ...]) -> bool:
    path = posixpath.normpath(path)
    return any(path == f.rstrip("/") or path.startswith(f.rstrip("/") + "/") for f in folders if f)


def stage_needs(build: BuildModel, stage: Stage, read, context: str) -> StartNeeds:
    """What a Dockerfile stage's start command and the start scripts it copies need. `read(path)`
    gives a file of the repository (bounded, no symlinks out), `context` is the build context."""
    from mcpharden.sources.packages import context_path, start_script_paths

    words = stage.start_arguments
    needs = needs_in_text(" ".join(words), "its start command (ENTRYPOINT/CMD)")
    copies = [(copy.sources, copy.destination) for copy in stage.context_copies]
    for image_path in start_script_paths(words, stage.workdir, stage.env):
        for candidate in context_path(image_path, copies, stage.workdir):
            text = read(posixpath.normpath(posixpath.join(context, candidate)))
            if text is not None:
                needs = needs.merged(needs_in_text(text, f"its start script {candidate}"))
                break
    low = tuple(p.port.split("/")[0] for p in stage.exposed_ports if _low(p.port.split("/")[0]))
    base = build.root_base(stage).resolved
    program = image_program(base)
    known = StartNeeds(low_ports=low, stateful=stateful_image(base), tmpfs=writable_paths(program) if program else ())
    return needs.merged(known)


def spec_needs(spec: ContainerSpec, built: StartNeeds | None = None) -> StartNeeds:
    """What a run configuration's service needs: its command, its image (stateful, known folders),
    its published container ports, and what its Dockerfile's stage needs when the repository builds it."""
    mounted = tuple(m.target for m in spec.mounts)
    image = spec.image.resolved if spec.image else None
    needs = needs_in_text(" ".join(w.text for w in spec.command), "its command", mounted)
    if spec.start_fetches and not needs.installs:
        needs = StartNeeds(needs.where, spec.start_fetches[0].command, needs.root_program, needs.low_ports, needs.writes,
                           needs.stateful, needs.tmpfs)
    program = image_program(image)
    ports = tuple(p.container_port.split("/")[0] for p in spec.ports if _low(p.container_port.split("/")[0]))
    known = StartNeeds(low_ports=ports, stateful=None if spec.built_locally else stateful_image(image),
                       tmpfs=writable_paths(program) if program else ())
    needs = needs.merged(known)
    if built is not None:  # the stage's writes land in the image; the service's mounts still count
        built = StartNeeds(built.where, built.installs, built.root_program, built.low_ports,
                           tuple(p for p in built.writes if not _within(p, mounted)), built.stateful, built.tmpfs)
        needs = needs.merged(built)
    return needs


def _low(port: str) -> bool:
    return port.isdigit() and 0 < int(port) < 1024


# Is it part of a server the repository ships? ------------------------------------------------------


def not_shipped(spec: ContainerSpec, root_name: str) -> str | None:
    """Why a run configuration's container is not part of a server the repository ships (None
    when it is): a devcontainer, a known stateful image, or an image that is neither built here
    nor an MCP server image nor named after the repository. Client configurations and manifests
    start MCP servers by definition."""
    from mcpharden.knowledge.transport_security import is_mcp_image

    if spec.origin not in ("compose", "kubernetes"):
        return None
    if spec.path.startswith(".devcontainer/") or "/.devcontainer/" in spec.path:
        return "a devcontainer"
    if spec.built_locally:
        return None
    image = spec.image.resolved if spec.image else None
    stateful = stateful_image(image)
    if stateful is not None:
        return f"{stateful.name}, beside the server"
    name = spec.image.name if spec.image and spec.image.resolved else None
    if name is not None:
        repository = name.repository.lower()
        if is_mcp_image(repository) or _named_after(repository, root_name):
            return None
    elif spec.image is None and (is_mcp_image(spec.name.lower()) or _named_after(spec.name.lower(), root_name)):
        return None  # an override file's service (no image of its own) named after the server
    return NOT_BUILT_HERE


# Why a container whose image the repository neither builds nor names is left alone: a pod's
# other containers (a sidecar beside the server) are part of the server all the same.
NOT_BUILT_HERE = "its image is neither built by this repository nor an MCP server image"


def _named_after(repository: str, root_name: str) -> bool:
    """`ghcr.io/acme/weather-server` in a checkout named `weather-server` (or `acme__weather-server`)."""
    words = {w for w in re.split(r"__|/", root_name.lower()) if len(w) > 2}
    return repository.rsplit("/", 1)[-1] in words
