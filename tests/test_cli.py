"""End to end: the real CLI in a subprocess, as a user runs it."""

import json
import subprocess

import pytest

from conftest import ROOT, run_cli, write_tree

INSECURE = {
    "Dockerfile": "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm install\nEXPOSE 3000\nCMD [\"node\", \"server.js\"]\n",
}
SAFE = {
    "Dockerfile": "FROM gcr.io/distroless/static-debian12:nonroot@sha256:" + "0" * 64 + "\nCMD [\"/server\"]\n",
    ".github/workflows/ci.yml": "on: push\njobs:\n  s:\n    runs-on: x\n    steps:\n      - run: docker build -t a . && trivy image --exit-code 1 a\n",
}


def test_version_and_rules_and_explain():
    assert run_cli("--version").stdout.startswith("mcpharden ")
    listing = run_cli("rules").stdout
    assert "root-user" in listing and "HIGH" in listing
    page = run_cli("explain", "root-user")
    assert page.returncode == 0 and "## Why is this bad?" in page.stdout and "```dockerfile" in page.stdout
    assert run_cli("explain", "no-such-rule").returncode == 2


def test_text_report_groups_findings_with_why_fix_and_score(tmp_path):
    write_tree(tmp_path, INSECURE)
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 1  # a HIGH finding, default --fail-on high
    out = result.stdout
    assert out.splitlines()[0] == "Dockerfile"
    assert "HIGH    root-user  Dockerfile:1" in out
    assert "why: " in out and "fix: " in out
    # 100 - 25 root - 8 shell - 7 package manager - 5 full OS - 10 dev deps - 10 no scan - 5 unpinned (docs/scoring.md)
    assert "Container score: 30/100 (grade F)" in out


def test_clean_repository_exits_zero_with_grade_a(tmp_path):
    write_tree(tmp_path, SAFE)
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "Container score: 100/100 (grade A)" in result.stdout


def test_json_report_contract(tmp_path):
    write_tree(tmp_path / "repo", {"sub/Dockerfile": INSECURE["Dockerfile"]})
    result = run_cli("scan", str(tmp_path / "repo"), "--format", "json", "--fail-on", "never")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert set(document) >= {"version", "findings", "summary"}
    finding = document["findings"][0]
    assert set(finding) >= {"rule_id", "severity", "path", "line", "message"}
    assert all(f["path"] == "sub/Dockerfile" for f in document["findings"])
    assert document["summary"]["counts"]["high"] == 1
    assert document["summary"]["score"] == 30 and document["summary"]["grade"] == "F"


