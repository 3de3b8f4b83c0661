"""`mcpharden fix` on compose files and MCP client configurations."""

import json

from conftest import run_cli, write_tree
from mcpharden.fixes.plan import plan_fixes
from mcpharden.scan import ScanOptions, scan_target

PIN = "@sha256:" + "e" * 64
HARDENING = ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed")


def fixed(tmp_path, files, path):
    write_tree(tmp_path, files)
    report = plan_fixes(tmp_path, ScanOptions(), {})
    plan = next(p for p in report.plans if p.path == path)
    return plan.fixed_text(), report


def test_compose_service_gets_hardening_lines_and_keeps_comments(tmp_path):
    compose = f"# stack\nservices:\n  mcp:   # the server\n    image: ghcr.io/acme/mcp{PIN}\n    user: '1000'\n"
    text, _ = fixed(tmp_path, {"compose.yaml": compose}, "compose.yaml")
    assert text.splitlines() == [
        "# stack", "services:", "  mcp:   # the server",
        "    cap_drop:", "      - ALL", "    security_opt:", "      - no-new-privileges:true",
        "    read_only: true", "    tmpfs:", "      - /tmp",
        f"    image: ghcr.io/acme/mcp{PIN}", "    user: '1000'",
    ]
    (tmp_path / "compose.yaml").write_text(text)
    assert not [f for f in scan_target(tmp_path, ScanOptions(select=HARDENING)).findings]
    assert not plan_fixes(tmp_path, ScanOptions(), {}).plans  # idempotent


def test_compose_read_only_false_is_flipped_with_a_tmpfs(tmp_path):
    compose = f"services:\n  mcp:\n    image: a{PIN}\n    read_only: false\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n"
    text, _ = fixed(tmp_path, {"compose.yaml": compose}, "compose.yaml")
    assert "    read_only: true" in text.splitlines() and "      - /tmp" in text.splitlines()


def test_images_that_step_down_from_root_are_left_to_a_person(tmp_path):
    write_tree(tmp_path, {"compose.yaml": f"services:\n  db:\n    image: postgres:16{PIN}\n"})
    report = plan_fixes(tmp_path, ScanOptions(), {})
    assert "switches user in its entrypoint" in " ".join(d.message for d in report.decisions)
    assert "no-new-privileges:true" in report.plans[0].fixed_text()  # that one is safe


def test_client_config_flags_go_after_run_and_comments_stay(tmp_path):
    config = '{\n  // mine\n  "servers": {\n    "gh": {\n      "command": "docker",\n      "args": ["run", "-i", "img' + PIN + '"],\n    },\n  },\n}\n'
    text, _ = fixed(tmp_path, {".vscode/mcp.json": config}, ".vscode/mcp.json")
    assert '"args": ["run", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only", "--tmpfs", "/tmp", "-i",' in text
    assert "// mine" in text and text.count("\n") == config.count("\n")
    (tmp_path / ".vscode/mcp.json").write_text(text)
    assert not scan_target(tmp_path, ScanOptions(select=HARDENING)).findings


def test_codex_toml_is_fixed_in_place(tmp_path):
    config = '[mcp_servers.db]\ncommand = "docker"\nargs = ["run", "-i", "mcp/sqlite' + PIN + '"]\n'
    text, _ = fixed(tmp_path, {".codex/config.toml": config}, ".codex/config.toml")
    assert text.splitlines()[2].startswith('args = ["run", "--cap-drop", "ALL"')


def test_dangerous_settings_are_decisions_not_edits(tmp_path):
    compose = f"services:\n  mcp:\n    image: a{PIN}\n    privileged: true\n    cap_drop: [ALL]\n    read_only: true\n    security_opt: [no-new-privileges:true]\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n      - ~/.ssh:/root/.ssh\n"
    write_tree(tmp_path, {"compose.yaml": compose})
    result = run_cli("fix", str(tmp_path))
    assert result.stdout == ""
    for rule, hint in (("docker-socket-mount", "socket proxy"), ("privileged-container", "drop privileged mode"), ("sensitive-host-mount", "project folder")):
        assert rule in result.stderr and hint in result.stderr
    assert (tmp_path / "compose.yaml").read_text() == compose


def test_documentation_is_not_edited(tmp_path):
    readme = "```sh\ndocker run -i mcp/x" + PIN + "\n```\n"
    write_tree(tmp_path, {"README.md": readme})
    report = plan_fixes(tmp_path, ScanOptions(), {})
    assert not report.plans and report.decisions
    assert json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)["findings"]


K8S = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: mcp
spec:
  template:
    spec:
      containers:
        - name: server   # main
          image: ghcr.io/acme/mcp{pin}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: true
        - name: sidecar
          image: ghcr.io/acme/side{pin}
"""


def test_kubernetes_security_context_is_completed_or_created(tmp_path):
    import yaml

    text, report = fixed(tmp_path, {"deploy.yaml": K8S.format(pin=PIN)}, "deploy.yaml")
    containers = yaml.safe_load(text)["spec"]["template"]["spec"]["containers"]
    for container in containers:
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert containers[0]["securityContext"]["runAsNonRoot"] is True and "# main" in text
    assert all("emptyDir volume at /tmp" in d.message for d in report.decisions if d.rule_id == "root-filesystem-writable")
    (tmp_path / "deploy.yaml").write_text(text)
    remaining = {f.rule_id for f in scan_target(tmp_path, ScanOptions(select=HARDENING)).findings}
    assert remaining == {"root-filesystem-writable"}
    assert not plan_fixes(tmp_path, ScanOptions(), {}).plans
