"""default-credentials-exposed: well-known logins on services published on every interface."""

import json

import pytest

from conftest import findings, run_cli, scan_files, write_tree
from mcpharden.knowledge.default_credentials import service_for, user_settings, weakness
from mcpharden.safety import redact_text

RULE = "default-credentials-exposed"


def check(tmp_path, files):
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


def compose(service: str) -> dict[str, str]:
    return {"compose.yaml": "services:\n" + service}


# Positive cases ----------------------------------------------------------------------------


def test_user_name_as_password_on_a_published_database(tmp_path):
    [finding] = check(tmp_path, compose(
        "  db:\n    image: postgres:17\n    environment:\n      POSTGRES_USER: notes\n      POSTGRES_PASSWORD: notes\n"
        "    ports: [\"5432:5432\"]\n"))
    assert finding.line == 6  # the password, the line to change
    assert finding.message == ("service 'db' publishes port 5432 on every interface, and `POSTGRES_PASSWORD` "
                               "is a user name as password")


def test_the_image_default_user_counts_when_no_user_is_set(tmp_path):
    [finding] = check(tmp_path, compose(
        "  db:\n    image: docker.io/library/postgres\n    environment: [POSTGRES_PASSWORD=postgres]\n    ports: [\"5432:5432\"]\n"))
    assert "a user name as password" in finding.message


@pytest.mark.parametrize("password", ["admin", "Admin123", "password1!", "changeme2024", "mysecretpassword", "123456"])
def test_common_passwords_and_their_variants(tmp_path, password):
    [finding] = check(tmp_path, compose(
        f"  grafana:\n    image: grafana/grafana\n    environment:\n      GF_SECURITY_ADMIN_USER: ops\n"
        f"      GF_SECURITY_ADMIN_PASSWORD: \"{password}\"\n    ports: [\"3000:3000\"]\n"))
    assert "`GF_SECURITY_ADMIN_PASSWORD` is a common default password" in finding.message
    assert password not in finding.message


def test_words_and_names_glued_together_are_guessable(tmp_path):
    for password in ("mcp_password", "adminadmin", "notes-db-2024", "notesdev"):
        [finding] = check(tmp_path, compose(
            f"  notes-db:\n    image: mysql:8.4\n    environment:\n      MYSQL_ROOT_PASSWORD: {password}\n"
            "    ports: [\"3306:3306\"]\n"))
        assert "guessable secret" in finding.message, password


def test_a_fallback_is_what_everyone_gets_who_sets_nothing(tmp_path):
    [finding] = check(tmp_path, compose(
        "  kc:\n    image: quay.io/keycloak/keycloak:26.1\n    environment:\n"
        "      - KEYCLOAK_ADMIN=admin\n      - KEYCLOAK_ADMIN_PASSWORD=${KC_PASSWORD:-changeme}\n    ports: [\"8080:8080\"]\n"))
    assert "`KEYCLOAK_ADMIN_PASSWORD` falls back to a common default password" in finding.message


def test_a_fallback_set_by_the_env_file_next_to_compose_is_that_value(tmp_path):
    files = compose("  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: ${PG:-postgres}\n"
                    "    ports: [\"5432:5432\"]\n")
    assert check(tmp_path / "default", files)
    assert not check(tmp_path / "set", {**files, ".env": "PG=Zq8vN3rT5wYp2LkA\n"})


def test_image_defaults_when_no_password_is_set(tmp_path):
    found = check(tmp_path, compose(
        "  grafana:\n    image: grafana/grafana-oss:11\n    ports: [\"3000:3000\"]\n"
        "  storage:\n    image: quay.io/minio/minio\n    command: server /data\n    ports: [\"9000:9000\"]\n"
        "  queue:\n    image: rabbitmq:3-management\n    ports: [\"15672:15672\"]\n"
        "  memory:\n    image: qdrant/qdrant:v1.12.0\n    ports: [\"6333:6333\"]\n"))
    assert [f.line for f in found] == [3, 6, 10, 13]  # each on its image line
    assert "Grafana keeps the image's documented default login (no `GF_SECURITY_ADMIN_PASSWORD`)" in found[0].message
    assert "Qdrant asks for no password (the image's default)" in found[3].message


def test_a_default_guards_only_its_own_ports(tmp_path):
    selenium = "  browser:\n    image: selenium/standalone-chrome:4\n    ports: [\"{}\"]\n"
    assert not check(tmp_path / "webdriver", compose(selenium.format("4444:4444")))
    [finding] = check(tmp_path / "vnc", compose(selenium.format("7900:7900")))
    assert "Selenium keeps the image's documented default login" in finding.message


