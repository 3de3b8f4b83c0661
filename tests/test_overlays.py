"""Compose overlays and override files, judged merged with their base, findings where the setting is."""

from __future__ import annotations

import json

import pytest

from conftest import findings, run_cli, scan_files, write_tree

BASE = """
    services:
      api:
        build: .
        image: acme/api:1.0
        user: "1000"
        read_only: true
        cap_drop: [ALL]
        security_opt:
          - no-new-privileges:true
        mem_limit: 256m
        pids_limit: 100
        cpus: 1
    """
HARDENING = ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed", "no-resource-limits")


def rules_at(result, path):
    return sorted((f.rule_id, f.line) for f in result.findings if f.path == path)


def test_overlay_that_only_adds_ports_keeps_the_base_hardening(tmp_path):
    overlay = """
        services:
          api:
            restart: unless-stopped
            ports:
              - "127.0.0.1:8080:8080"
        """
    result = scan_files(tmp_path, {"docker-compose.yml": BASE, "docker-compose.server.yml": overlay})
    for rule in HARDENING:
        assert not findings(result, rule), rule


def test_overlay_is_judged_for_what_it_changes(tmp_path):
    overlay = """
        services:
          api:
            privileged: true
            ports:
              - "8080:8080"
            volumes:
              - /var/run/docker.sock:/var/run/docker.sock
        """
    result = scan_files(tmp_path, {"docker-compose.yml": BASE, "docker-compose.server.yml": overlay})
    at = rules_at(result, "docker-compose.server.yml")
    assert ("privileged-container", 3) in at and ("port-exposed-on-all-interfaces", 5) in at and ("docker-socket-mount", 7) in at
    # privileged makes the base's cap_drop moot, and that is the overlay's doing
    assert not [r for r, _ in at if r in HARDENING]


def test_what_the_base_says_is_reported_once_on_the_base(tmp_path):
    base = BASE.replace("cap_drop: [ALL]", "cap_add: [SYS_ADMIN]\n        cap_drop: [ALL]")
    overlay = "services:\n  api:\n    environment:\n      LOG: debug\n"
    result = scan_files(tmp_path, {"docker-compose.yml": base, "docker-compose.prod.yml": overlay})
    added = findings(result, "dangerous-capability-added")
    assert [(f.path, f.line) for f in added] == [("docker-compose.yml", 7)]
    assert not rules_at(result, "docker-compose.prod.yml")


def test_a_file_that_runs_alone_is_not_merged(tmp_path):
    standalone = """
        services:
          api:
            image: acme/api:dev
            ports: ["127.0.0.1:1:1"]
        """
    result = scan_files(tmp_path, {"docker-compose.yml": BASE, "docker-compose.dev.yml": standalone})
    at = {rule for rule, _ in rules_at(result, "docker-compose.dev.yml")}
    assert {"capabilities-not-dropped", "root-filesystem-writable"} <= at


def test_a_usage_comment_pairs_a_complete_file(tmp_path):
    overlay = """
        # Usage: docker compose -f docker-compose.yml -f docker-compose.dev.yml up
        services:
          api:
            build: {context: ., target: dev}
            image: acme/api:dev
        """
    result = scan_files(tmp_path, {"docker-compose.yml": BASE, "docker-compose.dev.yml": overlay})
    assert not [r for r, _ in rules_at(result, "docker-compose.dev.yml") if r in HARDENING]


def test_default_override_is_merged_into_the_default_file(tmp_path):
    base = "services:\n  api:\n    image: acme/api:1.0\n"
    override = """
        services:
          api:
            read_only: true
            cap_drop: [ALL]
            security_opt: ["no-new-privileges:true", "apparmor:unconfined"]
            privileged: false
          cache:
            image: redis:7
            read_only: true
        """
    result = scan_files(tmp_path, {"compose.yaml": base, "compose.override.yaml": override})
    for rule in ("capabilities-not-dropped", "privilege-escalation-allowed"):
        assert [f.path for f in findings(result, rule)] == ["compose.override.yaml"], rule  # only `cache`
    assert not findings(result, "root-filesystem-writable")
    disabled = findings(result, "security-profile-disabled")
    assert [(f.path, f.line) for f in disabled] == [("compose.override.yaml", 5)]
    assert sorted(f.path for f in findings(result, "image-not-pinned-by-digest")) == ["compose.override.yaml", "compose.yaml"]


