import pytest

from conftest import findings, scan_files

RULE = "no-image-scan-in-ci"
DOCKERFILE = "FROM gcr.io/distroless/static-debian12:nonroot\n"


def check(tmp_path, files, dockerfile=DOCKERFILE):
    tree = {"Dockerfile": dockerfile, **files} if dockerfile else files
    return findings(scan_files(tmp_path, tree, select=(RULE,)), RULE)


def workflow(*steps: str) -> dict[str, str]:
    body = "\n".join(steps)
    return {".github/workflows/ci.yml": "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n" + body + "\n"}


BUILD = "      - uses: docker/build-push-action@v6\n        with:\n          tags: app:ci"


def test_repository_without_ci_is_flagged_on_its_dockerfile(tmp_path):
    [finding] = check(tmp_path, {})
    assert (finding.path, finding.line) == ("Dockerfile", 1)
    assert "no CI definition was found" in finding.message


def test_finding_is_placed_on_the_build_step(tmp_path):
    [finding] = check(tmp_path, workflow("      - uses: actions/checkout@v4", BUILD))
    assert (finding.path, finding.line) == (".github/workflows/ci.yml", 7)


def test_trivy_action_scanning_an_image_passes(tmp_path):
    scan = "      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n          image-ref: app:ci\n          exit-code: '1'"
    assert not check(tmp_path, workflow(BUILD, scan))


def test_trivy_action_in_fs_mode_does_not_count_and_is_named(tmp_path):
    scan = "      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n          scan-type: fs\n          scan-ref: ."
    [finding] = check(tmp_path, workflow(BUILD, scan))
    assert "scans the repository, not the image" in finding.message


def test_other_scanner_actions(tmp_path):
    for step in (
        "      - uses: anchore/scan-action@v6\n        with:\n          image: app:ci",
        "      - uses: docker/scout-action@v1\n        with:\n          command: cves,recommendations\n          image: app:ci",
        "      - uses: snyk/actions/docker@master\n        with:\n          image: app:ci",
    ):
        assert not check(tmp_path, workflow(BUILD, step)), step


def test_anchore_scan_of_a_path_does_not_count(tmp_path):
    assert check(tmp_path, workflow(BUILD, "      - uses: anchore/scan-action@v6\n        with:\n          path: ."))


def test_scanner_commands_in_run_steps(tmp_path):
    for command in ("trivy image --exit-code 1 app:ci", "grype app:ci --fail-on high", "docker scout cves app:ci",
                    "snyk container test app:ci", "sudo trivy --quiet image app:ci"):
        assert not check(tmp_path, workflow(BUILD, f"      - run: |\n          set -e\n          {command}")), command


def test_directory_scans_in_run_steps_do_not_count(tmp_path):
    assert check(tmp_path, workflow(BUILD, "      - run: trivy fs --exit-code 1 ."))
    assert check(tmp_path, workflow(BUILD, "      - run: grype dir:. --fail-on high"))


def test_gitlab_template_component_and_script(tmp_path):
    assert not check(tmp_path, {".gitlab-ci.yml": "include:\n  - template: Jobs/Container-Scanning.gitlab-ci.yml\n"})
    assert not check(tmp_path, {".gitlab-ci.yml": "include:\n  - component: gitlab.com/components/container-scanning/container-scanning@6\n"})
    assert not check(tmp_path, {".gitlab-ci.yml": "scan:\n  image: aquasec/trivy\n  script:\n    - trivy image $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\n"})
    assert check(tmp_path, {".gitlab-ci.yml": "build:\n  script:\n    - docker build -t app .\n"})


def test_gitlab_anchors_and_merge_keys(tmp_path):
    gitlab = ".scan: &scan\n  script:\n    - grype registry:app:1\njob:\n  <<: *scan\n  stage: test\n"
    assert not check(tmp_path, {".gitlab-ci.yml": gitlab})


def test_pre_push_hooks(tmp_path):
    assert not check(tmp_path, {".husky/pre-push": "#!/bin/sh\ndocker build -t app . && trivy image app\n"})
    precommit = "repos:\n  - repo: local\n    hooks:\n      - id: scan\n        name: scan\n        entry: grype app:dev\n        language: system\n        stages: [pre-push]\n"
    assert not check(tmp_path, {".pre-commit-config.yaml": precommit})


