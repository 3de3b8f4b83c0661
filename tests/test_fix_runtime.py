"""`mcpharden fix` on compose files and MCP client configurations."""

import json

from conftest import run_cli, write_tree
from mcpharden.fixes.plan import plan_fixes
from mcpharden.scan import ScanOptions, scan_target

PIN = "@sha256:" + "e" * 64
HARDENING = ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed")


def fixed(tmp_path, files, path):
    write_tree(tmp_path, files)
    report = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
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
    assert not plan_fixes(tmp_path, ScanOptions(), {}, all_services=True).plans  # idempotent


def test_compose_read_only_false_is_a_decision_not_a_silent_flip(tmp_path):
    compose = f"services:\n  mcp:\n    image: a{PIN}\n    read_only: false  # writes its cache\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n"
    write_tree(tmp_path, {"compose.yaml": compose})
    report = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
    assert not report.plans
    assert any("`read_only: false` explicitly" in d.message for d in report.decisions)


def test_compose_tmpfs_that_exists_is_not_written_twice(tmp_path):
    compose = f"services:\n  mcp:\n    image: a{PIN}\n    tmpfs:\n      - /run\n    cap_drop: [ALL]\n"
    text, report = fixed(tmp_path, {"compose.yaml": compose}, "compose.yaml")
    assert text.count("tmpfs:") == 1 and "read_only" not in text
    assert any("`tmpfs` exists" in d.message for d in report.decisions)


def test_images_that_step_down_from_root_are_left_to_a_person(tmp_path):
    write_tree(tmp_path, {"compose.yaml": f"services:\n  db:\n    image: postgres:16{PIN}\n"})
    report = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
    assert "it is PostgreSQL, which switches users at start" in " ".join(d.message for d in report.decisions)
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
    report = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
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
        - name: sidecar
          image: ghcr.io/acme/side{pin}
"""


def test_kubernetes_security_context_is_completed_or_created(tmp_path):
    import yaml

    text, report = fixed(tmp_path, {"deploy.yaml": K8S.format(pin=PIN)}, "deploy.yaml")
    pod = yaml.safe_load(text)["spec"]["template"]["spec"]
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert {"name": "mcpharden-tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert pod["volumes"] == [{"name": "mcpharden-tmp", "emptyDir": {}}]
    assert pod["containers"][0]["securityContext"]["runAsNonRoot"] is True and "# main" in text
    (tmp_path / "deploy.yaml").write_text(text)
    assert not scan_target(tmp_path, ScanOptions(select=HARDENING)).findings
    assert not plan_fixes(tmp_path, ScanOptions(), {}, all_services=True).plans


def test_kubernetes_compact_lists_and_existing_volumes(tmp_path):
    import yaml

    manifest = f"""apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: s
    image: a{PIN}
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    emptyDir: {{}}
"""
    text, _ = fixed(tmp_path, {"pod.yaml": manifest}, "pod.yaml")
    pod = yaml.safe_load(text)["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["mcpharden-tmp", "data"]
    assert [m["mountPath"] for m in pod["containers"][0]["volumeMounts"]] == ["/tmp", "/data"]


def test_non_root_user_where_the_image_has_one(tmp_path):
    compose = f"services:\n  app:\n    image: node:22{PIN}\n    read_only: true\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n"
    text, _ = fixed(tmp_path, {"compose.yaml": compose}, "compose.yaml")
    assert '    user: "node"' in text.splitlines()
    config = '{"mcpServers": {"d": {"command": "docker", "args": ["run", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "gcr.io/distroless/nodejs22-debian12' + PIN + '"]}}}\n'
    text, report = fixed(tmp_path / "c", {".cursor/mcp.json": config}, ".cursor/mcp.json")
    assert '["run", "--user", "65532:65532", "--read-only"' in text
    (tmp_path / "c" / ".cursor/mcp.json").write_text(text)
    assert not scan_target(tmp_path / "c", ScanOptions(select=("root-user",))).findings


def test_explicit_root_and_unknown_images_are_decisions(tmp_path):
    compose = f"services:\n  a:\n    image: python:3.12{PIN}\n  b:\n    image: node:22{PIN}\n    user: root\n"
    write_tree(tmp_path, {"compose.yaml": compose})
    report = plan_fixes(tmp_path, ScanOptions(select=("root-user",)), {}, all_services=True)
    messages = sorted(d.message for d in report.decisions)
    assert "no known non-root user in python:3.12" in messages[0] and "asks for root explicitly" in messages[1]
    assert not report.plans


def test_kubernetes_explicit_settings_are_decisions_and_the_rest_is_added(tmp_path):
    import yaml

    manifest = K8S.format(pin=PIN).replace("            runAsNonRoot: true\n",
                                           "            runAsNonRoot: true\n            readOnlyRootFilesystem: false  # writes /var/cache\n")
    text, report = fixed(tmp_path, {"deploy.yaml": manifest}, "deploy.yaml")
    context = yaml.safe_load(text)["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert context["readOnlyRootFilesystem"] is False and context["allowPrivilegeEscalation"] is False
    assert "# writes /var/cache" in text
    assert any("`readOnlyRootFilesystem: false` explicitly" in d.message for d in report.decisions)


COMPACT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: mcp}}
spec:
  template:
    spec:
      containers:
      - securityContext:
          runAsNonRoot: true
        name: first
        image: ghcr.io/acme/mcp{pin}
      - name: second
        image: ghcr.io/acme/side{pin}
        ports:
        - containerPort: 6379
        volumeMounts:
        - name: config
          mountPath: /etc/app
        securityContext:
          runAsNonRoot: true
      volumes:
      - name: config
        configMap: {{name: app}}
"""


