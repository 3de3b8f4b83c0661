import pytest

from conftest import findings, scan_files

RULE = "healthcheck-cannot-work"


def check(tmp_path, dockerfile=None, files=None, **options):
    tree = dict(files or {})
    if dockerfile is not None:
        tree["Dockerfile"] = dockerfile
    return findings(scan_files(tmp_path, tree, select=(RULE,), **options), RULE)


def compose(tmp_path, service: str, dockerfile: str | None = None):
    files = {"compose.yaml": "services:\n  mcp:\n" + service}
    if dockerfile is not None:
        files["Dockerfile"] = dockerfile
    return check(tmp_path, files=files)


# A tool the image does not have ------------------------------------------------------------


@pytest.mark.parametrize("healthcheck", [
    "CMD curl -f http://localhost:8080/health || exit 1",
    'CMD ["curl", "-f", "http://localhost:8080/health"]',
    "CMD wget -q --spider http://localhost:8080/health",
])
def test_curl_or_wget_in_a_slim_image_never_passes(tmp_path, healthcheck):
    [finding] = check(tmp_path, f"FROM python:3.12-slim\nCOPY . /app\nHEALTHCHECK {healthcheck}\n")
    assert finding.line == 3
    assert "can never pass" in finding.message
    assert "python:3.12-slim ships neither curl nor wget" in finding.message


def test_alpine_has_busybox_wget_but_not_curl(tmp_path):
    [finding] = check(tmp_path, "FROM node:22-alpine\nHEALTHCHECK CMD curl -f http://localhost:3000/ || exit 1\n")
    assert "`curl` is not in the image" in finding.message and "ships only wget" in finding.message
    assert not check(tmp_path, "FROM node:22-alpine\nHEALTHCHECK CMD wget -q --spider http://localhost:3000/ || exit 1\n")


def test_full_language_images_ship_curl_and_wget(tmp_path):
    for base in ("node:22", "python:3.12-bookworm", "golang:1.24"):
        assert not check(tmp_path, f"FROM {base}\nHEALTHCHECK CMD curl -f http://localhost:3000/ || exit 1\n"), base


def test_distroless_has_no_curl_even_in_exec_form(tmp_path):
    dockerfile = 'FROM gcr.io/distroless/static-debian12:nonroot\nHEALTHCHECK CMD ["curl", "-f", "http://127.0.0.1:8080/"]\n'
    [finding] = check(tmp_path, dockerfile)
    assert "`curl` is not in the image" in finding.message


def test_a_tool_installed_in_the_final_stage_or_a_stage_it_is_built_from_is_there(tmp_path):
    healthcheck = "HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1\n"
    assert not check(tmp_path, "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
                               + healthcheck)
    assert not check(tmp_path, "FROM node:22-alpine\nRUN apk add --no-cache curl\n" + healthcheck)
    assert not check(tmp_path, "FROM python:3.12-slim AS base\nRUN apt-get install -y curl\nFROM base\n" + healthcheck)


def test_a_tool_installed_only_in_a_builder_stage_does_not_ship(tmp_path):
    dockerfile = ("FROM python:3.12-slim AS build\nRUN apt-get install -y curl\nFROM python:3.12-slim\n"
                  "COPY --from=build /app /app\nHEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1\n")
    [finding] = check(tmp_path, dockerfile)
    assert finding.line == 5


def test_a_tool_copied_in_is_there(tmp_path):
    assert not check(tmp_path, "FROM gcr.io/distroless/static-debian12\nCOPY --from=curlimages/curl:8.8.0 /usr/bin/curl /usr/bin/curl\n"
                               'HEALTHCHECK CMD ["/usr/bin/curl", "-f", "http://127.0.0.1:8080/"]\n')
    assert not check(tmp_path, "FROM python:3.12-slim\nCOPY bin/wget /usr/local/bin/\nHEALTHCHECK CMD wget -q -O- http://x/\n")


def test_a_whole_tree_copied_from_another_image_may_bring_anything(tmp_path):
    # Keycloak's documented way of adding curl: a root file system built in a UBI stage.
    dockerfile = ("FROM registry.access.redhat.com/ubi9 AS tools\nRUN dnf install --installroot /mnt/rootfs curl -y\n"
                  "FROM quay.io/keycloak/keycloak:26.0\nCOPY --from=tools /mnt/rootfs /\n"
                  "HEALTHCHECK CMD curl -f http://localhost:9000/health/ready || exit 1\n")
    assert not check(tmp_path, dockerfile)
    [finding] = check(tmp_path, dockerfile.replace("COPY --from=tools /mnt/rootfs /\n", ""))
    assert "keycloak" in finding.message