def test_makefile_target_called_from_ci(tmp_path):
    files = workflow(BUILD, "      - run: make scan")
    files["Makefile"] = "IMAGE ?= app:ci\n\nscan: build\n\t@trivy image --exit-code 1 $(IMAGE)\n\nbuild:\n\tdocker build -t $(IMAGE) .\n"
    assert not check(tmp_path, files)


def test_makefile_target_not_called_from_ci_does_not_count(tmp_path):
    files = workflow(BUILD, "      - run: make test")
    files["Makefile"] = "test:\n\tpytest\nscan:\n\ttrivy image app\n"
    assert check(tmp_path, files)


def test_npm_script_and_repository_script_called_from_ci(tmp_path):
    files = workflow(BUILD, "      - run: npm run scan:image")
    files["package.json"] = '{"scripts": {"scan:image": "grype app:ci"}}'
    assert not check(tmp_path, files)
    files = workflow(BUILD, "      - run: ./scripts/scan.sh")
    files["scripts/scan.sh"] = "#!/bin/sh\nset -e\ndocker scout cves app:ci\n"
    assert not check(tmp_path, files)


def test_repository_without_dockerfile_needs_no_scan(tmp_path):
    assert not check(tmp_path, workflow("      - run: npm test"), dockerfile=None)


def test_single_file_scan_does_not_judge_ci(tmp_path):
    from mcpharden.scan import ScanOptions, scan_target

    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    result = scan_target(tmp_path / "Dockerfile", ScanOptions(select=(RULE,)))
    assert not result.findings


def _workflow(steps: str) -> dict[str, str]:
    return {"Dockerfile": "FROM node:22\n",
            ".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n" + steps}


BUILD = "      - run: docker build -t app .\n"


@pytest.mark.parametrize("scan", [
    "      - run: |\n          if ! timeout 480 docker scout cves app --exit-code; then\n            exit 1\n          fi\n",
    "      - run: docker build -t app . && (grype app --fail-on high)\n",
    "      - uses: anchore/sbom-action@v0\n        with:\n          image: app\n          output-file: sbom.json\n"
    "      - uses: anchore/scan-action@v6\n        with:\n          sbom: sbom.json\n",
])
def test_image_scans_inside_shell_constructs_and_on_image_sboms_count(tmp_path, scan):
    from conftest import findings, scan_files

    assert not findings(scan_files(tmp_path, _workflow(BUILD + scan)), "no-image-scan-in-ci")


def test_a_sarif_category_named_after_a_scanner_is_not_a_scan(tmp_path):
    from conftest import findings, scan_files

    steps = BUILD + ("      - run: grype dir:. -o sarif > grype.sarif\n      - uses: github/codeql-action/upload-sarif@v3\n"
                     "        with:\n          sarif_file: grype.sarif\n          category: grype\n")
    [finding] = findings(scan_files(tmp_path, _workflow(steps)), "no-image-scan-in-ci")
    assert finding.severity.label == "medium"


def test_an_image_no_ci_job_builds_is_low_and_says_who_builds_it(tmp_path):
    from conftest import findings, scan_files

    [finding] = findings(scan_files(tmp_path, _workflow("      - run: npm test\n")), "no-image-scan-in-ci")
    assert finding.severity.label == "low" and "built elsewhere" in finding.message


def test_only_shell_keys_are_read_as_commands(tmp_path):
    """A step's name, an `if:` expression or a github-script body that mentions a command is
    not that command: only `run:` (GitHub), `script:` (GitLab) and the like are shell."""
    named = workflow("      - name: docker build -t app . && trivy image app\n        run: echo hello",
                     "      - uses: actions/github-script@v7\n        with:\n          script: |\n            trivy image app")
    [finding] = check(tmp_path, named)
    assert finding.severity.name == "LOW" and "no CI job builds the image" in finding.message
    gitlab = {".gitlab-ci.yml": "build:\n  script:\n    - docker build -t app .\n  variables:\n    NOTE: trivy image app\n"}
    [finding] = check(tmp_path / "gitlab", gitlab)
    assert finding.severity.name == "MEDIUM"  # the build in `script:` counts; the variable is no scan


