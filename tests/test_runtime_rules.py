"""Positive and negative cases for every run-time rule, whatever the source of the spec."""

import pytest

from conftest import findings, scan_files

HARDENED = "--cap-drop ALL --read-only --security-opt no-new-privileges --user 1000"
DIGEST = "@sha256:" + "c" * 64


def docker_run(tmp_path, flags, rule, image="ghcr.io/acme/mcp" + DIGEST):
    result = scan_files(tmp_path, {"run.sh": f"#!/bin/sh\ndocker run -i --rm {flags} {image}\n"}, select=(rule,))
    return findings(result, rule)


def compose(tmp_path, service, rule):
    text = "services:\n  mcp:\n    image: ghcr.io/acme/mcp" + DIGEST + "\n" + "".join(f"    {line}\n" for line in service)
    return findings(scan_files(tmp_path, {"compose.yaml": text}, select=(rule,)), rule)


@pytest.mark.parametrize("flags", [
    "-v /var/run/docker.sock:/var/run/docker.sock:ro", "-v /run/docker.sock:/run/docker.sock",
    "-v /var/run:/host-run", "-v $XDG_RUNTIME_DIR/docker.sock:/var/run/docker.sock",
    "-v ~/.docker/run/docker.sock:/var/run/docker.sock", "--mount type=bind,src=/run/podman/podman.sock,dst=/sock",
    "-v /run/containerd/containerd.sock:/c.sock", "--use-api-socket",
])
def test_docker_socket_mount_positive(tmp_path, flags):
    [finding] = docker_run(tmp_path, flags, "docker-socket-mount")
    assert finding.line == 2


@pytest.mark.parametrize("flags", ["-v /var/run/postgresql:/pg", "-v docker.sock:/x", "-v ./data:/data", "--tmpfs /var/run"])
def test_docker_socket_mount_negative(tmp_path, flags):
    assert not docker_run(tmp_path, flags, "docker-socket-mount")


def test_read_only_socket_message(tmp_path):
    [finding] = compose(tmp_path, ["volumes:", "  - /var/run/docker.sock:/var/run/docker.sock:ro"], "docker-socket-mount")
    assert finding.line == 5 and "read-only does not limit API calls" in finding.message


def test_privileged(tmp_path):
    assert docker_run(tmp_path, "--privileged", "privileged-container")
    assert not docker_run(tmp_path, "--privileged=false", "privileged-container")
    [finding] = compose(tmp_path, ["privileged: true"], "privileged-container")
    assert finding.line == 4
    assert not compose(tmp_path, ["privileged: false"], "privileged-container")


@pytest.mark.parametrize("flags", ["--network host", "--net=host", "--pid=host", "--ipc host"])
def test_host_namespaces(tmp_path, flags):
    assert docker_run(tmp_path, flags, "host-namespace-shared")


def test_host_namespace_negative(tmp_path):
    assert not docker_run(tmp_path, "--network bridge --pid container:x", "host-namespace-shared")
    assert not compose(tmp_path, ["network_mode: bridge"], "host-namespace-shared")


def test_dangerous_capabilities(tmp_path):
    found = docker_run(tmp_path, "--cap-add SYS_ADMIN --cap-add=CAP_SYS_PTRACE --cap-add NET_BIND_SERVICE", "dangerous-capability-added")
    assert [f.message.split(" adds ")[1] for f in found] == ["the capabilities SYS_ADMIN and SYS_PTRACE"]
    assert not docker_run(tmp_path, "--cap-drop ALL --cap-add NET_BIND_SERVICE --cap-add CHOWN", "dangerous-capability-added")
    assert compose(tmp_path, ["cap_add: [ALL]"], "dangerous-capability-added")


@pytest.mark.parametrize("source", ["/", "/etc", "/proc", "/sys/fs/cgroup", "/var/lib/docker", "/root", "~/.ssh", "$HOME/.aws",
                                    "${HOME}/.kube/config", "/home/alice", "/Users/bob", "~", "/Users/bob/.config/gcloud"])
def test_sensitive_host_mounts(tmp_path, source):
    [finding] = docker_run(tmp_path, f"-v {source}:/mnt:ro", "sensitive-host-mount")
    assert "read-only" in finding.message


