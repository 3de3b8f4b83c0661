"""The rule table: one flat module per rule, named after its id, each defining RULE.
The order here is the order of `mcpharden rules` and of the reports.

Adding a rule:

1. `rules/<rule_id>.py`: the module docstring is the page (What it does, Why is this bad?,
   Example, Use instead, How to fix; its examples are `<!-- sample: NAME -->` lines), `check`
   reads models only, and `RULE = Rule(...)` declares every fact about the rule: id, title,
   severity, category, why, remedy, phase, reads, fix, since (the next version),
   remedy_by_source and its references (rules/base.py says what each means). Add its id and
   the models it reads to RULES.
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpharden.rules.base import Rule

# Every rule by id, in the order of `mcpharden rules` and of the reports, with the models it
# reads (its RULE.reads: tests/rules/test_declarations.py holds the two equal). A rule's module
# is its id with underscores, imported on first use: a scan imports only the rules that read a
# model its target holds, so a scan of one Dockerfile never loads the Kubernetes or client rules.
RULES: dict[str, tuple[str, ...]] = {
    "root-user": ("BuildModel", "ContainerSpec", "ImageModel"),
    "full-os-base-image": ("BuildModel",),
    "dev-dependencies-in-runtime": ("BuildModel", "ImageModel"),
    "image-not-pinned-by-digest": ("BuildModel", "ContainerSpec", "BuildArguments"),
    "no-healthcheck": ("BuildModel", "ServerFacts", "ImageModel"),
    "healthcheck-cannot-work": ("BuildModel", "ContainerSpec"),
    "no-image-scan-in-ci": ("BuildModel", "Pipeline"),
    "docker-socket-mount": ("ContainerSpec",),
    "privileged-container": ("ContainerSpec",),
    "host-namespace-shared": ("ContainerSpec",),
    "dangerous-capability-added": ("ContainerSpec",),
    "sensitive-host-mount": ("ContainerSpec",),
    "capabilities-not-dropped": ("ContainerSpec",),
    "root-filesystem-writable": ("ContainerSpec",),
    "privilege-escalation-allowed": ("ContainerSpec",),
    "shell-in-runtime-image": ("ImageModel",),
    "package-manager-in-runtime-image": ("ImageModel",),
    "setuid-binary": ("ImageModel",),
    "world-writable-path": ("BuildModel", "ImageModel"),
    "secret-in-image": ("BuildModel", "ImageModel"),
    "build-context-leaks-secrets": ("BuildModel",),
    "image-contradicts-dockerfile": ("BuildModel", "ImageModel"),
    "known-vulnerability": ("ImageModel",),
    "secret-in-run-config": ("ContainerSpec", "BuildArguments", "ClientServer"),
    "security-profile-disabled": ("ContainerSpec",),
    "seccomp-profile-not-set": ("ContainerSpec",),
    "service-account-token-mounted": ("ContainerSpec",),
    "host-device-exposed": ("ContainerSpec",),
    "port-exposed-on-all-interfaces": ("ContainerSpec",),
    "default-credentials-exposed": ("ContainerSpec",),
    "mcp-transport-unprotected": ("BuildModel", "ServerFacts", "ContainerSpec"),
    "writable-host-mount": ("ContainerSpec",),
    "no-resource-limits": ("ContainerSpec",),
    "remote-code-at-build": ("BuildModel",),
    "unpinned-remote-install": ("BuildModel",),
    "package-fetched-at-start": ("BuildModel", "ContainerSpec", "ClientServer"),
    "sudo-in-image": ("BuildModel", "ImageModel"),
    "ssh-server-in-image": ("BuildModel", "ImageModel"),
    "server-not-in-container": ("ClientServer",),
}


def rule(rule_id: str) -> Rule:
    """The rule with this id (KeyError for an unknown one), its module imported on first use."""
    if rule_id not in RULES:
        raise KeyError(rule_id)
    return _load(rule_id)


@cache
def _load(rule_id: str) -> Rule:
    return import_module(f"{__name__}.{rule_id.replace('-', '_')}").RULE


def all_rules() -> tuple[Rule, ...]:
    """Every rule, every module imported: for the catalogue (`mcpharden rules`, SARIF, pages)."""
    return tuple(_load(rule_id) for rule_id in RULES)


def rules_reading(rule_ids, present: set[str]) -> list[Rule]:
    """The rules of `rule_ids` (in catalogue order) that read one of the `present` models (keys of
    rules.base.READS): a rule none of whose models the project holds has nothing to judge, so
    its module is never imported."""
    wanted = set(rule_ids)
    return [_load(rule_id) for rule_id, reads in RULES.items() if rule_id in wanted and present.intersection(reads)]
