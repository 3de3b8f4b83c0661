"""ContainerSpec: how a container is run, whatever said so (compose, Kubernetes, a
`docker run` line in a client config, a script or a README). Rules judge specs without
caring where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from mcpharden.model.build import HealthcheckTest
    from mcpharden.model.packages import PackageFetch
    from mcpharden.model.references import ImageRef


@dataclass(frozen=True)
class Mount:
    """A volume, bind mount or tmpfs a container gets."""

    source: str  # host path (bind), volume name, or "" for anonymous volumes and tmpfs
    target: str
    kind: str  # "bind" | "volume" | "tmpfs" | "npipe"
    read_only: bool
    line: int
    path: str = ""  # the file that says so, when not the spec's own (a compose base file an overlay inherits)


@dataclass(frozen=True)
class EnvSetting:
    """An environment variable given to the container. `value` is None when it is passed
    through from the host (`-e NAME`) or comes from a secret store (`valueFrom`, `secretKeyRef`)."""

    name: str
    value: str | None
    line: int
    # What the value becomes when its `${...}` references take their defaults (in compose, the
    # `.env` file next to the compose file is read first): `${DB_PASSWORD:-admin}` -> `admin`.
    # None when the value references nothing, or a variable with no default (`${TOKEN}`).
    fallback: str | None = None
    path: str = ""  # the file that says so, when not the spec's own (a compose base file, a `.env` file)


@dataclass(frozen=True)
class CommandWord:
    """One word of the command a run configuration starts a container with, and its file line."""

    text: str
    line: int


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on the host: `-p [IP:]HOST:CONTAINER`, compose `ports`,
    Kubernetes `hostPort`. `host_ip` is "" when it is every interface."""

    host_ip: str
    host_port: str
    container_port: str
    line: int
    path: str = ""  # the file that says so, when not the spec's own (a compose base file an overlay inherits)


# Every setting a ContainerSpec can hold, for formats that can express only some of them.
ALL_SETTINGS = frozenset({"user", "cap_drop", "read_only_root", "no_new_privileges", "memory_limit", "pids_limit",
                          "cpu_limit", "security_opts", "ports", "env"})


