"""The detections users bring from hadolint, Checkov, KICS, Trivy and docker-bench: positive
and negative cases for every source each rule reads (docker run in a client configuration,
compose, Kubernetes, server.json, Dockerfiles, built images)."""

from __future__ import annotations

import json

import pytest

from conftest import findings, rule_findings, scan_files
from imagebuilder import Entry, Image, layer, oci_archive
from mcpharden.scan import ScanOptions, scan_image

TOKEN = "ghp_" + "Zx9" * 12
PIN = "@sha256:" + "e" * 64


def client(*args: str, env: dict | None = None, command: str = "docker") -> dict[str, str]:
    entry = {"command": command, "args": list(args)}
    if env:
        entry["env"] = env
    return {".cursor/mcp.json": json.dumps({"mcpServers": {"srv": entry}}, indent=2)}


def compose(service: str) -> dict[str, str]:
    return {"compose.yaml": "services:\n  app:\n    image: example/app:1\n" + service}


def kubernetes(container: str = "", pod: str = "", metadata: str = "") -> dict[str, str]:
    return {"k8s/pod.yaml": f"""apiVersion: v1
kind: Pod
metadata:
  name: p
{metadata}spec:
{pod}  containers:
    - name: app
      image: example/app:1
{container}"""}


def found(tmp_path, rule: str, files: dict[str, str]) -> list:
    return findings(scan_files(tmp_path, files, select=(rule,)), rule)


# secret-in-run-config ---------------------------------------------------------------------------


@pytest.mark.parametrize("files", [
    client("run", "-i", "--rm", "-e", f"GITHUB_PERSONAL_ACCESS_TOKEN={TOKEN}", "ghcr.io/github/github-mcp-server"),
    client("run", "-i", "--rm", "--env=DB_PASSWORD=s3cr3t-Xq7Lp2Vz9Rk4", "example/app:1"),
    client("run", "-i", "--rm", "-e", "GITHUB_TOKEN", "example/app:1", env={"GITHUB_TOKEN": TOKEN}),
    client("-y", "@modelcontextprotocol/server-github", command="npx", env={"GITHUB_PERSONAL_ACCESS_TOKEN": TOKEN}),
    client("run", "-i", "-e", f"SOMETHING={TOKEN}", "example/app:1"),  # the shape says it, whatever the name
    compose(f"    environment:\n      - OPENAI_API_KEY=sk-proj-{'a1' * 12}\n"),
    compose("    environment:\n      SLACK_BOT_TOKEN: xoxb-123456789012-abcdefghijkl\n"),
    kubernetes("      env:\n        - name: API_TOKEN\n          value: 9f8e7d6c5b4a39281706\n"),
    {"server.json": json.dumps({"name": "io.example/app", "packages": [{"registryType": "oci", "identifier": "example/app",
        "version": "1", "environmentVariables": [{"name": "EXAMPLE_API_KEY", "default": "live-4f3e2d1c0b9a8776"}]}]})},
    {"scripts/build.sh": f"#!/bin/sh\ndocker build --build-arg NPM_TOKEN={TOKEN} -t app .\n"},
    {"Makefile": f"image:\n\tdocker buildx build --build-arg=GITHUB_TOKEN={TOKEN} .\n"},
    {".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                                 "      - uses: docker/build-push-action@v6\n        with:\n          build-args: |\n"
                                 f"            VERSION=1.2\n            NPM_TOKEN={TOKEN}\n"},
])
def test_literal_credentials_in_run_configurations_are_found_and_never_shown(tmp_path, files):
    result = found(tmp_path, "secret-in-run-config", files)
    assert result, files
    for finding in result:
        assert TOKEN not in finding.message and "s3cr3t" not in finding.message and "xoxb-" not in finding.message
        assert "value not shown" in finding.message


