import pytest

from conftest import rule_findings

RULE = "full-os-base-image"


def check(tmp_path, dockerfile):
    return rule_findings(tmp_path, RULE, dockerfile)


def test_full_os_images_are_flagged(tmp_path):
    for image in ("node:22", "node:22-slim", "python:3.12-slim-bookworm", "debian:12", "ubuntu:24.04",
                  "registry.access.redhat.com/ubi9/ubi", "ghcr.io/astral-sh/uv:python3.12-bookworm-slim"):
        [finding] = check(tmp_path, f"FROM {image}\nUSER 1000\n")
        assert finding.line == 1, image


def test_message_names_family_and_package_manager(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.12-slim\nUSER 1000\n")
    assert "full debian OS" in finding.message and "apt" in finding.message


def test_alpine_as_root_is_flagged_but_alpine_non_root_passes(tmp_path):
    [finding] = check(tmp_path, "FROM node:22-alpine\nCMD [\"node\"]\n")
    assert "runs as root" in finding.message
    assert not check(tmp_path, "FROM node:22-alpine\nUSER node\n")


def test_distroless_chainguard_scratch_pass(tmp_path):
    for image in ("gcr.io/distroless/nodejs22-debian12:nonroot", "cgr.dev/chainguard/python:latest", "scratch"):
        assert not check(tmp_path, f"FROM {image}\n"), image


def test_unknown_third_party_base_is_not_flagged(tmp_path):
    assert not check(tmp_path, "FROM acme/base:1\n")


def test_only_the_final_stage_counts(tmp_path):
    assert not check(tmp_path, "FROM node:22 AS build\nRUN npm ci\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\n")


def test_final_stage_built_on_a_full_os_stage_is_flagged(tmp_path):
    [finding] = check(tmp_path, "FROM node:22-slim AS base\nFROM base AS runtime\nUSER node\n")
    assert finding.line == 2 and "node:22-slim" in finding.message


def test_arg_in_from_is_resolved(tmp_path):
    assert check(tmp_path, "ARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}-slim\nUSER 1000\n")
    assert not check(tmp_path, "ARG RUNTIME=gcr.io/distroless/python3-debian12:nonroot\nFROM $RUNTIME\n")


# Distributions and their package managers named right -------------------------------------------


@pytest.mark.parametrize("base, named", [
    ("fedora:41", "a full Fedora OS (fedora:41): shell, dnf"),
    ("centos:7", "a full CentOS 7 OS (centos:7): shell, yum"),
    ("quay.io/centos/centos:stream9", "a full CentOS OS (quay.io/centos/centos:stream9): shell, dnf"),
    ("registry.access.redhat.com/ubi9/ubi-minimal:9.5", "a full RHEL (UBI minimal) OS (registry.access.redhat.com/ubi9/ubi-minimal:9.5): shell, microdnf"),
    ("oraclelinux:7-slim", "a full Oracle Linux 7 OS (oraclelinux:7-slim): shell, yum"),
    ("oraclelinux:9-slim", "a full Oracle Linux slim OS (oraclelinux:9-slim): shell, microdnf"),
    ("rockylinux:9", "a full Rocky Linux OS (rockylinux:9): shell, dnf"),
    ("eclipse-temurin:21-ubi9-minimal", "a full RHEL (UBI minimal) OS (eclipse-temurin:21-ubi9-minimal): shell, microdnf"),
    ("debian:12", "a full debian OS (debian:12): shell, apt"),
])
def test_distributions_and_package_managers_are_named_right(tmp_path, base, named):
    [finding] = rule_findings(tmp_path, RULE, f"FROM {base}\nUSER 1000\nCMD [\"srv\"]\n")
    assert named in finding.message
