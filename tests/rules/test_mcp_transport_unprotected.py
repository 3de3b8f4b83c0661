"""mcp-transport-unprotected: an MCP server's HTTP endpoint with its Host/Origin checks off, or
open to the network without authentication."""

import json

import pytest

from conftest import findings, scan_files
from mcpharden.knowledge import load_table
from mcpharden.knowledge import transport_security as knowledge
from mcpharden.safety import redact_text

RULE = "mcp-transport-unprotected"


def check(tmp_path, files):
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


def compose(service: str) -> dict[str, str]:
    return {"compose.yaml": "services:\n" + service}


MCP = "  notes:\n    image: ghcr.io/example/notes-mcp:1\n"


# Host and Origin checks turned off -----------------------------------------------------------


@pytest.mark.parametrize("setting, what", [
    ("MCP_ALLOWED_HOSTS: \"*\"", "Host header check"),
    ("NOTES_MCP_ALLOWED_HOSTS: \"localhost:*,*\"", "Host header check"),
    ("FASTMCP_TRANSPORT_SECURITY__ALLOWED_HOSTS: '[\"*\"]'", "Host header check"),
    ("ALLOWED_ORIGINS: '[\"*\"]'", "Origin check"),
    ("MCP_CORS_ORIGINS: \"*\"", "Origin check"),
    ("FASTMCP_TRANSPORT_SECURITY__ENABLE_DNS_REBINDING_PROTECTION: \"false\"", "DNS-rebinding protection"),
    ("SPORTS_HUB_DNS_REBINDING_PROTECTION: \"0\"", "DNS-rebinding protection"),
    ("NOTES_MCP_DISABLE_HOST_VALIDATION: \"true\"", "DNS-rebinding protection"),
])
def test_settings_that_turn_a_check_off_whatever_the_bind_address(tmp_path, setting, what):
    [finding] = check(tmp_path, compose(MCP + f"    environment:\n      {setting}\n    ports: [\"127.0.0.1:8000:8000\"]\n"))
    assert finding.line == 5  # the setting
    assert what in finding.message and "even on 127.0.0.1" in finding.message


def test_flags_that_turn_a_check_off(tmp_path):
    found = check(tmp_path, {"start.sh": (
        "docker run -d mcr.microsoft.com/playwright/mcp --port 8931 --allowed-hosts '*'\n"
        "docker run -d ghcr.io/example/proxy-mcp --allow-origin=* --port 8096\n"
        "docker run -d ghcr.io/example/notes-mcp --transport sse --disable-dns-rebinding-protection\n")})
    assert [f.line for f in found] == [1, 2, 3]
    assert "(`--allowed-hosts *`)" in found[0].message
    assert "(`--allow-origin *`)" in found[1].message


def test_a_dockerfile_env_is_reported_once_on_the_dockerfile(tmp_path):
    files = {
        "Dockerfile": ("FROM node:22-slim\nCOPY . .\nENV NOTES_MCP_ALLOWED_HOSTS=*\n"
                       "CMD [\"node\", \"server.js\", \"--transport\", \"http\"]\n"),
        "compose.yaml": "services:\n  notes:\n    build: .\n    ports: [\"127.0.0.1:3000:3000\"]\n",
    }
    [finding] = check(tmp_path, files)
    assert (finding.path, finding.line) == ("Dockerfile", 3)
    assert finding.message.startswith("the image turns off its Host header check")


def test_a_dockerfile_that_speaks_mcp_through_its_source_code(tmp_path):
    files = {"Dockerfile": "FROM python:3.12-slim\nCOPY . .\nENV APP_ALLOWED_ORIGINS=*\nCMD [\"python\", \"server.py\"]\n",
             "server.py": "mcp.run(transport=\"streamable-http\")\n"}
    [finding] = check(tmp_path, files)
    assert "Origin check" in finding.message


def test_a_client_configuration_server(tmp_path):
    [finding] = check(tmp_path, {".cursor/mcp.json": json.dumps({"mcpServers": {"notes": {
        "command": "docker", "args": ["run", "-i", "--rm", "-e", "NOTES_ALLOWED_HOSTS=*", "example/notes", "--transport", "sse"]}}})})
    assert finding.message.startswith("MCP server 'notes' turns off its Host header check")


# Open to the network without authentication ---------------------------------------------------


def test_bound_and_published_on_every_interface_without_authentication(tmp_path):
    [finding] = check(tmp_path, compose(MCP + "    environment:\n      MCP_TRANSPORT: http\n      MCP_HOST: 0.0.0.0\n"
                                        "      GITHUB_TOKEN: ${GITHUB_TOKEN}\n    ports:\n      - \"8000:8000\"\n"))
    assert finding.line == 9  # the published port
    assert finding.message == (
        "service 'notes' is an MCP server (its image is ghcr.io/example/notes-mcp:1), bound to every interface "
        "(`MCP_HOST=0.0.0.0`) and published on every interface (port 8000), with no authentication in its run "
        "configuration: anyone on the network can call its tools")


