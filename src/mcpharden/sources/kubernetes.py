"""Kubernetes manifests → ContainerSpecs, one per container and init container.

Workloads: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
CronJob (and `List` items), and any other object with a pod template (OpenShift
DeploymentConfig, Argo Rollout, Knative Service, ...). Security settings follow Kubernetes' precedence: the
container's `securityContext` wins over the pod's for runAsUser, runAsNonRoot (and the
other fields both levels have); privileged, capabilities, readOnlyRootFilesystem and
allowPrivilegeEscalation exist only per container. `hostPath` volumes are joined to the
`volumeMounts` that use them.

Service accounts: a pod's `serviceAccountName` (else `default`) and whether its API token is
mounted: the pod's `automountServiceAccountToken`, else that of the ServiceAccount object, else
yes. ServiceAccounts and the RoleBindings and ClusterRoleBindings that name them are read from
every manifest scanned (`join_accounts`): a kustomize layout keeps them in files of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from mcpharden.model.container import ALL_SETTINGS, CommandWord, ContainerSpec, EnvSetting, Mount, PublishedPort
from mcpharden.model.references import ImageRef
from mcpharden.syntax.yamlnodes import HelmTemplate, YamlError, YamlList, YamlMap, load_documents

# kind → path from the object to its pod spec
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# Where other kinds keep a pod template (OpenShift DeploymentConfig, Argo Rollout, Knative
# Service, operators' custom resources): tried in order, the first holding `containers` wins.
POD_TEMPLATE_PATHS: tuple[tuple[str, ...], ...] = (
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("template", "spec"),
    ("spec", "podTemplate", "spec"),
)


@dataclass(frozen=True)
class ServiceAccount:
    """A ServiceAccount object of a manifest."""

    namespace: str  # "" when the manifest names none
    name: str
    automount: bool | None  # its automountServiceAccountToken


@dataclass(frozen=True)
class RoleBinding:
    """A RoleBinding or ClusterRoleBinding: the role it grants and the service accounts it names."""

    role: str  # "ClusterRole cluster-admin", "Role mcp-reader"
    subjects: tuple[tuple[str, str], ...]  # (namespace, "" when none is named; name) per ServiceAccount subject


@dataclass
class Manifests:
    """What one manifest file holds: the containers its workloads run (service accounts not yet
    joined to the objects below: join_accounts), its ServiceAccounts and role bindings."""

    specs: list[ContainerSpec] = field(default_factory=list)
    accounts: list[ServiceAccount] = field(default_factory=list)
    bindings: list[RoleBinding] = field(default_factory=list)


def looks_like_manifest(text: str) -> bool:
    return "apiVersion" in text and "kind" in text


def parse_manifests(path: str, text: str) -> list[ContainerSpec]:
    """The containers of one file, with the service accounts and bindings of that file."""
    manifests = read_manifests(path, text)
    return join_accounts(manifests.specs, manifests.accounts, manifests.bindings)


def read_manifests(path: str, text: str, rendered: bool = False) -> Manifests:
    """`rendered`: the text is a Helm template rendered without every value known, so an empty
    `serviceAccountName` is a name left unrendered, not the default account."""
    try:
        documents = load_documents(text)
    except YamlError:
        if "{{" in text:  # `{{ }}` is valid YAML in strings; only templates that break YAML are skipped
            raise HelmTemplate("a Helm template (`{{ }}`); render it with `helm template` and scan the output") from None
        raise
    manifests = Manifests()
    for document in documents:
        for item in _items(document):
            kind = item.get("kind")
            if kind == "ServiceAccount":
                automount = item.get("automountServiceAccountToken")
                manifests.accounts.append(ServiceAccount(_namespace(item), str(_get(item, ("metadata", "name")) or ""),
                                                         automount if isinstance(automount, bool) else None))
            elif kind in ("RoleBinding", "ClusterRoleBinding"):
                binding = _binding(item)
                if binding:
                    manifests.bindings.append(binding)
            elif pod_spec_path(item) is not None:
                manifests.specs.extend(_containers(path, item, rendered))
    return manifests


def join_accounts(specs: Iterable[ContainerSpec], accounts: Iterable[ServiceAccount],
                  bindings: Iterable[RoleBinding]) -> list[ContainerSpec]:
    """Each Kubernetes container with what the ServiceAccount objects and role bindings say of
    its pod's service account. Names match when their namespaces do, or when one is not named."""
    accounts, bindings = list(accounts), list(bindings)
    joined = []
    for spec in specs:
        if spec.service_account is None:
            joined.append(spec)
            continue
        namespace = spec.namespace or ""
        account = next((a for a in accounts if a.name == spec.service_account and _same_namespace(a.namespace, namespace)), None)
        token = spec.service_account_token
        if token is None:
            token = account.automount if account is not None and account.automount is not None else True
        roles = tuple(dict.fromkeys(binding.role for binding in bindings for subject_namespace, name in binding.subjects
                                    if name == spec.service_account and _same_namespace(subject_namespace, namespace)))
        joined.append(replace(spec, service_account_token=token, service_account_declared=account is not None,
                              service_account_roles=roles))
    return joined