def test_settings_that_turn_the_password_check_off(tmp_path):
    found = check(tmp_path, compose(
        "  db:\n    image: mysql:8\n    environment:\n      MYSQL_ALLOW_EMPTY_PASSWORD: \"yes\"\n    ports: [\"3306:3306\"]\n"
        "  graph:\n    image: neo4j:5\n    environment:\n      NEO4J_AUTH: none\n    ports: [\"7687:7687\"]\n"
        "  grafana:\n    image: grafana/grafana\n    environment:\n      GF_SECURITY_ADMIN_PASSWORD: ${G:?}\n"
        "      GF_AUTH_ANONYMOUS_ENABLED: \"true\"\n      GF_AUTH_ANONYMOUS_ORG_ROLE: Admin\n    ports: [\"3000:3000\"]\n"))
    assert [f.line for f in found] == [5, 10, 17]
    assert "`MYSQL_ALLOW_EMPTY_PASSWORD` turns MySQL's password check off" in found[0].message
    assert "yes" not in found[0].message  # a password setting's value is never quoted


def test_anonymous_viewers_are_not_an_open_login(tmp_path):
    assert not check(tmp_path, compose(
        "  grafana:\n    image: grafana/grafana\n    environment:\n      GF_SECURITY_ADMIN_PASSWORD: ${G:?}\n"
        "      GF_AUTH_ANONYMOUS_ENABLED: \"true\"\n      GF_AUTH_ANONYMOUS_ORG_ROLE: Viewer\n    ports: [\"3000:3000\"]\n"))


def test_docker_run_lines_host_network_and_publish_all(tmp_path):
    found = check(tmp_path, {"start.sh": (
        "docker run -d --network host -e POSTGRES_PASSWORD=postgres postgres:16\n"
        "docker run -d -P -e RABBITMQ_DEFAULT_USER=mq -e RABBITMQ_DEFAULT_PASS=mq rabbitmq:3\n"
        "docker run -d -p 127.0.0.1:6379:6379 redis\n")})
    assert [f.line for f in found] == [1, 2]
    assert "shares the host's network" in found[0].message
    assert "every port it exposes (`-P`)" in found[1].message


def test_readme_examples_are_documentation(tmp_path):
    [finding] = check(tmp_path, {"README.md": (
        "# x\n\n```bash\ndocker run -d -e MYSQL_ROOT_PASSWORD=root -p 3306:3306 mysql:8\n```\n")})
    assert finding.path == "README.md" and finding.line == 4
    assert "(in documentation)" in finding.message


def test_kubernetes_host_port_without_host_ip(tmp_path):
    manifest = ("apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers:\n  - name: pg\n    image: postgres:16\n"
                "    env:\n    - {name: POSTGRES_PASSWORD, value: postgres}\n    ports:\n    - {containerPort: 5432, hostPort: 5432%s}\n")
    assert check(tmp_path / "open", {"pod.yaml": manifest % ""})
    assert not check(tmp_path / "bound", {"pod.yaml": manifest % ", hostIP: 127.0.0.1"})


def test_an_mcp_server_access_token_that_anyone_can_guess(tmp_path):
    [finding] = check(tmp_path, {".vscode/mcp.json": json.dumps({"servers": {"notes": {
        "command": "docker", "args": ["run", "-i", "--rm", "-p", "8080:8080", "-e", "MCP_AUTH_TOKEN=my-mcp-token",
                                      "example/notes-mcp"]}}})})
    assert "`MCP_AUTH_TOKEN` is a guessable secret" in finding.message


def test_service_tokens_with_guessable_values(tmp_path):
    [finding] = check(tmp_path, compose(
        "  influx:\n    image: influxdb:2.7\n    environment:\n      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: influx-admin-token\n"
        "    ports: [\"8086:8086\"]\n"))
    assert "`DOCKER_INFLUXDB_INIT_ADMIN_TOKEN` is a guessable secret" in finding.message


def test_a_random_host_port_is_still_every_interface(tmp_path):
    [finding] = check(tmp_path, compose("  db:\n    image: postgres\n    environment: [POSTGRES_PASSWORD=postgres]\n"
                                        "    ports: [\"5432/tcp\"]\n"))
    assert "publishes container port 5432 on a random host port on every interface" in finding.message


# Negative cases ----------------------------------------------------------------------------


def test_not_published_or_published_on_loopback(tmp_path):
    service = "  db:\n    image: postgres:17\n    environment: [POSTGRES_PASSWORD=postgres]\n"
    assert not check(tmp_path / "none", compose(service))
    assert not check(tmp_path / "loopback", compose(service + "    ports: [\"127.0.0.1:5432:5432\"]\n"))
    assert not check(tmp_path / "expose", compose(service + "    expose: [\"5432\"]\n"))


def test_a_client_password_for_another_service_is_not_a_login(tmp_path):
    assert not check(tmp_path, compose(
        "  mcp:\n    image: example/neo4j-mcp\n    environment:\n      NEO4J_PASSWORD: password\n"
        "      DB_PASSWORD: postgres\n    ports: [\"8000:8000\"]\n"))