@pytest.mark.parametrize("files", [
    client("run", "-i", "--rm", "-e", "GITHUB_TOKEN", "example/app:1"),
    client("run", "-i", "--rm", "-e", "GITHUB_TOKEN", "example/app:1", env={"GITHUB_TOKEN": "${input:github_token}"}),
    client("run", "-i", "-e", "OPENAI_API_KEY=<your-api-key>", "example/app:1"),
    client("run", "-i", "-e", "OPENAI_API_KEY=your_api_key_here", "example/app:1"),
    client("run", "-i", "-e", "MAX_TOKENS=4096", "-e", "LOG_LEVEL=debug", "example/app:1"),
    compose("    environment:\n      - GITHUB_TOKEN=${GITHUB_TOKEN}\n      - API_KEY\n    env_file: .env\n"),
    kubernetes("      env:\n        - name: API_TOKEN\n          valueFrom:\n            secretKeyRef: {name: s, key: t}\n"),
    compose("    environment:\n      DATABASE_URL: postgres://db:5432/app\n"),
    {"scripts/build.sh": "docker build --build-arg VERSION=1.2 --build-arg NPM_TOKEN -t app .\n"},
    {".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                                 "      - uses: docker/build-push-action@v6\n        with:\n          build-args: |\n"
                                 "            NPM_TOKEN=${{ secrets.NPM_TOKEN }}\n"},
])
def test_references_placeholders_and_secret_stores_pass(tmp_path, files):
    assert found(tmp_path, "secret-in-run-config", files) == []


# secret-in-image from Dockerfiles ---------------------------------------------------------------


@pytest.mark.parametrize("dockerfile, expected", [
    (f"FROM node:22\nENV GITHUB_TOKEN={TOKEN}\n", "`ENV GITHUB_TOKEN` has a literal GitHub token"),
    ("FROM node:22\nARG NPM_TOKEN=npm_" + "a" * 36 + "\n", "`ARG NPM_TOKEN` has a literal"),
    ("FROM node:22\nARG NPM_TOKEN\nRUN echo \"//r/:_authToken=${NPM_TOKEN}\" > .npmrc && npm ci\n", "recorded in the image's history"),
])
def test_credentials_in_dockerfile_declarations(tmp_path, dockerfile, expected):
    result = rule_findings(tmp_path, "secret-in-image", dockerfile)
    assert len(result) == 1 and expected in result[0].message
    assert TOKEN not in result[0].message


@pytest.mark.parametrize("dockerfile", [
    "FROM node:22\nARG NPM_TOKEN\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci\n",
    "FROM node:22\nENV GITHUB_TOKEN=\"\"\nENV NODE_ENV=production\n",
    "FROM node:22\nARG VERSION=1.2.3\nRUN echo $VERSION\n",
    "FROM node:22\nENV API_KEY=${API_KEY}\n",
])
def test_dockerfile_declarations_without_credentials_pass(tmp_path, dockerfile):
    assert rule_findings(tmp_path, "secret-in-image", dockerfile) == []


# security-profile-disabled ----------------------------------------------------------------------


@pytest.mark.parametrize("files", [
    client("run", "-i", "--security-opt", "seccomp=unconfined", "example/app:1"),
    client("run", "-i", "--security-opt=apparmor:unconfined", "example/app:1"),
    compose("    security_opt:\n      - label:disable\n"),
    compose("    security_opt:\n      - systempaths=unconfined\n"),
    kubernetes("      securityContext:\n        seccompProfile: {type: Unconfined}\n"),
    kubernetes(pod="  securityContext:\n    appArmorProfile:\n      type: Unconfined\n"),
    kubernetes(metadata="  annotations:\n    container.apparmor.security.beta.kubernetes.io/app: unconfined\n"),
])
def test_disabled_security_profiles_are_found(tmp_path, files):
    assert found(tmp_path, "security-profile-disabled", files)


@pytest.mark.parametrize("files", [
    client("run", "-i", "--security-opt", "no-new-privileges", "--security-opt", "seccomp=profile.json", "example/app:1"),
    compose("    security_opt:\n      - no-new-privileges:true\n      - apparmor=docker-default\n"),
    kubernetes("      securityContext:\n        seccompProfile: {type: RuntimeDefault}\n"),
    kubernetes(pod="  securityContext:\n    seccompProfile: {type: Unconfined}\n",
               container="      securityContext:\n        seccompProfile: {type: RuntimeDefault}\n"),  # the container wins
])
def test_default_and_custom_profiles_pass(tmp_path, files):
    assert found(tmp_path, "security-profile-disabled", files) == []


