"""## What it does
Finds MCP servers whose HTTP transport is left unprotected by how they are run:

- a run configuration or Dockerfile that turns off the checks that keep web pages out: a Host
  header allow-list of `*` (`MCP_ALLOWED_HOSTS=*`, `--allowed-hosts '*'`), an Origin or CORS
  allow-list of `*` (`ALLOWED_ORIGINS=["*"]`, `--allow-origin '*'`), DNS-rebinding protection
  switched off (`FASTMCP_TRANSPORT_SECURITY__ENABLE_DNS_REBINDING_PROTECTION=false`,
  `*_DNS_REBINDING_PROTECTION=0`, `*_DISABLE_HOST_VALIDATION=true`), whatever address the
  server binds: DNS rebinding reaches servers on 127.0.0.1 too;
- an MCP server bound to every interface (`HOST=0.0.0.0`, `--host 0.0.0.0`, `-addr :8080`),
  published on every interface of the host (`-p 8000:8000`), whose run configuration shows no
  authentication (no auth token, API key, OAuth or JWT setting of its own) or turns it off
  (`AUTH_ENABLED=false`, `DANGEROUSLY_OMIT_AUTH=true`).

It reads compose files, Kubernetes manifests, `docker run` lines (scripts, Makefiles, READMEs,
MCP client configurations) and Dockerfiles (ENV and CMD of the final stage, also for the
compose services built from them). A container counts as an MCP server when a client
configuration starts it, its image is named for MCP, its Dockerfile packages an MCP server,
or its settings name MCP or an MCP transport; one known to run on stdio is left alone. Setting
names are kept in `knowledge/transport_security.toml`: the official SDKs' settings (the Python
SDK's `TransportSecuritySettings`, FastMCP's `FASTMCP_` variables; the TypeScript SDK's
`allowedHosts`/`allowedOrigins` options, which servers expose under their own names) and the
common shapes servers give them. Whether the published port itself should be on every
interface is `port-exposed-on-all-interfaces`; this rule is about what the MCP endpoint lets in.

## Why is this bad?
An MCP server's HTTP endpoint runs its tools for whoever calls it. The Host and Origin checks
are what stop a web page in the user's browser from calling a server on `localhost` (DNS
rebinding, CVE-2025-66416 in the Python SDK, CVE-2025-49596 in the MCP Inspector): with them
off, any site the user visits can list and call the tools. Bound and published on every
interface without authentication, the server is callable by anyone on the same network:
its tools, and the credentials it holds for the services it wraps, belong to them.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
- Keep the Host and Origin checks on and list the names the server is reached by
  (`MCP_ALLOWED_HOSTS=localhost:*,127.0.0.1:*`, `--allowed-hosts mcp.example.com`), never `*`;
  for CORS, the few origins that need it.
- Require authentication for anything beyond the local machine: the server's token or OAuth
  settings (`MCP_AUTH_TOKEN` from a secret), or a reverse proxy that authenticates.
- Publish the port on the loopback address (`-p 127.0.0.1:8000:8000`) when only local clients
  use it; stdio needs no port at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpharden.knowledge import transport_security as knowledge
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel
    from mcpharden.model.container import ContainerSpec, EnvSetting
    from mcpharden.model.project import Project

EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::", "[::]", "*"})


@dataclass(frozen=True)
class _Setting:
    """An environment variable as the server sees it, with where it is written."""

    name: str
    value: str | None  # None: passed through from the host, or a reference we cannot know
    line: int
    path: str
    from_dockerfile: bool = False
    optional: bool = False  # `${NAME:-}`: empty unless the user sets it

    @property
    def shown(self) -> str:
        return f"`{self.name}={self.value}`"


@dataclass(frozen=True)
class _Flag:
    """A start argument, with its value (`--host 0.0.0.0`, `--allowed-hosts=*`) and line."""

    flag: str
    value: str | None
    line: int
    path: str
    from_dockerfile: bool = False

    @property
    def shown(self) -> str:
        return f"`{self.flag}`" if self.value is None else f"`{self.flag} {self.value}`"


def check(project: Project) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for build in project.builds:
        yield from _dockerfile_checks_off(project, build, seen)
    for spec in project.containers:
        build = _build_of(project, spec)
        settings = _settings(spec, build)
        flags = _flags(spec, build)
        listens = _listens(project, spec, build, settings, flags)
        if listens is False:
            continue  # a stdio server: nothing listens, nothing to protect
        evidence = _mcp_evidence(project, spec, settings, flags)
        if evidence is None:
            continue
        yield from _checks_off(spec, settings, flags, seen)
        finding = _open_to_the_network(spec, settings, flags, evidence)
        if finding and (finding.path, finding.line) not in seen:
            seen.add((finding.path, finding.line))
            yield finding


# What the server is started with -----------------------------------------------------------------


def _build_of(project: Project, spec: ContainerSpec) -> BuildModel | None:
    if not spec.dockerfile:
        return None
    return next((build for build in project.builds if build.path == spec.dockerfile), None)


def _value(setting: EnvSetting) -> tuple[str | None, bool]:
    """(the value the server gets when nothing else is set, whether it is empty unless set)."""
    if setting.fallback is not None:
        return setting.fallback, setting.fallback == "" and bool(setting.value)
    if setting.value is None or "$" in setting.value:
        return None, False
    return setting.value, False


def _settings(spec: ContainerSpec, build: BuildModel | None) -> list[_Setting]:
    """The container's environment: the Dockerfile's ENV (for an image built from it), then the run configuration's."""
    settings: dict[str, _Setting] = {}
    if build is not None:
        for declaration in build.final.declarations:
            if declaration.kind == "ENV" and declaration.name in build.final.env:
                settings[declaration.name] = _Setting(declaration.name, build.final.env[declaration.name],
                                                      declaration.line, build.path, from_dockerfile=True)
    for setting in spec.env:
        value, optional = _value(setting)
        settings[setting.name] = _Setting(setting.name, value, setting.line, spec.path, optional=optional)
    return list(settings.values())