def test_a_fallback_to_a_tool_that_is_there_can_pass(tmp_path):
    assert not check(tmp_path, "FROM alpine:3.20\nHEALTHCHECK CMD curl -f http://x/ || wget -q -O- http://x/ || exit 1\n")
    [finding] = check(tmp_path, "FROM debian:12-slim\nHEALTHCHECK CMD curl -f http://x/ || wget -q -O- http://x/ || exit 1\n")
    assert "`curl` and `wget` are not in the image" in finding.message


def test_a_missing_tool_piped_into_grep_never_passes(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.12-slim\nHEALTHCHECK CMD curl -s http://x/health | grep -q ok\n")
    assert "`curl` is not in the image" in finding.message
    assert not check(tmp_path, "FROM python:3.12\nHEALTHCHECK CMD curl -s http://x/health | grep -q ok\n")


def test_images_the_table_does_not_know_are_not_judged_on_tools(tmp_path):
    assert not check(tmp_path, "FROM acme/mcp-base:4\nHEALTHCHECK CMD curl -f http://x/ || exit 1\n")
    assert not check(tmp_path, "ARG BASE\nFROM ${BASE}\nHEALTHCHECK CMD curl -f http://x/ || exit 1\n")


# No shell ----------------------------------------------------------------------------------


@pytest.mark.parametrize("base", ["gcr.io/distroless/nodejs22-debian12:nonroot", "cgr.dev/chainguard/node:latest", "scratch"])
def test_shell_form_in_an_image_without_a_shell_never_passes(tmp_path, base):
    [finding] = check(tmp_path, f"FROM {base}\nCOPY app /app\nHEALTHCHECK CMD /app/server health\nENTRYPOINT [\"/app/server\"]\n")
    assert finding.line == 3
    assert "its shell form runs `/bin/sh -c`" in finding.message and "has no shell" in finding.message


def test_exec_form_in_an_image_without_a_shell_is_fine(tmp_path):
    assert not check(tmp_path, 'FROM gcr.io/distroless/nodejs22-debian12\nHEALTHCHECK CMD ["/nodejs/bin/node", "/app/hc.js"]\n')
    # ...unless it asks for a shell itself
    [finding] = check(tmp_path, 'FROM gcr.io/distroless/base-debian12\nHEALTHCHECK CMD ["sh", "-c", "/app/hc || exit 1"]\n')
    assert "it runs `sh`" in finding.message


def test_a_debug_tag_or_a_shell_instruction_gives_a_shell(tmp_path):
    assert not check(tmp_path, "FROM gcr.io/distroless/base-debian12:debug\nHEALTHCHECK CMD /app/hc || exit 1\n")
    assert not check(tmp_path, 'FROM gcr.io/distroless/base-debian12\nCOPY --from=busybox:1.36 /bin/busybox /busybox/sh\n'
                               'SHELL ["/busybox/sh", "-c"]\nHEALTHCHECK CMD /app/hc || exit 1\n')


def test_the_healthcheck_a_stage_inherits_is_judged_in_the_image_that_ships(tmp_path):
    dockerfile = ("FROM python:3.12-slim AS base\nHEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1\n"
                  "FROM base AS dev\nFROM python:3.12 AS other\n")
    assert not check(tmp_path, dockerfile)  # the last stage has no HEALTHCHECK
    [finding] = check(tmp_path, dockerfile, target_stage="dev")
    assert finding.line == 2 and "python:3.12-slim ships neither curl nor wget" in finding.message
    assert not check(tmp_path, dockerfile.replace("FROM base AS dev", "FROM base AS dev\nRUN apt-get install -y curl"),
                     target_stage="dev")


# Checks that cannot fail (or cannot pass) -------------------------------------------------------


@pytest.mark.parametrize("healthcheck", [
    'CMD node -e "process.exit(0)" || exit 1',
    "CMD node -e \"console.log('Health check passed')\" || exit 1",
    'CMD python -c "import sys; sys.exit(0)"',
    'CMD ["python3", "-c", "print(\'ok\')"]',
    "CMD exit 0",
    "CMD true",
    "CMD echo ok",
    'CMD ["node", "-e", "process.exit(0)"]',
])
def test_a_check_that_looks_at_nothing(tmp_path, healthcheck):
    [finding] = check(tmp_path, f"FROM node:22\nHEALTHCHECK --interval=30s {healthcheck}\n")
    assert "never looks at the server" in finding.message


def test_a_check_that_only_imports_the_server_package(tmp_path):
    [finding] = check(tmp_path, 'FROM python:3.12-slim\nHEALTHCHECK CMD python -c "import mcp_jenkins" || exit 1\n')
    assert "only imports `mcp_jenkins`" in finding.message
    [finding] = check(tmp_path, 'FROM python:3.12-slim\nHEALTHCHECK CMD python -c "from srv import __version__; print(__version__)"\n')
    assert "only imports `srv`" in finding.message


@pytest.mark.parametrize("healthcheck", [
    "CMD curl -f http://localhost:3000/health || echo unhealthy",
    "CMD curl -f http://localhost:3000/health; exit 0",
    "CMD curl -f http://localhost:3000/health || true",
])
def test_a_probe_whose_result_is_thrown_away_cannot_fail(tmp_path, healthcheck):
    [finding] = check(tmp_path, f"FROM node:22\nHEALTHCHECK {healthcheck}\n")
    assert "can never fail: it passes whatever `curl` finds" in finding.message


@pytest.mark.parametrize("healthcheck", [
    "CMD curl -f http://localhost:3000/health || exit 1",
    "CMD curl -f http://localhost:3000/health && echo ok",
    "CMD wget -qO- http://localhost:3000/health | grep -q ok",
    'CMD node -e "fetch(\'http://127.0.0.1:3000/health\').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"',
    'CMD python -c "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\')"',
    "CMD pgrep -f server || exit 1",
    "CMD test -f /tmp/ready",
    'CMD ["/app/server", "healthcheck"]',
    "CMD curl -f http://localhost:3000/health || exit",
    'CMD if [ "$TRANSPORT" = http ]; then curl -f http://localhost:3000/; else exit 0; fi',
])
def test_checks_that_probe_something_pass(tmp_path, healthcheck):
    assert not check(tmp_path, f"FROM node:22\nHEALTHCHECK {healthcheck}\n")


def test_a_check_that_always_fails(tmp_path):
    [finding] = check(tmp_path, "FROM node:22\nHEALTHCHECK CMD exit 1\n")
    assert "can never pass: it exits non-zero" in finding.message
    [finding] = check(tmp_path, 'FROM node:22\nHEALTHCHECK CMD ["exit", "0"]\n')
    assert "`exit` is a shell builtin" in finding.message


def test_shell_syntax_in_exec_form(tmp_path):
    [finding] = check(tmp_path, 'FROM node:22\nHEALTHCHECK CMD ["curl", "-f", "http://localhost:3000/", "||", "exit", "1"]\n')
    assert "`||`, `exit`, `1` are more URLs for `curl` to fetch" in finding.message
    [finding] = check(tmp_path, 'FROM node:22\nHEALTHCHECK CMD ["ps", "aux", "|", "grep", "node"]\n')
    assert "`|` and what follows it are arguments of `ps`, not a pipe" in finding.message
    [finding] = check(tmp_path, 'FROM node:22\nHEALTHCHECK CMD ["curl -f http://localhost:3000/"]\n')
    assert "no program is named `curl -f http://localhost:3000/`" in finding.message
    # extra words after an interpreter's code are its arguments: harmless
    assert not check(tmp_path, 'FROM node:22\nHEALTHCHECK CMD ["node", "/app/hc.js", "||", "exit", "1"]\n')


# Compose ------------------------------------------------------------------------------------


def test_compose_cmd_shell_and_plain_string_run_in_the_shell(tmp_path):
    for test in ('["CMD-SHELL", "/app/hc"]', "/app/hc"):
        service = f"    image: gcr.io/distroless/static-debian12\n    healthcheck:\n      interval: 5s\n      test: {test}\n"
        [finding] = compose(tmp_path, service)
        assert finding.path == "compose.yaml" and finding.line == 6
        assert "service 'mcp'" in finding.message and "has no shell" in finding.message
    assert not compose(tmp_path, "    image: gcr.io/distroless/static-debian12\n    healthcheck:\n      test: [\"CMD\", \"/app/hc\"]\n")


def test_compose_judges_the_stage_its_build_builds(tmp_path):
    dockerfile = ("FROM python:3.12-slim AS test\nRUN apt-get install -y curl\n"
                  "FROM python:3.12-slim AS production\nCOPY . /app\n")
    test = "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8000/\"]\n"
    [finding] = compose(tmp_path, "    build: .\n" + test, dockerfile)
    assert "python:3.12-slim (built from Dockerfile)" in finding.message
    assert not compose(tmp_path, "    build:\n      context: .\n      target: test\n" + test, dockerfile)


def test_compose_judges_an_external_image_by_the_table(tmp_path):
    [finding] = compose(tmp_path, "    image: quay.io/keycloak/keycloak:26.0\n    healthcheck:\n"
                                  "      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:9000/health/ready\"]\n")
    assert "its image quay.io/keycloak/keycloak:26.0 ships neither curl nor wget" in finding.message
    assert not compose(tmp_path, "    image: qdrant/qdrant:v1.12\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://x/\"]\n")


def test_compose_checks_that_cannot_fail_and_turned_off_ones(tmp_path):
    [finding] = compose(tmp_path, "    image: node:22\n    healthcheck:\n      test: [\"CMD\", \"node\", \"-e\", \"process.exit(0)\"]\n")
    assert "never looks at the server" in finding.message
    assert not compose(tmp_path, "    image: node:22\n    healthcheck:\n      disable: true\n")
    assert not compose(tmp_path, "    image: node:22\n    healthcheck:\n      test: [\"NONE\"]\n")


def test_compose_interpolates_and_unescapes_dollars(tmp_path):
    service = ("    image: node:22-slim\n    environment:\n      PORT: 3000\n    healthcheck:\n"
               "      test: [\"CMD-SHELL\", \"curl -f http://localhost:$${PORT}/ || exit 1\"]\n")
    [finding] = compose(tmp_path, service)
    assert "`curl -f http://localhost:${PORT}/ || exit 1`" in finding.message


# What a message shows, and bad input ------------------------------------------------------------


def test_credentials_in_the_command_are_masked(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.12-slim\nHEALTHCHECK CMD curl -fsu admin:S3cretPassw0rd http://localhost/ || exit 1\n")
    assert "S3cretPassw0rd" not in finding.message


def test_long_commands_are_cut(tmp_path):
    url = "http://localhost:8080/" + "a" * 300
    [finding] = check(tmp_path, f"FROM python:3.12-slim\nHEALTHCHECK CMD curl -f {url}\n")
    assert "a" * 120 not in finding.message and "…" in finding.message


@pytest.mark.parametrize("healthcheck", [
    "CMD curl 'unclosed", "CMD", "CMD ;;", "CMD && curl x", "CMD curl x &&", "CMD ( curl x )", "CMD $(curl x)",
    "CMD curl x | | grep", "CMD echo `date`", 'CMD ["python", "-c"]', "CMD exit 300", "CMD exit $CODE",
])
def test_odd_scripts_do_not_crash(tmp_path, healthcheck):
    result = scan_files(tmp_path, {"Dockerfile": f"FROM python:3.12-slim\nHEALTHCHECK {healthcheck}\n"}, select=(RULE,))
    assert not [n for n in result.notices if "failed" in n.message]


@pytest.mark.parametrize("test", ["{a: 1}", "[]", "[[CMD]]", "[CMD]", "42", "['CMD-SHELL']", "[{x: 1}, curl]"])
def test_odd_compose_tests_do_not_crash(tmp_path, test):
    result = scan_files(tmp_path, {"compose.yaml": f"services:\n  a:\n    image: node:22-slim\n    healthcheck:\n      test: {test}\n"},
                        select=(RULE,))
    assert not [n for n in result.notices if "failed" in n.message]


# The corpora ------------------------------------------------------------------------------------


def test_on_the_corpora_every_finding_sits_on_a_health_check_line(corpus):
    from mcpharden.scan import ScanOptions, scan_target

    found = [f for f in scan_target(corpus, ScanOptions(select=(RULE,))).findings if f.rule_id == RULE]
    assert found
    for finding in found:
        lines = (corpus / finding.path).read_text(encoding="utf-8", errors="replace").splitlines()
        line = lines[finding.line - 1].strip()
        if finding.path.endswith((".yml", ".yaml")):
            assert line.startswith(("test:", "disable:")) or "healthcheck" in line, (finding.path, finding.line, line)
        else:
            assert line.upper().startswith("HEALTHCHECK"), (finding.path, finding.line, line)
