"""Command-line conveniences a team relies on: quiet output, colour rules, suggestions,
the subcommand's own usage, GitHub annotations, --min-severity and baselines."""

import json
import os
import subprocess
import sys

from conftest import run_cli, write_tree

INSECURE = {
    "Dockerfile": "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\nEXPOSE 3000\nCMD [\"node\", \"index.js\"]\n",
    "compose.yaml": "services:\n  api:\n    build: .\n    ports: [\"3000:3000\"]\n",
}


def test_quiet_prints_one_line_per_finding_and_nothing_else(tmp_path):
    write_tree(tmp_path, INSECURE)
    full = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    quiet = run_cli("scan", str(tmp_path), "-q")
    lines = quiet.stdout.splitlines()
    assert len(lines) == len(full["findings"]) and quiet.returncode == 1
    assert "Dockerfile:1: HIGH root-user: the image has no USER" in lines[0]
    assert "Summary" not in quiet.stdout and "why:" not in quiet.stdout
    assert run_cli("scan", str(tmp_path / "nothing-here"), "-q").returncode == 2


def test_colour_follows_no_color_and_force_color(tmp_path):
    write_tree(tmp_path, INSECURE)

    def scan(**env):
        environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        return subprocess.run([sys.executable, "-m", "mcpharden", "scan", str(tmp_path)], capture_output=True,
                              text=True, env={**environment, **env}, timeout=60).stdout

    assert "\033[" not in scan()  # not a terminal: no colour
    assert "\033[1;31mHIGH" in scan(FORCE_COLOR="1")
    assert "\033[" not in scan(FORCE_COLOR="1", NO_COLOR="1")
    written = tmp_path / "report.txt"
    run_cli("scan", str(tmp_path), "-o", str(written))
    assert "\033[" not in written.read_text()


def test_did_you_mean_for_subcommands_and_rule_ids(tmp_path):
    typo = run_cli("scna", str(tmp_path))
    assert typo.returncode == 2 and "did you mean 'scan'?" in typo.stderr
    rule = run_cli("scan", str(tmp_path), "--ignore", "root_user")
    assert rule.returncode == 2 and "did you mean 'root-user'?" in rule.stderr
    explained = run_cli("explain", "privileged")
    assert explained.returncode == 2 and "did you mean 'privileged-container'?" in explained.stderr
    nothing_close = run_cli("explain", "zzzz")
    assert "did you mean" not in nothing_close.stderr


def test_a_subcommands_error_shows_its_own_usage():
    wrong = run_cli("fix", "--bogus")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("usage: mcpharden fix") and "mcpharden fix: error: unrecognized arguments: --bogus" in wrong.stderr


def test_github_format_annotates_files_and_escapes_messages(tmp_path):
    write_tree(tmp_path / "repo", INSECURE)
    out = run_cli("scan", str(tmp_path / "repo"), "--format", "github").stdout
    root = (tmp_path / "repo").as_posix()
    assert f"::error file={root.replace(':', '%3A')}/Dockerfile,line=1,title=mcpharden root-user::the image has no USER" in out
    assert f"::warning file={root}/compose.yaml,line=4,title=mcpharden port-exposed-on-all-interfaces::" in out
    # A file name cannot end the command early or start another one.
    write_tree(tmp_path / "evil", {"a,b:c%0A\n::error::forged/Dockerfile": "FROM node:22\n"})
    forged = run_cli("scan", str(tmp_path / "evil"), "--format", "github").stdout
    assert "\n::error::forged" not in forged and "a%2Cb%3Ac%250A%0A" in forged


def test_min_severity_hides_lower_findings(tmp_path):
    write_tree(tmp_path, INSECURE)
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json", "--min-severity", "medium").stdout)
    assert document["findings"] and {f["severity"] for f in document["findings"]} <= {"high", "medium"}


def test_a_baseline_reports_only_new_findings_even_when_lines_move(tmp_path):
    write_tree(tmp_path, INSECURE)
    baseline = tmp_path / "baseline.json"
    first = run_cli("scan", str(tmp_path), "--write-baseline", str(baseline))
    assert first.returncode == 1 and json.loads(baseline.read_text())["findings"]
    # Lines move (a comment on top), nothing new: clean.
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("# syntax=docker/dockerfile:1\n# moved\n" + dockerfile.read_text())
    moved = run_cli("scan", str(tmp_path), "--baseline", str(baseline), "--format", "json")
    document = json.loads(moved.stdout)
    assert moved.returncode == 0 and document["findings"] == [] and document["summary"]["suppressed"] > 0
    # A new problem is reported.
    (tmp_path / "compose.yaml").write_text(INSECURE["compose.yaml"] + "    privileged: true\n")
    new = json.loads(run_cli("scan", str(tmp_path), "--baseline", str(baseline), "--format", "json").stdout)
    assert [f["rule_id"] for f in new["findings"]] == ["privileged-container"]