# host-namespace-shared (user, UTS, cgroup) ------------------------------------------------------


@pytest.mark.parametrize("files, namespace", [
    (client("run", "-i", "--userns=host", "example/app:1"), "user"),
    (client("run", "-i", "--uts", "host", "example/app:1"), "UTS"),
    (client("run", "-i", "--cgroupns=host", "example/app:1"), "cgroup"),
    (compose("    userns_mode: host\n"), "user"),
    (compose("    uts: host\n"), "UTS"),
    (compose("    cgroup: host\n"), "cgroup"),
])
def test_user_uts_and_cgroup_namespaces(tmp_path, files, namespace):
    messages = [f.message for f in found(tmp_path, "host-namespace-shared", files)]
    assert any(namespace in m for m in messages), messages


def test_private_namespaces_pass(tmp_path):
    files = compose("    userns_mode: \"keep-id\"\n    cgroup: private\n")
    assert found(tmp_path, "host-namespace-shared", files) == []


# host-device-exposed -----------------------------------------------------------------------------


@pytest.mark.parametrize("files", [
    client("run", "-i", "--device", "/dev/sda:/dev/sda", "example/app:1"),
    client("run", "-i", "--device-cgroup-rule", "c 189:* rmw", "example/app:1"),
    compose("    devices:\n      - /dev/ttyUSB0:/dev/ttyUSB0\n"),
    kubernetes("      volumeMounts:\n        - {name: dev, mountPath: /dev/mem}\n",
               pod="  volumes:\n    - name: dev\n      hostPath: {path: /dev/mem}\n"),
])
def test_host_devices_are_found(tmp_path, files):
    assert found(tmp_path, "host-device-exposed", files)


def test_no_devices_pass(tmp_path):
    assert found(tmp_path, "host-device-exposed", client("run", "-i", "-v", "/tmp/x:/x:ro", "example/app:1")) == []


# port-exposed-on-all-interfaces ------------------------------------------------------------------


@pytest.mark.parametrize("files", [
    client("run", "-i", "-p", "3000:3000", "example/app:1"),
    client("run", "-i", "-p", "0.0.0.0:3000:3000", "example/app:1"),
    client("run", "-i", "-p", "8080", "example/app:1"),
    client("run", "-i", "-P", "example/app:1"),
    compose("    ports:\n      - \"8080:8080\"\n"),
    compose("    ports:\n      - target: 80\n        published: 8080\n"),
    compose("    ports:\n      - \"[::]:8080:8080\"\n"),
    kubernetes("      ports:\n        - containerPort: 80\n          hostPort: 8080\n"),
])
def test_ports_on_every_interface_are_found(tmp_path, files):
    assert found(tmp_path, "port-exposed-on-all-interfaces", files)


@pytest.mark.parametrize("files", [
    client("run", "-i", "-p", "127.0.0.1:3000:3000", "example/app:1"),
    client("run", "-i", "-p", "[::1]:3000:3000", "example/app:1"),
    compose("    ports:\n      - \"127.0.0.1:8080:8080\"\n    expose:\n      - \"9000\"\n"),
    compose("    ports:\n      - target: 80\n        published: 8080\n        host_ip: 127.0.0.1\n"),
    kubernetes("      ports:\n        - containerPort: 80\n"),
])
def test_loopback_ports_and_unpublished_ports_pass(tmp_path, files):
    assert found(tmp_path, "port-exposed-on-all-interfaces", files) == []


# writable-host-mount -----------------------------------------------------------------------------


@pytest.mark.parametrize("files", [
    client("run", "-i", "-v", "/home/me/project:/workspace", "example/app:1"),
    client("run", "-i", "--mount", "type=bind,src=/srv/data,dst=/data", "example/app:1"),
    compose("    volumes:\n      - ./data:/data\n"),
    kubernetes("      volumeMounts:\n        - {name: work, mountPath: /work}\n",
               pod="  volumes:\n    - name: work\n      hostPath: {path: /srv/work}\n"),
])
def test_writable_host_folders_are_found(tmp_path, files):
    assert found(tmp_path, "writable-host-mount", files)


