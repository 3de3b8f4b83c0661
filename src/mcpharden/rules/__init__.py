"""The rule table: one flat module per rule, named after its id, each defining RULE.
The order here is the order of `mcpharden rules` and of the reports.

Adding a rule:

1. `rules/<rule_id>.py`: the module docstring is the page (What it does, Why is this bad?,
   Example, Use instead, How to fix; its examples are `<!-- sample: NAME -->` lines), `check`
   reads models only, and `RULE = Rule(...)` declares every fact about the rule: id, title,
   severity, category, why, remedy, phase, reads, fix, since (the next version),
   remedy_by_source and its references (rules/base.py says what each means). Add the module
   to RULE_MODULES.
2. `tests/data/<rule-id>/`: at least one `bad` sample (the rule fires) and one `good` sample
   (it does not), each a file or a repository folder (tests/rules/rule_samples.py).
3. `tests/rules/test_<rule_id>.py`: the rule's own tests.
4. `make docs` writes docs/rules/<rule-id>.md; the README's table gets the rule's row.

The tests hold it together: the samples are scanned (tests/rules/test_samples.py), `reads`
is compared with what the check reads on them and `fix` with what `mcpharden fix` does on the
bad ones (tests/rules/test_declarations.py), the pages with docs/rules and the README's table
with `mcpharden rules` (tests/test_docs.py)."""

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
    "healthcheck_cannot_work",
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
    "build_context_leaks_secrets",
    "image_contradicts_dockerfile",
    "known_vulnerability",
    "secret_in_run_config",
    "security_profile_disabled",
    "seccomp_profile_not_set",
    "service_account_token_mounted",
    "host_device_exposed",
    "port_exposed_on_all_interfaces",
    "default_credentials_exposed",
    "mcp_transport_unprotected",
    "writable_host_mount",
    "no_resource_limits",
    "remote_code_at_build",
    "unpinned_remote_install",
    "package_fetched_at_start",
    "sudo_in_image",
    "ssh_server_in_image",
    "server_not_in_container",
)


@cache
def all_rules() -> tuple[Rule, ...]:
    return tuple(import_module(f"{__name__}.{name}").RULE for name in RULE_MODULES)


def rules_by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in all_rules()}
