"""No output of any command, in any format, shows a credential value; file names and
messages are data that cannot forge report lines or crash a format."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from mcpharden.safety import escape_control, redact_text

GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
PASSWORD = "Tr0ub4dor-and-3"
FORMATS = ("text", "json", "sarif", "markdown")

CLIENT_CONFIG = {
    "mcpServers": {
        "github": {
            "command": "docker",
            "args": ["run", "-i", "--rm", "-e", f"GITHUB_PERSONAL_ACCESS_TOKEN={GITHUB_TOKEN}",
                     f"--env=DB_PASSWORD={PASSWORD}", "--build-arg", f"NPM_TOKEN={PASSWORD}",
                     "-v", "/var/run/docker.sock:/var/run/docker.sock", "ghcr.io/github/github-mcp-server"],
            "env": {"API_KEY": PASSWORD},
        },
        "db": {"command": "npx", "args": ["-y", "server-postgres", f"postgresql://admin:{PASSWORD}@db.internal/app"]},
    }
}


def _leaks(text: str) -> list[str]:
    return [secret for secret in (GITHUB_TOKEN, PASSWORD) if secret in text]


@pytest.fixture
def leaky_repository(tmp_path: Path) -> Path:
    write_tree(tmp_path, {
        ".cursor/mcp.json": json.dumps(CLIENT_CONFIG, indent=2),
        "compose.yaml": f"""
            services:
              app:
                image: example/app:1
                privileged: true
                environment:
                  - GITHUB_TOKEN={GITHUB_TOKEN}
                  DB_PASSWORD: {PASSWORD}
        """.replace("                  DB_PASSWORD", "                  - DB_PASSWORD="),
        "k8s/deployment.yaml": f"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: app}}
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      image: example/app:1
                      securityContext: {{privileged: true}}
                      env:
                        - name: API_TOKEN
                          value: {PASSWORD}
        """,
        "README.md": f"""
            # Run it

            ```sh
            docker run --privileged -e OPENAI_API_KEY={PASSWORD} -e GH={GITHUB_TOKEN} example/app:1
            ```
        """,
        "broken.yml": f"key: [unclosed\npassword: {PASSWORD}\n",
    })
    return tmp_path


@pytest.mark.parametrize("format_name", FORMATS)
def test_no_format_shows_a_credential(leaky_repository, format_name):
    result = run_cli("scan", str(leaky_repository), "--format", format_name, "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert "privileged" in result.stdout  # the findings are there
    assert not _leaks(result.stdout + result.stderr)


def test_clients_server_list_keeps_names_and_hides_values(tmp_path):
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(CLIENT_CONFIG)})
    for format_name in ("text", "json"):
        result = run_cli("scan", "--clients", "--home", str(tmp_path), "--format", format_name)
        assert "GITHUB_PERSONAL_ACCESS_TOKEN=***" in result.stdout
        assert not _leaks(result.stdout + result.stderr), format_name


def test_fix_diff_and_decisions_hide_credentials(leaky_repository):
    result = run_cli("fix", str(leaky_repository))
    assert "--cap-drop" in result.stdout or "cap_drop" in result.stdout
    assert not _leaks(result.stdout + result.stderr)


def test_report_written_with_output_hides_credentials(leaky_repository, tmp_path):
    report = tmp_path / "report.sarif"
    run_cli("scan", str(leaky_repository), "--format", "sarif", "-o", str(report))
    assert not _leaks(report.read_text())


@pytest.mark.parametrize("text, shown", [
    ("-e GITHUB_TOKEN=abc123xyz", "-e GITHUB_TOKEN=***"),
    ('"apiKey": "abc123xyz"', '"apiKey": "***"'),
    ("DB_PASSWORD: abc123xyz", "DB_PASSWORD: ***"),
    ("- name: SLACK_BOT_TOKEN\n  value: abc123xyz", "- name: SLACK_BOT_TOKEN\n  value: ***"),
    ("git clone https://bot:abc123xyz@github.com/o/r", "git clone https://bot:***@github.com/o/r"),
    ("--api-key abc123xyz", "--api-key ***"),
    ("AWS=AKIAABCDEFGHIJKLMNOP", "AWS=***"),
])
def test_credential_values_are_masked(text, shown):
    assert redact_text(text) == shown


@pytest.mark.parametrize("text", [
    "-e GITHUB_TOKEN=${GITHUB_TOKEN}", '"API_KEY": "${input:api_key}"', "TOKEN=<your-token>",
    "MAX_TOKENS=4096", "image: node:22", "-e TOKEN", "password: {{ .Values.password }}",
])
def test_references_placeholders_and_plain_settings_are_kept(text):
    assert redact_text(text) == text


def test_control_characters_and_undecodable_bytes_are_escaped():
    assert escape_control("a\x1b[2Jb\rc\nd\u202ee\udcff") == "a\\x1b[2Jb\\rc\\nd\\u202ee\\xff"


def _forged_names(root: Path) -> None:
    for name in ("Dockerfile.\x1b[2K\rSummary: 0 high", "Dockerfile.line\nNo findings", "Dockerfile.a|b`c"):
        (root / name).write_text("FROM node:22\nRUN npm ci\n")
    (root / os.fsdecode(b"Dockerfile.\xff\xfe")).write_text("FROM node:22\nRUN npm ci\n")


@pytest.mark.parametrize("format_name", FORMATS)
def test_hostile_file_names_cannot_forge_or_crash_a_report(tmp_path, format_name):
    repo = tmp_path / "repo"
    repo.mkdir()
    _forged_names(repo)
    out = tmp_path / "report"
    for arguments in ((), ("-o", str(out))):
        result = run_cli("scan", str(repo), "--format", format_name, "--fail-on", "never", *arguments)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        text = out.read_text(encoding="utf-8") if arguments else result.stdout
        assert "\x1b" not in text and "\r" not in text
        assert not any(line.startswith(("Summary: 0", "No findings")) for line in text.splitlines())
        if format_name == "sarif":
            uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(text)["runs"][0]["results"]]
            assert "Dockerfile.%FF%FE" in uris
        if format_name == "json":
            assert "Dockerfile.\\xff\\xfe" in {f["path"] for f in json.loads(text)["findings"]}