@pytest.mark.parametrize("command", ["--host 0.0.0.0", "--host=0.0.0.0", "--http-addr 0.0.0.0:8000", "-addr :8000",
                                     "--bind [::]:8000"])
def test_bind_flags(tmp_path, command):
    assert check(tmp_path, {"run.sh": f"docker run -p 8000:8000 example/notes-mcp --transport http {command}\n"}), command


def test_authentication_turned_off_is_named(tmp_path):
    [finding] = check(tmp_path, compose(
        "  inspector:\n    image: ghcr.io/modelcontextprotocol/inspector\n    environment:\n      HOST: 0.0.0.0\n"
        "      DANGEROUSLY_OMIT_AUTH: \"true\"\n    ports: [\"6274:6274\", \"6277:6277\"]\n"))
    assert "with authentication turned off by `DANGEROUSLY_OMIT_AUTH`" in finding.message
    assert "(ports 6274, 6277)" in finding.message


def test_authentication_turned_off_needs_no_bind_evidence(tmp_path):
    """The run configuration publishes the port and turns authentication off: whatever the image
    binds by default, the published port is the way in."""
    [finding] = check(tmp_path, {"README.md": (
        "```sh\ndocker run --rm -p 8000:8000 -e start=remote -e REQUIRE_REQUEST_TOKEN=false example/ci-mcp\n```\n")})
    assert "published on every interface (port 8000), with authentication turned off by `REQUIRE_REQUEST_TOKEN`" in finding.message
    assert not check(tmp_path / "on", {"README.md": (
        "```sh\ndocker run --rm -p 8000:8000 -e MCP_HOST=0.0.0.0 -e REQUIRE_REQUEST_TOKEN=true example/ci-mcp\n```\n")})


def test_a_random_host_port(tmp_path):
    [finding] = check(tmp_path, compose(MCP + "    environment: [MCP_HOST=0.0.0.0]\n    ports: [\"0:8000\"]\n"))
    assert "(container port 8000 on a random host port)" in finding.message


def test_an_optional_token_that_defaults_to_empty(tmp_path):
    [finding] = check(tmp_path, compose(MCP + "    command: [--transport, http, --host, 0.0.0.0]\n    environment:\n"
                                        "      MCP_AUTH_TOKEN: ${MCP_AUTH_TOKEN:-}\n    ports: [\"8765:8765\"]\n"))
    assert "no authentication unless `MCP_AUTH_TOKEN` is set (it defaults to empty)" in finding.message
    assert redact_text(finding.message) == finding.message


def test_the_dockerfile_of_a_built_service_tells_its_bind_address(tmp_path):
    files = {"Dockerfile": "FROM python:3.12-slim\nENV HOST=0.0.0.0 MCP_TRANSPORT=sse\nCMD [\"notes\"]\n",
             "compose.yaml": "services:\n  notes:\n    build: .\n    ports: [\"8000:8000\"]\n"}
    [finding] = check(tmp_path, files)
    assert "its Dockerfile Dockerfile packages an MCP server" in finding.message
    assert "(`HOST=0.0.0.0`)" in finding.message


def test_host_network(tmp_path):
    [finding] = check(tmp_path, {"run.sh": "docker run --network host -e MCP_HOST=0.0.0.0 example/notes-mcp --transport http\n"})
    assert "and shares the host's network" in finding.message


# Negative cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("setting", [
    "MCP_AUTH_TOKEN: ${MCP_AUTH_TOKEN:?required}", "OAUTH_ISSUER: https://login.example.com", "JWT_SECRET_FILE: /run/secrets/jwt",
    "NOTES_MCP_API_KEY: ${KEY}", "AUTH_REQUIRED: \"true\"", "OMNI_HTTP_TOKEN: ${OMNI_HTTP_TOKEN}",
])
def test_authentication_in_the_run_configuration(tmp_path, setting):
    assert not check(tmp_path, compose(MCP + f"    environment:\n      MCP_HOST: 0.0.0.0\n      {setting}\n"
                                             "    ports: [\"8000:8000\"]\n")), setting


def test_servers_that_authenticate_their_callers_by_default(tmp_path):
    assert not check(tmp_path, compose(
        "  inspector:\n    image: ghcr.io/modelcontextprotocol/inspector\n    environment: [HOST=0.0.0.0]\n"
        "    ports: [\"6274:6274\"]\n"))


def test_published_on_loopback_or_bound_to_loopback_or_unknown(tmp_path):
    service = MCP + "    environment:\n      MCP_TRANSPORT: http\n      MCP_HOST: {host}\n    ports: [\"{port}\"]\n"
    assert not check(tmp_path / "a", compose(service.format(host="0.0.0.0", port="127.0.0.1:8000:8000")))
    assert not check(tmp_path / "b", compose(service.format(host="127.0.0.1", port="8000:8000")))
    assert not check(tmp_path / "c", compose(MCP + "    ports: [\"8000:8000\"]\n"))  # nothing says where it binds


