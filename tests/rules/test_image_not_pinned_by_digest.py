import pytest

from conftest import rule_findings

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
