"""Every source of ContainerSpecs, every flag spelling, with line numbers."""

import pytest

from conftest import scan_files, write_tree
from mcpharden.knowledge.clients import ClientFile
from mcpharden.sources.clients import parse_client_file
from mcpharden.sources.compose import parse_compose
from mcpharden.sources.kubernetes import HelmTemplate, parse_manifests
from mcpharden.sources.runargs import parse_run, run_arguments
from mcpharden.sources.runlines import specs_in_file


def run(*words):
    arguments = run_arguments(["docker", "run", *words])
    assert arguments is not None
    return parse_run(arguments, "x.sh", "docker-run", 1)


# docker run ----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["docker", "run", "img"], ["podman", "run", "img"], ["docker", "container", "run", "img"],
    ["/usr/local/bin/docker", "--context", "remote", "run", "img"], ["docker.exe", "run", "img"],
])
def test_run_commands_are_recognized(argv):
    assert run_arguments(argv)[-1] == "img"


def test_not_a_run_command():
    assert run_arguments(["docker", "build", "."]) is None
    assert run_arguments(["npx", "run", "x"]) is None


@pytest.mark.parametrize("flags", [
    ["-v", "/var/run/docker.sock:/var/run/docker.sock"],
    ["--volume", "/var/run/docker.sock:/var/run/docker.sock"],
    ["--volume=/var/run/docker.sock:/var/run/docker.sock:ro"],
    ["-v/var/run/docker.sock:/var/run/docker.sock"],
    ["-itv", "/var/run/docker.sock:/var/run/docker.sock"],
    ["--mount", "type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock"],
    ["--mount", "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock,readonly"],
    ["--mount=type=bind,source=/var/run/docker.sock,destination=/sock"],
])
def test_volume_spellings(flags):
    spec = run(*flags, "img")
    assert [m.source for m in spec.mounts] == ["/var/run/docker.sock"]
    assert spec.image.written == "img"


@pytest.mark.parametrize("flags, expected", [
    (["-u", "0"], "0"), (["--user", "root"], "root"), (["--user=1000:1000"], "1000:1000"), (["-u0"], "0"),
])
def test_user_spellings(flags, expected):
    assert run(*flags, "img").user == expected


@pytest.mark.parametrize("flags", [
    ["--security-opt", "no-new-privileges"], ["--security-opt", "no-new-privileges=true"],
    ["--security-opt=no-new-privileges:true"],
])
def test_no_new_privileges_spellings(flags):
    assert run(*flags, "img").no_new_privileges


def test_no_new_privileges_false_is_not_set():
    assert not run("--security-opt", "no-new-privileges=false", "img").no_new_privileges


@pytest.mark.parametrize("flags, field", [
    (["--network", "host"], "host_network"), (["--net=host"], "host_network"), (["--pid=host"], "host_pid"),
    (["--ipc", "host"], "host_ipc"), (["--privileged"], "privileged"), (["--read-only"], "read_only_root"),
])
def test_boolean_and_namespace_spellings(flags, field):
    assert getattr(run(*flags, "img"), field)


def test_capabilities_and_grouped_values():
    spec = run("--cap-add", "SYS_ADMIN", "--cap-add=CAP_NET_ADMIN,BPF", "--cap-drop", "ALL", "img")
    assert spec.cap_add == ("SYS_ADMIN", "CAP_NET_ADMIN", "BPF") and spec.cap_drop == ("ALL",)


def test_arguments_after_the_image_belong_to_the_server():
    spec = run("-i", "--rm", "mcp/server", "--privileged", "-v", "/:/host", "--user", "0")
    assert not spec.privileged and not spec.mounts and spec.user is None


def test_value_options_do_not_swallow_the_image():
    spec = run("-e", "TOKEN", "--name", "gh", "-w", "/app", "-p", "8080:80", "ghcr.io/x/y:1")
    assert spec.image.written == "ghcr.io/x/y:1" and spec.name == "gh"


