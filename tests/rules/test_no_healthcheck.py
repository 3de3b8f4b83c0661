from conftest import findings, scan_files

RULE = "no-healthcheck"
RUNTIME = "FROM gcr.io/distroless/nodejs22-debian12:nonroot\n"


def check(tmp_path, dockerfile, files=None):
    tree = {"Dockerfile": dockerfile, **(files or {})}
    return findings(scan_files(tmp_path, tree, select=(RULE,)), RULE)


def test_exposed_port_without_healthcheck(tmp_path):
    [finding] = check(tmp_path, RUNTIME + "EXPOSE 8080\nCMD [\"server.js\"]\n")
    assert finding.line == 1 and "EXPOSE 8080" in finding.message


def test_healthcheck_present_passes(tmp_path):
    assert not check(tmp_path, RUNTIME + "EXPOSE 8080\nHEALTHCHECK CMD [\"/nodejs/bin/node\", \"hc.js\"]\n")


def test_healthcheck_none_is_flagged_on_its_line(tmp_path):
    [finding] = check(tmp_path, RUNTIME + "EXPOSE 8080\nHEALTHCHECK NONE\n")
    assert finding.line == 3 and "HEALTHCHECK NONE" in finding.message


def test_healthcheck_inherited_from_parent_stage(tmp_path):
    dockerfile = "FROM node:22 AS base\nHEALTHCHECK CMD [\"node\", \"hc.js\"]\nFROM base\nEXPOSE 3000\n"
    assert not check(tmp_path, dockerfile)


def test_stdio_server_is_not_flagged(tmp_path):
    source = "import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';\n"
    assert not check(tmp_path, RUNTIME + "CMD [\"index.js\"]\n", {"src/index.ts": source})


def test_http_only_source_is_flagged_without_expose(tmp_path):
    source = "const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });\n"
    [finding] = check(tmp_path, RUNTIME + "CMD [\"index.js\"]\n", {"src/server.ts": source})
    assert "StreamableHTTPServerTransport" in finding.message


def test_source_with_both_transports_is_decided_by_start_arguments(tmp_path):
    files = {"src/main.py": 'mcp.run(transport="stdio")\n', "src/http.py": 'mcp.run(transport="streamable-http")\n'}
    assert not check(tmp_path, "FROM python:3.12\nCMD [\"python\", \"-m\", \"srv\"]\n", files)
    assert check(tmp_path, "FROM python:3.12\nCMD [\"python\", \"-m\", \"srv\", \"--transport\", \"http\"]\n", files)


def test_start_arguments_win_over_expose(tmp_path):
    assert not check(tmp_path, RUNTIME + "EXPOSE 8080\nCMD [\"index.js\", \"--transport=stdio\"]\n")


def test_environment_selects_transport(tmp_path):
    assert check(tmp_path, "FROM python:3.12\nENV MCP_TRANSPORT=sse\n")
    assert not check(tmp_path, "FROM python:3.12\nENV MCP_TRANSPORT=stdio PORT=8000\n")


def test_python_and_go_sdks(tmp_path):
    assert check(tmp_path, "FROM python:3.12\n", {"server.py": "app = mcp.streamable_http_app()\n"})
    assert check(tmp_path, "FROM golang:1.24\n", {"main.go": "s := server.NewStreamableHTTPServer(mcpServer)\n"})
    assert not check(tmp_path, "FROM golang:1.24\n", {"main.go": "server.ServeStdio(s)\n"})


def test_client_transport_names_do_not_count(tmp_path):
    assert not check(tmp_path, RUNTIME, {"test.ts": "new StdioClientTransport({command: 'x'}); new SSEClientTransport(u)\n"})


