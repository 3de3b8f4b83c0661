"""Server cards: the blast radius of a server, in JSON always and in text with --cards."""

import json

from conftest import run_cli, write_tree

RISKY = {
    "Dockerfile": "FROM node:22\nRUN apt-get update && apt-get install -y curl\nCMD [\"node\", \"x.js\"]\n",
    "compose.yaml": """
services:
  mcp:
    build: .
    privileged: true
    cap_add: [SYS_ADMIN]
    network_mode: host
    environment:
      GITHUB_TOKEN: ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8
    ports: ["8080:8080"]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - ./data:/data
      - ${HOME}/.ssh:/root/.ssh
""",
}
HARDENED = {
    "Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY . /app\nCMD [\"/app/x.js\"]\n",
    "compose.yaml": """
services:
  mcp:
    build: .
    read_only: true
    cap_drop: [ALL]
    network_mode: none
    security_opt: ["no-new-privileges:true"]
    environment:
      GITHUB_TOKEN: ${GITHUB_TOKEN}
""",
}


def card_of(tmp_path, files, *extra):
    write_tree(tmp_path, files)
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never", *extra).stdout)
    return document["cards"]


def test_the_card_of_a_risky_server_names_everything_an_attacker_holds(tmp_path):
    [card] = card_of(tmp_path, RISKY)
    assert card["user"] == "root" and card["shell"] is True and card["package_manager"] == "apt"
    assert card["download_tools"] == ["curl"] and card["can_rewrite_own_code"] is True
    assert card["engine_socket"] is True and card["privileged"] is True
    assert card["capabilities_added"] == ["SYS_ADMIN"] and card["host_namespaces"] == ["network"]
    mounts = {m["source"]: m for m in card["host_mounts"]}
    assert mounts["/var/run/docker.sock"]["read_only"] is True and mounts["/var/run/docker.sock"]["sensitive"] == "the engine socket"
    assert mounts["./data"]["sensitive"] == "" and not mounts["./data"]["read_only"]
    assert mounts["${HOME}/.ssh"]["sensitive"].startswith("credentials")
    assert card["published_ports"] == [{"interface": "every interface", "host_port": "8080", "container_port": "8080",
                                        "where": "compose.yaml:9"}]
    assert card["secret_names"] == ["GITHUB_TOKEN"] and card["egress"] == "host network"
    assert "ghp_" not in json.dumps(card)  # names, never values


def test_the_card_of_a_hardened_server(tmp_path):
    [card] = card_of(tmp_path, HARDENED)
    assert card["user"] == "non-root" and card["shell"] is False and card["package_manager"] == ""
    assert card["writable_root_filesystem"] is False and card["can_rewrite_own_code"] is False
    assert card["egress"] == "none" and not card["host_mounts"] and not card["engine_socket"]
    assert card["secret_names"] == ["GITHUB_TOKEN"]


def test_text_shows_cards_when_asked(tmp_path):
    write_tree(tmp_path, RISKY)
    plain = run_cli("scan", str(tmp_path)).stdout
    assert "Blast radius" not in plain
    shown = run_cli("scan", str(tmp_path), "--cards").stdout
    assert f"Blast radius of {tmp_path.name}: holds the engine socket (root on the host), privileged mode, root" in shown
    assert "secrets        GITHUB_TOKEN (names only)" in shown and "ghp_" not in shown


def test_the_laptop_audit_draws_one_card_per_server(tmp_path):
    config = {"mcpServers": {
        "fs": {"command": "docker", "args": ["run", "-i", "--rm", "-v", "/:/host", "mcp/filesystem:1"]},
        "time": {"command": "docker", "args": ["run", "-i", "--rm", "--network", "none", "--read-only", "mcp/time:1"]}}}
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(config)})
    document = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json", "--fail-on", "never").stdout)
    cards = {card["name"].split(" ")[0]: card for card in document["cards"]}
    assert set(cards) == {"fs", "time"}
    assert cards["fs"]["host_mounts"][0]["sensitive"] and cards["time"]["egress"] == "none"


