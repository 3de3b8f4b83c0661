"""Server cards: the blast radius of a scanned server, drawn from its models (builds, run
configurations, built images) and the rules' findings. One card per server a repository ships
(each image it builds, with the run configurations that start it), per image audited, and per
MCP server a client starts in a container; helpers and documentation examples get cards of
their own, marked, so that they never colour the server's."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpharden.knowledge.credentials import is_credential_name
from mcpharden.knowledge.runtime import sensitive_mount, socket_exposed
from mcpharden.model.card import DOCUMENTATION, HELPER, SERVER, FetchedPackage, HostMount, OpenEntry, PublishedPort, ServerCard
from mcpharden.model.packages import PackageFetch, installed_copy

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.findings import Finding
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


@dataclass(frozen=True)
class _Unit:
    """What one card is drawn from: the builds and run configurations of one server (or helper)."""

    name: str
    builds: tuple[BuildModel, ...] = ()
    specs: tuple[ContainerSpec, ...] = ()
    images: tuple = ()
    role: str = SERVER
    role_reason: str = ""


def cards_for(project: Project, findings: Iterable[Finding], name: str) -> tuple[ServerCard, ...]:
    """One card per server: per client-config entry in a laptop audit; per image a repository
    builds (with the run configurations that start it) and per image it runs otherwise; helpers
    and documentation examples get cards of their own, marked. Each card is scored."""
    from mcpharden.verdicts.scoring import scored

    findings = tuple(findings)
    if project.scope == "clients":
        units = [_Unit(f"{spec.name} ({spec.path})", specs=(spec,)) for spec in project.containers]
    elif project.scope == "image":
        units = [_Unit(name, images=project.images)] if project.images else []
    else:
        units = _repository_units(project, name)
    shares = _assign(findings, units, project)
    return tuple(scored(_card(unit, project, tuple(mine))) for unit, mine in zip(units, shares))


def _repository_units(project: Project, name: str) -> list[_Unit]:
    """The servers a repository ships: each Dockerfile, joined with the compose services that
    build it and the manifests and `docker run` lines that run its image; each other image it runs
    (a server published elsewhere). Helpers (a devcontainer, a database, a one-off job) and the
    run lines of documentation get their own cards."""
    from mcpharden.knowledge.helpers import development_folders

    joined: dict[str, list[ContainerSpec]] = {build.path: [] for build in project.builds}
    tags = _built_tags(project)
    others: dict[tuple[str, str, str], list[ContainerSpec]] = {}
    for spec in project.containers:
        helper = _helper(spec)
        if spec.from_documentation:
            key = (DOCUMENTATION, _image_label(spec), "a run line in documentation, not a file that ships")
        elif helper:
            key = (HELPER, f"{spec.where} in {spec.path}", helper)
        elif (build := _build_of(spec, project, tags, name)) is not None:
            joined[build].append(spec)
            continue
        else:
            key = (SERVER, _image_label(spec), "")
        others.setdefault(key, []).append(spec)
    # `scan --image`: the images were built from the Dockerfile named, else from the first one.
    paths = [build.path for build in project.builds]
    imaged = project.image_dockerfile if project.image_dockerfile in paths else (paths[0] if paths else None)
    units = []
    for build in project.builds:
        folder = build.path.split("/")[0] if "/" in build.path else ""
        images = project.images if build.path == imaged else ()
        role, reason = SERVER, ""
        if folder in development_folders():
            role, reason = HELPER, f"a development environment ({folder}/), not the server"
        elif (build.root_base(build.final).resolved or "").lower() == "scratch" and not build.final.start_arguments:
            role, reason = HELPER, "an artifact image (FROM scratch, nothing to run): it carries files, runs no server"
        label = name if build.path in ("Dockerfile", "Containerfile") else f"{name} ({build.path})"
        units.append(_Unit(label, (build,), tuple(joined[build.path]), images, role, reason))
    for (role, label, reason), specs in others.items():
        units.append(_Unit(label, specs=tuple(specs), role=role, role_reason=reason))
    if project.images and not project.builds:
        units.append(_Unit(name, images=project.images))
    return units


def _image_label(spec: ContainerSpec) -> str:
    # A README's `<digest>` is read as PLACEHOLDER_DIGEST, a text the file does not hold: never shown.
    shown = spec.image.written if spec.image and "PLACEHOLDER_" not in spec.image.written else spec.where
    return f"{shown} ({spec.path})"


def _helper(spec: ContainerSpec) -> str:
    """Why a run configuration is a helper beside the server, or "" when it may be the server."""
    from mcpharden.knowledge.helpers import development_folders, job_words

    if spec.origin == "devcontainer" or spec.path.split("/")[0] in development_folders():
        return "a development environment, not the server"
    if spec.origin in ("client-config", "mcp-manifest"):
        return ""
    image = spec.image.name if spec.image and "$" not in (spec.image.resolved or "$") else None
    # The image's own name, or the service's when the image is a variable nobody set.
    named = image.repository.rsplit("/", 1)[-1] if image else spec.name.lower()
    kind = _helper_kind(named)
    if not spec.built_locally and kind:
        article = "an" if kind[0] in "aeiou" else "a"
        return f"{f'image {named}' if image else spec.where}: {article} {kind} beside the server"
    words = set(re.split(r"[^a-z0-9]+", spec.name.lower()))
    if spec.origin in ("compose", "kubernetes") and words & job_words():
        return f"{spec.where}: a one-off job beside the server"
    return ""


def _helper_kind(name: str) -> str:
    """What kind of helper an image name is ("database"), or "" when it may be an MCP server: a name
    with `mcp` in it never is a helper (`postgres-mcp`); `postgres-upgrade`, `redis_exporter` are."""
    from mcpharden.knowledge.helpers import helper_images

    words = [word for word in re.split(r"[^a-z0-9]+", name.lower()) if word]
    if not words or "mcp" in words or any(word.startswith("mcp") or word.endswith("mcp") for word in words):
        return ""
    if "exporter" in words:
        return "metrics exporter"
    return helper_images().get(name.lower()) or helper_images().get(words[0], "")


def _built_tags(project: Project) -> dict[str, str]:
    """Image names (last part of the repository) -> the Dockerfile that builds them: the names CI
    tags its builds with (`docker build -t`), and the folder of each Dockerfile (`_build_of` adds the
    repository's own name for a repository with one Dockerfile)."""
    paths = {build.path for build in project.builds}
    tags: dict[str, str] = {}
    for build in project.builds:
        folder = build.path.rsplit("/", 1)[0] if "/" in build.path else ""
        if folder:
            tags.setdefault(folder.rsplit("/", 1)[-1].lower(), build.path)
    for pipeline in project.pipelines:
        for step in pipeline.builds:
            dockerfile = step.dockerfile or (f"{step.context.strip('./')}/Dockerfile" if step.context and step.context.strip("./")
                                             else "Dockerfile")
            if dockerfile not in paths:
                continue
            for tag in _TAG.findall(step.via):
                tags.setdefault(tag.split("@")[0].split(":")[0].rsplit("/", 1)[-1].lower(), dockerfile)
    return tags


_TAG = re.compile(r"(?:^|\s)(?:-t|--tag)[=\s]+([^\s]+)")


def _build_of(spec: ContainerSpec, project: Project, tags: dict[str, str], name: str) -> str | None:
    """The Dockerfile a run configuration starts the image of, when the repository builds it."""
    paths = [build.path for build in project.builds]
    if spec.built_locally:
        return spec.dockerfile if spec.dockerfile in paths else None
    image = spec.image.name if spec.image else None
    if image is None or not paths:
        return None
    last = image.repository.rsplit("/", 1)[-1]
    if last in tags:
        return tags[last]
    return paths[0] if len(paths) == 1 and last == name.lower() else None


def _assign(findings: tuple[Finding, ...], units: list[_Unit], project: Project) -> list[list[Finding]]:
    """Each finding goes to the card of the file and the run configuration it is in; a finding of
    the whole repository (CI, a package manifest) goes to every server card; a finding about a
    server a client starts on the host (no container, so no card) goes to none."""
    shares: list[list[Finding]] = [[] for _ in units]
    by_build = {build.path: index for index, unit in enumerate(units) for build in unit.builds}
    lines: dict[str, dict[int, int]] = {}
    starts: dict[str, list[tuple[int, int | None]]] = {}
    for index, unit in enumerate(units):
        for spec in unit.specs:
            starts.setdefault(spec.path, []).append((spec.line, index))
            for line in _lines_of(spec):
                lines.setdefault(spec.path, {}).setdefault(line, index)
    for server in project.client_servers:
        if not server.in_container:
            starts.setdefault(server.path, []).append((server.line, None))
    for finding in findings:
        named = [by_build[path] for path in dict(finding.details).get("dockerfiles", "").split(",") if path in by_build]
        if named:
            targets = named
        elif finding.path in by_build:
            targets = [by_build[finding.path]]
        elif finding.path in starts:
            exact = lines.get(finding.path, {}).get(finding.line)
            entries = sorted(starts[finding.path], key=lambda entry: entry[0])
            before = [owner for line, owner in entries if line <= finding.line]
            owner = exact if exact is not None else (before[-1] if before else entries[0][1])
            targets = [] if owner is None else [owner]
        else:  # the repository's: every server card holds it
            targets = [index for index, unit in enumerate(units) if unit.role == SERVER]
        for index in targets:
            shares[index].append(finding)
    return shares


def _lines_of(spec: ContainerSpec) -> set[int]:
    return ({spec.line, *spec.lines.values()} | {m.line for m in spec.mounts} | {p.line for p in spec.ports}
            | {e.line for e in spec.env} | {w.line for w in spec.command})


def _card(unit: _Unit, project: Project, mine: tuple[Finding, ...]) -> ServerCard:
    specs, builds, images = unit.specs, unit.builds, unit.images
    user, evidence = _user(builds, images, specs, mine)
    final_stages = [build.final for build in builds]
    profiles = [stage.profile for stage in final_stages]
    image_files = {path for image in images for path in image.files}
    shell = any(p.shell for p in profiles) or any(f.rule_id == "shell-in-runtime-image" for f in mine) \
        if (profiles or images) else None
    managers = sorted({p.package_manager for p in profiles if p.package_manager}
                      | {m for f in mine if f.rule_id == "package-manager-in-runtime-image"
                         for m in dict(f.details).get("managers", "").split(", ")} - {""})
    packages = {package.name for stage in final_stages for package in stage.os_packages}
    tools = sorted({tool for tool in DOWNLOAD_TOOLS if tool in packages or f"/usr/bin/{tool}" in image_files})
    mounts = tuple(_mount(spec, mount) for spec in specs for mount in spec.mounts if mount.kind == "bind" and mount.source)
    weaknesses: dict[str, Finding] = {}
    for finding in mine:
        if finding.rule_id not in weaknesses or finding.severity > weaknesses[finding.rule_id].severity:
            weaknesses[finding.rule_id] = finding
    return ServerCard(
        name=unit.name,
        user=user,
        user_evidence=evidence,
        shell=shell,
        package_manager=", ".join(managers),
        download_tools=tuple(tools),
        # How a built image is run is not known without a run configuration: unknown, not writable.
        writable_root_filesystem=any(not spec.read_only_root for spec in specs) if specs else None,
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
        fetched_at_start=_fetched(builds, specs, {build.path: build for build in project.builds}),
        service_account_tokens=_tokens(specs),
        unconfined=tuple(sorted({f"{UNCONFINED_RULES[f.rule_id](dict(f.details))} at {f.path}:{f.line}"
                                 for f in mine if f.rule_id in UNCONFINED_RULES})),
        sources=tuple(sorted({b.path for b in builds} | {s.path for s in specs} | {i.source_path for i in images})),
        world_writable_paths=_detail_items(mine, "world-writable-path", "paths"),
        secret_files=_detail_items(mine, "build-context-leaks-secrets", "files"),
        role=unit.role,
        role_reason=unit.role_reason,
        weaknesses=tuple(sorted((rule, f.severity.label) for rule, f in weaknesses.items())),
    )


def _detail_items(findings, rule_id: str, key: str) -> tuple[str, ...]:
    """The items a rule's findings list in one of their details (`paths=/a, /b`)."""
    return tuple(sorted({item for f in findings if f.rule_id == rule_id
                         for item in dict(f.details).get(key, "").split(", ") if item}))


def _user(builds, images, specs, findings) -> tuple[str, str]:
    root = [f for f in findings if f.rule_id == "root-user"]
    if root:
        return "root", f"{root[0].path}:{root[0].line}: {root[0].message}"
    if builds:
        final = builds[0].final
        return "non-root", f"{builds[0].path}:{final.user.line}: runs as {final.user.written}"
    if any(spec.user for spec in specs):
        spec = next(spec for spec in specs if spec.user)
        return "non-root", f"{spec.path}:{spec.line_of('user')}: user {spec.user}"
    if images:
        return "non-root", f"the image runs as {images[0].config_user or 'its default user'}"
    return "unknown", "the image's default user is not known from what was scanned"


def _mount(spec: ContainerSpec, mount) -> HostMount:
    sensitive = "the engine socket" if socket_exposed(mount.source) else (sensitive_mount(mount.source) or "")
    return HostMount(mount.source, mount.target, mount.read_only, sensitive, f"{spec.path}:{mount.line}")


def _fetched(builds, specs, by_path) -> tuple[FetchedPackage, ...]:
    """What the server downloads when it starts (package-fetched-at-start): from the start command
    of the image that ships, unless it runs an installed copy, and from how containers are run."""
    fetches: list[PackageFetch] = []
    fetches += [f for build in builds for f in build.final.start_fetches if installed_copy(f, build, build.final) is None]
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