def test_fail_on_thresholds(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM node:22@sha256:" + "1" * 64 + "\nUSER node\n"})
    # Only MEDIUM findings: full OS, no scan in CI.
    assert run_cli("scan", str(tmp_path)).returncode == 0
    assert run_cli("scan", str(tmp_path), "--fail-on", "medium").returncode == 1
    assert run_cli("scan", str(tmp_path), "--fail-on", "never").returncode == 0


def test_select_and_ignore(tmp_path):
    write_tree(tmp_path, INSECURE)
    selected = json.loads(run_cli("scan", str(tmp_path), "--format", "json", "--select", "root-user").stdout)
    assert {f["rule_id"] for f in selected["findings"]} == {"root-user"}
    ignored = json.loads(run_cli("scan", str(tmp_path), "--format", "json", "--ignore", "root-user,no-healthcheck").stdout)
    assert "root-user" not in {f["rule_id"] for f in ignored["findings"]}
    assert "no-healthcheck" not in {f["rule_id"] for f in ignored["findings"]}
    bad = run_cli("scan", str(tmp_path), "--select", "root-usr")
    assert bad.returncode == 2 and "unknown rule id" in bad.stderr


def test_output_file_and_markdown(tmp_path):
    write_tree(tmp_path / "repo", INSECURE)
    out = tmp_path / "report.md"
    result = run_cli("scan", str(tmp_path / "repo"), "--format", "markdown", "--output", str(out))
    assert result.stdout == ""
    text = out.read_text()
    assert text.startswith("## mcpharden: container score 30/100 (grade F)")
    assert "| 🔴 high | [`root-user`](https://github.com/mcpharden/mcpharden/blob/main/docs/rules/root-user.md) | `Dockerfile:1` |" in text
    severities = [line.split("|")[1].split()[1] for line in text.splitlines() if line.startswith("| 🔴") or line.startswith("| 🟠")
                  or line.startswith("| 🟡") or line.startswith("| 🔵")]
    assert severities == sorted(severities, key=["high", "medium", "low", "info"].index)  # sorted by severity


def test_scanning_a_single_dockerfile(tmp_path):
    write_tree(tmp_path, {"build/api.Dockerfile": "FROM python:3.12\nUSER 1000\n"})
    result = run_cli("scan", str(tmp_path / "build/api.Dockerfile"), "--format", "json")
    document = json.loads(result.stdout)
    assert {f["path"] for f in document["findings"]} == {"api.Dockerfile"}
    assert "no-image-scan-in-ci" not in {f["rule_id"] for f in document["findings"]}


def test_usage_errors_exit_two(tmp_path):
    assert run_cli("scan", str(tmp_path / "missing")).returncode == 2
    assert run_cli("scan", "--format", "xml", str(tmp_path)).returncode == 2
    assert run_cli("scan", str(tmp_path), "--config", str(tmp_path / "nope.toml")).returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_inline_suppression(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# base for the build only\n# mcpharden: ignore=root-user, full-os-base-image\nFROM node:22\n"})
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    rules = {f["rule_id"] for f in document["findings"]}
    assert "root-user" not in rules and "full-os-base-image" not in rules
    assert "image-not-pinned-by-digest" in rules
    assert document["summary"]["suppressed"] == 2


def test_suppression_only_applies_to_the_next_instruction(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# mcpharden: ignore=image-not-pinned-by-digest\nFROM node:22 AS a\nFROM node:22\n"})
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert [f["line"] for f in document["findings"] if f["rule_id"] == "image-not-pinned-by-digest"] == [3]


def test_pyproject_configuration(tmp_path):
    write_tree(tmp_path, {
        **INSECURE,
        "vendor-images/Dockerfile": "FROM debian:12\n",
        "pyproject.toml": """
            [project]
            name = "x"
            [tool.mcpharden]
            ignore = ["no-healthcheck"]
            exclude = ["vendor-images"]
            fail-on = "never"
            severity = { "image-not-pinned-by-digest" = "medium" }
        """,
    })
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode == 0  # fail-on never
    document = json.loads(result.stdout)
    assert {f["path"] for f in document["findings"]} == {"Dockerfile"}
    assert "no-healthcheck" not in {f["rule_id"] for f in document["findings"]}
    pinned = [f for f in document["findings"] if f["rule_id"] == "image-not-pinned-by-digest"]
    assert pinned and pinned[0]["severity"] == "medium"


def test_dedicated_config_file_and_custom_base_images(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": "FROM registry.example.com/base/node:22\n",
        ".mcpharden.toml": '[[base-images]]\nimages = ["registry.example.com/base/*"]\nfamily = "chainguard"\n',
    })
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert "root-user" not in {f["rule_id"] for f in document["findings"]}


@pytest.mark.parametrize("config, message", [
    ("ignore = 'root-user'\n", "must be a list"),
    ("ignore = ['root-usr']\n", "unknown rule id"),
    ("colour = true\n", "unknown setting"),
    ("severity = { 'root-user' = 'urgent' }\n", "unknown severity"),
    ("fail-on = 'sometimes'\n", "fail-on"),
    ("ignore = [\n", "invalid TOML"),
])
def test_invalid_configuration_exits_two_with_a_clear_message(tmp_path, config, message):
    write_tree(tmp_path, {"Dockerfile": "FROM node:22\n", ".mcpharden.toml": config})
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr and ".mcpharden.toml" in result.stderr


def test_several_targets_in_one_run(tmp_path):
    write_tree(tmp_path / "a", INSECURE)
    write_tree(tmp_path / "b", SAFE)
    result = run_cli("scan", str(tmp_path / "a"), str(tmp_path / "b"))
    assert f"== {tmp_path / 'a'} ==" in result.stdout and f"No findings in {tmp_path / 'b'}" in result.stdout


SARIF_TOOL = ROOT / ".tools" / "node_modules" / ".bin" / "sarif-multitool"


def test_sarif_structure(tmp_path):
    write_tree(tmp_path, INSECURE)
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "sarif").stdout)
    run = document["runs"][0]
    assert document["version"] == "2.1.0"
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "Dockerfile" and location["region"]["startLine"] >= 1
    severity = {r["id"]: r["properties"].get("security-severity") for r in run["tool"]["driver"]["rules"]}
    assert severity["root-user"] == "8.0"
    assert all(severity.values()), "every rule has a security-severity"
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["helpUri"] == f"https://github.com/mcpharden/mcpharden/blob/main/docs/rules/{rule['id']}.md"
        assert "## Suppression" in rule["help"]["markdown"]
    tags = {r["id"]: r["properties"]["tags"] for r in run["tool"]["driver"]["rules"]}
    assert "external/cwe/cwe-250" in tags["root-user"] and "external/cwe/cwe-798" in tags["secret-in-run-config"]
    assert run["automationDetails"]["id"] == "mcpharden/repository/"
    assert all(len(result["partialFingerprints"]["mcphardenFinding/v2"]) == 32 for result in run["results"])


