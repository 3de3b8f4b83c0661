"""`fix` never breaks a working server (issue 21): it reads what a service does at start before it
adds a non-root user, a read-only root or drops capabilities, and it changes only what is part of
a server the repository ships. The three corpus cases of the issue, as the project's own fixtures:
a compose service that runs `apk add` at start, a ClickHouse test database, and an NGINX-plus-Node
image that binds port 80."""

import yaml

from conftest import run_cli, write_tree
from mcpharden.fixes.plan import plan_fixes
from mcpharden.fixes.startup import needs_in_text
from mcpharden.scan import ScanOptions

PIN = "@sha256:" + "e" * 64

# The server is built here; `db` is a plain alpine that installs sqlite at every start.
APK_AT_START = {
    "Dockerfile": "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"server.js\"]\n",
    "docker-compose.yml": (
        "services:\n"
        "  app:\n"
        "    build: .\n"
        "    ports:\n"
        "      - \"8354:3000\"\n"
        "  db:\n"
        "    image: alpine:latest\n"
        "    volumes:\n"
        "      - ./data:/data\n"
        "    command: sh -c \"apk add --no-cache sqlite && mkdir -p /data && touch /data/checklist.db && tail -f /dev/null\"\n"
    ),
}

CLICKHOUSE = {
    "test-services/docker-compose.yaml": (
        "services:\n"
        "  clickhouse:\n"
        "    image: clickhouse/clickhouse-server:latest\n"
        "    ports:\n"
        "      - \"8123:8123\"\n"
        "    volumes:\n"
        "      - clickhouse-data:/var/lib/clickhouse\n"
        "volumes:\n"
        "  clickhouse-data:\n"
    ),
}

NGINX_AND_NODE = {
    "Dockerfile": (
        "FROM node:22-alpine\n"
        "WORKDIR /app\n"
        "RUN apk add --no-cache nginx\n"
        "COPY server/ ./server/\n"
        "COPY nginx.conf /etc/nginx/http.d/default.conf\n"
        "COPY start.sh /app/start.sh\n"
        "EXPOSE 80 8355\n"
        "CMD [\"/app/start.sh\"]\n"
    ),
    "start.sh": "#!/bin/sh\n# the proxy in front, the API behind it\nnginx\ncd /app/server && exec node index.js\n",
    "nginx.conf": "server { listen 80; }\n",
}


def _service(text: str, name: str) -> dict:
    return yaml.safe_load(text)["services"][name]


def test_apk_add_at_start_leaves_the_helper_alone_and_hardens_the_server(tmp_path):
    write_tree(tmp_path, APK_AT_START)
    report = plan_fixes(tmp_path, ScanOptions(), {})
    [plan] = [p for p in report.plans if p.path == "docker-compose.yml"]
    fixed = plan.fixed_text()
    assert _service(fixed, "db") == _service(APK_AT_START["docker-compose.yml"], "db")  # not one setting added
    assert "    image: alpine:latest\n    volumes:\n      - ./data:/data\n    command:" in fixed
    app = _service(fixed, "app")
    assert app["cap_drop"] == ["ALL"] and app["read_only"] is True and app["ports"] == ["127.0.0.1:8354:3000"]
    left = [d.message for d in report.decisions if d.line == 6 and not d.rule_id]
    assert left == ["service `db` (its image is neither built by this repository nor an MCP server image) is not part "
                    "of a server this repository ships: left as it is (--all-services hardens it too)"]


def test_apk_add_at_start_with_all_services_is_a_decision_that_says_why(tmp_path):
    write_tree(tmp_path, APK_AT_START)
    report = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
    fixed = next(p for p in report.plans if p.path == "docker-compose.yml").fixed_text()
    db = _service(fixed, "db")
    assert "read_only" not in db and "cap_drop" not in db and "user" not in db
    assert db["security_opt"] == ["no-new-privileges:true"]  # safe for a root process that installs
    why = {d.rule_id: d.message for d in report.decisions if d.path == "docker-compose.yml" and d.line in (6, 7)}
    assert "installs packages at start (`apk add --no-cache sqlite`)" in why["root-filesystem-writable"]
    assert "CHOWN, FOWNER and DAC_OVERRIDE" in why["capabilities-not-dropped"]


def test_clickhouse_test_database_is_left_as_it_is(tmp_path):
    write_tree(tmp_path, CLICKHOUSE)
    result = run_cli("fix", str(tmp_path), "--exit-zero")
    assert "+++ b/test-services/docker-compose.yaml" not in result.stdout
    assert ("test-services/docker-compose.yaml:2: service `clickhouse` (ClickHouse, beside the server) is not part of "
            "a server this repository ships: left as it is (--all-services hardens it too)") in result.stderr
    everything = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
    fixed = everything.plans[0].fixed_text()
    clickhouse = _service(fixed, "clickhouse")
    assert "read_only" not in clickhouse and "cap_drop" not in clickhouse
    messages = " ".join(d.message for d in everything.decisions)
    assert "it is ClickHouse, which writes /var/lib/clickhouse, /var/log/clickhouse-server" in messages
    assert "it is ClickHouse, which switches users at start" in messages


def test_nginx_and_node_on_port_80_keeps_root_and_says_why(tmp_path):
    write_tree(tmp_path, NGINX_AND_NODE)
    result = run_cli("fix", str(tmp_path), "--select", "root-user")
    assert result.stdout == "" and result.returncode == 1  # root-user is left, and fix says so
    assert ("Dockerfile:1: root-user: USER not added: its start script start.sh runs `nginx`, which needs root at start"
            in result.stderr)
    assert "USER" not in (tmp_path / "Dockerfile").read_text()
    # Without nginx, port 80 alone still stops it: a non-root user cannot always bind it.
    write_tree(tmp_path, {"start.sh": "#!/bin/sh\nexec node /app/server/index.js\n"})
    port = run_cli("fix", str(tmp_path), "--select", "root-user")
    assert "it listens on port 80, below 1024" in port.stderr and "move the server to a port above 1023" in port.stderr
    # A high port: the user is added.
    write_tree(tmp_path, {"Dockerfile": NGINX_AND_NODE["Dockerfile"].replace("EXPOSE 80 8355", "EXPOSE 8355")})
    assert "+USER node" in run_cli("fix", str(tmp_path), "--select", "root-user").stdout


