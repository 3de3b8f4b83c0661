"""Accuracy on real-world spellings: files every spelling of Docker and compose names,
workloads of every kind with a pod template, one finding per host path, no grade for
nothing scanned."""

from __future__ import annotations

import json

import pytest

from conftest import findings, run_cli, scan_files
from mcpharden.sources.discovery import classify

POD = """apiVersion: {api}
kind: {kind}
metadata: {{name: app}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: example/app:1
          securityContext: {{privileged: true}}
"""


@pytest.mark.parametrize("name, kind", [
    ("Dockerfile-8000", "dockerfile"), ("Dockerfile_prod", "dockerfile"), ("dockerfile-dev", "dockerfile"),
    ("Containerfile_arm64", "dockerfile"), ("api.Dockerfile", "dockerfile"),
    ("docker-compose-llama.yml", "compose"), ("compose-dev.yaml", "compose"), ("docker-compose_prod.yaml", "compose"),
    ("stack-compose.yml", "compose"),
])
def test_every_spelling_is_read(name, kind):
    assert classify(name).kind == kind


@pytest.mark.parametrize("name", ["dockerfile-patch-drift.yml", "Dockerfile.md", "Containerfile.dockerignore",
                                  "Dockerfile_notes.txt", "docker-compose-check.sh"])
def test_look_alikes_are_not_dockerfiles(name):
    artifact = classify(name)
    assert artifact is None or artifact.kind not in ("dockerfile", "compose")


def test_a_named_file_of_an_unusual_spelling_is_scanned(tmp_path):
    (tmp_path / "docker-compose-llama.yml").write_text("services:\n  a:\n    image: x:1\n    privileged: true\n")
    result = run_cli("scan", str(tmp_path / "docker-compose-llama.yml"), "--format", "json")
    document = json.loads(result.stdout)
    assert document["summary"]["files_scanned"] == 1 and document["summary"]["counts"]["high"] >= 1


def test_nothing_scanned_gets_no_grade(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    text = run_cli("scan", str(tmp_path)).stdout
    assert "nothing scanned" in text and "grade" not in text
    summary = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)["summary"]
    assert summary["score"] is None and summary["grade"] is None
    assert "no score" in run_cli("scan", str(tmp_path), "--format", "markdown").stdout


def test_a_file_that_does_not_parse_gets_no_grade(tmp_path):
    (tmp_path / "Dockerfile").write_text("this is not a Dockerfile\n")
    (tmp_path / "compose.yaml").write_text("services: [unclosed\n")
    result = run_cli("scan", str(tmp_path))
    assert "not scanned" in result.stdout and "no file could be read and parsed" in result.stdout
    assert "grade" not in result.stdout.splitlines()[-1]
    named = run_cli("scan", str(tmp_path / "Dockerfile"), "--format", "json")
    summary = json.loads(named.stdout)["summary"]
    assert summary["files_scanned"] == 0 and summary["grade"] is None


def test_a_clean_manifest_counts_as_scanned(tmp_path):
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: x:1}\n"
    (tmp_path / "pod.yaml").write_text(pod)
    summary = json.loads(run_cli("scan", str(tmp_path), "--format", "json", "--select", "privileged-container").stdout)["summary"]
    assert summary["files_scanned"] == 1 and summary["grade"] == "A"


@pytest.mark.parametrize("api, kind", [
    ("apps.openshift.io/v1", "DeploymentConfig"), ("argoproj.io/v1alpha1", "Rollout"),
    ("serving.knative.dev/v1", "Service"), ("example.com/v1", "McpServer"),
])
def test_workloads_with_a_pod_template_are_read(tmp_path, api, kind):
    result = scan_files(tmp_path, {"deploy.yaml": POD.format(api=api, kind=kind)}, select=("privileged-container",))
    assert findings(result, "privileged-container")


def test_a_plain_service_is_not_a_workload(tmp_path):
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80}]\n"
    assert not scan_files(tmp_path, {"svc.yaml": service}).findings


@pytest.mark.parametrize("source, rule", [
    ("/", "sensitive-host-mount"), ("/home/me", "sensitive-host-mount"),
    ("/var/run", "docker-socket-mount"), ("/var/run/docker.sock", "docker-socket-mount"),
])
def test_one_host_path_gives_one_finding(tmp_path, source, rule):
    compose = f"services:\n  a:\n    image: x:1\n    volumes:\n      - {source}:/host:ro\n"
    result = scan_files(tmp_path, {"compose.yaml": compose}, select=("sensitive-host-mount", "docker-socket-mount"))
    assert [f.rule_id for f in result.findings] == [rule]
    if rule == "sensitive-host-mount" and source == "/":
        assert "engine socket" in result.findings[0].message


@pytest.mark.parametrize("reference, family", [
    ("amazoncorretto:21", "amazonlinux"), ("amazoncorretto:21-alpine", "alpine"), ("amazoncorretto:17-al2023-jdk", "amazonlinux"),
    ("eclipse-temurin:21-jre", "ubuntu"), ("eclipse-temurin:21-jre-alpine", "alpine"), ("eclipse-temurin:21-ubi9-minimal", "rhel"),
])
def test_base_images_resolve_to_their_real_family(reference, family):
    from mcpharden.knowledge.base_images import profile_for

    assert profile_for(reference).family == family


def test_readme_placeholders_are_not_redirections_and_crlf_keeps_continuations(tmp_path):
    block = ("```bash\r\ndocker run -i --rm \\\r\n  -e GITHUB_TOKEN=<your-token> \\\r\n  -e GITHUB_TOOLSETS=repos \\\r\n"
             "  --privileged \\\r\n  ghcr.io/github/github-mcp-server\r\n```\r\n")
    (tmp_path / "README.md").write_bytes(("# Use\r\n\r\n" + block).encode())
    result = scan_files(tmp_path, {}, select=("privileged-container", "image-not-pinned-by-digest"))
    [privileged] = findings(result, "privileged-container")
    [pin] = findings(result, "image-not-pinned-by-digest")
    assert "ghcr.io/github/github-mcp-server" in pin.message
    assert (privileged.line, pin.line) == (7, 8)  # the lines of the flag and of the image (issue 22)


def test_named_volumes_bound_to_a_host_path_are_host_mounts(tmp_path):
    compose = ("services:\n  a:\n    image: x:1\n    volumes:\n      - engine:/var/run\n      - data:/data\n"
               "volumes:\n  engine:\n    driver: local\n    driver_opts: {type: none, o: bind, device: /var/run}\n  data: {}\n")
    result = scan_files(tmp_path, {"compose.yaml": compose}, select=("docker-socket-mount", "writable-host-mount"))
    assert [f.rule_id for f in result.findings] == ["docker-socket-mount"]
    assert "/var/run" in result.findings[0].message
