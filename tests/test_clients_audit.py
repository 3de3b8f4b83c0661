"""The laptop audit as a user runs it: `mcpharden scan --clients --home DIR`."""

import json

from conftest import run_cli, write_tree

DOCKER_SERVER = '{"mcpServers": {"docker": {"command": "docker", "args": ["run", "-i", "--rm", "-v", "/var/run/docker.sock:/var/run/docker.sock", "mcp/docker"]}}}'
NPX_SERVER = '{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]}}}'


def test_clients_on_every_os_layout(tmp_path):
    write_tree(tmp_path, {
        ".config/Claude/claude_desktop_config.json": DOCKER_SERVER,
        "Library/Application Support/Claude/claude_desktop_config.json": NPX_SERVER,
        "AppData/Roaming/Code/User/mcp.json": '{"servers": {"v": {"command": "podman", "args": ["run", "--privileged", "img"]}}}',
        ".cursor/mcp.json": NPX_SERVER,
        ".codex/config.toml": '[mcp_servers.c]\ncommand = "docker"\nargs = ["run", "--net=host", "img"]\n',
        ".continue/mcpServers/db.yaml": "mcpServers:\n  - name: db\n    command: docker\n    args: [run, -u, '0', img]\n",
        "projects/unrelated/.mcp.json": DOCKER_SERVER,  # not a standard user location
    })
    result = run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    high = {(f["rule_id"], f["path"]) for f in document["findings"] if f["severity"] == "high"}
    assert high == {
        ("docker-socket-mount", ".config/Claude/claude_desktop_config.json"),
        ("privileged-container", "AppData/Roaming/Code/User/mcp.json"),
        ("host-namespace-shared", ".codex/config.toml"),
        ("root-user", ".continue/mcpServers/db.yaml"),
    }
    servers = {(s["client"], s["name"], s["in_container"]) for s in document["servers"]}
    assert ("Claude Desktop", "fs", False) in servers and ("Cursor", "fs", False) in servers
    assert ("Claude Desktop", "docker", True) in servers and len(servers) == 6


def test_text_report_lists_servers_not_in_containers(tmp_path):
    write_tree(tmp_path, {".cursor/mcp.json": NPX_SERVER})
    result = run_cli("scan", "--clients", "--home", str(tmp_path))
    assert result.returncode == 0
    assert "not in a container" in result.stdout and "npx -y @modelcontextprotocol/server-filesystem" in result.stdout


def test_empty_home(tmp_path):
    result = run_cli("scan", "--clients", "--home", str(tmp_path))
    assert result.returncode == 0 and "No MCP client configuration found" in result.stdout


def test_broken_client_config_is_reported_and_others_scanned(tmp_path):
    write_tree(tmp_path, {".cursor/mcp.json": '{"mcpServers": {', ".config/Claude/claude_desktop_config.json": DOCKER_SERVER})
    document = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json").stdout)
    assert any(n["path"] == ".cursor/mcp.json" and "invalid JSON" in n["message"] for n in document["notices"])
    assert any(f["rule_id"] == "docker-socket-mount" for f in document["findings"])


def test_home_without_clients_is_a_usage_error(tmp_path):
    assert run_cli("scan", "--home", str(tmp_path)).returncode == 2
    assert run_cli("scan", "--clients", "--home", str(tmp_path / "missing")).returncode == 2