def _duplicate_keys(text: str) -> list[str]:
    import yaml

    found = []

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value]
            found.extend(k for k in set(keys) if keys.count(k) > 1)
            for _, value in node.value:
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for value in node.value:
                walk(value)

    for document in yaml.compose_all(text):
        walk(document)
    return found


def test_kubernetes_merges_into_the_keys_wherever_they_sit(tmp_path):
    import yaml

    text, _ = fixed(tmp_path, {"deploy.yaml": COMPACT.format(pin=PIN)}, "deploy.yaml")
    assert _duplicate_keys(text) == []
    pod = yaml.safe_load(text)["spec"]["template"]["spec"]
    for container in pod["containers"]:
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert container["securityContext"]["runAsNonRoot"] is True
    assert {"name": "config", "mountPath": "/etc/app"} in pod["containers"][1]["volumeMounts"]
    (tmp_path / "deploy.yaml").write_text(text)
    assert not plan_fixes(tmp_path, ScanOptions(), {}, all_services=True).plans  # a second run changes nothing


def test_unusual_spacing_and_bare_dashes_are_still_fixed(tmp_path):
    import yaml

    unusual = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec :\n  containers :\n    -\n      name : app\n"
               f"      image : ghcr.io/acme/mcp{PIN}\n")
    text, _ = fixed(tmp_path, {"pod.yaml": unusual}, "pod.yaml")
    pod = yaml.safe_load(text)["spec"]
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["volumes"] == [{"name": "mcpharden-tmp", "emptyDir": {}}]


def test_a_manifest_the_line_editor_cannot_place_is_left_to_a_person(tmp_path):
    unusual = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: app\n"
               f"      image: ghcr.io/acme/mcp{PIN}\n      securityContext: {{runAsNonRoot: true}}\n")
    write_tree(tmp_path, {"pod.yaml": unusual})
    report = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
    assert not report.plans
    assert any("checked" in d.message for d in report.decisions)


def test_published_ports_are_bound_to_loopback_where_a_line_edit_can_say_it(tmp_path):
    compose = (f"services:\n  app:\n    image: a{PIN}\n    ports:\n      - \"8080:8080\"\n      - 0.0.0.0:9000:9000/udp\n"
               "      - \"127.0.0.1:7000:7000\"\n      - target: 80\n        published: 8081\n")
    write_tree(tmp_path, {"compose.yaml": compose})
    report = plan_fixes(tmp_path, ScanOptions(select=("port-exposed-on-all-interfaces",)), {}, all_services=True)
    text = report.plans[0].fixed_text()
    assert '      - "127.0.0.1:8080:8080"\n      - 127.0.0.1:9000:9000/udp\n      - "127.0.0.1:7000:7000"\n' in text
    assert [d.line for d in report.decisions] == [8]  # the long syntax is left to a person
    (tmp_path / "compose.yaml").write_text(text)
    assert len(scan_target(tmp_path, ScanOptions(select=("port-exposed-on-all-interfaces",))).findings) == 1


def test_client_config_ports_are_bound_to_loopback(tmp_path):
    config = '{"mcpServers": {"a": {"command": "docker", "args": ["run", "-i", "-p", "3000:3000", "img' + PIN + '"]}}}\n'
    text, _ = fixed(tmp_path, {".cursor/mcp.json": config}, ".cursor/mcp.json")
    assert '"-p", "127.0.0.1:3000:3000"' in text