def test_servers_in_one_client_file_never_share_what_each_holds(tmp_path):
    """Issue 20: one server's socket, secrets and capabilities were on every card of the same file."""
    token = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
    config = {"mcpServers": {
        "risky": {"command": "docker", "args": ["run", "-i", "--rm", "--privileged", "--cap-add", "SYS_ADMIN", "-e",
                                                 f"GITHUB_TOKEN={token}", "-v", "/var/run/docker.sock:/var/run/docker.sock",
                                                 "-p", "8080:8080", "mcp/risky:1"]},
        "calm": {"command": "docker", "args": ["run", "-i", "--rm", "--read-only", "mcp/calm:1"]}}}
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(config, indent=2)})
    document = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json", "--fail-on", "never").stdout)
    cards = {card["name"].split(" ")[0]: card for card in document["cards"]}
    risky, calm = cards["risky"], cards["calm"]
    assert risky["engine_socket"] and risky["privileged"] and risky["capabilities_added"] == ["SYS_ADMIN"]
    assert risky["secret_names"] == ["GITHUB_TOKEN"] and risky["published_ports"]
    assert not calm["engine_socket"] and not calm["privileged"] and calm["capabilities_added"] == []
    assert calm["secret_names"] == [] and calm["published_ports"] == [] and calm["host_mounts"] == []
    shared = {"docker-socket-mount", "privileged-container", "dangerous-capability-added", "secret-in-run-config",
              "port-exposed-on-all-interfaces"}
    assert shared <= set(dict(risky["weaknesses"])) and not shared & set(dict(calm["weaknesses"]))
    assert calm["grade"] in ("A", "B") and risky["grade"] == "F"
    assert token not in json.dumps(document)


def test_a_laptop_whose_servers_all_run_on_the_host_is_not_graded(tmp_path):
    config = {"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@1.0.0", "/"]}}}
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(config)})
    document = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json", "--fail-on", "never").stdout)
    assert document["findings"] and document["cards"] == []
    assert document["summary"]["grade"] is None
    assert document["summary"]["grade_reason"].startswith("no MCP server runs in a container")


def test_the_card_names_code_downloaded_at_every_start(tmp_path):
    files = {"Dockerfile": "FROM node:22\nRUN npm install -g mcp-proxy@6.4.3\nUSER node\n"
                           'CMD ["mcp-proxy", "--", "npx", "-y", "@modelcontextprotocol/server-memory@latest"]\n'}
    [card] = card_of(tmp_path, files, "--select", "root-user")  # drawn from the models, whatever rules run
    assert card["fetched_at_start"] == [{"package": "@modelcontextprotocol/server-memory", "registry": "npm",
                                         "reference": "latest", "where": "Dockerfile:4"}]
    assert "code downloaded at every start" in run_cli("scan", str(tmp_path), "--cards").stdout
    # a runner that finds the package installed downloads nothing
    files["Dockerfile"] = 'FROM node:22\nRUN npm install -g x-mcp@1.0.0\nUSER node\nCMD ["npx", "-y", "x-mcp"]\n'
    [card] = card_of(tmp_path / "installed", files)
    assert card["fetched_at_start"] == []


def test_a_server_started_on_the_host_colours_no_container_servers_card(tmp_path):
    config = {"mcpServers": {
        "host-before": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]},
        "boxed": {"command": "docker", "args": ["run", "-i", "--rm", "--read-only", "mcp/boxed:1"]},
        "host-after": {"command": "uvx", "args": ["mcp-server-fetch"]}}}
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(config, indent=2)})
    document = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json", "--fail-on", "never").stdout)
    rules = {finding["rule_id"] for finding in document["findings"]}
    assert {"server-not-in-container", "package-fetched-at-start"} <= rules
    [card] = document["cards"]
    assert card["name"].startswith("boxed") and card["fetched_at_start"] == []
    assert not {"server-not-in-container", "package-fetched-at-start"} & set(dict(card["weaknesses"]))