def test_base_setting_of_a_default_file_stays_on_its_line(tmp_path):
    base = "services:\n  api:\n    image: acme/api:1.0\n    privileged: true\n"
    override = "services:\n  api:\n    environment: [A=1]\n"
    result = scan_files(tmp_path, {"docker-compose.yml": base, "docker-compose.override.yml": override})
    assert [(f.path, f.line) for f in findings(result, "privileged-container")] == [("docker-compose.yml", 4)]


def test_no_base_beside_it_means_no_merge(tmp_path):
    overlay = "services:\n  api:\n    ports: ['9000:9000']\n"
    result = scan_files(tmp_path, {"deploy/docker-compose.server.yml": overlay, "docker-compose.yml": BASE})
    assert findings(result, "capabilities-not-dropped")


def test_cli_overlay_findings(tmp_path):
    write_tree(tmp_path, {"docker-compose.yml": BASE, "docker-compose.server.yml": "services:\n  api:\n    ports: ['8080:8080']\n"})
    result = run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["findings"]
    assert {(r["rule_id"], r["path"], r["line"]) for r in rows if r["path"] == "docker-compose.server.yml"} == {
        ("port-exposed-on-all-interfaces", "docker-compose.server.yml", 3)}


# A committed .env that compose loads with env_file --------------------------------------------

TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def test_credential_in_an_env_file_is_reported_at_its_line_and_never_printed(tmp_path):
    files = {
        "compose.yaml": "services:\n  api:\n    image: acme/api:1.0\n    env_file: [.env, config/extra.env]\n",
        ".env": f"# settings\nLOG_LEVEL=debug\nexport GITHUB_TOKEN=\"{TOKEN}\"\n",
        "config/extra.env": "PORT=8080\n",
    }
    result = scan_files(tmp_path, files)
    secrets = findings(result, "secret-in-run-config")
    assert [(f.path, f.line) for f in secrets] == [(".env", 3)]
    assert "GITHUB_TOKEN" in secrets[0].message
    write_tree(tmp_path, {})
    for output in ("text", "json", "sarif", "markdown"):
        shown = run_cli("scan", str(tmp_path), "--format", output, "--fail-on", "never")
        assert TOKEN not in shown.stdout + shown.stderr and "a1B2c3D4" not in shown.stdout


def test_env_file_settings_give_way_and_stay_inside_the_repository(tmp_path):
    files = {
        "app/compose.yaml": "services:\n  api:\n    image: a:1\n    env_file: [.env, ../../outside.env]\n"
                            "    environment:\n      GITHUB_TOKEN: ${GITHUB_TOKEN}\n",
        "app/.env": f"GITHUB_TOKEN={TOKEN}\n",
    }
    (tmp_path.parent / "outside.env").write_text(f"OTHER_TOKEN={TOKEN}\n")
    result = scan_files(tmp_path, files)
    assert not findings(result, "secret-in-run-config")  # `environment:` wins; the outside file is never read


def test_env_file_that_is_not_loaded_is_not_a_run_configuration(tmp_path):
    result = scan_files(tmp_path, {"compose.yaml": "services:\n  api:\n    image: a:1\n", ".env": f"GITHUB_TOKEN={TOKEN}\n"})
    assert not findings(result, "secret-in-run-config")


# Findings about one key point at that key's line ----------------------------------------------

FLAGS_COMPOSE = """
    services:
      api:
        image: acme/api:1.0
        privileged: true
        ports:
          - "8080:8080"
        cap_add:
          - SYS_ADMIN
        security_opt:
          - no-new-privileges:true
          - apparmor:unconfined
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock
    """