def test_source_of_another_server_in_a_monorepo_does_not_leak(tmp_path):
    tree = {
        "servers/a/Dockerfile": RUNTIME,
        "servers/a/index.ts": "new StdioServerTransport()\n",
        "servers/b/Dockerfile": RUNTIME,
        "servers/b/index.ts": "new SSEServerTransport('/messages', res)\n",
    }
    result = scan_files(tmp_path, tree, select=(RULE,))
    assert [f.path for f in findings(result, RULE)] == ["servers/b/Dockerfile"]


# Stdio evidence outweighs EXPOSE; run configurations and addresses say "listens" -----------


def test_a_transport_variable_of_any_prefix_says_stdio_despite_expose(tmp_path):
    for name in ("NEO4J_TRANSPORT", "K8S_MCP_TRANSPORT", "MCP_TRANSPORT"):
        assert not check(tmp_path, RUNTIME + f"ENV {name}=stdio\nEXPOSE 8080\nCMD [\"index.js\"]\n"), name
    [finding] = check(tmp_path, RUNTIME + "ENV NEO4J_TRANSPORT=http\nCMD [\"index.js\"]\n")
    assert "NEO4J_TRANSPORT=http" in finding.message


def test_a_variable_that_only_ends_like_a_word_is_no_transport(tmp_path):
    # MY_TRANSPORTER is not *_TRANSPORT; EXPOSE decides.
    assert check(tmp_path, RUNTIME + "ENV MY_TRANSPORTER=stdio\nEXPOSE 8080\n")


def test_transport_stdio_argument_outweighs_expose(tmp_path):
    assert not check(tmp_path, RUNTIME + "EXPOSE 8080\nCMD [\"index.js\", \"--transport\", \"stdio\"]\n")
    assert not check(tmp_path, RUNTIME + "EXPOSE 8080\nCMD [\"index.js\", \"--transport=stdio\"]\n")


def test_a_stage_built_on_a_stdio_stage_is_stdio(tmp_path):
    dockerfile = (RUNTIME.rstrip("\n") + " AS production\nEXPOSE 8080\nCMD [\"index.js\"]\n"
                  "FROM production AS production-stdio\n"
                  "FROM production-stdio\n")
    assert not check(tmp_path, dockerfile)
    http = dockerfile.replace("production-stdio", "production-http")
    [finding] = check(tmp_path, http)
    assert "production-http" in finding.message


def test_port_22_is_never_the_server_port(tmp_path):
    assert not check(tmp_path, RUNTIME + "EXPOSE 22\nCMD [\"index.js\"]\n")
    [finding] = check(tmp_path, RUNTIME + "EXPOSE 22 8080\nCMD [\"index.js\"]\n")
    assert "EXPOSE 8080" in finding.message


def test_a_server_the_repository_compose_file_publishes_listens(tmp_path):
    compose = "services:\n  mcp:\n    build: .\n    ports:\n      - \"127.0.0.1:8000:8000\"\n"
    [finding] = check(tmp_path, RUNTIME + "CMD [\"index.js\"]\n", {"compose.yaml": compose})
    assert "service 'mcp' in compose.yaml publishes port 8000" in finding.message


def test_a_compose_service_of_another_dockerfile_says_nothing(tmp_path):
    compose = "services:\n  db:\n    build: ./db\n    ports:\n      - \"5432:5432\"\n"
    files = {"compose.yaml": compose, "db/Dockerfile": "FROM postgres:16\n"}
    assert not [f for f in check(tmp_path, RUNTIME + "CMD [\"index.js\"]\n", files) if f.path == "Dockerfile"]


def test_a_compose_transport_variable_says_stdio(tmp_path):
    compose = "services:\n  mcp:\n    build: .\n    environment:\n      MCP_TRANSPORT: stdio\n"
    assert not check(tmp_path, RUNTIME + "CMD [\"index.js\"]\n", {"compose.yaml": compose})


