"""Issue 22's classes on the real examples of ../shared/corpus and ../shared/corpus2: each repository
scanned as a user scans it, each verdict the one the class asks for."""

from pathlib import Path

import pytest

from mcpharden.scan import ScanOptions, scan_target

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def repository(name: str) -> Path:
    for corpus in ("corpus", "corpus2"):
        folder = SHARED / corpus / name
        if folder.is_dir():
            return folder
    pytest.skip(f"{name} is not in ../shared/corpus or ../shared/corpus2")


def found(name: str, rule: str, path: str | None = None) -> list:
    result = scan_target(repository(name), ScanOptions(select=(rule,)))
    return [f for f in result.findings if f.rule_id == rule and (path is None or f.path == path)]


@pytest.mark.parametrize("name", ["vishnu2kmohan__mcp-server-langgraph", "proompteng__bilig", "sidclawhq__platform",
                                  "grafana__mcp-grafana", "IBM__mcp-context-forge"])
def test_development_values_and_references_are_no_leaked_credentials(name):
    assert found(name, "secret-in-run-config") == []


@pytest.mark.parametrize("name, path", [
    ("Creed-Space__creedspace-mcp-server", "Dockerfile"),  # the `if` branch its ENV does not take
    ("WRG-11__wrg-mcp-server", "Dockerfile"),  # --transport ${MCP_TRANSPORT:-stdio}
    ("Worldpay__worldpay-mcp", "Dockerfile"),  # node dist/server-stdio.js
    ("singlestore-labs__mcp-server-singlestore", "Dockerfile"),  # --transport stdio --host 0.0.0.0
])
def test_stdio_servers_with_a_leftover_expose_need_no_healthcheck(name, path):
    assert found(name, "no-healthcheck", path) == []


def test_readme_placeholders_that_teach_pinning_are_not_quoted():
    for finding in found("Knuckles-Team__container-manager-mcp", "image-not-pinned-by-digest"):
        assert "PLACEHOLDER" not in finding.message


def test_a_reusable_workflow_with_registry_credentials_builds_the_image():
    [finding] = found("Knuckles-Team__ansible-tower-mcp", "no-image-scan-in-ci")
    assert finding.severity.name == "MEDIUM" and "container_pipeline.yml" in finding.message


@pytest.mark.parametrize("name", ["wtthornton__TappsMCP", "mfbaig35r__naics-mcp-server"])
def test_a_final_development_target_is_not_the_runtime(name):
    assert found(name, "dev-dependencies-in-runtime", "Dockerfile") == []


def test_an_arg_default_in_a_fetched_url_is_resolved():
    [finding] = found("lanbaoshen__mcp-jenkins", "remote-code-at-build", "docker/Dockerfile")
    assert "(`${UV_VERSION}` = `0.9.18`)" in finding.message


def test_the_usb_bus_is_a_sensitive_mount():
    [finding] = found("ismail-kattakath__mcp-android", "sensitive-host-mount", "docker-compose.yml")
    assert "a host device tree" in finding.message and "/dev/bus/usb" in finding.message


def test_one_finding_per_capability_list():
    findings = found("neverinfamous__mysql-mcp", "dangerous-capability-added", "examples/basic-mysql-datadog/docker-compose.yml")
    assert len(findings) == 1 and findings[0].message.count("SYS_") >= 2