def _flags(spec: ContainerSpec, build: BuildModel | None) -> list[_Flag]:
    """The start arguments as flags: the run configuration's command, else the Dockerfile's."""
    if spec.command:
        return _as_flags([(word.text, word.line) for word in spec.command], spec.path, False)
    if build is not None:
        line = build.final.start_line or build.final.line
        return _as_flags([(word, line) for word in build.final.start_arguments], build.path, True)
    return []


def _as_flags(words: list[tuple[str, int]], path: str, from_dockerfile: bool) -> list[_Flag]:
    flags = []
    for index, (word, line) in enumerate(words):
        if not word.startswith("-") or word in ("-", "--"):
            continue
        flag, equals, value = word.partition("=")
        if not equals:
            following = words[index + 1][0] if index + 1 < len(words) else None
            takes = (knowledge.takes_value(flag) or knowledge.is_bind_flag(flag) or knowledge.is_transport_flag(flag))
            value = following if takes and following is not None and not following.startswith("-") else None
        flags.append(_Flag(flag, value, line, path, from_dockerfile))
    return flags


def _listens(project: Project, spec: ContainerSpec, build: BuildModel | None,
             settings: list[_Setting], flags: list[_Flag]) -> bool | None:
    """Whether the server listens: its transport flag, then its transport setting, then its
    Dockerfile's facts (start arguments, ENV, EXPOSE, source code); None when nothing tells."""
    for flag in flags:
        if knowledge.is_transport_flag(flag.flag) and flag.value and (said := knowledge.transport_listens(flag.value)) is not None:
            return said
    for setting in reversed(settings):
        if setting.value and knowledge.is_transport_setting(setting.name):
            said = knowledge.transport_listens(setting.value)
            if said is not None:
                return said
    facts = project.servers.get(build.path) if build is not None else None
    return facts.listens if facts is not None else None