def test_an_http_address_in_the_environment_listens(tmp_path):
    for setting in ("HOST=0.0.0.0", "MCP_HOST=::", "LISTEN_ADDR=:8080", "BIND_ADDRESS=0.0.0.0:3000", "FASTMCP_HOST=127.0.0.1"):
        [finding] = check(tmp_path, RUNTIME + f"ENV {setting}\nCMD [\"index.js\"]\n")
        assert setting in finding.message
    assert not check(tmp_path, RUNTIME + "ENV HOST=myhost\nCMD [\"index.js\"]\n")
    assert not check(tmp_path, RUNTIME + "ENV HOST=0.0.0.0 MCP_TRANSPORT=stdio\nCMD [\"index.js\"]\n")


# Transport evidence from the code and the start command decides; EXPOSE alone is the weakest ------


def test_stdio_only_code_outweighs_a_leftover_expose(tmp_path):
    source = "const transport = new StdioServerTransport();\nawait server.connect(transport);\n"
    assert not check(tmp_path, RUNTIME + "EXPOSE 3000\nCMD [\"dist/index.js\"]\n", {"src/index.ts": source})
    # ...and an EXPOSE with nothing else to say still counts
    assert check(tmp_path / "bare", RUNTIME + "EXPOSE 3000\nCMD [\"dist/index.js\"]\n")


def test_a_started_file_named_for_stdio(tmp_path):
    assert not check(tmp_path, "FROM node:22-alpine\nEXPOSE 3001\nCMD [\"node\", \"dist/server-stdio.js\"]\n")
    [finding] = check(tmp_path / "http", "FROM node:22-alpine\nCMD [\"node\", \"dist/http-server.js\"]\n")
    assert "`dist/http-server.js` in the start command" in finding.message


def test_a_transport_variable_default_in_the_start_command(tmp_path):
    cmd = "CMD [\"sh\", \"-c\", \"srv --transport ${MCP_TRANSPORT:-stdio} --host ${MCP_HOST:-127.0.0.1} --port ${PORT:-8080}\"]\n"
    assert not check(tmp_path, "FROM python:3.12-slim\nEXPOSE 8080\n" + cmd)
    # the image's own ENV sets the variable: that value is what runs
    [finding] = check(tmp_path / "env", "FROM python:3.12-slim\nENV MCP_TRANSPORT=http\nEXPOSE 8080\n" + cmd)
    assert "`--transport http` in the start command" in finding.message


def test_the_branch_of_a_shell_if_the_image_env_does_not_take(tmp_path):
    entrypoint = ('ENTRYPOINT if [ "$APP_TRANSPORT" = "http" ]; then exec node /app/cli.js --transport http --port 8080; '
                  'else exec node /app/cli.js; fi\n')
    assert not check(tmp_path, "FROM node:22-alpine\nENV APP_TRANSPORT=stdio\nEXPOSE 8080\n" + entrypoint,
                     {"src/cli.ts": "new StdioServerTransport();\nnew StreamableHTTPServerTransport({});\n"})
    assert check(tmp_path / "http", "FROM node:22-alpine\nENV APP_TRANSPORT=http\n" + entrypoint)


def test_a_stdio_server_wrapped_for_the_network_listens(tmp_path):
    code = {"src/index.ts": "new StdioServerTransport();\n"}
    [finding] = check(tmp_path, "FROM node:22-alpine\nEXPOSE 8080\nCMD [\"npx\", \"mcp-proxy\", \"node\", \"dist/index.js\"]\n", code)
    assert "`mcp-proxy` in the start command serves the server over the network" in finding.message
    assert check(tmp_path / "sg", "FROM node:22-alpine\nCMD [\"supergateway\", \"--stdio\", \"srv\", \"--outputTransport\", "
                                  "\"streamableHttp\", \"--port\", \"8000\"]\n", code)


def test_a_named_stdio_transport_outweighs_port_flags_for_the_other_mode(tmp_path):
    assert not check(tmp_path, "FROM python:3.12-slim\nEXPOSE 8000\nCMD [\"uv\", \"run\", \"src/main.py\", \"start\", "
                               "\"--transport\", \"stdio\", \"--host\", \"0.0.0.0\"]\n")
