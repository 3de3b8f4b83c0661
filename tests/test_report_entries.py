"""Text and Markdown gather one container's run-time hardening findings into one entry;
JSON and SARIF keep one result per rule."""

import json

from conftest import run_cli, write_tree

COMPOSE = """
services:
  api:
    image: example/api:1@sha256:0000000000000000000000000000000000000000000000000000000000000000
  worker:
    image: example/worker:1@sha256:0000000000000000000000000000000000000000000000000000000000000000
    cap_drop: [ALL]
    read_only: true
    security_opt: ["no-new-privileges:true"]
    mem_limit: 256m
    pids_limit: 64
  cron:
    image: example/cron:1@sha256:0000000000000000000000000000000000000000000000000000000000000000
    cap_drop: [ALL]
    read_only: true
    security_opt: ["no-new-privileges:true"]
    mem_limit: 256m
"""


def test_text_gathers_one_containers_hardening_findings(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    out = run_cli("scan", str(tmp_path), "--fail-on", "never").stdout
    assert out.count("run-time hardening (4 rules)") == 1
    assert "  LOW     run-time hardening (4 rules)  compose.yaml:2\n" in out
    assert ("service 'api' keeps: the default capabilities, no resource limits, "
            "privilege escalation, a writable root file system") in out
    assert "rules: capabilities-not-dropped, no-resource-limits, privilege-escalation-allowed, root-filesystem-writable" in out
    # A container with one such finding keeps its own entry, and the hardened one has none.
    assert "  LOW     no-resource-limits  compose.yaml:" in out and "service 'cron' has no process (pids) limit" in out
    assert "'worker'" not in out
    assert "Summary: 0 high, 0 medium, 5 low" in out  # the counts are per finding, as in JSON


def test_markdown_gathers_them_into_one_row(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    out = run_cli("scan", str(tmp_path), "--format", "markdown", "--fail-on", "never").stdout
    rows = [line for line in out.splitlines() if line.startswith("| 🟡")]
    assert len(rows) == 2
    assert [rule.split("]")[0] for rule in rows[0].split("|")[2].split("[")[1:]] == [
        "`capabilities-not-dropped`", "`no-resource-limits`", "`privilege-escalation-allowed`", "`root-filesystem-writable`"]


def test_json_and_sarif_keep_one_result_per_rule(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never").stdout)
    assert len(document["findings"]) == 5
    api = [f for f in document["findings"] if f["details"].get("container") == "service 'api'"]
    assert sorted(f["rule_id"] for f in api) == ["capabilities-not-dropped", "no-resource-limits",
                                                  "privilege-escalation-allowed", "root-filesystem-writable"]
    sarif = json.loads(run_cli("scan", str(tmp_path), "--format", "sarif", "--fail-on", "never").stdout)
    assert len(sarif["runs"][0]["results"]) == 5
