"""Rules that judge how containers are run (ContainerSpec, client server entries, build arguments)."""

from mcpharden.model.container import ContainerSpec
from mcpharden.model.findings import Finding


def container_finding(rule, spec: ContainerSpec, line: int, message: str, **details: str) -> Finding:
    """A finding about one container, naming it in the details so reports can gather the
    container's run-time hardening findings."""
    return rule.finding(spec.path, line, message, container=spec.where, container_line=str(spec.line), **details)
