"""Server cards: the blast radius of a scanned server, drawn from its models (builds, run
configurations, built images) and the rules' findings. One card per repository or image;
the laptop audit draws one per MCP server a client starts in a container."""

from __future__ import annotations

from collections.abc import Iterable

from mcpharden.knowledge.credentials import is_credential_name
from mcpharden.knowledge.runtime import sensitive_mount, socket_exposed
from mcpharden.model.card import FetchedPackage, HostMount, OpenEntry, PublishedPort, ServerCard
from mcpharden.model.container import ContainerSpec
from mcpharden.model.findings import Finding
from mcpharden.model.packages import PackageFetch, installed_copy
from mcpharden.model.project import Project

# The rules whose findings are ways in that need no secret, and what the card calls them.
OPEN_ENTRY_RULES = {"mcp-transport-unprotected": "MCP endpoint", "default-credentials-exposed": "default login"}
# The rules whose findings leave the kernel unconfined, and what the card says of each.
UNCONFINED_RULES = {
    "security-profile-disabled": lambda details: f"{details.get('profile', 'a security profile')} turned off",
    "seccomp-profile-not-set": lambda details: "no seccompProfile (Kubernetes runs it Unconfined)",
}
# Tools an attacker uses to fetch a second stage, as OS package names and image paths.
DOWNLOAD_TOOLS = ("curl", "wget", "nc", "netcat", "netcat-openbsd", "socat", "git")
NAMESPACES = (("host_network", "network"), ("host_pid", "pid"), ("host_ipc", "ipc"), ("host_userns", "user"),
              ("host_uts", "uts"), ("host_cgroupns", "cgroup"))


def cards_for(project: Project, findings: Iterable[Finding], name: str) -> tuple[ServerCard, ...]:
    findings = tuple(findings)
    if project.scope == "clients":
        by_path: dict[str, list[Finding]] = {}  # one pass: a laptop audit may hold thousands of servers
        for finding in findings:
            by_path.setdefault(finding.path, []).append(finding)
        return tuple(_card(f"{spec.name} ({spec.path})", project, (spec,), tuple(by_path.get(spec.path, ())), builds=False)
                     for spec in project.containers)
    # A dev container is the contributors' environment, not the server: it never colours the card.
    helpers = {spec.path for spec in project.containers if spec.origin == "devcontainer"}
    specs = tuple(spec for spec in project.containers if spec.path not in helpers)
    if not (project.builds or specs or project.images):
        return ()
    return (_card(name, project, specs, tuple(f for f in findings if f.path not in helpers), builds=True),)


def _card(name: str, project: Project, specs: tuple[ContainerSpec, ...], findings: tuple[Finding, ...], builds: bool) -> ServerCard:
    mine = [f for f in findings if f.path in {s.path for s in specs}] if not builds else list(findings)
    user, evidence = _user(project, specs, mine, builds)
    final_stages = [build.final for build in project.builds] if builds else []
    profiles = [stage.profile for stage in final_stages]
    image_files = {path for image in project.images for path in image.files} if builds else set()
    shell = any(p.shell for p in profiles) or any(f.rule_id == "shell-in-runtime-image" for f in mine) \
        if (profiles or project.images) else None
    managers = sorted({p.package_manager for p in profiles if p.package_manager}
                      | {m for f in mine if f.rule_id == "package-manager-in-runtime-image"
                         for m in dict(f.details).get("managers", "").split(", ")} - {""})
    packages = {package.name for stage in final_stages for package in stage.os_packages}
    tools = sorted({tool for tool in DOWNLOAD_TOOLS if tool in packages or f"/usr/bin/{tool}" in image_files})
    mounts = tuple(_mount(spec, mount) for spec in specs for mount in spec.mounts if mount.kind == "bind" and mount.source)
    writable_root = None if not specs else any(not spec.read_only_root for spec in specs)
    return ServerCard(
        name=name,
        user=user,
        user_evidence=evidence,
        shell=shell,
        package_manager=", ".join(managers),
        download_tools=tuple(tools),
        writable_root_filesystem=writable_root if specs else (True if (final_stages or project.images) else None),
        # Code is owned by root in a sound image; running as root makes it writable.
        can_rewrite_own_code={"root": True, "non-root": False}.get(user),
        engine_socket=any(m.sensitive == "the engine socket" for m in mounts) or any(f.rule_id == "docker-socket-mount" for f in mine),
        privileged=any(spec.privileged for spec in specs),
        capabilities_added=tuple(sorted({c.upper() for spec in specs for c in spec.cap_add})),
        host_namespaces=tuple(label for field, label in NAMESPACES if any(getattr(spec, field) for spec in specs)),
        host_mounts=mounts,
        published_ports=tuple(PublishedPort(port.host_ip or "every interface", port.host_port, port.container_port,
                                            f"{spec.path}:{port.line}") for spec in specs for port in spec.ports),
        secret_names=tuple(sorted({env.name for spec in specs for env in spec.env if is_credential_name(env.name)})),
        egress=_egress(specs),
        open_entries=tuple(OpenEntry(OPEN_ENTRY_RULES[f.rule_id], f.message, f"{f.path}:{f.line}")
                           for f in mine if f.rule_id in OPEN_ENTRY_RULES),
        fetched_at_start=_fetched(project, specs, builds),
        service_account_tokens=_tokens(specs),
        unconfined=tuple(sorted({f"{UNCONFINED_RULES[f.rule_id](dict(f.details))} at {f.path}:{f.line}"
                                 for f in mine if f.rule_id in UNCONFINED_RULES})),
        sources=tuple(sorted({b.path for b in project.builds} | {s.path for s in specs} | {i.source_path for i in project.images}))
        if builds else tuple(sorted({s.path for s in specs})),
        world_writable_paths=_detail_items(mine, "world-writable-path", "paths"),
        secret_files=_detail_items(mine, "build-context-leaks-secrets", "files"),
    )


