"""Files discovery never read before issue 22: `mcp-config.json` beside a server, GitHub Copilot
CLI's `.copilot/mcp-config.json`, Smithery's `smithery.yaml`, dev containers; and discovery's
patterns as one compiled expression per kind (issue 25 item 4), which must answer exactly as
the pattern-by-pattern matcher did."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CORPORA, run_cli, write_tree
from mcpharden.sources.discovery import CI_PATTERNS, COMPOSE_PATTERNS, DOCKERFILE_PATTERNS, classify
from mcpharden.util.globs import GlobExpression, GlobSet

TOKEN = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"  # a GitHub token's shape, made up


def scan(root: Path, files: dict[str, str], *extra: str) -> dict:
    write_tree(root, files)
    completed = run_cli("scan", str(root), "--format", "json", "--fail-on", "never", *extra)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def rules_at(report: dict, path: str) -> set[tuple[str, int]]:
    return {(f["rule_id"], f["line"]) for f in report["findings"] if f["path"] == path}


# Client configurations ---------------------------------------------------------------------------

CONFIG = """{"mcpServers": {"srv": {"command": "docker", "args": ["run", "-i", "--rm",
  "--privileged",
  "acme/srv:1"]}}}
"""


@pytest.mark.parametrize(("path", "client"), [
    ("mcp-config.json", "MCP client"),
    ("examples/claude-desktop/mcp-config.json", "MCP client"),
    ("mcp-config-example.json", "MCP client"),
    ("mcp-config.example.json", "MCP client"),
    ("examples/vscode-mcp-config.json", "MCP client"),
    ("claude_desktop_config.example.json", "Claude Desktop"),
    (".copilot/mcp-config.json", "GitHub Copilot CLI"),
    ("tests/fixtures/.copilot/mcp-config.json", "GitHub Copilot CLI"),
])
def test_client_configurations_beside_a_server_are_read(tmp_path, path, client):
    assert classify(path).kind == "client" and classify(path).system == client
    report = scan(tmp_path, {path: CONFIG}, "--select", "privileged-container")
    assert rules_at(report, path) == {("privileged-container", 2)}


@pytest.mark.parametrize("path", ["mcp-config/package.json", "src/mcp-configuration.json", "mcp-configs.json",
                                  "my-mcp-config.ts", "tsconfig.json", "copilot/mcp-config.yaml"])
def test_look_alikes_are_not_client_configurations(path):
    artifact = classify(path)
    assert artifact is None or artifact.kind != "client"


def test_client_configurations_read_in_corpus2_before_and_after():
    root = CORPORA["corpus2"]
    if not root.is_dir():
        pytest.skip("corpus2 is not on this machine")
    # Read by name before issue 22: 100 client configurations; these files were never read.
    for relative in ("themesberg__flowbite-mcp/mcp-config.json", "proompteng__bilig/.copilot/mcp-config.json",
                     "iris-eval__mcp-server/examples/claude-desktop/mcp-config.json",
                     "neverinfamous__postgres-mcp/mcp-config-example.json"):
        repository, _, inner = relative.partition("/")
        assert (root / relative).is_file() and classify(inner).kind == "client", relative
    found = 0
    for repository in root.iterdir():
        if repository.name == "_catalog" or not repository.is_dir():
            continue
        for directory, folders, files in os.walk(repository):
            folders[:] = [f for f in folders if f not in (".git", "node_modules")]
            for name in files:
                artifact = classify(os.path.relpath(os.path.join(directory, name), repository).replace(os.sep, "/"))
                found += artifact is not None and artifact.kind == "client" and artifact.system not in ("MCP registry", "Docker MCP catalog")
    assert found >= 117  # 120 when issue 22 was done, against 100 before


# Smithery ----------------------------------------------------------------------------------------

SMITHERY_HTTP = f"""
# Smithery configuration
startCommand:
  type: http
  configSchema:
    type: object
  exampleConfig:
    apiKey: {TOKEN}
    region: us-east-1
build:
  dockerfile: Dockerfile.smithery
