import pytest

from conftest import findings, scan_files

RULE = "seccomp-profile-not-set"


def pod(pod_spec: str = "", container: str = "", metadata: str = "") -> str:
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: mcp\n" + metadata + "spec:\n" + pod_spec +
            "  containers:\n    - name: server\n      image: ghcr.io/example/mcp:1\n" + container)


def check(tmp_path, files):
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


def test_a_pod_without_a_profile_runs_unconfined(tmp_path):
    [finding] = check(tmp_path, {"k8s/pod.yaml": pod()})
    assert finding.path == "k8s/pod.yaml" and finding.line == 7
    assert "container 'mcp/server' sets no seccompProfile: Kubernetes runs it Unconfined" in finding.message


def test_every_container_and_init_container_is_judged(tmp_path):
    manifest = pod("  initContainers:\n    - name: migrate\n      image: ghcr.io/example/migrate:1\n")
    assert sorted(f.message.split("'")[1] for f in check(tmp_path, {"pod.yaml": manifest})) == ["mcp/migrate", "mcp/server"]


@pytest.mark.parametrize("manifest", [
    pod(pod_spec="  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n"),
    pod(container="      securityContext:\n        seccompProfile:\n          type: Localhost\n          localhostProfile: mcp.json\n"),
    pod(metadata="  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: runtime/default\n"),
    pod(metadata="  annotations:\n    container.seccomp.security.alpha.kubernetes.io/server: docker/default\n"),
    pod(metadata="  annotations:\n    container.seccomp.security.alpha.kubernetes.io/server: localhost/profiles/mcp.json\n"),
])
def test_a_profile_at_pod_or_container_level_or_in_the_legacy_annotations_passes(tmp_path, manifest):
    assert not check(tmp_path, {"pod.yaml": manifest})


def test_the_pod_template_of_a_deployment_counts(tmp_path):
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: mcp\nspec:\n  template:\n    metadata:\n"
                  "      annotations:\n        seccomp.security.alpha.kubernetes.io/pod: runtime/default\n    spec:\n"
                  "      containers:\n        - name: server\n          image: ghcr.io/example/mcp:1\n")
    assert not check(tmp_path, {"deploy.yaml": deployment})
    assert check(tmp_path, {"deploy.yaml": deployment.replace("seccomp.security.alpha.kubernetes.io/pod", "team")})


def test_an_annotation_for_another_container_does_not_count(tmp_path):
    manifest = pod(metadata="  annotations:\n    container.seccomp.security.alpha.kubernetes.io/sidecar: runtime/default\n")
    assert check(tmp_path, {"pod.yaml": manifest})


def test_unconfined_is_left_to_security_profile_disabled(tmp_path):
    manifest = pod(pod_spec="  securityContext:\n    seccompProfile: {type: Unconfined}\n")
    result = scan_files(tmp_path, {"pod.yaml": manifest}, select=(RULE, "security-profile-disabled"))
    assert [f.rule_id for f in result.findings] == ["security-profile-disabled"]


def test_privileged_containers_are_left_to_privileged_container(tmp_path):
    assert not check(tmp_path, {"pod.yaml": pod(container="      securityContext: {privileged: true}\n")})


@pytest.mark.parametrize("files", [
    {"compose.yaml": "services:\n  mcp:\n    image: ghcr.io/example/mcp:1\n"},
    {".cursor/mcp.json": '{"mcpServers": {"a": {"command": "docker", "args": ["run", "-i", "--rm", "ghcr.io/example/mcp:1"]}}}'},
    {"run.sh": "docker run -i --rm ghcr.io/example/mcp:1\n"},
])
def test_docker_and_podman_apply_their_default_profile(tmp_path, files):
    assert not check(tmp_path, files)


def test_fix_adds_runtime_default_to_the_container(tmp_path):
    from mcpharden.fixes.plan import plan_fixes
    from mcpharden.scan import ScanOptions, scan_target

    (tmp_path / "pod.yaml").write_text(pod(container="      securityContext:\n        runAsNonRoot: true\n"))
    report = plan_fixes(tmp_path, ScanOptions(select=(RULE,)), {})
    [plan] = report.plans
    text = plan.fixed_text()
    assert "seccompProfile: {type: RuntimeDefault}" in text and text.count("securityContext:") == 1
    (tmp_path / "pod.yaml").write_text(text)
    assert not [f for f in scan_target(tmp_path, ScanOptions(select=(RULE,))).findings if f.rule_id == RULE]


def test_the_card_says_the_server_runs_unconfined(tmp_path):
    """A missing profile widens what a compromised server can ask of the kernel: the card says
    so, at the line to change; a pod with RuntimeDefault has nothing to say."""
    from conftest import write_tree
    from mcpharden.scan import ScanOptions, scan_target

    write_tree(tmp_path / "open", {"k8s/pod.yaml": pod()})
    [card] = scan_target(tmp_path / "open", ScanOptions()).cards
    assert card.unconfined == ("no seccompProfile (Kubernetes runs it Unconfined) at k8s/pod.yaml:7",)
    assert "no seccomp or AppArmor confinement" in card.headline
    write_tree(tmp_path / "confined", {"k8s/pod.yaml": pod(pod_spec="  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n")})
    [card] = scan_target(tmp_path / "confined", ScanOptions()).cards
    assert card.unconfined == ()


def test_a_profile_turned_off_in_compose_is_on_the_card(tmp_path):
    from conftest import write_tree
    from mcpharden.scan import ScanOptions, scan_target

    write_tree(tmp_path, {"compose.yaml": "services:\n  mcp:\n    image: ghcr.io/example/mcp:1\n    security_opt:\n"
                                          "      - seccomp=unconfined\n"})
    [card] = scan_target(tmp_path, ScanOptions()).cards
    [entry] = card.unconfined
    assert entry.startswith("seccomp turned off at compose.yaml:"), entry
