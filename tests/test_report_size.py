"""Reports a person can read whatever the repository: the same weakness in many places is one
entry with its places listed once, documentation examples come after the files that ship, and
the Markdown report stays under GitHub's comment limit (a summary table, the most severe
findings, the rest under <details>, and a line saying what was left out)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from conftest import run_cli, write_tree

ROOT_DOCKERFILE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n'
SNIPPET = "```sh\ndocker run -p 8080:8080 -v /var/run/docker.sock:/var/run/docker.sock example/server:1\n```\n"
SERVICES_PER_FILE = 8
COMPOSE_FILES = 150


def compose(number: int) -> str:
    """Services with names of their own (so their findings do not group), each published on
    every interface, as root, with no hardening: about ten findings a service."""
    services = "".join(
        f"  svc{number}x{index}:\n    image: example/svc{number}x{index}:1\n    user: root\n"
        f"    ports: [\"{9000 + index}:{9000 + index}\"]\n    volumes: [\"/etc:/host-etc\"]\n"
        for index in range(SERVICES_PER_FILE))
    return f"services:\n{services}"


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    files = {f"stack{n}/compose.yaml": compose(n) for n in range(COMPOSE_FILES)}
    files.update({f"svc{n}/Dockerfile": ROOT_DOCKERFILE for n in range(40)})
    files["README.md"] = "# Server\n\n" + "Run it:\n\n".join(SNIPPET for _ in range(12))
    write_tree(root, files)
    return root


@pytest.fixture(scope="module")
def findings(big):
    document = json.loads(run_cli("scan", str(big), "--format", "json", "--fail-on", "never").stdout)
    return document["findings"]


def test_a_generated_repository_has_thousands_of_findings(findings):
    assert len(findings) > 5000


def test_markdown_stays_under_the_comment_limit_and_says_what_it_left_out(big, findings):
    out = run_cli("scan", str(big), "--format", "markdown", "--fail-on", "never").stdout
    assert len(out) < 60_000 and len(out.encode("utf-8")) < 60_000
    assert "| Rule | Severity | Findings | Places in files that ship | Places in documentation |" in out
    summary = {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4))) for m in re.finditer(
        r"^\| \[`([a-z-]+)`\]\([^)]*\) \| \S+ \w+ \| (\d+) \| (\d+) \| (\d+) \|$", out, re.M)}
    by_rule = Counter(f["rule_id"] for f in findings)
    assert summary["sensitive-host-mount"][:2] == (by_rule["sensitive-host-mount"],) * 2  # every place counted
    assert summary["docker-socket-mount"] == (12, 0, 12)  # only the README snippets hold it
    assert "### Most severe findings" in out and "<details><summary>" in out
    left = re.search(r"_(\d+) more findings \((\d+) places\) are left out to keep this report under 60,000 characters", out)
    assert left and int(left.group(1)) > 100
    # The most severe first: no LOW row before the last HIGH row of files that ship.
    rows = [line for line in out.splitlines() if line.startswith(("| 🟣", "| 🔴", "| 🟠", "| 🟡", "| 🔵"))]
    severities = [row.split("|")[1].split()[1] for row in rows if "(documentation)" not in row]
    assert severities == sorted(severities, key=["critical", "high", "medium", "low", "info"].index)


def test_markdown_of_a_small_repository_is_whole(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE, "README.md": SNIPPET})
    out = run_cli("scan", str(tmp_path), "--format", "markdown", "--fail-on", "never").stdout
    assert "left out" not in out and "<details>" not in out
    rows = [line for line in out.splitlines() if line.startswith(("| 🟣", "| 🔴", "| 🟠", "| 🟡", "| 🔵"))]
    documentation = [index for index, row in enumerate(rows) if "(documentation)" in row]
    shipped = [index for index, row in enumerate(rows) if "(documentation)" not in row]
    assert documentation and shipped and max(shipped) < min(documentation)  # the README's HIGH comes after the Dockerfile's LOW


def test_text_gathers_one_weakness_in_many_places(big, findings):
    out = run_cli("scan", str(big), "--fail-on", "never").stdout
    # 40 identical Dockerfiles: one root-user entry, its places listed once.
    assert out.count("the image has no USER, and its base image node:20 runs as root by default") == 1
    assert "in 40 places: svc0/Dockerfile:1, svc1/Dockerfile:1, " in out and "and 28 more places" in out
    # The README's twelve snippets: one socket entry, in the documentation part, after every file that ships.
    documentation = out.index("In documentation (README and docs examples")
    # CRITICAL: the snippets publish a port beside the socket.
    socket = [m.start() for m in re.finditer(r"(?:HIGH|CRITICAL) +docker-socket-mount", out)]
    assert len(socket) == 1 and socket[0] > documentation
    assert "in 12 places: README.md:" in out
    assert out.index("stack99/compose.yaml") < documentation
    # A rule's why and fix once per target, not once per entry.
    assert out.count("why: A compromised server running as root") == 1


def test_json_keeps_every_place_and_a_group_key(findings):
    roots = [f for f in findings if f["rule_id"] == "root-user" and f["path"].endswith("Dockerfile")]
    assert len(roots) == 40 and len({f["group"] for f in roots}) == 1
    services = [f for f in findings if f["rule_id"] == "sensitive-host-mount"]
    assert len({f["group"] for f in services}) == len(services)  # each service's own message: its own group
    socket = {f["group"] for f in findings if f["rule_id"] == "docker-socket-mount"}
    assert len(socket) == 1


def test_markdown_stays_under_the_limit_with_long_names_and_messages(tmp_path):
    """Long folder names and long messages (a service name of 900 characters in each of 150
    compose files) cannot push the report over the limit: cells are clipped, rows that do not fit
    are counted in the line that says what was left out."""
    files = {f"{'deep-folder-' * 15}{n}/compose.yaml": f"services:\n  {'s' * 900}{n}:\n    image: x:1\n    privileged: true\n"
             for n in range(150)}
    write_tree(tmp_path, files)
    out = run_cli("scan", str(tmp_path), "--format", "markdown", "--fail-on", "never").stdout
    assert len(out.encode("utf-8")) < 60_000
    assert re.search(r"_\d+ more findings \(\d+ places\) are left out", out)
    assert "s …" in out  # a clipped message


def test_markdown_caps_a_long_list_of_files_not_scanned(tmp_path):
    # YAML keys over 1,024 characters do not parse: 150 long notices, each naming a long path.
    files = {f"{'deep-folder-' * 15}{n}/compose.yaml": f"services:\n  {'s' * 2000}{n}:\n    image: x:1\n" for n in range(150)}
    write_tree(tmp_path, files)
    out = run_cli("scan", str(tmp_path), "--format", "markdown", "--fail-on", "never").stdout
    assert len(out.encode("utf-8")) < 60_000
    # The broken files are parse errors (shown in view) or files not read (folded): each list is capped.
    assert re.search(r"- _\d+ more files (?:not scanned|that do not parse) left out to keep this report short_", out)
    assert out.count("<details>") == out.count("</details>")  # every fold closed, whatever was cut
