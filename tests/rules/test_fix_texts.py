"""Fix texts use the finding's own values and its source's syntax: the port the finding is about,
`ports:` in compose, `-p` in a run line, and no port advice for the PID, IPC or cgroup namespaces."""

import json

import pytest

from conftest import run_cli, scan_files

COMPOSE = ("services:\n  srv:\n    image: example/srv:1\n    pid: host\n    ipc: host\n    cgroup: host\n"
           "    network_mode: host\n    ports: [\"3000:3000\"]\n  db:\n    image: postgres:17\n"
           "    environment: [POSTGRES_PASSWORD=postgres]\n    ports: [\"15432:5432\"]\n")


def fixes(tmp_path, files, rule):
    result = scan_files(tmp_path, files, select=(rule,))
    return {f.line: dict(f.details).get("fix") for f in result.findings}


def test_no_port_advice_for_the_pid_ipc_and_cgroup_namespaces(tmp_path):
    found = fixes(tmp_path, {"compose.yaml": COMPOSE}, "host-namespace-shared")
    assert found[4] == "Remove `pid: host`: the container gets its own namespace."
    assert found[5] == "Remove `ipc: host`: the container gets its own namespace."
    assert found[6] == "Remove `cgroup: host`: the container gets its own namespace."
    assert found[7].endswith("Publish only the server's port, on 127.0.0.1: `ports: [\"127.0.0.1:3000:3000\"]`.")


@pytest.mark.parametrize("files, expected", [
    ({"compose.yaml": "services:\n  web:\n    image: example/web:1\n    ports: [\"8443:443\"]\n"}, "`ports: [\"127.0.0.1:8443:443\"]`"),
    ({"run.sh": "#!/bin/sh\ndocker run -p 9000:9000 example/x:1\n"}, "`-p 127.0.0.1:9000:9000`"),
    ({".cursor/mcp.json": json.dumps({"mcpServers": {"s": {"command": "docker", "args": ["run", "-i", "-p", "7000:70", "x/y:1"]}}})},
     "`\"-p\", \"127.0.0.1:7000:70\"` in `args`"),
])
def test_the_port_fix_names_the_port_in_its_source_syntax(tmp_path, files, expected):
    [fix] = fixes(tmp_path, files, "port-exposed-on-all-interfaces").values()
    assert expected in fix


def test_a_default_login_fix_names_its_own_port(tmp_path):
    [fix] = fixes(tmp_path, {"compose.yaml": COMPOSE}, "default-credentials-exposed").values()
    assert fix.startswith("Publish it on the loopback address: `ports: [\"127.0.0.1:15432:5432\"]`")


def test_the_reports_show_the_finding_s_own_fix(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\ndocker run --pid host -p 9000:9000 example/x:1\n")
    document = json.loads(run_cli("scan", str(tmp_path), "--select", "host-namespace-shared,port-exposed-on-all-interfaces",
                                  "--format", "json", "--fail-on", "never").stdout)
    by_rule = {f["rule_id"]: f["fix"] for f in document["findings"]}
    assert by_rule == {"host-namespace-shared": "Remove `--pid host`: the container gets its own namespace.",
                       "port-exposed-on-all-interfaces": "Publish it on the loopback address: `-p 127.0.0.1:9000:9000`."}
    text = run_cli("scan", str(tmp_path), "--select", "host-namespace-shared", "--fail-on", "never").stdout
    assert "fix: Remove `--pid host`: the container gets its own namespace." in text and "127.0.0.1" not in text
