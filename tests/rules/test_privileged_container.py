"""privileged-container's CRITICAL (issue 24): privileged mode on a container that other machines
reach (a port published beyond loopback, or the host's network) is one server flaw from a remote
takeover of the host; without a reachable port it stays HIGH."""

from __future__ import annotations

import pytest
from test_docker_socket_mount import EXPOSURES  # the same exposures, the same verdicts

from conftest import findings, scan_files
from mcpharden.model.findings import Severity

RULE = "privileged-container"


@pytest.mark.parametrize("extra, expected", EXPOSURES)
def test_severity_follows_what_reaches_the_container(tmp_path, extra, expected):
    compose = "services:\n  api:\n    image: example/api:1\n    privileged: true\n" + extra
    [finding] = findings(scan_files(tmp_path, {"compose.yaml": compose}, select=(RULE,)), RULE)
    assert finding.severity == expected
    assert ("CRITICAL:" in finding.message) == (expected == Severity.CRITICAL)


def test_docker_run_and_kubernetes(tmp_path):
    result = scan_files(tmp_path, {
        "run.sh": "docker run -d --privileged -p 9000:9000 x/y:1\ndocker run -d --privileged x/z:1\n",
        "k8s/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x/y:1\n"
                        "    ports: [{containerPort: 80, hostPort: 80}]\n    securityContext: {privileged: true}\n",
    }, select=(RULE,))
    assert sorted((f.path, f.severity) for f in findings(result, RULE)) == [
        ("k8s/pod.yaml", Severity.CRITICAL), ("run.sh", Severity.HIGH), ("run.sh", Severity.CRITICAL)]
