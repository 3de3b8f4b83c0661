"""`docker run` / `podman run` / `docker container run` argument lists → ContainerSpec.

Every spelling of the flags counts: `-v x:y`, `-vx:y`, `--volume=x:y`, `--mount
type=bind,src=x,dst=y`, `-u 0`, `--user=0`, `--cap-add X`, `--security-opt
no-new-privileges[=true|:true]`, `--network host`, `--net=host`, grouped short flags
(`-itv x:y`). The first positional argument is the image; what follows belongs to the
server and is never read as docker flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from mcpharden.model.container import CommandWord, ContainerSpec, EnvSetting, Mount, PublishedPort
from mcpharden.model.references import ImageRef
from mcpharden.syntax.variables import fallback

ENGINES = frozenset({"docker", "podman", "nerdctl", "finch"})

# Options that take a value (long and short spellings); all others are boolean.
_VALUE_OPTIONS = frozenset({
    "-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "--blkio-weight-device", "--cap-add",
    "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-period", "--cpu-quota", "--cpu-rt-period",
    "--cpu-rt-runtime", "-c", "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems", "--detach-keys",
    "--device", "--device-cgroup-rule", "--device-read-bps", "--device-read-iops", "--device-write-bps",
    "--device-write-iops", "--dns", "--dns-option", "--dns-search", "--domainname", "--entrypoint", "-e", "--env",
    "--env-file", "--expose", "--gpus", "--group-add", "--health-cmd", "--health-interval", "--health-retries",
    "--health-start-period", "--health-timeout", "--health-start-interval", "-h", "--hostname", "--ip", "--ip6",
    "--ipc", "--isolation", "--kernel-memory", "-l", "--label", "--label-file", "--link", "--link-local-ip",
    "--log-driver", "--log-opt", "--mac-address", "-m", "--memory", "--memory-reservation", "--memory-swap",
    "--memory-swappiness", "--mount", "--name", "--network", "--net", "--network-alias", "--net-alias",
    "--oom-score-adj", "--pid", "--pids-limit", "--platform", "-p", "--publish", "--pull", "--restart",
    "--runtime", "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl",
    "--tmpfs", "--ulimit", "-u", "--user", "--userns", "--uts", "-v", "--volume", "--volume-driver",
    "--volumes-from", "-w", "--workdir", "--uidmap", "--gidmap", "--subuidname", "--subgidname", "--pod",
    "--secret", "--arch", "--os", "--variant", "--hooks-dir", "--cgroups", "--log-level", "--context", "-H",
    "--host", "--config",
})


@dataclass
class _Spec:
    """Settings collected while reading the arguments."""

    lines: dict[str, int] = field(default_factory=dict)
    user: str | None = None
    privileged: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    read_only: bool = False
    no_new_privileges: bool = False
    network: str | None = None
    pid: str | None = None
    ipc: str | None = None
    mounts: list[Mount] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    device_cgroup_rules: list[str] = field(default_factory=list)
    userns: str | None = None
    uts: str | None = None
    cgroupns: str | None = None
    security_opts: list[str] = field(default_factory=list)
    env: list[EnvSetting] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    ports: list[PublishedPort] = field(default_factory=list)
    memory: str | None = None
    pids_limit: str | None = None
    cpus: str | None = None
    name: str = ""
    entrypoint: str | None = None


def run_arguments(argv: tuple[str, ...] | list[str]) -> list[str] | None:
    """The arguments after `docker run` / `docker container run` (engine global flags
    skipped), or None when argv is not a run command."""
    if not argv or argv[0].rsplit("/", 1)[-1].removesuffix(".exe") not in ENGINES:
        return None
    words = list(argv[1:])
    while words and words[0].startswith("-"):  # global flags: --context x, -H host
        flag = words.pop(0)
        if flag in _VALUE_OPTIONS and "=" not in flag and words:
            words.pop(0)
    if words[:1] == ["run"]:
        return words[1:]
    if words[:2] == ["container", "run"]:
        return words[2:]
    return None


_BUILD_COMMANDS = (("build",), ("buildx", "build"), ("image", "build"), ("builder", "build"), ("bud",))


def build_arguments(argv: tuple[str, ...] | list[str], line: int) -> list[EnvSetting]:
    """The `--build-arg NAME[=value]` of an image build command (docker, podman, buildah)."""
    if not argv or argv[0].rsplit("/", 1)[-1].removesuffix(".exe") not in ENGINES | {"buildah"}:
        return []
    words = [w for w in argv[1:] if not w.startswith("-")]
    if not any(tuple(words[: len(command)]) == command for command in _BUILD_COMMANDS):
        return []
    found = []
    for index, word in enumerate(argv):
        value = argv[index + 1] if word == "--build-arg" and index + 1 < len(argv) else (
            word.split("=", 1)[1] if word.startswith("--build-arg=") else None)
        if value:
            name, equals, assigned = value.partition("=")
            found.append(EnvSetting(name, assigned if equals else None, line))
    return found


# Options of an image build that take a value (the context is the one positional argument).
_BUILD_VALUE_OPTIONS = frozenset({
    "-t", "--tag", "-f", "--file", "--build-arg", "--target", "--platform", "--label", "--cache-from", "--cache-to",
    "--secret", "--ssh", "-o", "--output", "--progress", "--network", "--build-context", "--iidfile",
    "--metadata-file", "--builder", "--add-host", "--shm-size", "--ulimit", "--attest", "--annotation", "--allow",
    "--cgroup-parent", "--isolation", "--memory", "-m", "--memory-swap", "--cpu-shares", "-c", "--cpuset-cpus",
    "--cpuset-mems", "--cpu-period", "--cpu-quota", "--security-opt", "--call", "--check", "--format",
    "--layers", "--jobs", "--os", "--arch", "--variant", "--authfile", "--creds", "--ignorefile", "--volume", "-v",
    "--env", "--from", "--manifest", "--sign-by", "--timestamp", "--identity-label", "--unsetenv", "--unsetlabel",
})


def build_paths(argv: tuple[str, ...] | list[str]) -> tuple[str | None, str] | None:
    """(the Dockerfile `-f` names or None for `<context>/Dockerfile`, the context) of an image
    build command (docker/podman/nerdctl build, docker buildx build, buildah bud), as written;
    None for anything else, or when the context is a URL or standard input."""
    if not argv or argv[0].rsplit("/", 1)[-1].removesuffix(".exe") not in ENGINES | {"buildah"}:
        return None
    words = list(argv[1:])
    while words and words[0].startswith("-"):  # global flags: --context x, -H host
        flag = words.pop(0)
        if flag in _VALUE_OPTIONS and "=" not in flag and words:
            words.pop(0)
    command = next((c for c in _BUILD_COMMANDS if tuple(words[: len(c)]) == c), None)
    if command is None:
        return None
    dockerfile = None
    positionals = []
    rest = iter(words[len(command):])
    for word in rest:
        name, equals, value = word.partition("=")
        if word.startswith("--") and equals:
            if name == "--file":
                dockerfile = value
            continue
        if word in ("-f", "--file"):
            dockerfile = next(rest, None)
        elif word in _BUILD_VALUE_OPTIONS:
            next(rest, None)
        elif word.startswith("-f") and len(word) > 2 and not word.startswith("--"):
            dockerfile = word[2:]
        elif word.startswith("-") and word != "-":
            continue
        else:
            positionals.append(word)
    if len(positionals) != 1:
        return None
    context = positionals[0]
    if context == "-" or "://" in context or context.startswith("git@") or dockerfile == "-":
        return None
    return dockerfile, context


def parse_run(arguments: list[str], path: str, origin: str, line: int, name: str = "",
              line_of_argument=None, from_documentation: bool = False) -> ContainerSpec:
    """A ContainerSpec from the arguments after `run`. `line_of_argument(i)` gives the file
    line of argument i, when the arguments come from a JSON array spread over lines."""
    def at(index: int) -> int:
        return line_of_argument(index) if line_of_argument else line

    spec = _Spec(name=name)
    image: str | None = None
    index = 0
    while index < len(arguments):
        word = arguments[index]
        if word == "--":
            index += 1
            image = arguments[index] if index < len(arguments) else None
            break
        if not word.startswith("-") or word == "-":
            image = word
            break
        option, value, consumed = _option(arguments, index)
        for flag, flag_value in _expand_short(option, value):
            _apply(spec, flag, flag_value, at(index))
        index += consumed
    command = list(arguments[index + 1 :]) if image is not None else []
    command_lines = [at(position) for position in range(index + 1, len(arguments))] if image is not None else []
    if spec.entrypoint:
        command, command_lines = [spec.entrypoint, *command], [spec.lines.get("entrypoint", line), *command_lines]
    fetches = []
    if command:
        from mcpharden.sources.packages import fetches_in_argv  # the package tables load only for a command

        fetches = fetches_in_argv(command, lambda i: command_lines[i] if i < len(command_lines) else line, path)
    return ContainerSpec(
        path=path,
        origin=origin,
        name=spec.name,
        line=line,
        # Make variables and catalog templates ($(IMAGE), {{x.image}}) are not references.
        image=ImageRef(image, None if ("$(" in image or "{{" in image) else image) if image else None,
        user=spec.user,
        privileged=spec.privileged,
        cap_add=tuple(spec.cap_add),
        cap_drop=tuple(spec.cap_drop),
        read_only_root=spec.read_only,
        no_new_privileges=spec.no_new_privileges,
        host_network=spec.network == "host",
        no_network=spec.network == "none",
        host_pid=spec.pid == "host",
        host_ipc=spec.ipc == "host",
        mounts=tuple(spec.mounts),
        devices=tuple(spec.devices),
        device_cgroup_rules=tuple(spec.device_cgroup_rules),
        host_userns=spec.userns == "host",
        host_uts=spec.uts == "host",
        host_cgroupns=spec.cgroupns == "host",
        security_opts=tuple(spec.security_opts),
        env=tuple(spec.env),
        ports=tuple(spec.ports),
        memory_limit=spec.memory,
        pids_limit=spec.pids_limit,
        command=tuple(CommandWord(arguments[i], at(i)) for i in range(index + 1, len(arguments))) if image else (),
        env_files=tuple(spec.env_files),
        cpu_limit=spec.cpus,
        from_documentation=from_documentation,
        start_fetches=tuple(fetches),
        lines=MappingProxyType({**spec.lines, "image": at(index)}),
    )


def _option(arguments: list[str], index: int) -> tuple[str, str | None, int]:
    """(option, value, words consumed) for the option at `index`."""
    word = arguments[index]
    if word.startswith("--"):
        option, equals, value = word.partition("=")
        if equals:
            return option, value, 1
        if option in _VALUE_OPTIONS:
            return option, arguments[index + 1] if index + 1 < len(arguments) else "", 2
        return option, None, 1
    # Short options, possibly grouped (-it, -itd) or glued to their value (-v/a:/b, -u0).
    for position in range(1, len(word)):
        flag = "-" + word[position]
        if flag in _VALUE_OPTIONS:
            rest = word[position + 1 :].removeprefix("=")
            if rest:
                return word[: position + 1], rest, 1
            return word[: position + 1], arguments[index + 1] if index + 1 < len(arguments) else "", 2
    return word, None, 1


def _expand_short(option: str, value: str | None) -> list[tuple[str, str | None]]:
    """-itv x → [(-i, None), (-t, None), (-v, x)]."""
    if option.startswith("--") or len(option) <= 2:
        return [(option, value)]
    flags = [("-" + char, None) for char in option[1:-1]]
    return flags + [("-" + option[-1], value)]


def _truthy(value: str | None) -> bool:
    return value is None or value.strip().lower() not in ("false", "0", "no")


def _apply(spec: _Spec, option: str, value: str | None, line: int) -> None:
    if option in ("-u", "--user"):
        spec.user, spec.lines["user"] = value, line
    elif option == "--privileged":
        spec.privileged, spec.lines["privileged"] = _truthy(value), line
    elif option == "--read-only":
        spec.read_only, spec.lines["read_only_root"] = _truthy(value), line
    elif option == "--cap-add" and value:
        spec.cap_add.extend(value.split(","))
        spec.lines.setdefault("cap_add", line)
    elif option == "--cap-drop" and value:
        spec.cap_drop.extend(value.split(","))
        spec.lines.setdefault("cap_drop", line)
    elif option == "--security-opt" and value:
        spec.security_opts.append(value)
        spec.lines.setdefault("security_opts", line)
        if is_no_new_privileges(value):
            spec.no_new_privileges, spec.lines["no_new_privileges"] = True, line
    elif option in ("-e", "--env") and value:
        name, equals, assigned = value.partition("=")
        written = assigned if equals else None
        # A shell expands `${VAR:-default}` before docker sees it (`\$` is its escape).
        spec.env.append(EnvSetting(name, written, line, fallback(written, {}, syntax="dockerfile")))
    elif option == "--env-file" and value:
        spec.env_files.append(value)
    elif option in ("-p", "--publish") and value:
        spec.ports.append(published_port(value, line))
        spec.lines.setdefault("ports", line)
    elif option in ("-P", "--publish-all") and _truthy(value):
        spec.ports.append(PublishedPort("", "", "every exposed port", line))
        spec.lines.setdefault("ports", line)
    elif option in ("--userns", "--uts", "--cgroupns") and value is not None:
        setattr(spec, option[2:], value)
        spec.lines[f"host_{option[2:]}"] = line
    elif option in ("-m", "--memory") and value:
        spec.memory, spec.lines["memory_limit"] = value, line
    elif option == "--pids-limit" and value:
        spec.pids_limit, spec.lines["pids_limit"] = value, line
    elif option == "--cpus" and value:
        spec.cpus, spec.lines["cpu_limit"] = value, line
    elif option == "--device-cgroup-rule" and value:
        spec.device_cgroup_rules.append(value)
        spec.lines.setdefault("devices", line)
    elif option in ("--network", "--net") and value is not None:
        spec.network, spec.lines["host_network"] = value, line
    elif option in ("--pid", "--ipc") and value is not None:
        setattr(spec, option[2:], value)
        spec.lines[f"host_{option[2:]}"] = line
    elif option in ("-v", "--volume") and value:
        spec.mounts.append(short_volume(value, line))
    elif option == "--mount" and value:
        spec.mounts.append(mount_option(value, line))
    elif option == "--tmpfs" and value:
        spec.mounts.append(Mount("", value.split(":", 1)[0], "tmpfs", False, line))
    elif option == "--device" and value:
        spec.devices.append(value)
        spec.lines.setdefault("devices", line)
    elif option == "--use-api-socket" and _truthy(value):
        # Docker 28+: bind-mounts the engine's API socket (and registry credentials).
        spec.mounts.append(Mount("/var/run/docker.sock", "/var/run/docker.sock", "bind", False, line))
    elif option == "--name" and value:
        spec.name = spec.name or value
    elif option == "--entrypoint" and value is not None:
        spec.entrypoint, spec.lines["entrypoint"] = value, line


def published_port(text: str, line: int) -> PublishedPort:
    """`8080`, `8080:80`, `127.0.0.1:8080:80`, `[::1]:8080:80`, `127.0.0.1::80`, with `/udp`."""
    text = text.split("/", 1)[0]
    host_ip = ""
    if text.startswith("["):
        address, _, text = text[1:].partition("]")
        host_ip, text = address, text.removeprefix(":")
    parts = text.split(":")
    if len(parts) >= 3:
        host_ip, parts = ":".join(parts[:-2]), parts[-2:]
    if len(parts) == 1:
        return PublishedPort(host_ip, "", parts[0], line)
    return PublishedPort(host_ip, parts[0], parts[1], line)


def is_no_new_privileges(option: str) -> bool:
    """`no-new-privileges`, `no-new-privileges:true`, `no-new-privileges=true`."""
    name, _, value = option.replace("=", ":", 1).partition(":")
    return name.strip() == "no-new-privileges" and value.strip().lower() in ("", "true", "1")


def short_volume(text: str, line: int) -> Mount:
    """`SRC:DST[:OPTS]`, `DST` (anonymous), `NAME:DST` (named volume). A colon inside a
    variable (`${env:HOME}`, `${localEnv:HOME}`, PowerShell's `$env:HOME`) or after a Windows drive letter (`C:\\x:/y`,
    `C:/x:/y`) is part of the source."""
    parts = _volume_fields(text)
    if len(parts) == 1:
        return Mount("", parts[0], "volume", False, line)
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) > 2 else []
    return Mount(source, target, "bind" if is_host_path(source) else "volume", "ro" in options or "readonly" in options, line)


def _volume_fields(text: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("${", index):
            depth += 1
            current.append("${")
            index += 2
            continue
        if text[index : index + 5].lower() == "$env:":  # PowerShell: `$env:USERPROFILE\.ssh`
            current.append(text[index : index + 5])
            index += 5
            continue
        if char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            written = "".join(current)
            drive = not fields and len(written) == 1 and written.isalpha() and text[index + 1 : index + 2] in ("\\", "/")
            if not drive:
                fields.append(written)
                current = []
                index += 1
                continue
        current.append(char)
        index += 1
    fields.append("".join(current))
    return fields


def mount_option(text: str, line: int) -> Mount:
    """`--mount type=bind,src=/x,dst=/y,readonly` (source/src, target/dst/destination)."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, equals, value = part.partition("=")
        fields[key.strip().lower()] = value.strip() if equals else "true"
    source = fields.get("source") or fields.get("src") or ""
    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
    kind = fields.get("type", "volume")
    read_only = _truthy(fields.get("readonly", fields.get("ro", "false"))) if ("readonly" in fields or "ro" in fields) else False
    return Mount(source, target, kind, read_only, line)


def is_host_path(source: str) -> bool:
    """Compose and docker treat a source that looks like a path as a bind mount."""
    return source.startswith(("/", ".", "~", "$", "%", "\\\\", "//")) or (len(source) > 1 and source[1] == ":")
