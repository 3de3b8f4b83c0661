"""## What it does
Finds services that anyone on the network can log in to: a container published on every
host interface (`-p 5432:5432`, compose `ports: ["5432:5432"]`, `hostPort` without `hostIP`,
host networking) whose login is a well-known default. It reads compose files, Kubernetes
manifests, `docker run` lines in scripts and Makefiles, MCP client configurations and the
`docker run` examples of READMEs, and recognizes:

- a common default password (`admin`, `password`, `changeme`, `admin123`-style variants, the
  documented example passwords of database images);
- the user name as password (`postgres` for `postgres`, `POSTGRES_USER=app` with
  `POSTGRES_PASSWORD=app`), or the service's, image's or database's own name;
- a password made only of common words and those names (`mcp_password`, `adminadmin`);
- any of these as the fallback of a variable (`${DB_PASSWORD:-postgres}`): what everyone gets
  who runs the file without setting the variable;
- an image whose built-in default applies because no password is set (Grafana's admin login,
  MinIO's root login, RabbitMQ's guest user), or that asks for no password at all by default
  (Redis, MongoDB without a root user, Qdrant, Chroma, Weaviate);
- a setting that turns the password check off (`POSTGRES_HOST_AUTH_METHOD=trust`,
  `MYSQL_ALLOW_EMPTY_PASSWORD`, `NEO4J_AUTH=none`, Grafana's anonymous admin).

Passwords are judged on the settings that set the service's own login: the well-known images'
settings (a table: `knowledge/default_credentials.toml`) and, for any image, administrator,
root, basic-auth and MCP access-token settings (`*_ADMIN_PASSWORD`, `MCP_AUTH_TOKEN`). A
client's password for another service (`NEO4J_PASSWORD` of a server that connects to Neo4j)
opens nothing on the published port and is not judged here. The password is never shown: the
finding says which kind of default it is.

## Why is this bad?
Scanners try these logins on every address they reach, within minutes of a port appearing. A
database, a dashboard or an MCP server published on every interface with a default login is
open to the office network, the café's Wi-Fi and, on a server, the internet: its data can be
read and changed, and many of these services run code for their users (PostgreSQL's
`COPY ... PROGRAM`, Redis' `CONFIG SET`, Grafana's data sources). An MCP server's memory
store or database reached this way is also a way to poison what the agent reads.

## Example
```yaml
<!-- sample: bad.compose.yaml -->
```

Use instead:
```yaml
<!-- sample: good.compose.yaml -->
```

## How to fix
Either keep the service off the network or give it a real password, best both:
- publish on the loopback address (`127.0.0.1:5432:5432`), or not at all when only other
  containers use it (they reach it on the compose network);
- take the password from the environment or a secret with no default
  (`POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}`, `POSTGRES_PASSWORD_FILE` with
  `secrets:`, Kubernetes `secretKeyRef`), and set one for images that have a built-in default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpharden.knowledge.default_credentials import (
    WEAKNESSES,
    Login,
    Service,
    is_login_setting,
    service_for,
    user_settings,
    weakness,
)
from mcpharden.model.findings import Finding, Severity
from mcpharden.rules.base import Rule, listing
from mcpharden.rules.port_exposed_on_all_interfaces import loopback_fix
from mcpharden.util.globs import glob_match

if TYPE_CHECKING:
    from mcpharden.model.container import ContainerSpec, EnvSetting, PublishedPort
    from mcpharden.model.project import Project

EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::", "[::]", "*"})
_TRUE = frozenset({"true", "yes", "1", "on"})
# Settings whose value names a database beside a login (its name is a guess as good as the user's).
_DATABASE_SUFFIXES = ("_DB", "_DATABASE", "_DBNAME", "_DB_NAME", "_NAME")


@dataclass(frozen=True)
class _Weak:
    """One way into the service, for the message: where it is, and what kind it is."""

    line: int
    text: str  # "`POSTGRES_PASSWORD` is a common default password" (never the value)
    kind: str  # a key of WEAKNESSES, "documented-default", "no-password" or "auth-off"


def check(project: Project) -> Iterator[Finding]:
    for spec in project.containers:
        service = service_for(spec.image.name.repository if spec.image and spec.image.name else None)
        weak = list(_weak_logins(spec, service)) + list(_checks_off(spec, service))
        exposed = _exposed(spec, ())
        if weak and exposed:
            yield _finding(spec, exposed, weak)
            continue
        unset = _default_when_unset(spec, service)
        exposed = _exposed(spec, service.ports if service else ())
        if unset and exposed:
            yield _finding(spec, exposed, [unset])


def _finding(spec: ContainerSpec, exposed: str, weak: list[_Weak]) -> Finding:
    texts = list(dict.fromkeys(w.text for w in weak))
    published = [port for port in spec.ports if port.host_ip.strip() in EVERY_INTERFACE]
    network = loopback_fix(spec.origin, published[0]) if published else "Leave the host's network (no `network_mode: host`, `--network host`, `hostNetwork`)."
    fix = f"{network} Set a real password from a secret or the environment, with no default."
    return RULE.finding(spec.path, weak[0].line, f"{spec.where} {exposed}, and {'; '.join(texts)}",
                        container=spec.where, kinds=", ".join(dict.fromkeys(w.kind for w in weak)), fix=fix)


def _exposed(spec: ContainerSpec, ports: tuple[str, ...]) -> str | None:
    """How the service is reachable from every network the host is on, or None."""
    if spec.host_network:
        return "shares the host's network (it listens on every interface of the host)"
    published = [port for port in spec.ports if port.host_ip.strip() in EVERY_INTERFACE and _guards(port, ports)]
    if not published:
        return None
    shown = list(dict.fromkeys(_port(port) for port in published))
    if all(item.isdigit() for item in shown):
        return f"publishes {'port' if len(shown) == 1 else 'ports'} {listing(shown, 4)} on every interface"
    return f"publishes {listing(shown, 4)} on every interface"


def _guards(port: PublishedPort, ports: tuple[str, ...]) -> bool:
    """The published port is one a default guards (every port when the table names none)."""
    return not ports or port.container_port == "every exposed port" or port.container_port.split("/")[0] in ports


def _port(port: PublishedPort) -> str:
    if port.container_port == "every exposed port":
        return "every port it exposes (`-P`)"
    return port.host_port if port.host_port not in ("", "0") else f"container port {port.container_port} on a random host port"


def _value(setting: EnvSetting) -> tuple[str | None, bool]:
    """(the value the service gets when nothing else is set, whether it is a variable's fallback)."""
    if setting.fallback is not None:
        return setting.fallback, True
    if setting.value is None or "$" in setting.value:
        return None, False  # passed through, or a reference with no default we can know
    return setting.value, False


def _weak_logins(spec: ContainerSpec, service: Service | None) -> Iterator[_Weak]:
    env = {setting.name.upper(): setting for setting in spec.env}
    names = _names(spec, service)
    users = _users(spec, service, env)
    for setting in spec.env:
        login = service.login_for(setting.name) if service else None
        if login is None and not is_login_setting(setting.name):
            continue
        value, from_fallback = _value(setting)
        if not value:
            continue
        if login is not None and login.combined:
            user, slash, password = value.partition("/")
            if not slash:
                continue
        else:
            user, password = _user(setting.name, login, env), value
        kind = weakness(password, [user or "", *users], [*names, *setting.name.split("_")])
        if kind:
            verb = "falls back to" if from_fallback else "is"
            yield _Weak(setting.line, f"`{setting.name}` {verb} {WEAKNESSES[kind]}", kind)


def _user(password_setting: str, login: Login | None, env: dict[str, EnvSetting]) -> str | None:
    """The user a password belongs to: its user setting's value, else the image's default user."""
    candidates = ((login.user,) if login and login.user else ()) + user_settings(password_setting)
    for name in candidates:
        setting = env.get(name.upper())
        if setting is not None:
            value, _ = _value(setting)
            return value or None
    return login.default_user if login else None


def _users(spec: ContainerSpec, service: Service | None, env: dict[str, EnvSetting]) -> list[str]:
    """Every user name the service's logins are given (a password that is any of them is guessed)."""
    found = []
    for login in service.logins if service else ():
        if login.combined and login.password.upper() in env:
            found.append((_value(env[login.password.upper()])[0] or "").partition("/")[0])
        elif login.password.upper() in env:
            found.append(_user(login.password, login, env) or "")
    for setting in spec.env:
        if is_login_setting(setting.name):
            found.append(_user(setting.name, None, env) or "")
    return [user for user in found if user]


def _names(spec: ContainerSpec, service: Service | None) -> list[str]:
    """The names around a login: its service, image and database (a password made of them is guessed first)."""
    names = [spec.name, service.name if service else ""]
    if spec.image and spec.image.name:
        names.append(spec.image.name.repository.rsplit("/", 1)[-1])
    for setting in spec.env:
        if setting.name.upper().endswith(_DATABASE_SUFFIXES):
            value, _ = _value(setting)
            names.append(value or "")
    return [name for name in names if name]


def _checks_off(spec: ContainerSpec, service: Service | None) -> Iterator[_Weak]:
    if service is None:
        return
    env = {setting.name.upper(): setting for setting in spec.env}
    for off in service.auth_off:
        setting = env.get(off.name.upper())
        value = _value(setting)[0] if setting else None
        if value is None or value.strip().strip("\"'").lower() not in off.values:
            continue
        if off.together_with:
            other = env.get(off.together_with.upper())
            other_value = _value(other)[0] if other else None
            if (other_value or "").strip().lower() not in _TRUE:
                continue
        yield _Weak(setting.line, f"`{setting.name}` turns {service.name}'s password check off", "auth-off")


def _default_when_unset(spec: ContainerSpec, service: Service | None) -> _Weak | None:
    """The image's own default login when the run configuration sets no password."""
    if service is None or service.when_unset is None or spec.env_files:
        return None
    names = {setting.name.upper() for setting in spec.env}
    passwords = [login.password.upper() for login in service.logins]
    if any(name in names or name + "_FILE" in names or name + "__FILE" in names for name in passwords):
        return None
    for also in service.unset_also:
        name, equals, pattern = also.partition("=")
        setting = next((s for s in spec.env if s.name.upper() == name.upper()), None)
        if setting is not None and (not equals or glob_match((_value(setting)[0] or "").lower(), pattern.lower())):
            return None
    words = [word.text for word in spec.command]
    if any(glob_match(word, pattern) or word.startswith(pattern + "=") for word in words for pattern in service.unset_also_arguments):
        return None
    if service.when_unset == "no-password":
        text = f"{service.name} asks for no password (the image's default)"
    else:
        unset = f" (no `{service.logins[0].password}`)" if service.logins else ""
        text = f"{service.name} keeps the image's documented default login{unset}"
    return _Weak(spec.line_of("image"), text, service.when_unset)


RULE = Rule(
    id="default-credentials-exposed",
    title="Default credentials on a published service",
    severity=Severity.HIGH,
    category="attack-surface",
    why="A well-known login on a port published on every interface is the first thing network scanners try.",
    remedy="Publish on 127.0.0.1 (or not at all) and set a real password from a secret, with no default.",
    page=__doc__,
    check=check,
    phase="run",
    reads=("ContainerSpec",),
    fix="none",
    since="0.2.0",
    remedy_by_source=(
        ("compose", "`ports: [\"127.0.0.1:5432:5432\"]` (or none); `POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}` or `secrets:`"),
        ("Kubernetes", "no `hostPort`; the password from `valueFrom.secretKeyRef`"),
        ("docker run", "`-p 127.0.0.1:5432:5432`; `-e POSTGRES_PASSWORD` with the value from the environment"),
        ("client config", "`\"-p\", \"127.0.0.1:8080:8080\"` in `args`; the password from the client's secret input"),
    ),
    cwe=("CWE-1392", "CWE-1393", "CWE-521"),
    cis=("Ensure that incoming container traffic is bound to a specific host interface",),
)