def _mcp_evidence(project: Project, spec: ContainerSpec, settings: list[_Setting], flags: list[_Flag]) -> str | None:
    """Why the container is an MCP server, in a few words; None when nothing says it is."""
    if spec.origin in ("client-config", "mcp-manifest"):
        return "an MCP server configuration starts it"
    name = spec.image.name if spec.image else None
    if name is not None and knowledge.is_mcp_image(name.repository):
        return f"its image is {spec.image.resolved or spec.image.written}"
    facts = project.servers.get(spec.dockerfile) if spec.dockerfile else None
    # A Dockerfile whose server speaks MCP over HTTP or SSE (one that speaks only stdio may run
    # another HTTP service in the same image: a REST API is not its MCP endpoint).
    if facts is not None and (found := next((e for e in facts.evidence if e.transport is not None and e.transport.listens), None)):
        return f"its Dockerfile {spec.dockerfile} packages an MCP server ({found.detail})"
    for setting in settings:
        if not setting.from_dockerfile and (knowledge.names_mcp(setting.name) or (
                knowledge.is_transport_setting(setting.name) and setting.value and knowledge.transport_listens(setting.value))):
            return f"it is configured by `{setting.name}`"
    for flag in flags:
        if knowledge.is_transport_flag(flag.flag) and flag.value and knowledge.transport_listens(flag.value):
            return f"it is started with {flag.shown}"
    return None


# Host and Origin checks turned off ---------------------------------------------------------------


def _turned_off(settings: list[_Setting], flags: list[_Flag]) -> list[tuple[str, str, int, str]]:
    """(what, shown, line, path) for each setting or flag that turns a check off."""
    found = []
    for setting in settings:
        what = knowledge.setting_turns_check_off(setting.name, setting.value)
        if what:
            found.append((what, setting.shown, setting.line, setting.path))
    for flag in flags:
        what = knowledge.flag_turns_check_off(flag.flag, flag.value)
        if what:
            found.append((what, flag.shown, flag.line, flag.path))
    return found


def _checks_off_message(where: str, found: list[tuple[str, str, int, str]]) -> str:
    what = listing(list(dict.fromkeys(f[0] for f in found)))
    shown = listing(list(dict.fromkeys(f[1] for f in found)))
    return (f"{where} turns off its {what} ({shown}): any web page its user opens can call the server's tools, "
            "even on 127.0.0.1")


def _checks_off(spec: ContainerSpec, settings: list[_Setting], flags: list[_Flag], seen: set) -> Iterator[Finding]:
    # What the Dockerfile itself sets is reported once, on the Dockerfile.
    found = [f for f in _turned_off([s for s in settings if not s.from_dockerfile], [f for f in flags if not f.from_dockerfile])
             if (f[3], f[2]) not in seen]
    if found:
        seen.update((f[3], f[2]) for f in found)
        yield RULE.finding(spec.path, found[0][2], _checks_off_message(spec.where, found), container=spec.where,
                           weakness="checks-off")


def _dockerfile_checks_off(project: Project, build: BuildModel, seen: set) -> Iterator[Finding]:
    facts = project.servers.get(build.path)
    if facts is not None and facts.listens is False:
        return
    final = build.final
    settings = [_Setting(d.name, final.env[d.name], d.line, build.path, from_dockerfile=True)
                for d in final.declarations if d.kind == "ENV" and d.name in final.env]
    flags = _as_flags([(word, final.start_line or final.line) for word in final.start_arguments], build.path, True)
    found = [f for f in _turned_off(settings, flags) if (f[3], f[2]) not in seen]
    speaks_mcp = facts is not None and any(e.transport is not None for e in facts.evidence)
    found = [f for f in found if speaks_mcp or knowledge.names_mcp(f[1].strip("`").split("=")[0].split(" ")[0])]
    if found:
        seen.update((f[3], f[2]) for f in found)
        yield RULE.finding(build.path, found[0][2], _checks_off_message(build.final_phrase(), found), weakness="checks-off")


# Open to the network -----------------------------------------------------------------------------