@dataclass(frozen=True)
class ContainerSpec:
    """How one container is run, whatever configuration said so (compose, Kubernetes, `docker run`, a client)."""

    path: str
    origin: str  # "compose" | "kubernetes" | "docker-run" | "client-config" | "mcp-manifest"
    name: str  # service, container or server name
    line: int  # where the spec starts
    image: ImageRef | None = None
    # True when the image is built from a Dockerfile in the repository (compose `build:`),
    # and that Dockerfile's path relative to the scanned root.
    built_locally: bool = False
    dockerfile: str | None = None
    build_context: str | None = None  # compose `build.context`, relative to the scanned root
    user: str | None = None  # a run-time user override (`--user`, `user:`, runAsUser)
    run_as_non_root: bool | None = None  # Kubernetes runAsNonRoot
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    read_only_root: bool = False
    no_new_privileges: bool = False
    host_network: bool = False
    no_network: bool = False  # `--network none`, `network_mode: none`: no egress at all
    host_pid: bool = False
    host_ipc: bool = False
    mounts: tuple[Mount, ...] = ()
    devices: tuple[str, ...] = ()
    device_cgroup_rules: tuple[str, ...] = ()
    host_userns: bool = False
    host_uts: bool = False
    host_cgroupns: bool = False
    # --security-opt values as written (seccomp=unconfined, apparmor:unconfined, label=disable);
    # Kubernetes Unconfined profiles are given in the same spelling.
    security_opts: tuple[str, ...] = ()
    env: tuple[EnvSetting, ...] = ()
    ports: tuple[PublishedPort, ...] = ()
    memory_limit: str | None = None
    pids_limit: str | None = None
    # The words the container is started with after the image, as the run configuration gives
    # them: `docker run IMAGE WORDS...`, compose `entrypoint` then `command`, Kubernetes `command`
    # then `args` (the server's own flags: `--host 0.0.0.0`, `--allowed-hosts *`); empty when the
    # image's own ENTRYPOINT and CMD run unchanged.
    command: tuple[CommandWord, ...] = ()
    # Files the container's environment is read from besides `env` (`--env-file`, compose
    # `env_file`): a setting absent from `env` may be set there.
    env_files: tuple[str, ...] = ()
    cpu_limit: str | None = None  # `--cpus`, compose `cpus`, Kubernetes `resources.limits.cpu`
    # Kubernetes' seccompProfile type in effect (RuntimeDefault, Localhost or Unconfined; the
    # container's wins over the pod's; the legacy annotations count), None when none is set; and
    # whether the runtime confines a container that names no profile: Docker and Podman apply
    # their default profile, Kubernetes runs it Unconfined (unless the kubelet's seccompDefault
    # is on, which a manifest cannot tell).
    seccomp_profile: str | None = None
    seccomp_by_default: bool = True
    # Kubernetes: the pod's service account; whether its API token is mounted (the pod's
    # automountServiceAccountToken, else the ServiceAccount's own when it is in the scanned
    # manifests, else Kubernetes' default: mounted); whether the ServiceAccount object is in the
    # scanned manifests; and the roles bound to it there ("ClusterRole view", "Role mcp-reader").
    # None for formats without service accounts.
    service_account: str | None = None
    namespace: str | None = None  # the namespace the manifest names, if any
    service_account_token: bool | None = None
    service_account_declared: bool = False
    service_account_roles: tuple[str, ...] = ()
    # A compose `healthcheck:` test: it replaces the HEALTHCHECK of the image the service runs.
    healthcheck: HealthcheckTest | None = None
    # The stage a compose `build:` builds (`target:`); None for the Dockerfile's last stage.
    build_target: str | None = None
    # The settings the format can express (a Docker MCP catalog entry cannot drop capabilities):
    # a rule does not blame a spec for what its format cannot say.
    settable: frozenset[str] = ALL_SETTINGS
    # Where the spec came from documentation (README code blocks): messages say so.
    from_documentation: bool = False
    # Packages the command it runs downloads at each start (`docker run IMAGE npx -y pkg`,
    # `--entrypoint`, compose `command:`/`entrypoint:`, Kubernetes `command`/`args`).
    start_fetches: tuple[PackageFetch, ...] = ()
    # The file line of each setting, by field name ("user", "privileged", "cap_add", ...).
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # The program of a run line (`docker`, `podman`, `nerdctl`): messages name the command as written.
    engine: str = "docker"
    # The file of a setting (by field name, as `lines`) when it is not `path`: a compose overlay
    # judged merged with its base keeps the base's `privileged: true` where the base says it.
    paths: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def path_of(self, setting: str) -> str:
        return self.paths.get(setting, self.path)

    def can_set(self, setting: str) -> bool:
        return setting in self.settable

    def line_of(self, setting: str) -> int:
        return self.lines.get(setting, self.line)

    @property
    def where(self) -> str:
        """How messages name the container: `service 'api' (compose)`."""
        kinds = {
            "compose": "service", "kubernetes": "container", "docker-run": f"`{self.engine} run`",
            "client-config": "MCP server", "mcp-manifest": "MCP server package", "devcontainer": "dev container",
        }
        label = f"{kinds.get(self.origin, 'container')} '{self.name}'" if self.name else kinds.get(self.origin, "container")
        return label + (" (in documentation)" if self.from_documentation else "")


@dataclass(frozen=True)
class ClientServer:
    """An MCP server entry of a client configuration, container or not (laptop audit)."""

    path: str
    line: int
    client: str
    name: str
    command: str
    in_container: bool
    # The entry's own `env` block: what the client puts in the server's environment.
    env: tuple[EnvSetting, ...] = ()
    # Arguments after the command (`npx -y server-filesystem /`), for messages.
    arguments: tuple[str, ...] = ()
    # Packages a server started on the host downloads at each start (`npx -y pkg`, `uvx pkg`);
    # a server in a container has them on its ContainerSpec.
    start_fetches: tuple[PackageFetch, ...] = ()


@dataclass(frozen=True)
class BuildArguments:
    """An image build in a script, a Makefile, a README or a CI step (`docker build`, `docker
    buildx build`, docker/build-push-action): the `--build-arg NAME=value` it gives (its
    `build-args`), and the tags it names the image with (`-t srv:dev`, the action's `tags`)."""

    path: str
    line: int
    arguments: tuple[EnvSetting, ...]
    tags: tuple[str, ...] = ()
