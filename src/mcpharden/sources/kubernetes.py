"""Kubernetes manifests → ContainerSpecs, one per container and init container.

Workloads: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
CronJob (and `List` items), and any other object with a pod template (OpenShift
DeploymentConfig, Argo Rollout, Knative Service, ...). Security settings follow Kubernetes' precedence: the
container's `securityContext` wins over the pod's for runAsUser, runAsNonRoot (and the
other fields both levels have); privileged, capabilities, readOnlyRootFilesystem and
allowPrivilegeEscalation exist only per container. `hostPath` volumes are joined to the
`volumeMounts` that use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from mcpharden.model.container import ALL_SETTINGS, ContainerSpec, EnvSetting, Mount, PublishedPort
from mcpharden.model.references import ImageRef
from mcpharden.syntax.yamlnodes import YamlError, YamlList, YamlMap, load_documents

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


class HelmTemplate(ValueError):
    """A Helm template: `{{ }}` makes it invalid YAML until rendered."""


def looks_like_manifest(text: str) -> bool:
    return "apiVersion" in text and "kind" in text


def parse_manifests(path: str, text: str) -> list[ContainerSpec]:
    try:
        documents = load_documents(text)
    except YamlError:
        if "{{" in text:  # `{{ }}` is valid YAML in strings; only templates that break YAML are skipped
            raise HelmTemplate("a Helm template (`{{ }}`); render it with `helm template` and scan the output") from None
        raise
    specs: list[ContainerSpec] = []
    for document in documents:
        for workload in _workloads(document):
            specs.extend(_containers(path, workload))
    return specs


def _workloads(document: Any) -> Iterator[YamlMap]:
    if not isinstance(document, YamlMap):
        return
    if document.get("kind") == "List" and isinstance(document.get("items"), YamlList):
        for item in document["items"]:
            yield from _workloads(item)
    elif pod_spec_path(document) is not None:
        yield document


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


def _containers(path: str, workload: YamlMap) -> Iterator[ContainerSpec]:
    pod = _get(workload, pod_spec_path(workload) or ())
    if not isinstance(pod, YamlMap):
        return
    workload_name = str(_get(workload, ("metadata", "name")) or workload.get("kind"))
    pod_context = pod.get("securityContext") if isinstance(pod.get("securityContext"), YamlMap) else YamlMap()
    host_paths = _host_path_volumes(pod)
    for list_name in CONTAINER_LISTS:
        containers = pod.get(list_name)
        if not isinstance(containers, YamlList):
            continue
        for index, container in enumerate(containers):
            if isinstance(container, YamlMap):
                spec = _spec(path, workload_name, containers.line_of(index), pod, pod_context, container, host_paths)
                yield replace(spec, security_opts=spec.security_opts + tuple(_annotated_profiles(workload, container)))


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
                                ports.line_of(index))


def _memory_limit(container: YamlMap) -> str | None:
    limits = _get(container, ("resources", "limits"))
    memory = limits.get("memory") if isinstance(limits, YamlMap) else None
    return None if memory is None else str(memory)


def _host_path_volumes(pod: YamlMap) -> dict[str, str]:
    volumes = pod.get("volumes")
    found: dict[str, str] = {}
    for volume in volumes if isinstance(volumes, YamlList) else []:
        if isinstance(volume, YamlMap) and isinstance(volume.get("hostPath"), YamlMap):
            found[str(volume.get("name"))] = str(volume["hostPath"].get("path", ""))
    return found


def _spec(path: str, workload: str, line: int, pod: YamlMap, pod_context: YamlMap,
          container: YamlMap, host_paths: dict[str, str]) -> ContainerSpec:
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
        "ports": container.line_of("ports") if "ports" in container else None,
        "security_opts": (context.line_of("seccompProfile") if "seccompProfile" in context
                          else context.line_of("appArmorProfile") if "appArmorProfile" in context else None),
        "env": container.line_of("env") if "env" in container else None,
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
        memory_limit=_memory_limit(container),
        # A container has no pids limit of its own in Kubernetes (it is the kubelet's podPidsLimit).
        settable=ALL_SETTINGS - {"pids_limit"},
        lines=MappingProxyType({k: v for k, v in field_lines.items() if v is not None}),
    )


def _mounts(container: YamlMap, host_paths: dict[str, str]) -> Iterator[Mount]:
    mounts = container.get("volumeMounts")
    for index, mount in enumerate(mounts if isinstance(mounts, YamlList) else []):
        if isinstance(mount, YamlMap) and str(mount.get("name")) in host_paths:
            source = host_paths[str(mount.get("name"))]
            sub_path = mount.get("subPath")
            if isinstance(sub_path, str) and sub_path:
                source = source.rstrip("/") + "/" + sub_path
            yield Mount(source, str(mount.get("mountPath", "")), "bind", mount.get("readOnly") is True, mounts.line_of(index))
