"""`mcpharden serve` treats its clients and the folders it reads as hostile: paths are
confined race-free (a folder swapped for a symlink mid-call leads nowhere, a FIFO blocks
nothing), one client cannot starve another, a cancelled call's scan stops, and an over-size
stdio message is refused without being held. The repository reader the CLI uses is the same
mechanism, so the CLI is held to it too."""

from __future__ import annotations

import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp_types import Implementation

from conftest import run_cli, write_tree
from imagebuilder import Entry, Image, docker_archive_oci, layer, oci_layout
from test_fix_registry import _free_port
from test_serve import server_command, stdio, text_of

INSIDE = {
    "sub/Dockerfile": "FROM node:22\nEXPOSE 3000\nCMD [\"node\", \"index.js\"]\n",
    "sub/compose.yaml": "services:\n  insider:\n    image: insider:1\n    privileged: true\n",
}


def outside_tree(path: Path, marker: str) -> Path:
    """What lies outside the root: the same layout as inside, every file naming `marker`."""
    return write_tree(path, {
        "Dockerfile": f"FROM registry.example/{marker}:1\nEXPOSE 3000\n",
        "compose.yaml": f"services:\n  {marker}:\n    image: {marker}:1\n    privileged: true\n",
        ".mcpharden.toml": f"{marker} = true\n",  # an unknown setting is named in the error
    })


class Flipper:
    """Swaps root/sub between its real folder and a symlink to a folder outside, as fast as
    it can, while calls run."""

    def __init__(self, root: Path, outside: Path) -> None:
        self.sub, self.parked, self.link = root / "sub", root / ".parked", root / ".link"
        self.link.symlink_to(outside, target_is_directory=True)
        self.stop = threading.Event()
        self.flips = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            os.rename(self.sub, self.parked)
            os.rename(self.link, self.sub)  # sub -> outside
            time.sleep(0.0005)
            os.rename(self.sub, self.link)
            os.rename(self.parked, self.sub)  # sub is the real folder again
            time.sleep(0.0005)
            self.flips += 1

    def __enter__(self) -> "Flipper":
        self.thread.start()
        return self

    def __exit__(self, *_exception) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


# Paths confined race-free ------------------------------------------------------------------


def test_a_folder_swapped_for_a_symlink_mid_call_never_shows_what_is_outside(tmp_path):
    marker = "outsider" + uuid.uuid4().hex[:12]
    root = write_tree(tmp_path / "root", INSIDE)
    outside = outside_tree(tmp_path / "outside", marker)
    for folder, name in ((root / "sub", "insider"), (outside, marker)):  # images too, named as their side
        image = Image([layer(Entry("bin/", kind="dir", mode=0o755), Entry("bin/sh", b"\x7fELF", mode=0o755))], {},
                      tag=f"{name}/app:1")
        docker_archive_oci(folder / "image.tar", image)
        oci_layout(folder / "layout", image)
    calls = [("scan_path", {"path": "sub"}), ("scan_path", {"path": "sub/Dockerfile"}),
             ("scan_path", {"path": "sub/compose.yaml"}), ("scan_path", {"path": str(root / "sub")}),
             ("scan_path", {"path": "."}), ("preview_fix", {"path": "sub"}),
             ("audit_image", {"path": "sub/image.tar"}), ("audit_image", {"path": "sub/layout"})]
    answers: list[str] = []

    async def go():
        async with Client(stdio(root), read_timeout_seconds=120) as client:
            async def one(name, arguments):
                result = await client.call_tool(name, arguments)
                answers.append(text_of(result) + json.dumps(result.structured_content or {}))

            with Flipper(root, outside) as flipper:
                for _ in range(40):
                    async with anyio.create_task_group() as group:
                        for name, arguments in calls:
                            group.start_soon(one, name, arguments)
            return flipper.flips

    flips = anyio.run(go)
    assert flips > 100 and len(answers) == 40 * len(calls)
    leaked = [answer for answer in answers if marker in answer]
    assert not leaked, f"{len(leaked)} of {len(answers)} answers show the outside folder: {leaked[0][:500]}"
    assert sum("insider:1" in answer for answer in answers) >= 20  # the race did not only refuse
    assert sum("insider/app:1" in answer for answer in answers) >= 10