def test_use_api_socket_is_a_socket_mount():
    assert run("--use-api-socket", "img").mounts[0].source == "/var/run/docker.sock"


def test_windows_and_named_volumes():
    spec = run("-v", "C:\\Users\\me:/data", "-v", "cache:/cache", "-v", "/anonymous", "img")
    assert [(m.source, m.kind) for m in spec.mounts] == [("C:\\Users\\me", "bind"), ("cache", "volume"), ("", "volume")]


# compose -------------------------------------------------------------------------------------

COMPOSE = """
x-hardening: &hardening
  read_only: true
  cap_drop: [ALL]
x-security: &security
  security_opt:
    - no-new-privileges:true
services:
  api:
    <<: [*hardening, *security]
    image: ${API_IMAGE:-ghcr.io/acme/api:1.2}
    user: "${APP_UID:-0}"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - type: bind
        source: ${HOME}/.ssh
        target: /root/.ssh
        read_only: true
      - data:/data
  worker:
    extends: api
    read_only: !reset null
    network_mode: host
    cap_add: !override [NET_ADMIN]
  built:
    build: .
    image: local/built:dev
    pid: "host"
    ipc: host
    privileged: true
"""


def compose_specs(text=COMPOSE, files=None, path="compose.yaml"):
    files = files or {}
    return {s.name: s for s in parse_compose(path, text.lstrip("\n"), files.get)}


def test_compose_anchors_merge_keys_and_interpolation():
    api = compose_specs()["api"]
    assert api.read_only_root and api.cap_drop == ("ALL",) and api.no_new_privileges
    assert api.image.resolved == "ghcr.io/acme/api:1.2" and api.user == "0"
    assert [(m.source, m.kind, m.read_only, m.line) for m in api.mounts] == [
        ("/var/run/docker.sock", "bind", True, 13), ("${HOME}/.ssh", "bind", True, 14), ("data", "volume", False, 18)]
    assert (api.line, api.line_of("user"), api.line_of("image")) == (8, 11, 10)


def test_compose_extends_reset_and_override():
    worker = compose_specs()["worker"]
    assert not worker.read_only_root  # !reset removes the inherited value
    assert worker.cap_add == ("NET_ADMIN",) and worker.host_network
    assert len(worker.mounts) == 3  # volumes come along with extends
    assert worker.line_of("host_network") == 22


def test_compose_build_namespaces_and_privileged():
    built = compose_specs()["built"]
    assert built.built_locally and built.host_pid and built.host_ipc and built.privileged
    assert built.dockerfile == "Dockerfile"


def test_compose_build_links_the_dockerfile():
    text = "services:\n  a:\n    build: ./api\n  b:\n    build:\n      context: svc\n      dockerfile: docker/Prod.Dockerfile\n  c:\n    build: https://github.com/x/y.git\n"
    specs = compose_specs(text, path="deploy/compose.yaml")
    assert (specs["a"].dockerfile, specs["b"].dockerfile, specs["c"].dockerfile) == (
        "deploy/api/Dockerfile", "deploy/svc/docker/Prod.Dockerfile", None)


def test_several_merge_keys_in_one_mapping():
    text = "x-a: &a\n  privileged: true\nx-b: &b\n  read_only: true\nservices:\n  s:\n    <<: *a\n    <<: *b\n    image: i\n"
    spec = compose_specs(text)["s"]
    assert spec.privileged and spec.read_only_root


def test_compose_dotenv_and_extends_from_another_file():
    files = {
        ".env": "API_IMAGE=ghcr.io/acme/api:9\n",
        "base.yaml": "services:\n  common:\n    privileged: true\n",
    }
    specs = compose_specs("services:\n  svc:\n    image: ${API_IMAGE}\n    extends:\n      file: base.yaml\n      service: common\n", files)
    assert specs["svc"].image.resolved == "ghcr.io/acme/api:9"
    assert specs["svc"].privileged and specs["svc"].line_of("privileged") == 4  # the extends line


