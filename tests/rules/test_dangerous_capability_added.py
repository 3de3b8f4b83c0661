"""dangerous-capability-added: one finding per capability list, naming every dangerous capability."""

import json

from conftest import findings, run_cli, scan_files

RULE = "dangerous-capability-added"


def test_one_finding_per_cap_add_list_names_every_capability(tmp_path):
    files = {"compose.yaml": "services:\n  srv:\n    image: example/srv:1\n    cap_add:\n      - NET_BIND_SERVICE\n"
             "      - SYS_ADMIN\n      - CAP_NET_ADMIN\n      - SYS_PTRACE\n      - SYS_ADMIN\n"}
    [finding] = findings(scan_files(tmp_path, files, select=(RULE,)), RULE)
    assert finding.line == 4
    assert finding.message == "service 'srv' adds the capabilities SYS_ADMIN, NET_ADMIN and SYS_PTRACE"


def test_one_capability_is_named_alone_and_harmless_ones_pass(tmp_path):
    files = {"compose.yaml": "services:\n  a:\n    image: example/a:1\n    cap_add: [BPF, CHOWN]\n"
             "  b:\n    image: example/b:1\n    cap_add: [NET_BIND_SERVICE, CHOWN]\n"}
    [finding] = findings(scan_files(tmp_path, files, select=(RULE,)), RULE)
    assert finding.message == "service 'a' adds the capability BPF"


def test_a_run_line_through_the_cli(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\ndocker run --cap-add SYS_ADMIN --cap-add=SYS_MODULE example/srv:1\n")
    result = run_cli("scan", str(tmp_path), "--select", RULE, "--format", "json")
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["message"].endswith("adds the capabilities SYS_ADMIN and SYS_MODULE")
