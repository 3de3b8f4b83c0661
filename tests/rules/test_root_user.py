import pytest

from conftest import rule_findings

RULE = "root-user"


def check(tmp_path, dockerfile):
    return rule_findings(tmp_path, RULE, dockerfile)


# Positive cases ----------------------------------------------------------------------------


def test_official_image_without_user_runs_as_root(tmp_path):
    [finding] = check(tmp_path, "FROM node:22\nCMD [\"node\", \"index.js\"]\n")
    assert finding.line == 1
    assert "node:22 runs as root by default" in finding.message


def test_explicit_user_root_is_reported_on_its_line(tmp_path):
    [finding] = check(tmp_path, "FROM node:22\nUSER node\nRUN id\nUSER root\nCMD [\"x\"]\n")
    assert finding.line == 4
    assert "last USER is `root`" in finding.message


def test_uid_zero_and_uid_gid_forms(tmp_path):
    for user in ("0", "root:root", "0:1000", "root:app"):
        assert check(tmp_path, f"FROM alpine:3.20\nUSER {user}\n"), user


def test_user_from_arg_and_global_arg_resolving_to_root(tmp_path):
    assert check(tmp_path, "FROM alpine:3.20\nARG APP_UID=0\nUSER ${APP_UID}\n")
    assert check(tmp_path, "ARG APP_UID=0\nFROM alpine:3.20\nARG APP_UID\nUSER $APP_UID:1000\n")


def test_env_variable_in_user(tmp_path):
    assert check(tmp_path, "FROM alpine:3.20\nENV RUN_AS=root\nUSER ${RUN_AS}\n")


def test_user_inherited_from_parent_stage(tmp_path):
    [finding] = check(tmp_path, "FROM node:22 AS base\nUSER root\nFROM base AS runtime\nCMD [\"x\"]\n")
    assert finding.line == 3
    assert "inherits `USER root` from stage 'base'" in finding.message


def test_distroless_without_nonroot_tag_runs_as_root(tmp_path):
    [finding] = check(tmp_path, "FROM gcr.io/distroless/nodejs22-debian12\nCMD [\"index.js\"]\n")
    assert "without a :nonroot tag run as root" in finding.message


def test_scratch_server_without_user_runs_as_root(tmp_path):
    assert check(tmp_path, "FROM golang:1.24 AS build\nRUN go build -o /app\nFROM scratch\nCOPY --from=build /app /app\n"
                           "ENTRYPOINT [\"/app\"]\n")


def test_scratch_image_that_runs_nothing_is_an_artifact_not_a_root_server(tmp_path):
    assert not check(tmp_path, "FROM rust:1.80 AS build\nRUN cargo build --target wasm32-wasip1\nFROM scratch\n"
                               "COPY --from=build /plugin.wasm /plugin.wasm\n")
    # ...but a stage built FROM a scratch stage that has an entry point inherits it
    assert check(tmp_path, "FROM scratch AS base\nCOPY app /app\nCMD [\"/app\"]\nFROM base\nCOPY data /data\n")


@pytest.mark.parametrize("user", ["root", "0", "0:0"])
def test_explicit_root_in_a_scratch_stage_with_no_command_is_root(tmp_path, user):
    """The data-only exemption is for stages that set no user: `USER root` says it runs as root."""
    [finding] = check(tmp_path, f"FROM golang:1.24 AS build\nRUN go build -o /app\nFROM scratch\nCOPY --from=build /app /app\n"
                                f"USER {user}\n")
    assert finding.line == 5 and f"last USER is `{user}`" in finding.message
    # ...inherited from a scratch stage that set it
    assert check(tmp_path, f"FROM scratch AS base\nUSER {user}\nFROM base\nCOPY data /data\n")
    # ...and a non-root user there is still fine
    assert not check(tmp_path, "FROM scratch\nCOPY app /app\nUSER 65532\n")