def test_an_env_file_may_hold_the_token(tmp_path):
    assert not check(tmp_path, {"run.sh": "docker run --env-file .env -p 8000:8000 example/notes-mcp --host 0.0.0.0\n"})


def test_stdio_servers_are_left_alone(tmp_path):
    assert not check(tmp_path, compose(MCP + "    environment:\n      MCP_TRANSPORT: stdio\n      MCP_HOST: 0.0.0.0\n"
                                             "      MCP_ALLOWED_HOSTS: \"*\"\n    ports: [\"8000:8000\"]\n"))
    assert not check(tmp_path / "flag", {"run.sh": "docker run -i example/notes-mcp --transport stdio --allowed-hosts '*'\n"})


def test_allow_lists_with_real_names_and_port_wildcards(tmp_path):
    assert not check(tmp_path, compose(MCP + "    environment:\n      MCP_ALLOWED_HOSTS: localhost:*,127.0.0.1:*\n"
                                             "      MCP_ALLOWED_ORIGINS: http://localhost:*\n"
                                             "      MCP_DNS_REBINDING_PROTECTION: \"true\"\n"))


def test_a_stdio_mcp_server_image_that_also_serves_a_rest_api(tmp_path):
    """Its source speaks MCP on stdio only: the HTTP port is another service, not its MCP endpoint."""
    files = {"Dockerfile": "FROM node:22-slim\nCOPY . .\nCMD [\"node\", \"dist/index.js\"]\n",
             "src/index.ts": "const transport = new StdioServerTransport();\n",
             "compose.yaml": "services:\n  api:\n    build: .\n    environment: [HOST=0.0.0.0, SKIP_AUTH=true]\n"
                             "    ports: [\"3001:3001\"]\n"}
    assert not check(tmp_path, files)


def test_containers_that_are_not_mcp_servers(tmp_path):
    assert not check(tmp_path, compose(
        "  models:\n    image: ollama/ollama\n    environment: [OLLAMA_HOST=0.0.0.0, OLLAMA_ORIGINS=*]\n    ports: [\"11434:11434\"]\n"
        "  web:\n    image: nginx\n    environment: [HOST=0.0.0.0, CORS_ALLOWED_ORIGINS=*]\n    ports: [\"80:80\"]\n"))


def test_playwright_browser_origins_are_not_the_servers_checks(tmp_path):
    assert not check(tmp_path, {"run.sh": "docker run -p 127.0.0.1:8931:8931 -e PLAYWRIGHT_MCP_ALLOWED_ORIGINS='*' "
                                          "mcr.microsoft.com/playwright/mcp --port 8931\n"})


def test_bad_input_never_crashes(tmp_path):
    check(tmp_path, compose(MCP + "    command: {a: b}\n    environment: [MCP_HOST]\n    ports: [8000, {target: 1}]\n"))
    check(tmp_path / "run", {"run.sh": "docker run example/notes-mcp --allowed-hosts\n"})
    check(tmp_path / "df", {"Dockerfile": "FROM scratch\nENV MCP_ALLOWED_HOSTS=\nCMD [\"--host\"]\n"})


# The knowledge it reads -----------------------------------------------------------------------


def test_wildcards_and_switches():
    assert knowledge.setting_turns_check_off("X_ALLOWED_HOSTS", "*") == "Host header check (DNS rebinding)"
    assert knowledge.setting_turns_check_off("X_ALLOWED_HOSTS", "localhost:*") is None
    assert knowledge.setting_turns_check_off("X_ALLOWED_HOSTS", None) is None
    assert knowledge.setting_turns_authentication_off("AUTH_MODE", "none")
    assert not knowledge.setting_turns_authentication_off("TRUST_PROXY_AUTH", "false")
    assert not knowledge.setting_asks_for_credentials("OPENAI_API_KEY")
    assert knowledge.setting_binds_every_interface("MCP_LISTEN_ADDR", ":8081")
    assert not knowledge.setting_binds_every_interface("HOST", ":8081")


def test_the_transport_words_cover_the_transport_table():
    """transports.toml decides a Dockerfile's transport; this table reads the same words in run configurations."""
    start = load_table("transports.toml")["start_arguments"]
    words = load_table("transport_security.toml")["mcp"]
    assert {w for w in start["http_words"] + start["sse_words"] if not w.startswith("-")} <= set(words["http_words"])
    assert set(start["flags"]) - {"--mode"} <= set(words["transport_flags"])


# The server card --------------------------------------------------------------------------------


def test_the_card_shows_the_open_endpoint(tmp_path):
    result = scan_files(tmp_path, compose(MCP + "    environment: [MCP_TRANSPORT=http, MCP_HOST=0.0.0.0]\n"
                                                "    ports: [\"8000:8000\"]\n"))
    [card] = result.cards
    [entry] = card.open_entries
    assert entry.kind == "MCP endpoint" and entry.where == "compose.yaml:5"
    assert "an MCP endpoint that others can call" in card.headline
    assert card.document()["open_entries"][0]["kind"] == "MCP endpoint"
