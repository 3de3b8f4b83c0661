"""`mcpharden serve` end to end: the official SDK's client over stdio and streamable HTTP,
and the MCP Inspector's command-line mode, against the real `mcpharden serve` process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from conftest import write_tree
from imagebuilder import Entry, Image, docker_archive_oci, layer
from test_fix_registry import _free_port

ROOT = Path(__file__).resolve().parent.parent
INSPECTOR = ROOT / ".tools" / "node_modules" / ".bin" / "mcp-inspector"
TOOLS = ["scan_path", "scan_text", "audit_image", "preview_fix", "list_rules", "explain_rule"]
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
INSECURE = {
    "repo/Dockerfile": "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\nEXPOSE 3000\nCMD [\"node\", \"index.js\"]\n",
    "repo/package.json": '{"devDependencies": {"typescript": "5"}}',
    "repo/.cursor/mcp.json": json.dumps({"mcpServers": {"gh": {"command": "docker", "args": [
        "run", "-i", "--rm", "-e", f"GITHUB_PERSONAL_ACCESS_TOKEN={TOKEN}", "-v", "/var/run/docker.sock:/var/run/docker.sock",
        "ghcr.io/github/github-mcp-server"]}}}),
}


def server_command(*roots: Path) -> list[str]:
    return [sys.executable, "-m", "mcpharden", "serve", *[arg for root in roots for arg in ("--root", str(root))]]


def stdio(*roots: Path) -> StdioServerParameters:
    command = server_command(*roots)
    return StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))


def call(server, name: str, arguments: dict):
    async def go():
        async with Client(server, read_timeout_seconds=120) as client:
            return await client.call_tool(name, arguments)

    return anyio.run(go)


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture
def repo(tmp_path) -> Path:
    write_tree(tmp_path / "roots", INSECURE)
    return tmp_path / "roots"


# stdio -------------------------------------------------------------------------------------


def test_tools_are_listed_by_their_exact_names(repo):
    async def go():
        async with Client(stdio(repo)) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    assert anyio.run(go) == TOOLS


def test_scan_path_returns_the_json_report_and_the_text_report(repo):
    result = call(stdio(repo), "scan_path", {"path": "repo"})
    assert not result.is_error
    document = result.structured_content
    rules = {finding["rule_id"] for finding in document["findings"]}
    assert {"root-user", "dev-dependencies-in-runtime", "docker-socket-mount", "secret-in-run-config"} <= rules
    assert document["summary"]["failed"] is True
    # The blast radius comes with the report: one card per server (the image built, the one the client runs).
    [built] = [card for card in document["cards"] if "Dockerfile" in card["sources"]]
    [run] = [card for card in document["cards"] if ".cursor/mcp.json" in card["sources"]]
    assert built["user"] == "root" and not built["engine_socket"]
    assert run["engine_socket"] and run["secret_names"] == ["GITHUB_PERSONAL_ACCESS_TOKEN"]
    assert "Summary:" in text_of(result) and "root-user" in text_of(result)
    # The gate that masks credential values covers both.
    assert TOKEN not in text_of(result) and TOKEN not in json.dumps(document)


def test_scan_path_takes_rules_and_a_fail_level(repo):
    # Severities in any case, as on the command line.
    result = call(stdio(repo), "scan_path", {"path": str(repo / "repo"), "rules": ["no-healthcheck"], "fail_on": "INFO"})
    document = result.structured_content
    assert {f["rule_id"] for f in document["findings"]} == {"no-healthcheck"}
    assert document["summary"]["fail_on"] == "info" and document["summary"]["failed"] is True


@pytest.mark.parametrize("path", ["/etc", "../..", "repo/../../..", "/", "~"])
def test_paths_outside_the_roots_are_refused(repo, path):
    result = call(stdio(repo), "scan_path", {"path": path})
    assert result.is_error and "outside the directories this server may read" in text_of(result)


def test_a_symlink_out_of_the_roots_is_refused(repo, tmp_path):
    outside = tmp_path / "outside"
    write_tree(outside, {"Dockerfile": "FROM node:22\n"})
    (repo / "escape").symlink_to(outside)
    for path in ("escape", "escape/Dockerfile"):
        result = call(stdio(repo), "scan_path", {"path": path})
        assert result.is_error and "outside the directories" in text_of(result), path


def test_several_roots(repo, tmp_path):
    second = tmp_path / "second"
    write_tree(second, {"Dockerfile": "FROM node:22\n"})
    result = call(stdio(repo, second), "scan_path", {"path": str(second / "Dockerfile"), "rules": ["root-user"]})
    assert [f["rule_id"] for f in result.structured_content["findings"]] == ["root-user"]


def test_scan_text_scans_a_file_given_inline(repo):
    result = call(stdio(repo), "scan_text", {"file_name": "Dockerfile", "content": "FROM node:22\nCMD [\"x\"]\n"})
    assert {f["rule_id"] for f in result.structured_content["findings"]} >= {"root-user", "full-os-base-image"}
    config = INSECURE["repo/.cursor/mcp.json"]
    result = call(stdio(repo), "scan_text", {"file_name": ".cursor/mcp.json", "content": config})
    findings = result.structured_content["findings"]
    assert {"docker-socket-mount", "secret-in-run-config"} <= {f["rule_id"] for f in findings}
    assert all(f["path"] == ".cursor/mcp.json" for f in findings)
    assert TOKEN not in text_of(result) + json.dumps(result.structured_content)


def test_scan_text_refuses_more_than_a_megabyte_and_keeps_serving(repo):
    async def go():
        async with Client(stdio(repo)) as client:
            huge = await client.call_tool("scan_text", {"file_name": "Dockerfile", "content": "#" * (1024 * 1024 + 1)})
            after = await client.call_tool("list_rules", {})
            return huge, after

    huge, after = anyio.run(go)
    assert huge.is_error and "at most 1 MB" in text_of(huge)
    assert not after.is_error and len(after.structured_content["result"]) >= 31


def test_malformed_arguments_are_tool_errors_and_the_server_goes_on(repo):
    async def go():
        async with Client(stdio(repo)) as client:
            answers = [await client.call_tool("scan_path", arguments) for arguments in (
                {"path": 5}, {}, {"path": "repo", "fail_on": "sometimes"}, {"path": "repo", "rules": ["no-such-rule"]},
                {"path": "does-not-exist"}, {"path": "repo\x00"},
            )]
            answers.append(await client.call_tool("explain_rule", {"rule_id": "root-user"}))
            return answers

    *errors, explained = anyio.run(go)
    assert all(answer.is_error for answer in errors)
    messages = [text_of(answer) for answer in errors]
    assert "sometimes" in messages[2] and "no-such-rule" in messages[3] and "no such file" in messages[4]
    assert not explained.is_error and "## What it does" in text_of(explained)


def test_preview_fix_shows_the_diff_and_never_writes(repo):
    before = (repo / "repo" / "Dockerfile").read_bytes()
    result = call(stdio(repo), "preview_fix", {"path": "repo"})
    diff = text_of(result)
    assert "+USER node" in diff and "Not fixed automatically" in diff
    assert TOKEN not in diff
    assert (repo / "repo" / "Dockerfile").read_bytes() == before
    assert not (repo / "repo" / ".github").exists()


def test_audit_image_reads_an_archive_inside_the_roots(repo):
    image = Image([layer(Entry("bin/", kind="dir", mode=0o755), Entry("bin/sh", b"\x7fELF", mode=0o755))], {})
    docker_archive_oci(repo / "image.tar", image)
    result = call(stdio(repo), "audit_image", {"path": "image.tar"})
    rules = {f["rule_id"] for f in result.structured_content["findings"]}
    assert {"root-user", "shell-in-runtime-image"} <= rules


def test_list_and_explain_rules(repo):
    listed = call(stdio(repo), "list_rules", {}).structured_content["result"]
    assert {"id": "root-user", "severity": "high", "title": listed[0]["title"]} in listed
    missing = call(stdio(repo), "explain_rule", {"rule_id": "root_user"})
    assert missing.is_error and "unknown rule" in text_of(missing)


def test_a_bad_root_is_a_usage_error(tmp_path):
    done = subprocess.run(server_command(tmp_path / "nowhere"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a directory" in done.stderr


# Streamable HTTP ---------------------------------------------------------------------------


@pytest.fixture
def http_server(repo):
    port = _free_port()
    process = subprocess.Popen(server_command(repo) + ["--http", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                assert answer.read() == b"ok\n"
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"mcpharden serve --http did not start: {process.stderr.read()}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(timeout=30)


def test_http_serves_the_same_tools(http_server, repo):
    result = call(http_server, "scan_path", {"path": "repo"})
    assert not result.is_error and result.structured_content["summary"]["failed"] is True
    refused = call(http_server, "scan_path", {"path": "/etc"})
    assert refused.is_error and "outside the directories" in text_of(refused)


def test_a_client_that_disconnects_mid_scan_leaves_the_server_serving(http_server, repo):
    # A repository large enough that its scan is still running when the client goes away.
    big = repo / "big"
    for index in range(400):
        write_tree(big / f"s{index}", {"Dockerfile": f"FROM node:{index}\nRUN npm ci\nEXPOSE {3000 + index}\n",
                                      "compose.yaml": f"services:\n  s:\n    image: x:{index}\n    privileged: true\n"})

    async def abandon():
        with anyio.move_on_after(0.3):
            async with Client(http_server) as client:
                await client.call_tool("scan_path", {"path": "big"})
        return True

    assert anyio.run(abandon)
    result = call(http_server, "scan_text", {"file_name": "Dockerfile", "content": "FROM node:22\n"})
    assert not result.is_error and result.structured_content["summary"]["counts"]["high"] == 1


def test_the_http_address_defaults_to_loopback():
    from mcpharden.serve import parse_address

    assert parse_address(":8080") == ("127.0.0.1", 8080)
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_address("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError):
        parse_address("localhost:http")


# The MCP Inspector's command-line mode --------------------------------------------------------


@pytest.fixture
def inspector():
    if not INSPECTOR.exists() or shutil.which("node") is None:
        pytest.skip("the MCP Inspector is not installed (make test installs it from npm when npm is there)")

    # The Inspector starts the server with a minimal environment: PYTHONPATH is passed on, so
    # that the server it runs is the code under test, not whatever mcpharden is installed.
    passed = [f"PYTHONPATH={os.environ['PYTHONPATH']}"] if os.environ.get("PYTHONPATH") else []

    def run(repo: Path, *arguments: str, failing: bool = False) -> dict:
        done = subprocess.run([str(INSPECTOR), "--cli", *[arg for value in passed for arg in ("-e", value)],
                               *server_command(repo), *arguments], capture_output=True, text=True, timeout=180)
        assert (done.returncode != 0) == failing, done.stderr  # the Inspector exits non-zero on a tool error
        return json.loads(done.stdout)

    return run


def test_inspector_lists_and_calls_the_tools(inspector, repo):
    listed = inspector(repo, "--method", "tools/list")
    assert [tool["name"] for tool in listed["tools"]] == TOOLS
    assert all(tool["annotations"]["readOnlyHint"] is True and tool["annotations"]["openWorldHint"] is False
               for tool in listed["tools"])
    called = inspector(repo, "--method", "tools/call", "--tool-name", "scan_path", "--tool-arg", "path=repo")
    assert called["structuredContent"]["summary"]["counts"]["high"] >= 2
    assert TOKEN not in json.dumps(called)
    refused = inspector(repo, "--method", "tools/call", "--tool-name", "scan_path", "--tool-arg", "path=/etc", failing=True)
    assert refused.get("isError") is True


def test_http_refuses_a_foreign_host_header_even_on_a_wildcard_address(repo):
    """DNS rebinding: a page on evil.example resolving to this machine must not reach the tools."""
    port = _free_port()
    process = subprocess.Popen(server_command(repo) + ["--http", f"0.0.0.0:{port}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        foreign = urllib.request.Request(f"http://127.0.0.1:{port}/mcp", data=body, headers={**headers, "Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(foreign, timeout=10)
        assert refused.value.code in (403, 421)
        local = urllib.request.Request(f"http://127.0.0.1:{port}/mcp", data=body, headers=headers)
        with urllib.request.urlopen(local, timeout=10) as answer:
            assert answer.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


# Annotations, pages, progress, budgets, the HTTP address ---------------------------------------


def test_every_tool_is_annotated_read_only_and_closed_world(repo):
    async def go():
        async with Client(stdio(repo)) as client:
            return (await client.list_tools()).tools

    for tool in anyio.run(go):
        annotations = tool.annotations
        assert annotations is not None, tool.name
        assert annotations.read_only_hint is True and annotations.destructive_hint is False, tool.name
        assert annotations.open_world_hint is False, tool.name  # no tool pulls from a registry or uses the network


def many_findings(root: Path) -> Path:
    """A repository whose report is far over one page: 80 services of their own, and a README."""
    files = {f"svc{n}/compose.yaml": f"services:\n  s{n}:\n    image: example/s{n}:1\n    privileged: true\n"
             f"    ports: [\"{3000 + n}:3000\"]\n" for n in range(80)}
    files["README.md"] = "```sh\ndocker run -v /var/run/docker.sock:/var/run/docker.sock example/x:1\n```\n"
    return write_tree(root, files)


def test_scan_path_answers_a_page_at_a_time(repo):
    many_findings(repo / "many")

    async def go():
        async with Client(stdio(repo)) as client:
            first = await client.call_tool("scan_path", {"path": "many"})
            pages = [first]
            while (offset := pages[-1].structured_content["page"]["next_offset"]) is not None:
                pages.append(await client.call_tool("scan_path", {"path": "many", "offset": offset, "limit": 200}))
            wrong = [await client.call_tool("scan_path", {"path": "many", **arguments})
                     for arguments in ({"limit": 0}, {"limit": 501}, {"offset": -1})]
            return pages, wrong

    pages, wrong = anyio.run(go)
    first = pages[0].structured_content
    total = first["page"]["total"]
    assert first["summary"]["total"] == total > 200  # the summary counts every finding, the page holds 50
    assert first["page"] == {"offset": 0, "limit": 50, "returned": 50, "total": total, "next_offset": 50, "notices_total": 0}
    assert len(first["findings"]) == 50 and "call again with offset=50" in text_of(pages[0])
    assert len(text_of(pages[0])) < 40_000
    listed = [finding for page in pages for finding in page.structured_content["findings"]]
    assert len(listed) == total and len({(f["rule_id"], f["path"], f["line"], f["message"]) for f in listed}) == total
    # Most severe first, files that ship before documentation.
    order = ["critical", "high", "medium", "low", "info"]
    shipped = [f for f in listed if not f["path"].endswith(".md")]
    assert listed[:len(shipped)] == shipped
    assert [order.index(f["severity"]) for f in shipped] == sorted(order.index(f["severity"]) for f in shipped)
    assert pages[-1].structured_content["page"]["next_offset"] is None
    assert all(answer.is_error for answer in wrong)
    assert "limit: a whole number from 1 to 500" in text_of(wrong[1]) and "offset" in text_of(wrong[2])


def test_a_scan_reports_its_progress(repo):
    many_findings(repo / "many")
    heard: list[tuple[float, float | None, str | None]] = []

    async def progress(value, total, message):
        heard.append((value, total, message))

    async def go():
        async with Client(stdio(repo)) as client:
            return await client.call_tool("scan_path", {"path": "many"}, progress_callback=progress)

    assert not anyio.run(go).is_error
    assert heard, "no progress notification"
    values = [value for value, _, _ in heard]
    assert values == sorted(values) and values[-1] >= 80  # every compose file read
    assert heard[-1][2].endswith("files read: done")


def budgeted(repo: Path, **environment: str) -> StdioServerParameters:
    command = server_command(repo)
    return StdioServerParameters(command=command[0], args=command[1:], env={**os.environ, **environment})


def test_a_scan_over_its_size_budget_answers_for_what_it_read(repo):
    many_findings(repo / "many")
    result = call(budgeted(repo, MCPHARDEN_SERVE_SCAN_MIB="0.004"), "scan_path", {"path": "many"})  # about 4 KB
    assert not result.is_error
    document = result.structured_content
    partial = document["partial"]
    assert partial["reason"] == "the scan used up its 0.004 MiB size budget"
    assert 0 < partial["files_read"] < 81 and partial["files_read"] + partial["files_not_read"] >= 81
    assert document["findings"], "the files read are judged"
    assert document["page"]["notices_total"] == partial["files_not_read"] and len(document["notices"]) <= 50
    assert all("not read: the scan had used up its 0.004 MiB size budget" in n["message"] for n in document["notices"])
    assert "PARTIAL: the scan used up its 0.004 MiB size budget" in text_of(result)
    # Within its budget, the answer is whole.
    whole = call(stdio(repo), "scan_path", {"path": "many"}).structured_content
    assert whole["partial"] is None and whole["summary"]["total"] > document["summary"]["total"]


def test_a_scan_over_its_time_budget_says_so(repo):
    result = call(budgeted(repo, MCPHARDEN_SERVE_SCAN_SECONDS="0.000001"), "scan_path", {"path": "repo"})
    assert not result.is_error
    assert result.structured_content["partial"]["reason"] == "the scan used up its 1e-06 s time budget"
    assert result.structured_content["partial"]["files_read"] == 0
    assert "PARTIAL" in text_of(result)


def test_a_budget_that_is_not_a_number_is_a_usage_error(repo):
    done = subprocess.run(server_command(repo), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "MCPHARDEN_SERVE_SCAN_SECONDS": "soon"})
    assert done.returncode == 2 and "MCPHARDEN_SERVE_SCAN_SECONDS=soon: give a positive number" in done.stderr


def test_http_prints_the_url_it_serves_at(repo):
    """Port 0: the system picks a free port, and the line printed at start-up is the only way to know it."""
    process = subprocess.Popen(server_command(repo) + ["--http", "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        assert line.startswith("mcpharden serve: MCP endpoint at http://127.0.0.1:"), line
        url = line.split(" at ")[1].split()[0]
        assert url.endswith("/mcp") and not url.endswith(":0/mcp")
        result = call(url, "scan_text", {"file_name": "Dockerfile", "content": "FROM node:22\n"})
        assert not result.is_error and result.structured_content["summary"]["counts"]["high"] == 1
    finally:
        process.terminate()
        process.wait(timeout=30)