def test_the_cli_scan_reads_nothing_through_a_folder_swapped_during_the_scan(tmp_path):
    """The same mechanism as serve: scan_target reads through descriptors below the root."""
    from mcpharden.model.findings import fail_threshold
    from mcpharden.reports import Report, render
    from mcpharden.scan import ScanOptions, scan_target

    marker = "outsider" + uuid.uuid4().hex[:12]
    root = write_tree(tmp_path / "root", INSIDE)
    outside = outside_tree(tmp_path / "outside", marker)
    shown = []
    with Flipper(root, outside):
        for _ in range(150):
            result = scan_target(root, ScanOptions())
            shown.append(render("json", Report(version="t", results=(result,), fail_on=fail_threshold("high"))))
    assert not [text for text in shown if marker in text]
    assert sum("insider:1" in text for text in shown) >= 20


def test_a_compose_include_through_a_symlinked_folder_out_of_the_repository_is_not_read(tmp_path):
    """An include (or any indirection) names a file below a folder that is a symlink out:
    that path is not read, whatever its last component is."""
    marker = "outsider" + uuid.uuid4().hex[:12]
    outside = outside_tree(tmp_path / "outside", marker)
    repo = write_tree(tmp_path / "repo", {"compose.yaml": "include:\n  - elsewhere/compose.yaml\nservices:\n  app:\n    image: app:1\n"})
    (repo / "elsewhere").symlink_to(outside, target_is_directory=True)
    done = run_cli("scan", str(repo), "--format", "json", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert marker not in done.stdout
    notices = {notice["path"]: notice["message"] for notice in json.loads(done.stdout)["notices"]}
    assert "outside the scanned directory" in notices["elsewhere/compose.yaml"]


def test_symlinks_that_stay_inside_are_still_followed(tmp_path):
    """Confinement does not cost what the reader followed before: relative and absolute links
    that stay below the root, through folders too."""
    from mcpharden.scan import ScanOptions, scan_target

    repo = write_tree(tmp_path / "repo", {"real/Dockerfile": "FROM node:22\n", "real/compose.yaml":
                                          "services:\n  app:\n    image: app:1\n    privileged: true\n"})
    (repo / "docker").mkdir()
    (repo / "docker" / "Dockerfile").symlink_to("../real/Dockerfile")
    (repo / "abs.Dockerfile").symlink_to(repo / "real" / "Dockerfile")
    (repo / "alias").symlink_to("real", target_is_directory=True)
    (repo / "compose.yaml").write_text("include:\n  - alias/compose.yaml\n")
    result = scan_target(repo, ScanOptions(select=("root-user", "privileged-container")))
    paths = {(f.rule_id, f.path) for f in result.findings}
    assert {("root-user", "docker/Dockerfile"), ("root-user", "abs.Dockerfile"),
            ("privileged-container", "alias/compose.yaml")} <= paths, paths


def test_a_fifo_inside_the_roots_is_a_tool_error_at_once(tmp_path):
    root = write_tree(tmp_path / "root", {"Dockerfile": "FROM node:22\n"})
    os.mkfifo(root / "image.tar")
    os.mkfifo(root / "Containerfile")

    async def go():
        async with Client(stdio(root), read_timeout_seconds=120) as client:
            with anyio.fail_after(60):  # a FIFO opened for reading waits for a writer forever
                answers = [await client.call_tool(name, arguments) for name, arguments in [
                    ("audit_image", {"path": "image.tar"}), ("audit_image", {"path": "image.tar"}),
                    ("audit_image", {"path": "image.tar"}), ("audit_image", {"path": "image.tar"}),
                    ("audit_image", {"path": "image.tar"}), ("scan_path", {"path": "Containerfile"}),
                    ("preview_fix", {"path": "Containerfile"})]]
                after = await client.call_tool("scan_path", {"path": "Dockerfile"})
            return answers, after

    started = time.monotonic()
    answers, after = anyio.run(go)
    assert all(answer.is_error and "not a regular file" in text_of(answer) for answer in answers), \
        [text_of(answer) for answer in answers]
    assert not after.is_error and after.structured_content["summary"]["counts"]["high"] == 1
    assert time.monotonic() - started < 60


def test_audit_image_reads_a_layout_through_its_descriptor_and_no_blob_linked_out(tmp_path):
    root = tmp_path / "root"
    image = Image([layer(Entry("bin/", kind="dir", mode=0o755), Entry("bin/sh", b"\x7fELF", mode=0o755))], {})
    oci_layout(root / "layout", image)
    linked = oci_layout(root / "linked", image)
    index = json.loads((linked / "index.json").read_text())
    blob = linked / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]
    (tmp_path / "manifest.json").write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(tmp_path / "manifest.json")  # the same bytes, outside the root

    async def go():
        async with Client(stdio(root)) as client:
            return [await client.call_tool("audit_image", {"path": path}) for path in ("layout", "linked")]

    layout, refused = anyio.run(go)
    assert {"root-user", "shell-in-runtime-image"} <= {f["rule_id"] for f in layout.structured_content["findings"]}
    assert refused.is_error and "outside the layout" in text_of(refused)


