"""The rule registry: one flat module per rule, named after its id, each defining RULE.
The order here is the order of `mcpharden rules` and of the reports."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from mcpharden.rules.base import Rule

RULE_MODULES = (
    "root_user",
    "full_os_base_image",
    "dev_dependencies_in_runtime",
    "image_not_pinned_by_digest",
    "no_healthcheck",
    "no_image_scan_in_ci",
    "docker_socket_mount",
    "privileged_container",
    "host_namespace_shared",
    "dangerous_capability_added",
    "sensitive_host_mount",
    "capabilities_not_dropped",
    "root_filesystem_writable",
    "privilege_escalation_allowed",
    "shell_in_runtime_image",
    "package_manager_in_runtime_image",
    "setuid_binary",
    "world_writable_path",
    "secret_in_image",
    "image_contradicts_dockerfile",
    "known_vulnerability",
    "secret_in_run_config",
    "security_profile_disabled",
    "host_device_exposed",
    "port_exposed_on_all_interfaces",
    "writable_host_mount",
    "no_resource_limits",
    "remote_code_at_build",
    "sudo_in_image",
    "ssh_server_in_image",
    "server_not_in_container",
)


@cache
def all_rules() -> tuple[Rule, ...]:
    return tuple(import_module(f"{__name__}.{name}").RULE for name in RULE_MODULES)


def rules_by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in all_rules()}