# Every way CI builds an image; Docker Scout's commands that are no scan ---------------------------


def job(body: str) -> dict[str, str]:
    return {".github/workflows/release.yml": "on: push\njobs:\n" + body}


@pytest.mark.parametrize("files, via", [
    (job("  image:\n    uses: acme/workflows/.github/workflows/release.yml@v3\n    secrets:\n"
         "      registry-password: ${{ secrets.GHCR_TOKEN }}\n"), "uses: acme/workflows/.github/workflows/release.yml@v3"),
    (job("  image:\n    uses: acme/workflows/.github/workflows/docker-publish.yml@v3\n    secrets: inherit\n"),
     "uses: acme/workflows/.github/workflows/docker-publish.yml@v3"),
    ({**job("  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/publish-docker\n"),
      ".github/actions/publish-docker/action.yml": "name: publish\nruns:\n  using: composite\n  steps:\n"
                                                  "    - uses: docker/build-push-action@v6\n      with:\n        push: true\n"},
     "uses: docker/build-push-action@v6"),
    (job("  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: elgohr/Publish-Docker-Github-Action@v5\n"
         "        with:\n          name: acme/srv\n"), "uses: elgohr/Publish-Docker-Github-Action@v5"),
    ({**job("  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: goreleaser/goreleaser-action@v6\n"
            "        with:\n          args: release --clean\n"),
      ".goreleaser.yaml": "builds:\n  - main: .\ndockers:\n  - image_templates: [\"ghcr.io/acme/srv:{{ .Version }}\"]\n"},
     "uses: goreleaser/goreleaser-action@v6 (.goreleaser.yaml builds images)"),
])
def test_ci_builds_the_image_and_the_finding_says_so(tmp_path, files, via):
    [finding] = check(tmp_path, files)
    assert finding.severity.name == "MEDIUM" and f"(CI builds it: `{via}`)" in finding.message


def test_what_builds_no_image_is_not_a_build(tmp_path):
    files = {**job("  test:\n    uses: acme/workflows/.github/workflows/lint.yml@v3\n    with:\n      python: '3.12'\n"
                   "  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: goreleaser/goreleaser-action@v6\n"),
             ".goreleaser.yaml": "builds:\n  - main: .\narchives:\n  - format: tar.gz\n"}
    [finding] = check(tmp_path, files)
    assert finding.severity.name == "LOW" and "no CI job builds the image either" in finding.message


@pytest.mark.parametrize("command, scans", [("cves", True), ("quickview", True), ("recommendations", False),
                                             ("compare", False), ("recommendations,compare", False)])
def test_scout_scans_only_with_cves_or_quickview(tmp_path, command, scans):
    step = f"      - uses: docker/scout-action@v1\n        with:\n          command: {command}\n          image: app:ci"
    found = check(tmp_path, workflow(BUILD, step))
    assert bool(found) is not scans
    if found:
        assert "runs neither `cves` nor `quickview`" in found[0].message
    run = f"      - run: docker scout {command.split(',')[0]} app:ci"
    assert bool(check(tmp_path / "run", workflow(BUILD, run))) is not scans


def test_a_local_action_anywhere_builds_or_scans_what_it_does(tmp_path):
    action = ("name: publish\nruns:\n  using: composite\n  steps:\n    - shell: bash\n"
              "      run: docker build -t ghcr.io/acme/srv:ci .\n")
    files = {**job("  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./tools/publish\n"), "tools/publish/action.yml": action}
    [finding] = check(tmp_path, files)
    assert finding.severity.name == "MEDIUM" and "(CI builds it: `uses: ./tools/publish (docker build" in finding.message
    scan = action + "    - shell: bash\n      run: trivy image --exit-code 1 ghcr.io/acme/srv:ci\n"
    assert not check(tmp_path / "scanned", {**files, "tools/publish/action.yml": scan})


def test_a_local_action_that_uses_itself_is_read_once(tmp_path):
    action = "name: loop\nruns:\n  using: composite\n  steps:\n    - uses: ./tools/loop\n"
    files = {**job("  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./tools/loop\n"), "tools/loop/action.yml": action}
    [finding] = check(tmp_path, files)
    assert finding.severity.name == "LOW"