def test_a_bad_baseline_is_a_usage_error(tmp_path):
    write_tree(tmp_path, INSECURE)
    (tmp_path / "b.json").write_text("[1, 2]")
    result = run_cli("scan", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert result.returncode == 2 and "not an mcpharden baseline" in result.stderr
    missing = run_cli("scan", str(tmp_path), "--baseline", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_json_reports_follow_the_published_schema(tmp_path):
    import jsonschema

    from conftest import ROOT

    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    write_tree(tmp_path / "repo", {**INSECURE, "docker-compose.dev.yml": "a: [\n", ".cursor/mcp.json": json.dumps(
        {"mcpServers": {"x": {"command": "npx", "args": ["-y", "server"]}}}),
        ".mcpharden-ignore.yaml": "ignores:\n  - rule: no-healthcheck\n    reason: probed\n    expires: 2020-01-01\n"
                                  "  - rule: root-user\n    reason: sandboxed\n    expires: 2999-01-01\n"})
    (tmp_path / "empty").mkdir()
    documents = [json.loads(run_cli("scan", str(tmp_path / name), "--format", "json").stdout) for name in ("repo", "empty")]
    documents.append(json.loads(run_cli("scan", "--clients", "--home", str(tmp_path / "repo"), "--format", "json").stdout))
    for document in documents:
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert documents[0]["findings"] and documents[0]["notices"] and documents[1]["summary"]["grade"] is None
    assert {n["kind"] for n in documents[0]["notices"]} == {"parse-error", "suppression"} and documents[0]["suppressions"]


def test_per_file_ignores_in_the_configuration(tmp_path):
    write_tree(tmp_path, {**INSECURE, "docs/run.md": "```sh\ndocker run --rm -i --privileged example/server:1\n```\n",
                          ".mcpharden.toml": 'per-file-ignores = { "docs/*" = ["privileged-container"] }\n'})
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert not [f for f in document["findings"] if f["rule_id"] == "privileged-container"]
    assert [f for f in document["findings"] if f["path"] == "docs/run.md"]  # other rules still judge the file
    assert document["summary"]["suppressed"] >= 1
    (tmp_path / ".mcpharden.toml").write_text('per-file-ignores = { "docs/*" = ["privileged"] }\n')
    bad = run_cli("scan", str(tmp_path))
    assert bad.returncode == 2 and "did you mean 'privileged-container'?" in bad.stderr


def test_trivy_spellings_format_severity_and_exit_code(tmp_path):
    write_tree(tmp_path, INSECURE)
    document = json.loads(run_cli("scan", str(tmp_path), "-f", "json").stdout)
    levels = {f["severity"] for f in document["findings"]}
    assert {"high", "low"} <= levels
    only = json.loads(run_cli("scan", str(tmp_path), "-f", "json", "--severity", "HIGH,critical").stdout)
    assert only["findings"] and {f["severity"] for f in only["findings"]} == {"high"}
    assert {f["severity"] for f in json.loads(run_cli("scan", str(tmp_path), "-f", "json", "--severity", "Low").stdout)["findings"]} == {"low"}
    bad = run_cli("scan", str(tmp_path), "--severity", "HIGH,SEVERE")
    assert bad.returncode == 2 and "unknown severity severe" in bad.stderr
    assert run_cli("scan", str(tmp_path), "--exit-code", "3").returncode == 3  # the gate fails: HIGH
    assert run_cli("scan", str(tmp_path), "--exit-code", "3", "--fail-on", "never").returncode == 0
    assert run_cli("scan", str(tmp_path), "--exit-code", "0").returncode == 0
    assert run_cli("scan", str(tmp_path), "--exit-code", "300").returncode == 2
    assert run_cli("scan", str(tmp_path), "--fail-on", "MEDIUM", "--ignore", "root-user", "--exit-code", "5").returncode == 5
    assert run_cli("scan", str(tmp_path), "--min-severity", "HIGH", "-q").returncode == 1


def test_skip_dirs_and_skip_files_leave_paths_out(tmp_path):
    write_tree(tmp_path, {**INSECURE, "examples/demo/Dockerfile": "FROM python:3.12\n", "deep/x/fixtures/Dockerfile": "FROM alpine\n"})

    def paths(*options):
        return {f["path"] for f in json.loads(run_cli("scan", str(tmp_path), "-f", "json", *options).stdout)["findings"]}

    assert {"examples/demo/Dockerfile", "deep/x/fixtures/Dockerfile", "compose.yaml"} <= paths()
    kept = paths("--skip-dirs", "./examples", "--skip-dirs", "**/fixtures", "--skip-files", "compose.yaml")
    assert not kept & {"examples/demo/Dockerfile", "deep/x/fixtures/Dockerfile", "compose.yaml"} and "Dockerfile" in kept


def test_unknown_flag_gets_a_guess(tmp_path):
    result = run_cli("scan", str(tmp_path), "--formt", "json")
    assert result.returncode == 2 and "unrecognized arguments: --formt json; did you mean '--format'?" in result.stderr
    other = run_cli("image", "x.tar", "--severty=HIGH")
    assert other.returncode == 2 and "did you mean '--severity'?" in other.stderr
    assert "did you mean" not in run_cli("scan", str(tmp_path), "--zzzzzz").stderr
