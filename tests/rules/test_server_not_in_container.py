"""server-not-in-container: the way that exists for each server (its published image, else how to
build one), and Docker's MCP gateway judged as what it is."""

import json

import pytest

from conftest import findings, run_cli, scan_files

RULE = "server-not-in-container"


def servers(tmp_path, entries: dict) -> list:
    files = {".cursor/mcp.json": json.dumps({"mcpServers": entries})}
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


def test_a_server_with_a_published_image_is_offered_it(tmp_path):
    [finding] = servers(tmp_path, {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"]}})
    assert finding.message == ("MCP server 'fs' runs on the host with your account (`npx -y @modelcontextprotocol/server-filesystem /`), "
                               "given the whole file system; its image `mcp/filesystem` runs in a container: "
                               "`docker run -i --rm mcp/filesystem`")


@pytest.mark.parametrize("entry, build", [
    ({"command": "npx", "args": ["-y", "@acme/notes-mcp@2"]}, "`FROM node:22-alpine`, `RUN npm install -g @acme/notes-mcp@<version>`"),
    ({"command": "uvx", "args": ["acme-notes-mcp"]}, "`FROM python:3.12-slim`, `RUN pip install acme-notes-mcp==<version>`"),
    ({"command": "node", "args": ["/opt/notes/index.js"]}, "build one from its source"),
])
def test_without_a_published_image_the_message_says_how_to_build_one(tmp_path, entry, build):
    [finding] = servers(tmp_path, {"notes": entry})
    assert "no published image is known: build one" in finding.message and build in finding.message


def test_docker_mcp_gateway_is_judged_once_as_the_gateway(tmp_path):
    entries = {"MCP_DOCKER": {"command": "docker", "args": ["mcp", "gateway", "run"]},
               "MCP_DOCKER_2": {"command": "docker", "args": ["mcp", "gateway", "run", "--servers", "fetch"]}}
    [finding] = servers(tmp_path, entries)
    assert finding.severity.name == "INFO"
    assert "Docker's MCP gateway (`docker mcp gateway run`): it starts each catalog server in its own container" in finding.message
    assert finding.message.count("socket") == 1 and "runs on the host with your account" not in finding.message


def test_the_gateway_flags_that_weaken_it_are_named(tmp_path):
    entry = {"command": "docker", "args": ["mcp", "gateway", "run", "--block-secrets=false", "--transport", "streaming",
                                           "--port", "8811", "--allow-unauthenticated"]}
    [finding] = servers(tmp_path, {"gw": entry})
    assert "`--block-secrets=false` lets secrets through" in finding.message
    assert "`--allow-unauthenticated` serves its tools over HTTP" in finding.message


def test_through_the_cli(tmp_path):
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": {
        "MCP_DOCKER": {"command": "docker", "args": ["mcp", "gateway", "run"]},
        "git": {"command": "uvx", "args": ["mcp-server-git"]}}}))
    result = run_cli("scan", str(tmp_path), "--select", RULE, "--format", "json", "--fail-on", "never")
    found = {f["severity"]: f["message"] for f in json.loads(result.stdout)["findings"]}
    assert set(found) == {"info", "low"} and "`docker run -i --rm mcp/git`" in found["low"]