def _open_to_the_network(spec: ContainerSpec, settings: list[_Setting], flags: list[_Flag], evidence: str) -> Finding | None:
    published = [port for port in spec.ports if port.host_ip.strip() in EVERY_INTERFACE]
    if not published and not spec.host_network:
        return None
    if spec.env_files:
        return None  # its authentication settings may be in the env file: nothing shows there is none
    bound = ([s.shown for s in settings if knowledge.setting_binds_every_interface(s.name, s.value)]
             + [f.shown for f in flags if knowledge.flag_binds_every_interface(f.flag, f.value)])
    off = ([f"`{s.name}`" for s in settings if knowledge.setting_turns_authentication_off(s.name, s.value)]
           + [f"`{f.flag}`" for f in flags if knowledge.flag_turns_authentication_off(f.flag)])
    if not bound and not off:
        return None  # the server may bind the loopback only: the published port then reaches nothing
    asks = [s for s in settings if knowledge.setting_asks_for_credentials(s.name, s.value)
            and not knowledge.setting_turns_authentication_off(s.name, s.value)]
    optional = [s for s in asks if s.optional]
    # Passed through or set, an authentication setting counts; set to nothing, it does not.
    asks = ([s for s in asks if not s.optional and (s.value is None or s.value.strip())]
            + [f for f in flags if knowledge.flag_asks_for_credentials(f.flag)])
    if (asks or _authenticates_by_default(spec)) and not off:
        return None
    if off:
        guard = f"authentication turned off by {listing(list(dict.fromkeys(off)))}"
    elif optional:
        guard = f"no authentication unless {listing([f'`{s.name}`' for s in optional])} is set (it defaults to empty)"
    else:
        guard = "no authentication in its run configuration"
    if spec.host_network:
        reach, line = "shares the host's network", spec.line_of("host_network")
    else:
        shown = list(dict.fromkeys(_port(port) for port in published))
        reach = f"published on every interface ({_ports_phrase(shown)})"
        line = published[0].line
    what = " is" if spec.origin in ("client-config", "mcp-manifest") else f" is an MCP server ({evidence}),"
    binds = f" bound to every interface ({listing(list(dict.fromkeys(bound)), 3)}) and" if bound else ""
    message = f"{spec.where}{what}{binds} {reach}, with {guard}: anyone on the network can call its tools"
    return RULE.finding(spec.path, line, message, container=spec.where, weakness="unauthenticated")


def _ports_phrase(shown: list[str]) -> str:
    """`port 8000`, `ports 6274, 6277`, or the ports as they are when one is not a plain number."""
    if all(item.isdigit() for item in shown):
        return f"{'port' if len(shown) == 1 else 'ports'} {listing(shown, 4)}"
    return listing(shown, 4)


def _port(port) -> str:
    if port.container_port == "every exposed port":
        return "every port it exposes (`-P`)"
    return port.host_port if port.host_port not in ("", "0") else f"container port {port.container_port} on a random host port"


def _authenticates_by_default(spec: ContainerSpec) -> bool:
    name = spec.image.name if spec.image else None
    return name is not None and knowledge.authenticates_by_default(name.repository)


RULE = Rule(
    id="mcp-transport-unprotected",
    title="MCP HTTP transport left unprotected",
    severity=Severity.HIGH,
    category="attack-surface",
    why="An MCP endpoint without Host/Origin checks can be called by any web page; on every interface without authentication, by anyone on the network.",
    remedy="Keep the Host/Origin allow-lists to real names (never `*`); require a token or OAuth; publish on 127.0.0.1.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("BuildModel", "ServerFacts", "ContainerSpec"),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("Dockerfile", "no `ENV *_ALLOWED_HOSTS=*` or disabling switch; let the deployment list its host names"),
        ("compose", "`MCP_ALLOWED_HOSTS: localhost:*,127.0.0.1:*`; an auth token from `secrets:`; `ports: [\"127.0.0.1:8000:8000\"]`"),
        ("Kubernetes", "list the Service's host names in the allow-list; authenticate at the server or an ingress"),
        ("docker run", "`--allowed-hosts mcp.example.com` instead of `*`; `-e MCP_AUTH_TOKEN`; `-p 127.0.0.1:8000:8000`"),
        ("client config", "the same in `args`; a client that talks stdio needs no published port"),
    ),
    cwe=("CWE-350", "CWE-346", "CWE-306", "CWE-942"),
)
