"""The rule table. One module per rule, each defining RULE, grouped by the model it reads:
build/ (Dockerfiles), runtime/ (how containers are run), image/ (built images), pipeline/ (CI).
The order here is the order of `mcpharden rules` and of the reports."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from mcpharden.rules.base import Rule

RULE_MODULES = (
    "build.root_user",
    "build.full_os_base_image",
    "build.dev_dependencies_in_runtime",
    "build.image_not_pinned_by_digest",
    "build.no_healthcheck",
    "pipeline.no_image_scan_in_ci",
    "runtime.docker_socket_mount",
    "runtime.privileged_container",
    "runtime.host_namespace_shared",
    "runtime.dangerous_capability_added",
    "runtime.sensitive_host_mount",
    "runtime.capabilities_not_dropped",
    "runtime.root_filesystem_writable",
    "runtime.privilege_escalation_allowed",
    "image.shell_in_runtime_image",
    "image.package_manager_in_runtime_image",
    "image.setuid_binary",
    "image.world_writable_path",
    "build.secret_in_image",
    "image.image_contradicts_dockerfile",
    "image.known_vulnerability",
    "runtime.secret_in_run_config",
    "runtime.security_profile_disabled",
    "runtime.host_device_exposed",
    "runtime.port_exposed_on_all_interfaces",
    "runtime.writable_host_mount",
    "runtime.no_resource_limits",
    "build.remote_code_at_build",
    "build.sudo_in_image",
    "build.ssh_server_in_image",
    "runtime.server_not_in_container",
)


@cache
def all_rules() -> tuple[Rule, ...]:
    return tuple(import_module(f"{__name__}.{name}").RULE for name in RULE_MODULES)


def rules_by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in all_rules()}