def _same_namespace(first: str, second: str) -> bool:
    return not first or not second or first == second


def _items(document: Any) -> Iterator[YamlMap]:
    if not isinstance(document, YamlMap):
        return
    if document.get("kind") == "List" and isinstance(document.get("items"), YamlList):
        for item in document["items"]:
            yield from _items(item)
    else:
        yield document


def _namespace(item: YamlMap) -> str:
    namespace = _get(item, ("metadata", "namespace"))
    return str(namespace) if isinstance(namespace, (str, int)) else ""


def _binding(item: YamlMap) -> RoleBinding | None:
    role = item.get("roleRef")
    subjects = item.get("subjects")
    if not isinstance(role, YamlMap) or not isinstance(subjects, YamlList):
        return None
    own = _namespace(item) if item.get("kind") == "RoleBinding" else ""
    named = tuple((str(s.get("namespace") or own), str(s.get("name", ""))) for s in subjects
                  if isinstance(s, YamlMap) and s.get("kind") == "ServiceAccount")
    return RoleBinding(f"{role.get('kind', 'Role')} {role.get('name', '?')}", named) if named else None


def pod_spec_path(workload: YamlMap) -> tuple[str, ...] | None:
    """The path to a workload's pod spec: from the table for the core kinds, else the first
    pod template that holds a `containers` list."""
    kind = str(workload.get("kind", ""))
    if kind in POD_SPEC_PATHS:
        return POD_SPEC_PATHS[kind]
    if not isinstance(workload.get("apiVersion"), str):
        return None
    return next((path for path in POD_TEMPLATE_PATHS if isinstance(_get(_get(workload, path), ("containers",)), YamlList)), None)