@pytest.mark.parametrize("files", [
    client("run", "-i", "-v", "/home/me/project:/workspace:ro", "example/app:1"),
    client("run", "-i", "--mount", "type=bind,src=/srv/data,dst=/data,readonly", "example/app:1"),
    compose("    volumes:\n      - data:/data\n      - /var/run/docker.sock:/var/run/docker.sock\n      - /etc:/host-etc\n"),
    kubernetes("      volumeMounts:\n        - {name: work, mountPath: /work, readOnly: true}\n",
               pod="  volumes:\n    - name: work\n      hostPath: {path: /srv/work}\n"),
])
def test_read_only_named_and_otherwise_reported_mounts_pass(tmp_path, files):
    assert found(tmp_path, "writable-host-mount", files) == []


# no-resource-limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("files, missing", [
    (client("run", "-i", "example/app:1"), "no memory and no process (pids) limit"),
    (client("run", "-i", "--memory", "512m", "example/app:1"), "no process (pids) limit"),
    (compose("    mem_limit: 512m\n"), "no process (pids) limit"),
    (kubernetes(), "no memory and no CPU limit"),
    (kubernetes("      resources:\n        limits: {memory: 512Mi}\n"), "has no CPU limit"),
    (kubernetes("      resources:\n        limits: {cpu: 500m}\n"), "has no memory limit"),
])
def test_missing_limits_are_found(tmp_path, files, missing):
    result = found(tmp_path, "no-resource-limits", files)
    assert len(result) == 1 and missing in result[0].message


@pytest.mark.parametrize("files", [
    client("run", "-i", "-m", "512m", "--pids-limit", "128", "example/app:1"),
    compose("    deploy:\n      resources:\n        limits:\n          memory: 512M\n          pids: 128\n"),
    kubernetes("      resources:\n        limits: {memory: 512Mi, cpu: 500m}\n"),  # pids are the kubelet's to limit
    # A CPU limit is asked for in Kubernetes only: compose and docker run set memory and pids.
    compose("    mem_limit: 512m\n    pids_limit: 128\n"),
    {"servers/app/server.yaml": f"name: app\nimage: mcp/app{PIN}\ntype: server\n"},  # the gateway sets --memory
])
def test_limits_set_or_not_expressible_pass(tmp_path, files):
    assert found(tmp_path, "no-resource-limits", files) == []


def test_catalog_entries_are_not_blamed_for_what_they_cannot_say(tmp_path):
    files = {"servers/app/server.yaml": f"name: app\nimage: mcp/app{PIN}\ntype: server\n"}
    result = scan_files(tmp_path, files)
    assert {"capabilities-not-dropped", "root-filesystem-writable", "no-resource-limits"}.isdisjoint(f.rule_id for f in result.findings)


# remote-code-at-build ----------------------------------------------------------------------------


@pytest.mark.parametrize("dockerfile", [
    "FROM debian:12\nRUN curl -fsSL https://deb.nodesource.com/setup_22.x | bash -\n",
    "FROM debian:12\nRUN wget -qO- https://example.com/install.sh | sudo -E sh\n",
    "FROM python:3.12\nRUN curl -LsSf https://astral.sh/uv/install.sh \\\n    | sh\n",
    "FROM debian:12\nRUN bash <(curl -fsSL https://example.com/i.sh)\n",
    "FROM debian:12\nRUN sh -c \"$(curl -fsSL https://example.com/i.sh)\"\n",
    "FROM debian:12\nADD https://example.com/tool.tar.gz /opt/\n",
    "FROM debian:12 AS build\nRUN curl -s https://example.com/x.py | python3 -\nFROM scratch\nCOPY --from=build /x /x\n",
])
def test_remote_code_at_build_is_found(tmp_path, dockerfile):
    assert rule_findings(tmp_path, "remote-code-at-build", dockerfile)