def test_compose_include():
    files = {"more/db.yaml": "services:\n  db:\n    image: postgres:16\n    network_mode: host\n"}
    specs = compose_specs("include:\n  - more/db.yaml\nservices:\n  app:\n    image: a:1\n", files)
    assert set(specs) == {"app", "db"} and specs["db"].path == "more/db.yaml"


def test_compose_long_syntax_tmpfs_and_devices():
    text = "services:\n  s:\n    image: a\n    tmpfs: /tmp\n    devices: [/dev/kvm]\n    volumes:\n      - {type: volume, source: v, target: /v}\n"
    spec = compose_specs(text)["s"]
    assert [(m.kind, m.target) for m in spec.mounts] == [("volume", "/v"), ("tmpfs", "/tmp")]
    assert spec.devices == ("/dev/kvm",)


def test_compose_files_are_discovered_by_their_standard_names(tmp_path):
    write_tree(tmp_path, {name: "services:\n  s:\n    image: a\n    privileged: true\n" for name in
                          ("compose.yaml", "docker-compose.yml", "compose.prod.yaml", "deploy/docker-compose.override.yml")})
    result = scan_files(tmp_path, {}, select=("privileged-container",))
    assert sorted(f.path for f in result.findings) == ["compose.prod.yaml", "compose.yaml", "deploy/docker-compose.override.yml", "docker-compose.yml"]


# Kubernetes ----------------------------------------------------------------------------------

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mcp
spec:
  template:
    spec:
      hostNetwork: true
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
      volumes:
        - name: sock
          hostPath:
            path: /var/run/docker.sock
      initContainers:
        - name: init
          image: busybox:1.36
          securityContext:
            runAsUser: 0
      containers:
        - name: server
          image: ghcr.io/acme/mcp:1
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
              add: ["SYS_ADMIN"]
          volumeMounts:
            - name: sock
              mountPath: /var/run/docker.sock
              readOnly: true
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: alpine:3
              securityContext:
                privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: not-a-workload