@pytest.mark.parametrize("source", ["./data", "/home/alice/projects/notes", "/etc/localtime", "/tmp/mcp", "named-volume", "~/.docker/mcp"])
def test_harmless_mounts(tmp_path, source):
    assert not docker_run(tmp_path, f"-v {source}:/mnt", "sensitive-host-mount")


def test_hardening_rules_pass_when_hardened(tmp_path):
    for rule in ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed"):
        assert docker_run(tmp_path, "", rule), rule
        assert not docker_run(tmp_path, HARDENED, rule), rule


def test_hardening_in_compose(tmp_path):
    hardened = ["read_only: true", "cap_drop: [ALL]", "security_opt: ['no-new-privileges:true']"]
    for rule in ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed"):
        [finding] = compose(tmp_path, [], rule)
        assert finding.line == 2, rule  # absent settings are reported on the service
        assert not compose(tmp_path, hardened, rule), rule


def test_partial_cap_drop_is_not_enough(tmp_path):
    [finding] = docker_run(tmp_path, "--cap-drop NET_RAW", "capabilities-not-dropped")
    assert "drops only NET_RAW" in finding.message


# root-user and digest pinning at run time -------------------------------------------------------


def test_runtime_user_override_makes_root(tmp_path):
    [finding] = docker_run(tmp_path, "--user 0:0", "root-user")
    assert "the user is set to `0:0`" in finding.message
    assert compose(tmp_path, ["user: root"], "root-user")


def test_non_root_override_and_unknown_images(tmp_path):
    assert not docker_run(tmp_path, "--user 1000", "root-user", image="node:22")
    assert not docker_run(tmp_path, "", "root-user", image="ghcr.io/acme/unknown:1")


def test_known_root_image_without_override(tmp_path):
    [finding] = docker_run(tmp_path, "", "root-user", image="python:3.12-slim")
    assert "runs as root by default" in finding.message
    assert not docker_run(tmp_path, "", "root-user", image="gcr.io/distroless/python3-debian12:nonroot")
    assert not docker_run(tmp_path, "", "root-user", image="postgres:16")  # its entrypoint steps down


def test_compose_build_is_judged_on_its_dockerfile(tmp_path):
    files = {"compose.yaml": "services:\n  app:\n    build: .\n", "Dockerfile": "FROM node:22\nUSER node\n"}
    assert not findings(scan_files(tmp_path, files, select=("root-user",)), "root-user")
    files["compose.yaml"] = "services:\n  app:\n    build: .\n    user: root\n"
    [finding] = findings(scan_files(tmp_path, files, select=("root-user",)), "root-user")
    assert (finding.path, finding.line) == ("compose.yaml", 4)


def test_kubernetes_precedence_for_root(tmp_path):
    pod = """apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    runAsNonRoot: true
  containers:
    - name: safe
      image: python:3.12
    - name: override
      image: python:3.12
      securityContext:
        runAsUser: 0
"""
    found = findings(scan_files(tmp_path, {"pod.yaml": pod}, select=("root-user",)), "root-user")
    assert [(f.line, "p/override" in f.message) for f in found] == [(13, True)]


def test_run_time_images_pinned_by_digest(tmp_path):
    [finding] = docker_run(tmp_path, "", "image-not-pinned-by-digest", image="mcp/github:1.0")
    assert "`docker run` runs `mcp/github:1.0`, which is pinned by tag" in finding.message
    assert not docker_run(tmp_path, "", "image-not-pinned-by-digest")
    built = {"compose.yaml": "services:\n  app:\n    build: .\n    image: local/app:dev\n"}
    assert not findings(scan_files(tmp_path, built, select=("image-not-pinned-by-digest",)), "image-not-pinned-by-digest")


def test_documentation_findings_say_so(tmp_path):
    readme = "# x\n\n```bash\ndocker run --privileged mcp/x\n```\n"
    [finding] = findings(scan_files(tmp_path, {"README.md": readme}, select=("privileged-container",)), "privileged-container")
    assert (finding.line, "(in documentation)" in finding.message) == (4, True)


def test_suppression_in_yaml(tmp_path):
    text = "services:\n  mcp:\n    image: a\n    # mcpharden: ignore=privileged-container\n    privileged: true\n"
    assert not findings(scan_files(tmp_path, {"compose.yaml": text}, select=("privileged-container",)), "privileged-container")