@pytest.mark.parametrize("dockerfile", [
    "FROM debian:12\nRUN curl -fsSLo /tmp/i.sh https://example.com/i.sh && echo \"abc  /tmp/i.sh\" | sha256sum -c && sh /tmp/i.sh\n",
    "FROM debian:12\nRUN curl -L https://example.com/t.tgz | tar xz -C /opt\n",
    "FROM debian:12\nADD --checksum=sha256:" + "a" * 64 + " https://example.com/tool.tar.gz /opt/\n",
    "FROM debian:12\nADD https://github.com/o/r.git#" + "0123456789abcdef0123456789abcdef01234567" + " /src\n",
    "FROM debian:12\nCOPY install.sh /tmp/\nRUN sh /tmp/install.sh\n",
])
def test_checked_downloads_pass(tmp_path, dockerfile):
    assert rule_findings(tmp_path, "remote-code-at-build", dockerfile) == []


# sudo-in-image and ssh-server-in-image ------------------------------------------------------------


@pytest.mark.parametrize("dockerfile, rule", [
    ("FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends sudo curl\n", "sudo-in-image"),
    ("FROM alpine:3.20 AS base\nRUN apk add --no-cache doas\nFROM base\nUSER 1000\n", "sudo-in-image"),
    ("FROM debian:12\nRUN apt-get install -y openssh-server\n", "ssh-server-in-image"),
    ("FROM alpine:3.20\nRUN apk add dropbear\n", "ssh-server-in-image"),
    ("FROM node:22\nEXPOSE 22 3000\n", "ssh-server-in-image"),
])
def test_sudo_and_ssh_servers_that_ship_are_found(tmp_path, dockerfile, rule):
    assert rule_findings(tmp_path, rule, dockerfile)


@pytest.mark.parametrize("dockerfile, rule", [
    ("FROM debian:12 AS build\nRUN apt-get install -y sudo\nFROM debian:12\nCOPY --from=build /app /app\n", "sudo-in-image"),
    ("FROM debian:12\nRUN apt-get install -y openssh-client git\n", "ssh-server-in-image"),
    ("FROM node:22\nEXPOSE 3000\n", "ssh-server-in-image"),
    ("FROM debian:12\nRUN apt-get remove -y sudo\n", "sudo-in-image"),
])
def test_builder_stages_and_clients_pass(tmp_path, dockerfile, rule):
    assert rule_findings(tmp_path, rule, dockerfile) == []


def test_sudo_and_sshd_in_built_images(tmp_path):
    image = Image([layer(Entry("usr/bin/sudo", b"\x7fELF", mode=0o4755), Entry("usr/sbin/sshd", b"\x7fELF"))], {"User": "1000"})
    archive = oci_archive(tmp_path / "image.tar", image)
    result = scan_image(archive, ScanOptions(select=("sudo-in-image", "ssh-server-in-image")))
    assert {f.rule_id for f in result.findings} == {"sudo-in-image", "ssh-server-in-image"}
    clean = oci_archive(tmp_path / "clean.tar", Image([layer(Entry("usr/bin/ssh", b"\x7fELF"))], {"User": "1000"}))
    assert not scan_image(clean, ScanOptions(select=("sudo-in-image", "ssh-server-in-image"))).findings


# server-not-in-container -------------------------------------------------------------------------


def test_servers_started_on_the_host_are_found_with_what_they_reach(tmp_path):
    files = client("-y", "@modelcontextprotocol/server-filesystem@latest", "/", command="npx")
    (finding,) = found(tmp_path, "server-not-in-container", files)
    assert "the whole file system" in finding.message and "mcp/filesystem" in finding.message


@pytest.mark.parametrize("files", [
    client("run", "-i", "--rm", "mcp/filesystem", "/projects"),
    {".cursor/mcp.json": json.dumps({"mcpServers": {"remote": {"url": "https://mcp.example.com/mcp"}}})},
])
def test_containers_and_remote_servers_pass(tmp_path, files):
    assert found(tmp_path, "server-not-in-container", files) == []