"""


def k8s():
    return {s.name: s for s in parse_manifests("k8s.yaml", MANIFEST.lstrip("\n"))}


def test_kubernetes_workloads_and_containers():
    assert set(k8s()) == {"mcp/init", "mcp/server", "nightly/job"}


def test_container_security_context_overrides_the_pod():
    specs = k8s()
    assert specs["mcp/init"].user == "0" and specs["mcp/init"].line_of("user") == 20
    assert specs["mcp/server"].user == "1000" and specs["mcp/server"].line_of("user") == 11
    assert specs["mcp/server"].run_as_non_root


def test_kubernetes_security_fields_and_host_paths():
    server = k8s()["mcp/server"]
    assert server.host_network and server.line_of("host_network") == 8
    assert server.read_only_root and server.no_new_privileges and server.cap_drop == ("ALL",) and server.cap_add == ("SYS_ADMIN",)
    assert [(m.source, m.target, m.read_only, m.line) for m in server.mounts] == [("/var/run/docker.sock", "/var/run/docker.sock", True, 15)]  # the hostPath line
    assert k8s()["nightly/job"].privileged


def test_allow_privilege_escalation_defaults_to_true():
    assert not k8s()["mcp/init"].no_new_privileges


def test_kubernetes_limits_seccomp_and_service_account():
    server, init = k8s()["mcp/server"], k8s()["mcp/init"]
    assert server.seccomp_by_default is False and server.seccomp_profile is None
    assert server.service_account == "default" and server.service_account_token is True
    assert not server.service_account_declared and server.service_account_roles == ()
    assert init.cpu_limit is None


def test_kubernetes_service_accounts_and_bindings_are_joined_across_files():
    from mcpharden.sources.kubernetes import join_accounts, read_manifests

    pods = read_manifests("d.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n"
                                    "  serviceAccountName: sa\n  securityContext: {seccompProfile: {type: runtimedefault}}\n"
                                    "  containers:\n    - name: c\n      image: x:1\n      resources: {limits: {cpu: '2'}}\n")
    rbac = read_manifests("rbac.yaml", "kind: ServiceAccount\napiVersion: v1\nmetadata: {name: sa, namespace: ns}\n"
                                       "automountServiceAccountToken: false\n---\napiVersion: rbac.authorization.k8s.io/v1\n"
                                       "kind: RoleBinding\nmetadata: {name: b, namespace: ns}\nsubjects: [{kind: ServiceAccount, name: sa}]\n"
                                       "roleRef: {kind: Role, name: reader}\n")
    [raw] = pods.specs
    assert raw.service_account_token is None and raw.namespace == "ns" and raw.cpu_limit == "2"
    assert raw.seccomp_profile == "RuntimeDefault" and raw.line_of("service_account_token") == 5
    [joined] = join_accounts(pods.specs, rbac.accounts, rbac.bindings)
    assert joined.service_account_token is False and joined.service_account_declared
    assert joined.service_account_roles == ("Role reader",)


def test_cpu_limits_in_compose_and_docker_run():
    assert run("--cpus", "1.5", "img").cpu_limit == "1.5"
    compose = "services:\n  a:\n    image: x\n    cpus: 0.5\n  b:\n    image: x\n    deploy: {resources: {limits: {cpus: '2'}}}\n"
    specs = {s.name: s for s in parse_compose("compose.yaml", compose, lambda path: None)}
    assert specs["a"].cpu_limit == "0.5" and specs["a"].line_of("cpu_limit") == 4 and specs["b"].cpu_limit == "2"


def test_compose_health_checks_and_build_targets():
    compose = ("services:\n  a:\n    build: {context: ., target: runtime}\n    healthcheck:\n      test: curl -f http://x/\n"
               "  b:\n    image: x\n    healthcheck:\n      test: [CMD, sh, -c, 'wget -q -O- http://x/ | grep ok']\n"
               "  c:\n    image: x\n    healthcheck: {disable: true}\n")
    specs = {s.name: s for s in parse_compose("compose.yaml", compose, lambda path: None)}
    assert specs["a"].build_target == "runtime" and specs["a"].healthcheck.form == "shell"
    assert specs["a"].healthcheck.shell == "/bin/sh" and specs["a"].line_of("healthcheck") == 5
    assert [step.commands for step in specs["b"].healthcheck.steps] == [(("wget", "-q", "-O-", "http://x/"), ("grep", "ok"))]
    assert specs["b"].healthcheck.shell == "sh" and specs["c"].healthcheck.form == "none"


def test_helm_templates_are_skipped_with_a_note(tmp_path):
    template = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicas }}\n  {{- include \"x\" . }}\n"
    with pytest.raises(HelmTemplate):
        parse_manifests("t.yaml", template)
    result = scan_files(tmp_path, {"charts/x/templates/deploy.yaml": template, "Dockerfile": "FROM node:22\n"})
    assert any("Helm template" in n.message for n in result.notices)
    assert any(f.rule_id == "root-user" for f in result.findings)


# Client configurations and manifests -----------------------------------------------------------


def client(path, text, name="x"):
    return parse_client_file(path, text, ClientFile(name, False))


def test_mcp_servers_map_with_argument_lines():
    text = '{\n  "mcpServers": {\n    "gh": {\n      "command": "docker",\n      "args": [\n        "run",\n        "-i",\n        "--privileged",\n        "ghcr.io/github/github-mcp-server"\n      ]\n    }\n  }\n}\n'
    specs, servers = client("claude_desktop_config.json", text)
    assert specs[0].line == 3 and specs[0].line_of("privileged") == 8 and specs[0].line_of("image") == 9
    assert servers[0].in_container


def test_vscode_servers_inputs_comments_and_trailing_commas():
    text = '{\n  // my servers\n  "inputs": [{"id": "tok", "type": "promptString"}],\n  "servers": {\n    "gh": {"command": "docker", "args": ["run", "-e", "T=${input:tok}", "-u", "0", "img",],},\n  },\n}\n'
    specs, _ = client(".vscode/mcp.json", text)
    assert specs[0].user == "0" and specs[0].line == 5


def test_vscode_settings_zed_continue_and_claude_projects():
    settings = '{"mcp": {"servers": {"a": {"command": "docker", "args": ["run", "--net=host", "i"]}}}}'
    assert client(".vscode/settings.json", settings)[0][0].host_network
    zed = '{"context_servers": {"z": {"command": {"path": "podman", "args": ["run", "--pid=host", "i"]}}}}'
    assert client(".zed/settings.json", zed)[0][0].host_pid
    continue_yaml = "mcpServers:\n  - name: c\n    command: docker\n    args: [run, --ipc, host, i]\n"
    assert client(".continue/config.yaml", continue_yaml)[0][0].host_ipc
    claude = '{"projects": {"/p": {"mcpServers": {"p": {"command": "docker", "args": ["run", "--privileged", "i"]}}}}}'
    assert client(".claude.json", claude)[0][0].privileged


def test_codex_toml():
    text = 'model = "o3"\n\n[mcp_servers.db]\ncommand = "docker"\nargs = ["run", "-v", "/etc:/etc", "img"]\n'
    specs, _ = client(".codex/config.toml", text)
    assert specs[0].line == 3 and specs[0].mounts[0].source == "/etc"


def test_servers_not_in_containers_are_listed_not_specs():
    specs, servers = client(".cursor/mcp.json", '{"mcpServers": {"n": {"command": "npx", "args": ["-y", "x"]}, "r": {"url": "https://h/mcp"}}}')
    assert specs == [] and [(s.name, s.in_container) for s in servers] == [("n", False), ("r", False)]


def test_registry_server_json_runtime_arguments():
    text = """{
  "name": "io.github.x/y",
  "packages": [
    {"registryType": "oci", "identifier": "ghcr.io/x/y", "version": "1.0.0",
     "runtimeArguments": [
       {"type": "named", "name": "-v", "value": "/var/run/docker.sock:/var/run/docker.sock"},
       {"type": "named", "name": "--user", "default": "0"}
     ]},
    {"registry_type": "npm", "identifier": "y"}
  ]
}"""
    specs = parse_client_file("server.json", text, ClientFile("MCP registry", True))[0]
    assert len(specs) == 1 and specs[0].image.resolved == "ghcr.io/x/y:1.0.0" and specs[0].user == "0"
    assert specs[0].mounts[0].line == 6 and specs[0].origin == "mcp-manifest"


def test_docker_catalog_entry_gets_the_gateway_defaults():
    text = "name: fs\nimage: mcp/filesystem\ntype: server\nrun:\n  volumes:\n    - '{{fs.paths|volume}}:/projects'\n    - /var/run/docker.sock:/var/run/docker.sock\n"
    [spec] = parse_client_file("server.yaml", text, ClientFile("Docker MCP catalog", True))[0]
    assert spec.no_new_privileges and spec.mounts[1].line == 7


# Scripts, Makefiles, documentation ---------------------------------------------------------------


def test_shell_script_and_makefile_lines():
    script = "#!/bin/sh\nset -e\ndocker run --rm \\\n  --privileged \\\n  img\n"
    [spec] = specs_in_file("run.sh", script)
    assert spec.line == 3 and spec.privileged
    [spec] = specs_in_file("Makefile", "IMAGE=x\nrun:\n\tdocker run --net=host $(IMAGE)\n")
    assert spec.line == 3 and spec.host_network and spec.image.resolved == "x"  # the Makefile's own variable


def test_markdown_code_blocks_are_documentation():
    readme = "# Usage\n\n```console\n$ docker run -i --rm -v ~/.ssh:/root/.ssh img\n```\n\n```json\n{\"mcpServers\": {\"x\": {\"command\": \"docker\", \"args\": [\"run\", \"--privileged\", \"img\"]}}}\n```\n"
    specs = specs_in_file("README.md", readme)
    assert [(s.line, s.from_documentation) for s in specs] == [(4, True), (8, True)]
    assert "in documentation" in specs[0].where


def test_markdown_snippets_that_are_not_json_are_ignored():
    readme = "```json\n{\"mcpServers\": {\"x\": {\"command\": \"docker\", \"args\": [\"run\", ...]}}}\n```\n"
    assert specs_in_file("README.md", readme) == []


# What the server is started with (the command, env files, fallbacks) ---------------------------


def test_docker_run_command_words_after_the_image_with_their_lines():
    spec = run("-e", "A=${A:-admin}", "--env-file", "x.env", "img", "--host", "0.0.0.0", "--allowed-hosts=*")
    assert [(w.text, w.line) for w in spec.command] == [("--host", 1), ("0.0.0.0", 1), ("--allowed-hosts=*", 1)]
    assert spec.env_files == ("x.env",)
    assert spec.env[0].fallback == "admin"  # what a shell gives docker when A is not set
    assert run("img").command == () and run("-e", "A=b", "img").env[0].fallback is None


def test_client_config_command_words_keep_the_lines_of_their_arguments():
    text = '{"mcpServers": {"s": {"command": "docker",\n "args": ["run", "-i", "img",\n "--transport", "http"]}}}\n'
    [spec], _ = parse_client_file("mcp.json", text, ClientFile("Cursor", False))
    assert [(w.text, w.line) for w in spec.command] == [("--transport", 3), ("http", 3)]


def test_compose_entrypoint_command_env_file_and_fallbacks():
    text = ("services:\n  s:\n    image: x\n    entrypoint: run --x \"a b\"\n    command:\n      - --host\n      - ${HOST:-0.0.0.0}\n"
            "    env_file: [a.env, {path: b.env, required: false}]\n    environment:\n      P: ${P:-admin}\n"
            "      Q: ${Q:?required}\n      R: ${R:-from-default}\n")
    [spec] = parse_compose("compose.yaml", text, lambda path: "R=from-dotenv\n" if path == ".env" else None)
    assert [(w.text, w.line) for w in spec.command] == [("run", 4), ("--x", 4), ("a b", 4), ("--host", 6), ("0.0.0.0", 7)]
    assert spec.env_files == ("a.env", "b.env")
    assert [(e.value, e.fallback) for e in spec.env] == [("${P:-admin}", "admin"), ("${Q:?required}", None),
                                                          ("${R:-from-default}", "from-dotenv")]


def test_kubernetes_command_then_args():
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x\n"
            "    command: [serve]\n    args:\n    - --host\n    - 0.0.0.0\n")
    [spec] = parse_manifests("pod.yaml", text)
    assert [(w.text, w.line) for w in spec.command] == [("serve", 8), ("--host", 10), ("0.0.0.0", 11)]


def test_readme_placeholders_with_spaces_are_words_to_fill_in():
    text = ("```bash\ndocker run -p 8000:8000 -e TOKEN=<your service account token> -e MCP_SERVER_TOKEN=<caller auth token> "
            "example/server -t http\n```\n")
    [spec] = specs_in_file("README.md", text)
    assert spec.image.written == "example/server"
    assert [e.name for e in spec.env] == ["TOKEN", "MCP_SERVER_TOKEN"]
    assert [w.text for w in spec.command] == ["-t", "http"]


def test_dockerfile_start_line_is_the_last_entrypoint_or_cmd():
    from mcpharden.sources.dockerfile import parse_dockerfile

    build = parse_dockerfile("FROM python:3\nCMD [\"a\"]\nFROM python:3 AS b\nENTRYPOINT [\"z\"]\nFROM b\nENV X=1\n",
                             "Dockerfile", None, {}, None)
    assert [stage.start_line for stage in build.stages] == [2, 4, 4]