def _detail_items(findings, rule_id: str, key: str) -> tuple[str, ...]:
    """The items a rule's findings list in one of their details (`paths=/a, /b`)."""
    return tuple(sorted({item for f in findings if f.rule_id == rule_id
                         for item in dict(f.details).get(key, "").split(", ") if item}))


def _user(project: Project, specs, findings, builds: bool) -> tuple[str, str]:
    root = [f for f in findings if f.rule_id == "root-user"]
    if root:
        return "root", f"{root[0].path}:{root[0].line}: {root[0].message}"
    if builds and project.builds:
        final = project.builds[0].final
        return "non-root", f"{project.builds[0].path}:{final.user.line}: runs as {final.user.written}"
    if any(spec.user for spec in specs):
        spec = next(spec for spec in specs if spec.user)
        return "non-root", f"{spec.path}:{spec.line_of('user')}: user {spec.user}"
    if builds and project.images:
        return "non-root", f"the image runs as {project.images[0].config_user or 'its default user'}"
    return "unknown", "the image's default user is not known from what was scanned"


def _mount(spec: ContainerSpec, mount) -> HostMount:
    sensitive = "the engine socket" if socket_exposed(mount.source) else (sensitive_mount(mount.source) or "")
    return HostMount(mount.source, mount.target, mount.read_only, sensitive, f"{spec.path}:{mount.line}")


def _fetched(project: Project, specs, builds: bool) -> tuple[FetchedPackage, ...]:
    """What the server downloads when it starts (package-fetched-at-start): from the start command
    of the image that ships, unless it runs an installed copy, and from how containers are run."""
    fetches: list[PackageFetch] = []
    by_path = {build.path: build for build in project.builds}
    if builds:
        fetches += [f for build in project.builds for f in build.final.start_fetches if installed_copy(f, build, build.final) is None]
    for spec in specs:
        built = by_path.get(spec.dockerfile or "") if spec.built_locally else None
        fetches += [f for f in spec.start_fetches if built is None or installed_copy(f, built, built.final) is None]
    shown = {}
    for fetch in fetches:
        ref = fetch.package
        reference = {"none": "no version", "manifest": "their manifest's ranges", "lock": "the lock file"}.get(ref.pin, ref.version)
        entry = FetchedPackage(ref.name, ref.registry, reference, f"{fetch.path}:{fetch.line}")
        shown.setdefault((entry.package, entry.registry, entry.reference), entry)
    return tuple(shown.values())


def _tokens(specs) -> tuple[str, ...]:
    """The service accounts whose API token the server's pods get, with what is bound to them."""
    tokens = {}
    for spec in specs:
        if spec.service_account_token is True and spec.service_account:
            roles = ", ".join(spec.service_account_roles) or "no role bound in the scanned manifests"
            tokens[spec.service_account] = f"{spec.service_account} ({roles})"
    return tuple(sorted(tokens.values()))


def _egress(specs) -> str:
    if specs and all(spec.no_network for spec in specs):
        return "none"
    if any(spec.host_network for spec in specs):
        return "host network"
    return "unrestricted"