@pytest.mark.parametrize("user", ["000", "+0", "00:1000", "0:0", "-0"])
def test_numeric_users_are_read_as_docker_reads_them(tmp_path, user):
    assert check(tmp_path, f"FROM node:22\nUSER {user}\n")


@pytest.mark.parametrize("user", ["1000", "0100", "node", "1000:0"])
def test_non_root_numeric_users_pass(tmp_path, user):
    assert not check(tmp_path, f"FROM node:22\nUSER {user}\n")


@pytest.mark.parametrize("files", [
    {"compose.yaml": "services:\n  a:\n    image: x:1\n    user: \"000\"\n"},
    {".cursor/mcp.json": '{"mcpServers": {"a": {"command": "docker", "args": ["run", "-i", "--user", "+0", "x:1"]}}}'},
    {"pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: x:1\n"
                 "      securityContext: {runAsUser: 0}\n"},
])
def test_numeric_root_at_run_time(tmp_path, files):
    from conftest import findings, scan_files

    assert findings(scan_files(tmp_path, files, select=("root-user",)), "root-user")


def test_unknown_base_is_assumed_root_and_says_so(tmp_path):
    [finding] = check(tmp_path, "FROM acme/internal-base:4\n")
    assert "assumed to be root" in finding.message


def test_user_created_with_uid_zero_is_root(tmp_path):
    assert check(tmp_path, "FROM debian:12\nRUN useradd -o -u 0 admin\nUSER admin\n")


def test_only_the_final_stage_counts_even_when_builder_is_non_root(tmp_path):
    assert check(tmp_path, "FROM node:22 AS build\nUSER node\nFROM node:22-slim\nCMD [\"x\"]\n")


# Negative cases ----------------------------------------------------------------------------


def test_non_root_user_passes(tmp_path):
    assert not check(tmp_path, "FROM node:22\nUSER node\n")
    assert not check(tmp_path, "FROM node:22\nUSER 1000:0\n")


def test_builder_stage_may_run_as_root(tmp_path):
    dockerfile = """
        FROM node:22 AS build
        USER root
        RUN npm ci
        FROM gcr.io/distroless/nodejs22-debian12:nonroot
        COPY --from=build /app /app
    """
    assert not check(tmp_path, dockerfile)


def test_non_root_user_inherited_from_parent_stage(tmp_path):
    assert not check(tmp_path, "FROM python:3.12-slim AS base\nUSER 10001\nFROM base\nCMD [\"python\"]\n")


def test_base_images_that_default_to_non_root(tmp_path):
    for image in (
        "gcr.io/distroless/python3-debian12:nonroot",
        "gcr.io/distroless/static-debian12:debug-nonroot",
        "cgr.dev/chainguard/node:latest",
        "dhi.io/node:22",
        "mcr.microsoft.com/dotnet/aspnet:9.0-noble-chiseled",
    ):
        assert not check(tmp_path, f"FROM {image}\n"), image


def test_docker_hardened_dev_variant_runs_as_root(tmp_path):
    assert check(tmp_path, "FROM dhi.io/node:22-dev\n")


def test_unresolvable_user_is_not_guessed(tmp_path):
    assert not check(tmp_path, "FROM node:22\nARG APP_USER\nUSER ${APP_USER}\n")


def test_default_in_user_expansion(tmp_path):
    assert not check(tmp_path, "FROM node:22\nUSER ${UID:-1000}:${GID:-1000}\n")


def test_target_selects_the_stage_that_ships(tmp_path):
    dockerfile = "FROM node:22 AS prod\nUSER node\nFROM node:22 AS debug\n"
    assert check(tmp_path, dockerfile)
    from conftest import findings, scan_files

    result = scan_files(tmp_path, {"Dockerfile": dockerfile}, select=(RULE,), target_stage="prod")
    assert not findings(result, RULE)


def test_last_user_wins_when_switched_back_to_non_root(tmp_path):
    assert not check(tmp_path, "FROM node:22\nUSER root\nRUN apt-get update\nUSER node\n")