def test_the_cli_image_command_refuses_a_fifo_instead_of_waiting(tmp_path):
    os.mkfifo(tmp_path / "image.tar")
    done = subprocess.run([sys.executable, "-m", "mcpharden", "image", str(tmp_path / "image.tar")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a regular file" in done.stderr and "Traceback" not in done.stderr


# One client cannot starve another ----------------------------------------------------------


def big_tree(root: Path, folders: int) -> Path:
    for index in range(folders):
        write_tree(root / f"s{index}", {"Dockerfile": f"FROM node:{index}\nRUN npm ci\nEXPOSE {3000 + index % 1000}\n",
                                       "compose.yaml": f"services:\n  s:\n    image: x:{index}\n    privileged: true\n"})
    return root


@pytest.fixture
def http_server(tmp_path):
    root = big_tree(tmp_path / "root" / "big", 1000).parent
    port = _free_port()
    process = subprocess.Popen(server_command(root) + ["--http", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "mcpharden serve --http did not start"
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/mcp"
    process.kill()
    process.wait(timeout=30)


def flood(url: str, mode: str, count: int) -> list[threading.Thread]:
    """One client sending `count` long tools/call requests at once, over raw HTTP from
    threads, so no client-side connection pool limits how many reach the server: one session
    of the handshake protocol ("legacy"), or one client by name at 2026-07-28 ("auto"), where
    each request stands alone."""
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    arguments = {"name": "scan_path", "arguments": {"path": "big", "rules": ["no-healthcheck"]}}
    if mode == "legacy":
        headers["MCP-Protocol-Version"] = "2025-06-18"
        hello = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "flooder", "version": "1"}}}
        with urllib.request.urlopen(urllib.request.Request(url, json.dumps(hello).encode(), headers), timeout=60) as answer:
            headers["Mcp-Session-Id"] = answer.headers["Mcp-Session-Id"]
            answer.read()
        ready = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        urllib.request.urlopen(urllib.request.Request(url, json.dumps(ready).encode(), headers), timeout=60).close()
    else:
        headers.update({"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "scan_path"})
        arguments["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                              "io.modelcontextprotocol/clientInfo": {"name": "flooder", "version": "1"},
                              "io.modelcontextprotocol/clientCapabilities": {}}

    def call(number: int) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": arguments}).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=600) as answer:
                answer.read()
        except (OSError, http.client.HTTPException):
            pass  # the server is stopped at the end of the test

    threads = [threading.Thread(target=call, args=(number,), daemon=True) for number in range(1, count + 1)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_many_long_calls_from_one_client_do_not_keep_another_waiting(http_server, mode):
    flood(http_server, mode, 48)  # more than the SDK's own thread pool (40) holds
    time.sleep(3)  # the flood is running

    async def go():
        async with Client(http_server, mode=mode, client_info=Implementation(name="other", version="1")) as other:
            started = time.monotonic()
            answer = await other.call_tool("scan_text", {"file_name": "Dockerfile", "content": "FROM node:22\n"})
            return answer, time.monotonic() - started

    answer, waited = anyio.run(go)
    assert not answer.is_error and answer.structured_content["summary"]["counts"]["high"] == 1
    assert waited < 20, f"the second client waited {waited:.1f} s"


def test_one_client_runs_a_bounded_number_of_calls_and_is_told_when_it_sends_too_many(http_server):
    async def go():
        async with Client(http_server, read_timeout_seconds=600) as client:
            answers = []

            async def one():
                answers.append(await client.call_tool("scan_path", {"path": "big", "rules": ["no-healthcheck"]}))

            async with anyio.create_task_group() as group:
                for _ in range(30):
                    group.start_soon(one)
                with anyio.fail_after(60):
                    while len(answers) < 30 - 18:  # 2 run and 16 wait; the rest is refused at once
                        await anyio.sleep(0.1)
                group.cancel_scope.cancel()
            return answers

    answers = anyio.run(go)
    assert all(answer.is_error and "too many calls at once" in text_of(answer) for answer in answers)


def test_a_cancelled_call_stops_its_scan(tmp_path, monkeypatch):
    """In process, to count the files the scan reads after the call was cancelled."""
    from mcpharden.serve import Roots, build_server
    from mcpharden.sources.discovery import RepoReader

    root = big_tree(tmp_path / "root" / "big", 1500).parent
    reads: list[float] = []
    original = RepoReader._read_bytes

    def counted(self, *arguments):
        reads.append(time.monotonic())
        return original(self, *arguments)

    monkeypatch.setattr(RepoReader, "_read_bytes", counted)
    server = build_server(Roots.of([str(root)]))

    async def go():
        async with Client(server) as client:
            async with anyio.create_task_group() as group:
                group.start_soon(client.call_tool, "scan_path", {"path": "big"})
                with anyio.fail_after(120):
                    while len(reads) < 200:  # cancel once the scan is well into reading files
                        await anyio.sleep(0.01)
                group.cancel_scope.cancel()
            cancelled = time.monotonic()
            await anyio.sleep(4)
            return cancelled

    cancelled = anyio.run(go)
    assert 200 <= len(reads) < 3000, len(reads)  # the scan had begun and did not finish (3000 files)
    late = [t for t in reads if t > cancelled + 1.0]
    assert not late, f"{len(late)} files read more than a second after the call was cancelled"


# Over-size stdio messages -------------------------------------------------------------------


def _peak_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")


def test_an_over_size_stdio_message_is_refused_without_being_held(tmp_path):
    root = write_tree(tmp_path / "root", {"Dockerfile": "FROM node:22\n"})
    process = subprocess.Popen(server_command(root), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()

    def send(message: dict) -> None:
        process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()

    def answer() -> dict:
        return json.loads(lines.get(timeout=120))

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        assert answer()["id"] == 1
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        baseline = _peak_rss_bytes(process.pid)
        # 200 MB in one line, written as a stream: the test never holds it either.
        head = b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "scan_text", ' \
               b'"arguments": {"file_name": "Dockerfile", "content": "'
        process.stdin.write(head)
        block = b"# padding " * (1024 * 1024 // 10)
        for _ in range(200):
            process.stdin.write(block)
        process.stdin.write(b'"}}}\n')
        process.stdin.flush()
        refused = answer()
        assert refused["id"] == 7 and "larger than 8 MiB" in refused["error"]["message"], refused
        send({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {
            "name": "scan_text", "arguments": {"file_name": "Dockerfile", "content": "FROM node:22\n"}}})
        after = answer()
        assert after["id"] == 8 and after["result"]["structuredContent"]["summary"]["counts"]["high"] == 1
        peak = _peak_rss_bytes(process.pid)
        assert peak - baseline < 100 * 1024 * 1024, f"peak RSS grew by {(peak - baseline) // 2**20} MiB"
    finally:
        process.kill()
        process.wait(timeout=30)


def test_a_message_under_the_bound_is_served_as_before(tmp_path):
    """scan_text's own bound (1 MB) still answers: the stdio bound sits above it."""
    root = write_tree(tmp_path / "root", {"Dockerfile": "FROM node:22\n"})

    async def go():
        async with Client(stdio(root)) as client:
            # A megabyte of text that JSON escapes to six: the message is ~6 MB, under 8 MiB.
            big = await client.call_tool("scan_text", {"file_name": "Dockerfile", "content": "FROM node:22\n#" + "\x01" * 1_000_000})
            return big

    big = anyio.run(go)
    assert not big.is_error, text_of(big)


def test_reading_a_folder_as_a_file_is_a_notice_not_a_crash(tmp_path):
    """A reader asked for a path that is a folder (a start script named like a directory, a
    COPY source that is one) skips it with a notice: the scan goes on."""
    from mcpharden.sources.discovery import RepoReader

    (tmp_path / "start.sh").mkdir()
    reader = RepoReader(tmp_path)
    assert reader.read("start.sh") is None
    assert [n.message for n in reader.notices] == ["not a regular file: skipped"]