FLAGS_POD = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
    spec:
      securityContext:
        seccompProfile:
          type: Unconfined
      volumes:
        - name: host-etc
          hostPath: {type: Directory, path: /etc}
      containers:
        - name: c
          image: acme/api:1.0
          volumeMounts: [{name: host-etc, mountPath: /host/etc, readOnly: true}]
          ports:
            - containerPort: 80
              hostPort: 80
          securityContext:
            privileged: true
            capabilities:
              add: [NET_ADMIN]
    """


@pytest.mark.parametrize("path, text, expected", [
    ("compose.yaml", FLAGS_COMPOSE, {"privileged-container": 4, "port-exposed-on-all-interfaces": 6, "dangerous-capability-added": 7,
                                     "security-profile-disabled": 11, "docker-socket-mount": 13}),
    ("pod.yaml", FLAGS_POD, {"security-profile-disabled": 8, "sensitive-host-mount": 11, "port-exposed-on-all-interfaces": 18,
                             "privileged-container": 20, "dangerous-capability-added": 22}),
])
def test_findings_point_at_the_key(tmp_path, path, text, expected):
    result = scan_files(tmp_path, {path: text})
    lines = {f.rule_id: f.line for f in result.findings}
    assert {rule: lines.get(rule) for rule in expected} == expected


# Kustomize overlays ---------------------------------------------------------------------------

DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: srv
    spec:
      template:
        spec:
          automountServiceAccountToken: false
          containers:
            - name: srv
              image: ghcr.io/acme/srv:1.0
              securityContext:
                runAsNonRoot: true
                runAsUser: 1000
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
                capabilities: {drop: [ALL]}
                seccompProfile: {type: RuntimeDefault}
              resources:
                limits: {memory: 256Mi, cpu: 500m}
    """
KUSTOMIZE_BASE = {"k8s/base/deployment.yaml": DEPLOYMENT, "k8s/base/kustomization.yaml": "resources:\n  - deployment.yaml\n"}


def kustomize(tmp_path, overlay, extra=None):
    return scan_files(tmp_path, {**KUSTOMIZE_BASE, "k8s/prod/kustomization.yaml": overlay, **(extra or {})})


def test_kustomize_patch_is_judged_with_its_base_and_reported_on_its_line(tmp_path):
    overlay = """
        resources:
          - ../base
        patches:
          - patch: |-
              kind: Deployment
              metadata: {name: srv}
              spec:
                template:
                  spec:
                    containers:
                      - name: srv
                        securityContext:
                          privileged: true
        images:
          - name: ghcr.io/acme/srv
            digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        """
    result = kustomize(tmp_path, overlay)
    assert [(f.path, f.line) for f in findings(result, "privileged-container")] == [("k8s/prod/kustomization.yaml", 13)]
    # the base's hardening holds; the digest pins the image; nothing is said twice (the base alone runs the tag)
    assert rules_at(result, "k8s/base/deployment.yaml") == [("image-not-pinned-by-digest", 11)]
    assert {rule for rule, _ in rules_at(result, "k8s/prod/kustomization.yaml")} == {"privileged-container"}