@pytest.mark.skipif(not SARIF_TOOL.exists(), reason="Microsoft SARIF Multitool not installed (make sarif-tool)")
def test_sarif_validates_with_microsoft_multitool(tmp_path):
    write_tree(tmp_path / "repo", {**INSECURE, "bad.Dockerfile": "FROM\x00\n", "ci.gitlab-ci.yml": "a: [\n"})
    sarif = tmp_path / "out.sarif"
    run_cli("scan", str(tmp_path / "repo"), "--format", "sarif", "--output", str(sarif))
    # The SARIF 2.1.0 schema and rules, then GitHub code scanning's ingestion rules (GH1xxx).
    for rule_kind in ([], ["--rule-kind", "Gh"]):
        validation = tmp_path / "validation.sarif"
        completed = subprocess.run(
            [str(SARIF_TOOL), "validate", str(sarif), "--output", str(validation), "--log", "ForceOverwrite", *rule_kind],
            capture_output=True, text=True, timeout=300,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        problems = [
            r for run in json.loads(validation.read_text())["runs"] for r in run.get("results", [])
            if r.get("level") == "error"
        ]
        assert not problems, (rule_kind, problems)


def test_output_is_whole_when_redirected_and_quiet_when_the_reader_leaves(tmp_path):
    """One-shot commands end without the interpreter's teardown: their output must still be
    flushed to a file in full, and a reader that stops early (`| head`) gets no traceback."""
    import sys

    write_tree(tmp_path / "repo", {**INSECURE, **{f"svc{n}/Dockerfile": INSECURE["Dockerfile"] for n in range(40)}})
    with open(tmp_path / "report.json", "w") as out:
        done = subprocess.run([sys.executable, "-m", "mcpharden", "scan", str(tmp_path / "repo"), "--format", "json"],
                              stdout=out, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr == ""
    assert len(json.loads((tmp_path / "report.json").read_text())["findings"]) > 40

    reader = subprocess.Popen([sys.executable, "-m", "mcpharden", "scan", str(tmp_path / "repo"), "--format", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout.read(10)
    reader.stdout.close()
    assert reader.wait(timeout=120) in (0, 1)
    assert reader.stderr.read() == b""