def test_real_passwords_references_and_placeholders_are_not_defaults(tmp_path):
    for value in ("Zq8vN3rT5wYp2LkA", "${POSTGRES_PASSWORD}", "${POSTGRES_PASSWORD:?set it}", "<your-password>",
                  "your_password_here", "${POSTGRES_PASSWORD:-}"):
        assert not check(tmp_path / str(abs(hash(value))), compose(
            f"  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: \"{value}\"\n"
            "    ports: [\"5432:5432\"]\n")), value


def test_passwords_passed_through_or_read_from_files(tmp_path):
    found = check(tmp_path, {"start.sh": (
        "docker run -d -e POSTGRES_PASSWORD -p 5432:5432 postgres\n"
        "docker run -d -e GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/admin -p 3000:3000 grafana/grafana\n"
        "docker run -d --env-file grafana.env -p 3000:3000 grafana/grafana\n"
        "docker run -d -p 6379:6379 redis redis-server --requirepass \"$REDIS_PASSWORD\"\n"
        "docker run -d -p 6379:6379 redis:7 redis-server /etc/redis/redis.conf\n"
        "docker run -d -p 27017:27017 mongo:7 mongod --auth\n")})
    assert not found, [f.message for f in found]


def test_an_unknown_image_without_login_settings_is_not_judged(tmp_path):
    assert not check(tmp_path, compose("  app:\n    image: example/app\n    environment: [MODE=admin]\n    ports: [\"80:80\"]\n"))


def test_bad_input_never_crashes(tmp_path):
    for service in ("  db:\n    image: postgres\n    environment: {POSTGRES_PASSWORD: [a, b]}\n    ports: [5432]\n",
                    "  db:\n    image: neo4j\n    environment: [NEO4J_AUTH=nopassword]\n    ports: [\"7687:7687\"]\n",
                    "  db:\n    image: \"\"\n    environment: [ADMIN_PASSWORD=admin]\n    ports: [\"1:1\"]\n"):
        check(tmp_path / str(abs(hash(service))), compose(service))


# The password is never shown -----------------------------------------------------------------


@pytest.mark.parametrize("form", ["json", "sarif", "text", "markdown"])
def test_no_output_shows_the_password(tmp_path, form):
    write_tree(tmp_path, compose(
        "  db:\n    image: mariadb:11\n    environment:\n      MARIADB_USER: zephyrine\n      MARIADB_PASSWORD: zephyrine\n"
        "      MARIADB_ROOT_PASSWORD: qwerty2024\n    ports: [\"3306:3306\"]\n"))
    result = run_cli("scan", str(tmp_path), "--select", RULE, "--format", form, "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert RULE in result.stdout
    assert "zephyrine" not in result.stdout and "qwerty2024" not in result.stdout


def test_messages_pass_the_credential_gate_unchanged(tmp_path):
    found = check(tmp_path, compose(
        "  db:\n    image: mysql:8\n    environment:\n      MYSQL_ROOT_PASSWORD: root\n      MYSQL_ALLOW_EMPTY_PASSWORD: \"1\"\n"
        "    ports: [\"3306:3306\"]\n  g:\n    image: grafana/grafana\n    ports: [\"3000:3000\"]\n"))
    assert len(found) == 2
    for finding in found:
        assert redact_text(finding.message) == finding.message


# The knowledge it reads -----------------------------------------------------------------------


def test_the_table_knows_images_by_their_repository():
    assert service_for("library/postgres").name == "PostgreSQL"
    assert service_for("pgvector/pgvector").name == "PostgreSQL"
    assert service_for("chainguard/minio").name == "MinIO"
    assert service_for("example/postgres-mcp") is None
    assert service_for(None) is None


def test_user_settings_beside_a_password_setting():
    assert "KEYCLOAK_ADMIN" in user_settings("KEYCLOAK_ADMIN_PASSWORD")
    assert "BASIC_AUTH_USER" in user_settings("BASIC_AUTH_PASSWORD")
    assert user_settings("MCP_AUTH_TOKEN") == ()


def test_weakness_kinds():
    assert weakness("app", users=["app"]) == "user-name"
    assert weakness("Passw0rd!") == "common"
    assert weakness("stackql", names=["postgres_stackql"]) == "own-name"
    assert weakness("root_password") == "common-words"
    assert weakness("vN3-rT5wYp2") is None
    assert weakness("") is None


# The server card --------------------------------------------------------------------------------


def test_the_card_shows_the_default_login(tmp_path):
    result = scan_files(tmp_path, compose("  db:\n    image: postgres:17\n    environment: [POSTGRES_PASSWORD=postgres]\n"
                                          "    ports: [\"5432:5432\"]\n"))
    [card] = result.cards
    [entry] = card.open_entries
    assert entry.kind == "default login" and entry.where == "compose.yaml:4"
    assert "a default login on the network" in card.headline
    assert "postgres:" not in entry.what  # the message, never the password
