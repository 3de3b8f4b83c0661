"""docker-socket-mount's CRITICAL (issue 24): an engine socket mounted into a container that other
machines reach (a port published beyond loopback, or the host's network) is one server flaw from a
remote takeover of the host; without a reachable port it stays HIGH. Every output and the gate agree."""

from __future__ import annotations

import json

import pytest

from conftest import findings, run_cli, scan_files, write_tree
from mcpharden.model.findings import Severity

RULE = "docker-socket-mount"
# (what the service adds, the severity it gets), shared with test_privileged_container.py.
EXPOSURES = [
    ('    ports: ["3000:3000"]\n', Severity.CRITICAL),
    ('    ports: ["0.0.0.0:3000:3000"]\n', Severity.CRITICAL),
    ("    network_mode: host\n", Severity.CRITICAL),
    ('    ports: ["127.0.0.1:3000:3000"]\n', Severity.HIGH),  # only this machine reaches it
    ("", Severity.HIGH),
]


def _compose(extra: str) -> dict[str, str]:
    return {"compose.yaml": "services:\n  api:\n    image: example/api:1\n" + extra
                            + "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n"}


@pytest.mark.parametrize("extra, expected", EXPOSURES)
def test_severity_follows_what_reaches_the_container(tmp_path, extra, expected):
    [finding] = findings(scan_files(tmp_path, _compose(extra), select=(RULE,)), RULE)
    assert finding.severity == expected
    assert ("CRITICAL:" in finding.message) == (expected == Severity.CRITICAL)


def test_docker_run_line_publishing_a_port(tmp_path):
    result = scan_files(tmp_path, {"run.sh": "docker run -d -p 8080:8080 -v /var/run/docker.sock:/var/run/docker.sock x/y:1\n"
                                             "docker run -d -v /var/run/docker.sock:/var/run/docker.sock x/z:1\n"}, select=(RULE,))
    assert [(f.line, f.severity) for f in findings(result, RULE)] == [(1, Severity.CRITICAL), (2, Severity.HIGH)]


def test_critical_is_consistent_in_json_sarif_and_the_gate(tmp_path):
    write_tree(tmp_path, _compose('    ports: ["3000:3000"]\n'))
    document = json.loads(run_cli("scan", str(tmp_path), "-f", "json").stdout)
    [socket] = [f for f in document["findings"] if f["rule_id"] == RULE]
    assert socket["severity"] == "critical" and document["summary"]["counts"]["critical"] == 1
    assert socket["details"]["exposure"] == "it publishes port 3000 on every interface"
    sarif = json.loads(run_cli("scan", str(tmp_path), "-f", "sarif").stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == RULE]
    assert result["level"] == "error"
    assert run_cli("scan", str(tmp_path), "--fail-on", "CRITICAL", "--select", RULE).returncode == 1
    only = json.loads(run_cli("scan", str(tmp_path), "-f", "json", "--severity", "Critical").stdout)
    assert [f["rule_id"] for f in only["findings"]] == [RULE]
    write_tree(tmp_path, _compose(""))
    assert run_cli("scan", str(tmp_path), "--fail-on", "critical", "--select", RULE).returncode == 0