"""
DOCKERFILE = 'FROM node:22\nUSER node\nCMD ["node", "server.js"]\n'


def test_smithery_http_transport_and_example_credential(tmp_path):
    report = scan(tmp_path, {"smithery.yaml": SMITHERY_HTTP, "Dockerfile.smithery": DOCKERFILE},
                  "--select", "no-healthcheck,secret-in-run-config")
    assert ("secret-in-run-config", 7) in rules_at(report, "smithery.yaml")
    [health] = [f for f in report["findings"] if f["rule_id"] == "no-healthcheck"]
    assert "startCommand.type: http" in health["message"]
    assert TOKEN not in json.dumps(report)  # never printed, in any field


def test_smithery_stdio_is_read_not_taken_for_granted(tmp_path):
    stdio = SMITHERY_HTTP.replace("type: http", "type: stdio").replace(TOKEN, "your-api-key-here")
    report = scan(tmp_path, {"smithery.yaml": stdio, "Dockerfile.smithery": DOCKERFILE},
                  "--select", "no-healthcheck,secret-in-run-config")
    assert report["findings"] == []  # stdio: nothing listens; a placeholder is not a credential
    # A file that names no transport says nothing: the Dockerfile's EXPOSE decides alone.
    unnamed = "startCommand:\n  configSchema: {}\n"
    exposed = 'FROM node:22\nUSER node\nEXPOSE 8080\nCMD ["node", "server.js"]\n'
    report = scan(tmp_path / "other", {"smithery.yaml": unnamed, "Dockerfile": exposed}, "--select", "no-healthcheck")
    [health] = report["findings"]
    assert "smithery" not in health["message"]


def test_smithery_source_runtime_is_not_a_container_and_not_a_server_on_the_host(tmp_path):
    text = f"runtime: typescript\nstartCommand:\n  type: http\n  exampleConfig:\n    token: {TOKEN}\n"
    report = scan(tmp_path, {"smithery.yaml": text})
    assert rules_at(report, "smithery.yaml") == {("secret-in-run-config", 5)}


def test_smithery_files_of_corpus2_parse(tmp_path):
    root = CORPORA["corpus2"]
    if not root.is_dir():
        pytest.skip("corpus2 is not on this machine")
    paths = sorted(root.glob("*/smithery.yaml"))
    assert len(paths) > 40
    completed = run_cli("scan", *map(str, paths[:60]), "--format", "json", "--fail-on", "never")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert not [n for n in report.get("notices", []) if "smithery" in json.dumps(n)]


# Dev containers ----------------------------------------------------------------------------------

DEVCONTAINER = """{
  // contributors' environment
  "name": "dev",
  "image": "mcr.microsoft.com/devcontainers/python:3",
  "runArgs": ["--init",
    "--privileged",
    "--cap-add=SYS_PTRACE"],
  "mounts": [
    "source=${localEnv:HOME}${localEnv:USERPROFILE}/.ssh,target=/root/.ssh,type=bind,readonly",
    "source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"
  ]
}
"""


def test_devcontainer_run_args_and_mounts_are_judged_on_their_lines(tmp_path):
    report = scan(tmp_path, {".devcontainer/devcontainer.json": DEVCONTAINER})
    assert rules_at(report, ".devcontainer/devcontainer.json") == {
        ("privileged-container", 6), ("dangerous-capability-added", 7), ("sensitive-host-mount", 9),
        ("docker-socket-mount", 10)}
    assert all(f["message"].startswith("dev container 'dev'") for f in report["findings"])


def test_a_plain_devcontainer_is_not_asked_for_production_hardening(tmp_path):
    plain = '{"name": "dev", "image": "mcr.microsoft.com/devcontainers/python:3",\n "mounts": ["source=${localWorkspaceFolder},target=/work,type=bind"]}\n'
    report = scan(tmp_path, {".devcontainer.json": plain, ".devcontainer/compose/devcontainer.json":
                             '{"dockerComposeFile": "compose.yaml", "service": "app"}'})
    assert report["findings"] == []


# One compiled expression per kind ----------------------------------------------------------------


def _corpus_paths() -> list[str]:
    paths = ["Dockerfile", "a/b/Dockerfile.prod", ".github/workflows/ci.yml", "x/action.yml", "compose.dev.yaml",
             ".vscode/mcp.json", "a/.cursor/mcp.json", ".continue/mcpServers/x.yaml", "README.md", "docs/x.md"]
    for root in CORPORA.values():
        if root.is_dir():
            for directory, folders, files in os.walk(root):
                folders[:] = [f for f in folders if f not in (".git", "node_modules")]
                paths.extend(os.path.relpath(os.path.join(directory, f), root).split("/", 1)[-1] for f in files)
    return paths


@pytest.mark.parametrize("patterns", [DOCKERFILE_PATTERNS, COMPOSE_PATTERNS, tuple(p for p, _ in CI_PATTERNS),
                                      ("*.json", "a?c", "x[0-9]*", "[!.]*.md", "lit", "*/lit", "*mid*")],
                         ids=["dockerfile", "compose", "ci", "shapes"])
def test_the_compiled_expression_answers_as_the_pattern_set(patterns):
    paths = _corpus_paths()
    names = paths + [p.rsplit("/", 1)[-1] for p in paths] + ["abc", "x9", ".hidden.md", "lit", "d/lit", "amidb"]
    expected = GlobSet(patterns)
    compiled = GlobExpression(patterns)
    compiled.COMPILE_AFTER = 0  # the expression from the first question
    small = GlobExpression(patterns)  # the first questions of a run: the pattern set
    for name in names:
        assert compiled.first(name) == expected.first(name), name
        assert small.first(name) == expected.first(name), name
    assert compiled._expression is not None


def test_a_devcontainer_never_colours_the_server_card(tmp_path):
    dockerfile = 'FROM gcr.io/distroless/nodejs22-debian12:nonroot\nCMD ["server.js"]\n'
    report = scan(tmp_path, {".devcontainer/devcontainer.json": DEVCONTAINER, "Dockerfile": dockerfile}, "--cards")
    [card] = [card for card in report["cards"] if card["role"] == "server"]
    assert card["privileged"] is False and card["engine_socket"] is False and card["host_mounts"] == []
    assert ".devcontainer/devcontainer.json" not in card["sources"]
    # It has a card of its own, marked as a helper that is never graded.
    [helper] = [card for card in report["cards"] if card["role"] == "helper"]
    assert helper["privileged"] is True and "development environment" in helper["role_reason"]
    assert {f["rule_id"] for f in report["findings"] if f["path"] == ".devcontainer/devcontainer.json"} >= {"privileged-container"}


@pytest.mark.parametrize(("path", "text"), [
    ("smithery.yaml", "startCommand: [1, 2]\nbuild: 3\n"),
    ("smithery.yaml", "startCommand:\n  type: 7\n  exampleConfig: just-a-string\nruntime: [x]\n"),
    ("smithery.yaml", "- a list\n- not a map\n"),
    ("smithery.yaml", "startCommand:\n  exampleConfig:\n" + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(40))),
    (".devcontainer/devcontainer.json", '{"runArgs": "oops", "mounts": [1, {"source": 2}, null], "capAdd": "SYS_ADMIN",}'),
    (".devcontainer/devcontainer.json", '["not", "an", "object"]'),
])
def test_odd_shapes_never_crash_a_scan(tmp_path, path, text):
    write_tree(tmp_path, {path: text})
    completed = run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never")
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_smithery_file_that_does_not_parse_is_a_parse_notice(tmp_path):
    write_tree(tmp_path, {"smithery.yaml": "startCommand: [unclosed\n"})
    completed = run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never")
    notices = json.loads(completed.stdout)["notices"]
    assert any(n["path"] == "smithery.yaml" and "not scanned" in n["message"] for n in notices)


def test_client_files_match_in_any_folder_as_the_variants_did():
    """client_for tries each pattern on the path and on what follows each `/`: the same answer as
    matching every pattern and its `*/` variant, first client in the table's order winning."""
    from mcpharden.knowledge.clients import client_for, clients

    pairs = [(variant, client["name"]) for client in clients() for pattern in client["files"] for variant in (pattern, "*/" + pattern)]
    reference = GlobSet(pattern for pattern, _ in pairs)
    paths = _corpus_paths() + ["a/b/.cursor/mcp.json", "x/.continue/mcpServers/y/z.yaml", "deep/a-mcp-config.json",
                               "mcp-config/mcp.json", ".vscode/settings.json", "n/.vscode/settings.json"]
    for path in paths:
        index = reference.first(path)
        found = client_for(path)
        assert (found.client if found else None) == (pairs[index][1] if index is not None else None), path