def test_a_built_service_that_binds_port_80_keeps_net_bind_service(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": "FROM node:22-alpine\nCOPY . .\nEXPOSE 80\nCMD [\"node\", \"s.js\"]\n",
        "compose.yaml": "services:\n  web:\n    build: .\n    ports:\n      - \"127.0.0.1:80:80\"\n",
    })
    report = plan_fixes(tmp_path, ScanOptions(select=("capabilities-not-dropped",)), {})
    web = _service(report.plans[0].fixed_text(), "web")
    assert web["cap_drop"] == ["ALL"] and web["cap_add"] == ["NET_BIND_SERVICE"]
    (tmp_path / "compose.yaml").write_text(report.plans[0].fixed_text())
    assert run_cli("scan", str(tmp_path), "--select", "capabilities-not-dropped,dangerous-capability-added").returncode == 0


def test_nginx_image_gets_a_tmpfs_for_each_folder_it_writes(tmp_path):
    write_tree(tmp_path, {"compose.yaml": f"services:\n  proxy:\n    image: nginx:1.27{PIN}\n"})
    report = plan_fixes(tmp_path, ScanOptions(select=("root-filesystem-writable",)), {}, all_services=True)
    proxy = _service(report.plans[0].fixed_text(), "proxy")
    assert proxy["read_only"] is True
    assert proxy["tmpfs"] == ["/tmp", "/var/cache/nginx", "/var/run", "/var/lib/nginx", "/var/log/nginx"]


def test_a_command_that_writes_outside_tmp_and_its_volumes_keeps_a_writable_root(tmp_path):
    compose = (f"services:\n  mcp:\n    image: ghcr.io/acme/mcp{PIN}\n    volumes:\n      - cache:/cache\n"
               "    command: sh -c \"echo ok > /cache/ready && sed -i 's/a/b/' /etc/app.conf && exec mcp\"\nvolumes:\n  cache:\n")
    write_tree(tmp_path, {"compose.yaml": compose})
    report = plan_fixes(tmp_path, ScanOptions(select=("root-filesystem-writable", "capabilities-not-dropped")), {})
    mcp = _service(report.plans[0].fixed_text(), "mcp")
    assert "read_only" not in mcp and mcp["cap_drop"] == ["ALL"]
    [why] = [d.message for d in report.decisions if d.rule_id == "root-filesystem-writable"]
    assert "writes /etc/app.conf at start" in why and "/cache" not in why


def test_what_a_start_command_shows():
    needs = needs_in_text("exec gosu app node s.js", "x")
    assert needs.root_program == "gosu" and not needs.installs
    assert needs_in_text("pip install -r req.txt; python -m app", "x").installs == "pip install -r req.txt"
    assert needs_in_text("# nginx\nnode s.js > /tmp/log 2>/dev/null", "x") == needs_in_text("node s.js", "x")
    assert needs_in_text("node s.js >> /var/log/s.log", "x", ("/var/log",)).writes == ()


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
{containers}"""


def test_devcontainers_and_unrelated_kubernetes_images_are_left_but_sidecars_go_with_the_server(tmp_path):
    write_tree(tmp_path, {
        ".devcontainer/Dockerfile": "FROM node:22\nRUN npm ci\n",
        "k8s/redis.yaml": DEPLOYMENT.format(name="r", containers=f"        - name: r\n          image: redis:7{PIN}\n"),
        "k8s/deployment.yaml": DEPLOYMENT.format(name="s", containers=(f"        - name: s\n          image: ghcr.io/acme/mcp{PIN}\n"
                                                                   f"        - name: proxy\n          image: envoyproxy/envoy{PIN}\n")),
    })
    report = plan_fixes(tmp_path, ScanOptions(), {})
    assert sorted(p.path for p in report.plans if not p.path.startswith(".github")) == ["k8s/deployment.yaml"]
    server = yaml.safe_load(next(p for p in report.plans if p.path == "k8s/deployment.yaml").fixed_text())
    assert all(c["securityContext"]["readOnlyRootFilesystem"] for c in server["spec"]["template"]["spec"]["containers"])
    left = " ".join(d.message for d in report.decisions)
    assert "a devcontainer's Dockerfile is not part of a server" in left and "container `r/r` (Redis, beside the server)" in left
    everything = plan_fixes(tmp_path, ScanOptions(), {}, all_services=True)
    assert {".devcontainer/Dockerfile", "k8s/redis.yaml"} <= {p.path for p in everything.plans}


def test_an_override_service_without_an_image_goes_with_the_server_it_names(tmp_path):
    overlay = "services:\n  weather-mcp:\n    environment:\n      - MODE=http\n    ports:\n      - \"8081:8080\"\n  cache:\n    ports:\n      - \"6379:6379\"\n"
    write_tree(tmp_path, {"docker-compose.http.yml": overlay})
    report = plan_fixes(tmp_path, ScanOptions(select=("port-exposed-on-all-interfaces",)), {})
    fixed = report.plans[0].fixed_text()
    assert '"127.0.0.1:8081:8080"' in fixed and '"6379:6379"' in fixed  # the server's port only
    assert any("service `cache`" in d.message for d in report.decisions)