def _get(mapping: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(mapping, YamlMap):
            return None
        mapping = mapping.get(key)
    return mapping


def _containers(path: str, workload: YamlMap, rendered: bool = False) -> Iterator[ContainerSpec]:
    pod = _get(workload, pod_spec_path(workload) or ())
    if not isinstance(pod, YamlMap):
        return
    workload_name = str(_get(workload, ("metadata", "name")) or workload.get("kind"))
    pod_context = pod.get("securityContext") if isinstance(pod.get("securityContext"), YamlMap) else YamlMap()
    host_paths = _host_path_volumes(pod)
    account = _service_account(pod)
    unknown_account = rendered and any(key in pod and not pod.get(key) for key in ("serviceAccountName", "serviceAccount"))
    for list_name in CONTAINER_LISTS:
        containers = pod.get(list_name)
        if not isinstance(containers, YamlList):
            continue
        for index, container in enumerate(containers):
            if isinstance(container, YamlMap):
                spec = _spec(path, workload_name, containers.line_of(index), pod, pod_context, container, host_paths)
                lines = dict(spec.lines, service_account_token=account[2] or pod.line_of(_first_list(pod)))
                yield replace(spec, security_opts=spec.security_opts + tuple(_annotated_profiles(workload, container)),
                              seccomp_profile=_seccomp_profile(workload, container, pod_context),
                              service_account=None if unknown_account else account[0], service_account_token=account[1],
                              namespace=_namespace(workload) or None, lines=MappingProxyType(lines))


def _first_list(pod: YamlMap) -> str:
    """The pod's `containers` key (else its first container list): one line for the whole pod."""
    return next((name for name in ("containers", *CONTAINER_LISTS) if name in pod), "containers")


def _service_account(pod: YamlMap) -> tuple[str, bool | None, int | None]:
    """The pod's service account, its own automountServiceAccountToken (None: not set) and the
    line a finding about the token sits on: that setting, else the account's name."""
    name = pod.get("serviceAccountName") or pod.get("serviceAccount")  # the second is the deprecated spelling
    automount = pod.get("automountServiceAccountToken")
    key = next((k for k in ("automountServiceAccountToken", "serviceAccountName", "serviceAccount") if k in pod), None)
    return (str(name) if isinstance(name, (str, int)) and str(name) else "default",
            automount if isinstance(automount, bool) else None, pod.line_of(key) if key else None)


# seccompProfile types, and the legacy annotation values that mean them.
_SECCOMP_TYPES = {"runtimedefault": "RuntimeDefault", "localhost": "Localhost", "unconfined": "Unconfined"}
_SECCOMP_ANNOTATION_VALUES = {"runtime/default": "RuntimeDefault", "docker/default": "RuntimeDefault", "unconfined": "Unconfined"}


def _seccomp_profile(workload: YamlMap, container: YamlMap, pod_context: YamlMap) -> str | None:
    """The seccompProfile type in effect: the container's securityContext, the pod's, then the
    legacy annotations (the container's, then the pod's)."""
    context = container.get("securityContext") if isinstance(container.get("securityContext"), YamlMap) else YamlMap()
    for level in (context, pod_context):
        profile = level.get("seccompProfile")
        if isinstance(profile, YamlMap) and isinstance(profile.get("type"), str):
            return _SECCOMP_TYPES.get(profile["type"].lower(), profile["type"])
    name = str(container.get("name", ""))
    for key in (_SECCOMP_ANNOTATIONS[1] + name, _SECCOMP_ANNOTATIONS[0]):
        for metadata in (_get(workload, ((pod_spec_path(workload) or ("",))[:-1]) + ("metadata",)), _get(workload, ("metadata",))):
            annotations = metadata.get("annotations") if isinstance(metadata, YamlMap) else None
            value = annotations.get(key) if isinstance(annotations, YamlMap) else None
            if isinstance(value, str):
                lowered = value.lower()
                return _SECCOMP_ANNOTATION_VALUES.get(lowered, "Localhost" if lowered.startswith("localhost/") else value)
    return None


# Legacy annotations that set a profile: seccomp for the pod or a container, AppArmor per container.
_SECCOMP_ANNOTATIONS = ("seccomp.security.alpha.kubernetes.io/pod", "container.seccomp.security.alpha.kubernetes.io/")
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _annotated_profiles(workload: YamlMap, container: YamlMap) -> Iterator[str]:
    """Profiles turned off by annotations on the workload or its pod template."""
    name = str(container.get("name", ""))
    for metadata in (_get(workload, ("metadata",)), _get(workload, (pod_spec_path(workload) or ("",))[:-1] + ("metadata",))):
        annotations = metadata.get("annotations") if isinstance(metadata, YamlMap) else None
        for key, value in (annotations.items() if isinstance(annotations, YamlMap) else []):
            key, value = str(key), str(value).lower()
            if value == "unconfined" and (key == _SECCOMP_ANNOTATIONS[0] or key == _SECCOMP_ANNOTATIONS[1] + name):
                yield "seccomp=unconfined"
            elif value == "unconfined" and key == _APPARMOR_ANNOTATION + name:
                yield "apparmor=unconfined"


def _profiles(context: YamlMap, pod_context: YamlMap) -> Iterator[str]:
    """securityContext profiles in --security-opt spelling (the container's level wins)."""
    for key, option in (("seccompProfile", "seccomp"), ("appArmorProfile", "apparmor")):
        profile = context.get(key) if key in context else pod_context.get(key)
        if isinstance(profile, YamlMap) and str(profile.get("type", "")).lower() == "unconfined":
            yield f"{option}=unconfined"
    selinux = context.get("seLinuxOptions") if "seLinuxOptions" in context else pod_context.get("seLinuxOptions")
    if isinstance(selinux, YamlMap) and str(selinux.get("type", "")) in ("spc_t", "unconfined_t"):
        yield "label=disable"


def _profile_line(context: YamlMap, pod_context: YamlMap) -> int | None:
    """The line of the profile setting that turns confinement off (the container's level wins,
    as in `_profiles`), else of the container's own profile setting."""
    for key in ("seccompProfile", "appArmorProfile", "seLinuxOptions"):
        level = context if key in context else pod_context
        value = level.get(key)
        if isinstance(value, YamlMap) and (str(value.get("type", "")).lower() == "unconfined"
                                           or str(value.get("type", "")) in ("spc_t", "unconfined_t")):
            return value.line_of("type")
    return next((context.line_of(key) for key in ("seccompProfile", "appArmorProfile") if key in context), None)


def _environment(container: YamlMap) -> Iterator[EnvSetting]:
    env = container.get("env")
    for index, item in enumerate(env if isinstance(env, YamlList) else []):
        if isinstance(item, YamlMap) and isinstance(item.get("name"), str):
            value = item.get("value")
            yield EnvSetting(item["name"], None if value is None else str(value), env.line_of(index))


def _host_ports(container: YamlMap) -> Iterator[PublishedPort]:
    ports = container.get("ports")
    for index, port in enumerate(ports if isinstance(ports, YamlList) else []):
        if isinstance(port, YamlMap) and port.get("hostPort") is not None:
            yield PublishedPort(str(port.get("hostIP") or ""), str(port["hostPort"]), str(port.get("containerPort", "")),
                                port.line_of("hostPort"))


def _command(container: YamlMap) -> Iterator[CommandWord]:
    """`command` then `args`: the words the container starts with."""
    for key in ("command", "args"):
        words = container.get(key)
        for index, word in enumerate(words if isinstance(words, YamlList) else []):
            if not isinstance(word, (YamlMap, YamlList)):
                yield CommandWord(str(word), words.line_of(index))


def _limit(container: YamlMap, resource: str) -> str | None:
    limits = _get(container, ("resources", "limits"))
    value = limits.get(resource) if isinstance(limits, YamlMap) else None
    return None if value is None or isinstance(value, (YamlMap, YamlList)) else str(value)


def _host_path_volumes(pod: YamlMap) -> dict[str, tuple[str, int]]:
    """Each hostPath volume's host path, and the line of its `path:` (what a user changes)."""
    volumes = pod.get("volumes")
    found: dict[str, tuple[str, int]] = {}
    for volume in volumes if isinstance(volumes, YamlList) else []:
        if isinstance(volume, YamlMap) and isinstance(volume.get("hostPath"), YamlMap):
            host_path = volume["hostPath"]
            found[str(volume.get("name"))] = (str(host_path.get("path", "")), host_path.line_of("path"))
    return found


def _spec(path: str, workload: str, line: int, pod: YamlMap, pod_context: YamlMap,
          container: YamlMap, host_paths: dict[str, tuple[str, int]]) -> ContainerSpec:
    context = container.get("securityContext") if isinstance(container.get("securityContext"), YamlMap) else YamlMap()
    lines: dict[str, int] = {}

    def effective(key: str) -> Any:
        """Container-level value, else pod-level (Kubernetes' precedence)."""
        for level in (context, pod_context):
            if key in level:
                lines[key] = level.line_of(key)
                return level[key]
        return None

    run_as_user = effective("runAsUser")
    run_as_non_root = effective("runAsNonRoot")
    capabilities = context.get("capabilities") if isinstance(context.get("capabilities"), YamlMap) else YamlMap()
    field_lines = {
        "user": lines.get("runAsUser"),
        "privileged": context.line_of("privileged") if "privileged" in context else None,
        "cap_add": capabilities.line_of("add") if "add" in capabilities else None,
        "cap_drop": capabilities.line_of("drop") if "drop" in capabilities else None,
        "read_only_root": context.line_of("readOnlyRootFilesystem") if "readOnlyRootFilesystem" in context else None,
        "no_new_privileges": context.line_of("allowPrivilegeEscalation") if "allowPrivilegeEscalation" in context else None,
        "host_network": pod.line_of("hostNetwork") if "hostNetwork" in pod else None,
        "host_pid": pod.line_of("hostPID") if "hostPID" in pod else None,
        "host_ipc": pod.line_of("hostIPC") if "hostIPC" in pod else None,
        "image": container.line_of("image") if "image" in container else None,
        "memory_limit": container.line_of("resources") if "resources" in container else None,
        "cpu_limit": container.line_of("resources") if "resources" in container else None,
        "ports": container.line_of("ports") if "ports" in container else None,
        "security_opts": _profile_line(context, pod_context),
        "devices": next((m.line for m in _mounts(container, host_paths) if m.source == "/dev" or m.source.startswith("/dev/")), None),
        "env": container.line_of("env") if "env" in container else None,
        "command": (container.line_of("command") if "command" in container
                    else container.line_of("args") if "args" in container else None),
    }
    image = container.get("image")
    privileged = context.get("privileged") is True
    return ContainerSpec(
        path=path,
        origin="kubernetes",
        name=f"{workload}/{container.get('name', '?')}",
        line=line,
        image=ImageRef(str(image), str(image)) if isinstance(image, str) else None,
        user=str(run_as_user) if run_as_user is not None else None,
        run_as_non_root=run_as_non_root is True,
        privileged=privileged,
        cap_add=tuple(str(c) for c in capabilities.get("add") or [] if isinstance(c, str)),
        cap_drop=tuple(str(c) for c in capabilities.get("drop") or [] if isinstance(c, str)),
        read_only_root=context.get("readOnlyRootFilesystem") is True,
        # allowPrivilegeEscalation defaults to true; privileged forces it.
        no_new_privileges=context.get("allowPrivilegeEscalation") is False and not privileged,
        host_network=pod.get("hostNetwork") is True,
        host_pid=pod.get("hostPID") is True,
        host_ipc=pod.get("hostIPC") is True,
        mounts=tuple(_mounts(container, host_paths)),
        devices=tuple(m.source for m in _mounts(container, host_paths) if m.source == "/dev" or m.source.startswith("/dev/")),
        security_opts=tuple(_profiles(context, pod_context)),
        env=tuple(_environment(container)),
        ports=tuple(_host_ports(container)),
        memory_limit=_limit(container, "memory"),
        cpu_limit=_limit(container, "cpu"),
        seccomp_by_default=False,  # a pod without a seccompProfile runs Unconfined
        command=tuple(_command(container)),
        start_fetches=_start_fetches(path, container),
        # A container has no pids limit of its own in Kubernetes (it is the kubelet's podPidsLimit).
        settable=ALL_SETTINGS - {"pids_limit"},
        lines=MappingProxyType({k: v for k, v in field_lines.items() if v is not None}),
    )


def _start_fetches(path: str, container: YamlMap) -> tuple:
    """Packages the container's `command` and `args` download at each start."""
    words: list[str] = []
    lines: list[int] = []
    for key in ("command", "args"):
        value = container.get(key)
        if isinstance(value, YamlList):
            words += [str(item) for item in value]
            lines += [value.line_of(index) for index in range(len(value))]
    if not words:
        return ()
    from mcpharden.sources.packages import fetches_in_argv  # the package tables load only for a command

    return tuple(fetches_in_argv(words, lambda index: lines[index] if index < len(lines) else container.line, path))


def _mounts(container: YamlMap, host_paths: dict[str, tuple[str, int]]) -> Iterator[Mount]:
    """The container's hostPath mounts, each at the line of the volume's `hostPath.path`
    (a `subPath` narrows it: then at the mount's own line, which names it)."""
    mounts = container.get("volumeMounts")
    for index, mount in enumerate(mounts if isinstance(mounts, YamlList) else []):
        if isinstance(mount, YamlMap) and str(mount.get("name")) in host_paths:
            source, line = host_paths[str(mount.get("name"))]
            sub_path = mount.get("subPath")
            if isinstance(sub_path, str) and sub_path:
                source, line = source.rstrip("/") + "/" + sub_path, mount.line_of("subPath")
            yield Mount(source, str(mount.get("mountPath", "")), "bind", mount.get("readOnly") is True, line)
