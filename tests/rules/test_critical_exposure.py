"""CRITICAL (issue 24): an engine socket mount or privileged mode on a container that other
machines reach (a port published beyond loopback, or the host's network) is one server flaw from
a remote takeover of the host; the same without a reachable port stays HIGH. The rules
docker-socket-mount and privileged-container; every output and the gate agree."""

from __future__ import annotations

import json

import pytest

from conftest import findings, run_cli, scan_files, write_tree
from mcpharden.model.findings import Severity

SOCKET = "      - /var/run/docker.sock:/var/run/docker.sock:ro\n"


def _compose(extra: str, volumes: bool = True, privileged: bool = False) -> dict[str, str]:
    text = "services:\n  api:\n    image: example/api:1\n" + extra
    if privileged:
        text += "    privileged: true\n"
    if volumes:
        text += "    volumes:\n" + SOCKET
    return {"compose.yaml": text}


@pytest.mark.parametrize("rule, privileged, volumes", [("docker-socket-mount", False, True), ("privileged-container", True, False)])
@pytest.mark.parametrize("ports, expected", [
    ('    ports: ["3000:3000"]\n', Severity.CRITICAL),
    ('    ports: ["0.0.0.0:3000:3000"]\n', Severity.CRITICAL),
    ("    network_mode: host\n", Severity.CRITICAL),
    ('    ports: ["127.0.0.1:3000:3000"]\n', Severity.HIGH),  # only this machine reaches it
    ("", Severity.HIGH),
])
def test_severity_follows_what_reaches_the_container(tmp_path, rule, privileged, volumes, ports, expected):
    result = scan_files(tmp_path, _compose(ports, volumes=volumes, privileged=privileged), select=(rule,))
    [finding] = findings(result, rule)
    assert finding.severity == expected
    assert ("CRITICAL:" in finding.message) == (expected == Severity.CRITICAL)


def test_docker_run_line_publishing_a_port(tmp_path):
    result = scan_files(tmp_path, {"run.sh": "docker run -d -p 8080:8080 -v /var/run/docker.sock:/var/run/docker.sock x/y:1\n"
                                             "docker run -d --privileged x/y:1\n"}, select=("docker-socket-mount", "privileged-container"))
    assert {(f.rule_id, f.severity) for f in result.findings} == {("docker-socket-mount", Severity.CRITICAL),
                                                                   ("privileged-container", Severity.HIGH)}


def test_critical_is_consistent_in_json_sarif_and_the_gate(tmp_path):
    write_tree(tmp_path, _compose('    ports: ["3000:3000"]\n'))
    document = json.loads(run_cli("scan", str(tmp_path), "-f", "json").stdout)
    [socket] = [f for f in document["findings"] if f["rule_id"] == "docker-socket-mount"]
    assert socket["severity"] == "critical" and document["summary"]["counts"]["critical"] == 1
    assert socket["details"]["exposure"] == "it publishes port 3000 on every interface"
    sarif = json.loads(run_cli("scan", str(tmp_path), "-f", "sarif").stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "docker-socket-mount"]
    assert result["level"] == "error"
    assert run_cli("scan", str(tmp_path), "--fail-on", "CRITICAL", "--select", "docker-socket-mount").returncode == 1
    only = json.loads(run_cli("scan", str(tmp_path), "-f", "json", "--severity", "Critical").stdout)
    assert [f["rule_id"] for f in only["findings"]] == ["docker-socket-mount"]
    write_tree(tmp_path, _compose(""))
    assert run_cli("scan", str(tmp_path), "--fail-on", "critical", "--select", "docker-socket-mount").returncode == 0
