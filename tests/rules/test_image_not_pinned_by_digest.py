import json

import pytest

from conftest import findings, rule_findings, run_cli, scan_files

RULE = "image-not-pinned-by-digest"
DIGEST = "sha256:" + "ab" * 32


def check(tmp_path, dockerfile):
    return rule_findings(tmp_path, RULE, dockerfile)


def test_tag_only_is_flagged_in_every_stage(tmp_path):
    found = check(tmp_path, "FROM node:22 AS build\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\n")
    assert [f.line for f in found] == [1, 2]
    assert "pinned by tag, not by digest" in found[0].message


def test_no_tag_means_latest(tmp_path):
    [finding] = check(tmp_path, "FROM alpine\n")
    assert "follows `latest`" in finding.message


def test_digest_passes_with_or_without_tag(tmp_path):
    assert not check(tmp_path, f"FROM node:22@{DIGEST}\n")
    assert not check(tmp_path, f"FROM ghcr.io/org/img@{DIGEST}\n")


def test_stage_references_and_scratch_are_not_images(tmp_path):
    found = check(tmp_path, f"FROM node:22@{DIGEST} AS build\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\n")
    assert not found


def test_copy_from_image_and_run_mount_from_image(tmp_path):
    found = check(tmp_path, f"FROM node:22@{DIGEST}\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/\n"
                            "RUN --mount=from=busybox:1.36,source=/bin,target=/b ls\n")
    assert [(f.line, f.message.split()[0]) for f in found] == [(2, "COPY"), (3, "RUN")]


def test_arg_defaults_are_resolved(tmp_path):
    assert check(tmp_path, "ARG BASE=node:22\nFROM ${BASE}\n")
    assert not check(tmp_path, f"ARG BASE=node:22@{DIGEST}\nFROM ${{BASE}}\n")


@pytest.mark.parametrize("dockerfile", ["ARG BASE\nFROM ${BASE}\n", "ARG TAG\nFROM alpine$TAG\n",
                                        "ARG REGISTRY\nFROM ${REGISTRY}/ubuntu:24.04\n"])
def test_a_build_argument_without_default_is_reported_with_the_reason(tmp_path, dockerfile):
    [finding] = check(tmp_path, dockerfile)
    assert "build argument with no default" in finding.message


def test_a_variable_name_with_a_written_digest_is_pinned(tmp_path):
    assert not check(tmp_path, "ARG REGISTRY\nFROM ${REGISTRY}/ubuntu@sha256:" + "a" * 64 + "\n")


@pytest.mark.parametrize("reference, words", [
    ("node:latest", "`latest`, which moves with every release"),
    ("node", "neither tag nor digest"),
    ("node:22@sha256:123456", "malformed digest"),
    ("node:22@sha256:" + "a" * 63, "64 hexadecimal digits"),
    ("node:22", "pinned by tag, not by digest"),
])
def test_messages_name_the_real_problem(tmp_path, reference, words):
    [finding] = check(tmp_path, f"FROM {reference}\n")
    assert words in finding.message


def test_malformed_digest_does_not_count(tmp_path):
    assert check(tmp_path, "FROM node:22@sha256:abc\n")


# Images the repository builds itself, and documentation placeholders ---------------------------

def scan(tmp_path, files):
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


@pytest.mark.parametrize("builder", [
    {"README.md": "```bash\ndocker build -t srv .\n```\n"},
    {"Makefile": "image:\n\tdocker build --tag srv:dev .\n"},
    {"scripts/build.sh": "#!/bin/sh\ndocker buildx build -t=srv:dev -f Dockerfile .\n"},
    {".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                                 "      - run: docker build -t srv:ci .\n"},
    {".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                                 "      - uses: docker/build-push-action@v6\n        with:\n          tags: srv:ci,srv:latest\n"},
])
def test_an_image_built_anywhere_in_the_repository_is_not_pulled(tmp_path, builder):
    files = {"Dockerfile": f"FROM node:22@{DIGEST}\nUSER node\n", **builder,
             "docs/run.md": "```bash\ndocker run -i --rm srv\n```\n", "compose.yaml": "services:\n  s:\n    image: srv:dev\n"}
    assert scan(tmp_path, files) == []


def test_an_image_the_repository_does_not_build_is_still_judged(tmp_path):
    files = {"README.md": "```bash\ndocker build -t srv .\ndocker run -i --rm other/srv\n```\n"}
    [finding] = scan(tmp_path, files)
    assert "`other/srv`" in finding.message and "follows `latest`" in finding.message


def test_a_dockerfile_from_an_image_built_here(tmp_path):
    files = {"Makefile": "base:\n\tdocker build -t acme/base -f Dockerfile.base .\n",
             "Dockerfile": "FROM acme/base\nUSER app\n"}
    assert scan(tmp_path, files) == []


@pytest.mark.parametrize("reference", ["ghcr.io/acme/srv@sha256:<digest>", "ghcr.io/acme/srv:1.2@sha256:…",
                                       "ghcr.io/acme/srv:<IMAGE_TAG>", "ghcr.io/acme/srv@sha256:..."])
def test_readme_placeholders_that_teach_pinning_are_not_quoted(tmp_path, reference):
    (tmp_path / "README.md").write_text(f"```bash\ndocker run -i --rm {reference}\n```\n")
    result = run_cli("scan", str(tmp_path), "--select", RULE, "--format", "json", "--fail-on", "never")
    assert "PLACEHOLDER" not in result.stdout
    assert json.loads(result.stdout)["findings"] == []



def test_a_shell_variable_is_not_called_a_build_argument(tmp_path):
    [finding] = scan(tmp_path, {"run.sh": "#!/bin/sh\ndocker run -i --rm \"acme/srv:$VERSION\"\n"})
    assert "depends on a variable with no default" in finding.message and "every run passes" in finding.message
    [finding] = scan(tmp_path / "df", {"Dockerfile": "ARG BASE\nFROM ${BASE}\n"})
    assert "depends on a build argument with no default" in finding.message