def test_kustomize_patch_file_and_json6902(tmp_path):
    overlay = """
        resources: [../base]
        patchesStrategicMerge:
          - mount.yaml
        patches:
          - target: {kind: Deployment, name: srv}
            patch: |-
              - op: replace
                path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem
                value: false
        """
    mount = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: srv}
        spec:
          template:
            spec:
              volumes:
                - name: sock
                  hostPath: {path: /var/run/docker.sock}
              containers:
                - name: srv
                  volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]
        """
    result = kustomize(tmp_path, overlay, {"k8s/prod/mount.yaml": mount})
    assert [(f.path, f.line) for f in findings(result, "docker-socket-mount")] == [("k8s/prod/mount.yaml", 9)]
    assert [(f.path, f.line) for f in findings(result, "root-filesystem-writable")] == [("k8s/prod/kustomization.yaml", 9)]


def test_kustomize_overlay_that_changes_nothing_risky_reports_nothing(tmp_path):
    overlay = "resources: [../base]\nnamePrefix: prod-\npatches:\n  - patch: |-\n      kind: Deployment\n      metadata: {name: srv}\n" \
              "      spec: {replicas: 3}\n"
    result = kustomize(tmp_path, overlay)
    assert [(f.rule_id, f.path) for f in result.findings] == [("image-not-pinned-by-digest", "k8s/base/deployment.yaml")]


def test_kustomize_never_leaves_the_root_or_fetches(tmp_path):
    (tmp_path.parent / "outside.yaml").write_text(DEPLOYMENT.replace("readOnlyRootFilesystem: true", "privileged: true"))
    overlay = "resources:\n  - ../../../outside.yaml\n  - https://github.com/acme/x//k8s?ref=main\n  - ../prod\n"
    result = kustomize(tmp_path, overlay)
    assert not findings(result, "privileged-container")  # nothing read from outside; its own folder is no cycle trap


def test_an_override_replaces_a_mount_by_its_target_but_a_committed_credential_stays_reported(tmp_path):
    base = "services:\n  api:\n    image: a:1\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n" \
           f"    environment:\n      - GITHUB_TOKEN={TOKEN}\n"
    override = "services:\n  api:\n    volumes:\n      - type: volume\n        source: proxy\n        target: /var/run/docker.sock\n" \
               "    environment:\n      - GITHUB_TOKEN\n"
    result = scan_files(tmp_path, {"compose.yaml": base, "compose.override.yaml": override})
    assert not findings(result, "docker-socket-mount")
    assert [(f.path, f.line) for f in findings(result, "secret-in-run-config")] == [("compose.yaml", 7)]  # still in the file
    alone = scan_files(tmp_path / "alone", {"compose.yaml": base})
    assert findings(alone, "docker-socket-mount") and findings(alone, "secret-in-run-config")


def test_a_port_the_overlay_repeats_is_its_own_and_fix_settles_in_one_run(tmp_path):
    """The overlay writes `8000:8000` again: that line stays in force when the base's is fixed,
    so it is reported (and fixed) where the overlay writes it, and a second `fix` finds nothing."""
    write_tree(tmp_path, {
        "docker-compose.yml": "services:\n  app:\n    build: .\n    ports:\n      - \"8000:8000\"\n",
        "docker-compose.override.yml": "services:\n  app:\n    ports:\n      - \"8000:8000\"\n      - \"5678:5678\"\n",
    })
    exposed = {(f.path, f.line) for f in findings(scan_files(tmp_path, {}), "port-exposed-on-all-interfaces")}
    assert {("docker-compose.yml", 5), ("docker-compose.override.yml", 4), ("docker-compose.override.yml", 5)} <= exposed
    assert run_cli("fix", str(tmp_path), "--write", "--exit-zero").returncode == 0
    assert "127.0.0.1:8000:8000" in (tmp_path / "docker-compose.override.yml").read_text()
    again = run_cli("fix", str(tmp_path), "--exit-zero").stdout
    assert "--- a/" not in again


def test_an_override_replaces_the_command_it_sets():
    """Compose appends most sequences but replaces `command`, `entrypoint` and `healthcheck: test`:
    the override's command is the one that runs, not the base's with it appended."""
    from mcpharden.sources.compose import merge
    from mcpharden.syntax.yamlnodes import load_documents

    base = load_documents("command: [node, server.js]\nentrypoint: [tini, --]\nhealthcheck: {test: [CMD, a]}\ndns: [1.1.1.1]\n")[0]
    override = load_documents("command: [npx, -y, srv]\nentrypoint: [sh]\nhealthcheck: {test: [CMD, b]}\ndns: [8.8.8.8]\n")[0]
    merged = merge(base, override, ("docker-compose.yml", "docker-compose.override.yml"))
    assert list(merged["command"]) == ["npx", "-y", "srv"] and list(merged["entrypoint"]) == ["sh"]
    assert list(merged["healthcheck"]["test"]) == ["CMD", "b"]
    assert list(merged["dns"]) == ["1.1.1.1", "8.8.8.8"]  # other sequences still append
