"""Run lines as a user runs them (issue 22): Makefile recipes joined at their continuations with
make variables expanded, shell variables and defaults resolved, home folders however a file
names them, `podman run` called by its name, and every flag finding on the line of its flag.
End to end through the real CLI; the corpora are read where they hold the case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CORPORA, run_cli, write_tree
from mcpharden.syntax.makefile import read_makefile
from mcpharden.syntax.shell import split_commands

DIGEST = "sha256:" + "ab" * 32


def scan(root: Path, files: dict[str, str], *extra: str) -> list[dict]:
    write_tree(root, files)
    completed = run_cli("scan", str(root), "--format", "json", "--fail-on", "never", *extra)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)["findings"]


def of(found: list[dict], rule: str) -> list[dict]:
    return [f for f in found if f["rule_id"] == rule]


# Makefiles -------------------------------------------------------------------------------------


def test_privileged_on_a_continuation_line_is_found_on_its_line(tmp_path):
    found = scan(tmp_path, {"Makefile": """
        IMAGE := ghcr.io/acme/srv
        run:
        \tdocker run --rm -i \\
        \t\t-v /tmp/work:/work \\
        \t\t--privileged \\
        \t\t$(IMAGE):1.0
        """})
    [privileged] = of(found, "privileged-container")
    assert privileged["line"] == 5
    [mount] = of(found, "writable-host-mount")
    assert mount["line"] == 4
    [image] = of(found, "image-not-pinned-by-digest")
    assert image["line"] == 6 and "ghcr.io/acme/srv:1.0" in image["message"]


def test_a_hardened_recipe_across_continuations_is_not_flagged(tmp_path):
    found = scan(tmp_path, {"Makefile": f"""
        IMAGE = ghcr.io/acme/srv@{DIGEST}
        run: build
        \t@docker run --rm -i \\
        \t  --read-only --cap-drop ALL \\
        \t  --security-opt no-new-privileges \\
        \t  --memory 512m --pids-limit 128 \\
        \t  --user 65532:65532 \\
        \t  $(IMAGE)
        """})
    assert found == []


def test_make_variables_of_every_flavour_resolve(tmp_path):
    found = scan(tmp_path, {"Makefile": """
        NODE_VERSION := 22
        REGISTRY = ghcr.io/acme
        TAG ?= 1.4
        TAG ?= 9.9
        a:
        \tdocker run --rm node:$(NODE_VERSION) npm test
        b:
        \tdocker run --rm ${REGISTRY}/srv:$(TAG)
        c:
        \tdocker run --rm $${REGISTRY}/other:$(TAG)
        """}, "--select", "image-not-pinned-by-digest")
    messages = [f["message"] for f in found]
    # Quoted as the Makefile writes it, with what make makes of it.
    assert any("`node:$(NODE_VERSION) (= node:22)`" in m and "pinned by tag" in m for m in messages)
    assert any("`${REGISTRY}/srv:$(TAG) (= ghcr.io/acme/srv:1.4)`" in m for m in messages)
    assert any("(= ghcr.io/acme/other:1.4)`" in m for m in messages)
    assert len(found) == 3 and not any("9.9" in m for m in messages)


def test_a_make_variable_that_cannot_be_known_stays_open_and_is_not_a_build_argument(tmp_path):
    found = scan(tmp_path, {"Makefile": """
        VERSION ?= $(shell git describe --tags)
        run:
        \tdocker run --rm acme/srv:$(VERSION)
        """}, "--select", "image-not-pinned-by-digest")
    [finding] = found
    assert "acme/srv:$(VERSION)" in finding["message"] and "git describe" not in finding["message"]
    assert "build argument" not in finding["message"] and "variable" in finding["message"]


def test_makefile_reader_joins_continuations_and_skips_assignments():
    makefile = read_makefile("A = 1\nB := $(A)2\nC = $(C)x\nall:\n\techo $(B) \\\n\t  $(C) $$HOME\n\nD = 3\n")
    [recipe] = makefile.recipes
    assert recipe.line == 5 and recipe.text == "echo 12 \\\n  $(C) $HOME"  # C refers to itself: left open
    assert makefile.variables["D"] == "3"


def test_makefile_in_the_corpus_reads_the_continuation_lines():
    path = CORPORA["corpus2"] / "sonirico__mcp-shell" / "Makefile"
    if not path.is_file():
        pytest.skip("corpus2 is not on this machine")
    completed = run_cli("scan", str(path), "--format", "json", "--fail-on", "never")
    found = json.loads(completed.stdout)["findings"]
    # `-v /tmp/mcp-workspace:...` is the recipe's second line; the image its third.
    assert {f["line"] for f in of(found, "writable-host-mount")} == {98, 103, 109}
    assert {f["line"] for f in of(found, "image-not-pinned-by-digest")} == {99, 105, 111}
    assert all("build argument" not in f["message"] for f in found)


def test_make_variable_in_the_corpus_resolves():
    path = CORPORA["corpus2"] / "ProfessionalWiki__MediaWiki-MCP-Server" / "Makefile"
    if not path.is_file():
        pytest.skip("corpus2 is not on this machine")
    completed = run_cli("scan", str(path), "--format", "json", "--fail-on", "never", "--select", "image-not-pinned-by-digest")
    found = json.loads(completed.stdout)["findings"]
    assert found and all("`node:$(NODE_VERSION) (= node:22)`" in f["message"] for f in found)


# Shell variables -------------------------------------------------------------------------------


def test_a_shell_default_with_a_digest_pins_the_image(tmp_path):
    found = scan(tmp_path, {"run.sh": f"""
        #!/bin/sh
        IMAGE="${{IMAGE:-ghcr.io/acme/srv@{DIGEST}}}"
        docker run --rm -i "$IMAGE"
        docker run --rm -i "${{IMAGE}}"
        """}, "--select", "image-not-pinned-by-digest")
    assert found == []


def test_shell_assignments_and_defaults_resolve_in_order(tmp_path):
    found = scan(tmp_path, {"run.sh": """
        #!/bin/sh
        TAG=1.2
        export BASE=ghcr.io/acme
        docker run --rm "$BASE/one:$TAG"
        docker run --rm "${NEXT-ghcr.io/acme/two:3}"
        docker run --rm "${LATER:-ghcr.io/acme/three}"
        TAG=$(git describe)
        docker run --rm "$BASE/four:$TAG"
        PREFIX=x docker run --rm "$PREFIX/five"
        """}, "--select", "image-not-pinned-by-digest")
    messages = {f["line"]: f["message"] for f in found}
    assert "(= ghcr.io/acme/one:1.2)" in messages[4] and "pinned by tag" in messages[4]
    assert "(= ghcr.io/acme/two:3)" in messages[5]
    assert "(= ghcr.io/acme/three)" in messages[6] and "neither tag nor digest" in messages[6]
    # A variable set from a command, or only for one command, is not known.
    for line in (8, 9):
        assert "no value in the file" in messages[line] and "build argument" not in messages[line]


# Mount sources ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "reason"), [
    ("${env:HOME}/.ssh", "credentials (~/.ssh)"),
    ("${userHome}/.aws", "credentials (~/.aws)"),
    ("${env:USERPROFILE}\\\\.kube", "credentials (~/.kube)"),
    ("%USERPROFILE%\\\\.ssh", "credentials (~/.ssh)"),
    ("$env:USERPROFILE\\\\.aws", "credentials (~/.aws)"),
    ("~/.config/gcloud", "credentials (~/.config/gcloud)"),
    ("C:\\\\Users\\\\me\\\\.ssh", "credentials (~/.ssh)"),
    ("//c/Users/me/.kube", "credentials (~/.kube)"),
    ("${userHome}", "a whole home folder"),
])
def test_home_paths_in_every_spelling_are_host_paths_under_the_home(tmp_path, source, reason):
    config = '{"servers": {"s": {"command": "docker", "args": ["run", "-i", "--rm",\n  "-v", "%s:/root/x:ro",\n  "acme/s"]}}}' % source
    found = scan(tmp_path, {".vscode/mcp.json": config}, "--select", "sensitive-host-mount")
    [finding] = found
    assert reason in finding["message"] and finding["line"] == 2
    assert "`/root/x`" in finding["message"]  # the target, not a piece of the source


def test_a_workspace_folder_is_not_a_home_folder(tmp_path):
    config = '{"servers": {"s": {"command": "docker", "args": ["run", "-i", "--rm", "-v", "${workspaceFolder}:/w:ro", "acme/s"]}}}'
    assert scan(tmp_path, {".vscode/mcp.json": config}, "--select", "sensitive-host-mount,docker-socket-mount") == []


def test_a_home_mount_may_hold_the_docker_desktop_socket_and_var_run_holds_one(tmp_path):
    found = scan(tmp_path, {"run.sh": """
        docker run --rm -v "${HOME}:/home/me:ro" acme/a
        docker run --rm -v /var/run:/host-run acme/b
        """}, "--select", "sensitive-host-mount,docker-socket-mount")
    home = next(f for f in found if f["line"] == 1)
    assert "may hold the engine socket ~/.docker/run/docker.sock" in home["message"]
    run = next(f for f in found if f["line"] == 2)
    assert "may hold" not in run["message"] and "holds /var/run/docker.sock" in run["message"]


# Run-line messages -----------------------------------------------------------------------------


def test_podman_lines_are_called_podman_run_and_flags_point_at_their_lines(tmp_path):
    found = scan(tmp_path, {"scripts/start.sh": """
        #!/bin/bash
        set -euo pipefail
        podman run --rm -i \\
          --cap-drop ALL \\
          -p 8080:8080 \\
          --privileged \\
          -v /srv/data:/data \\
          --security-opt apparmor=unconfined \\
          ghcr.io/acme/srv:1
        docker run --rm --privileged acme/other
        """})
    by_rule = {f["rule_id"]: f for f in found if f["line"] < 10}
    assert by_rule["port-exposed-on-all-interfaces"]["line"] == 5
    assert by_rule["privileged-container"]["line"] == 6
    assert by_rule["writable-host-mount"]["line"] == 7
    assert by_rule["security-profile-disabled"]["line"] == 8
    assert by_rule["image-not-pinned-by-digest"]["line"] == 9
    assert all(f["message"].startswith("`podman run`") for f in found if f["line"] < 10)
    [docker] = [f for f in of(found, "privileged-container") if f["line"] == 10]
    assert docker["message"].startswith("`docker run`")


def test_flag_lines_in_a_readme_block_and_a_client_args_array(tmp_path):
    readme = "# Server\n\n```bash\n$ podman run --rm -i \\\n    --privileged \\\n    -p 3000:3000 \\\n    acme/srv\n```\n"
    config = '{"mcpServers": {"srv": {\n  "command": "podman",\n  "args": ["run", "-i",\n    "--privileged",\n    "-p", "3000:3000",\n    "acme/srv"]}}}'
    found = scan(tmp_path, {"README.md": readme, ".cursor/mcp.json": config},
                 "--select", "privileged-container,port-exposed-on-all-interfaces")
    lines = {(f["path"], f["rule_id"]): f["line"] for f in found}
    assert lines[("README.md", "privileged-container")] == 5
    assert lines[("README.md", "port-exposed-on-all-interfaces")] == 6
    assert lines[(".cursor/mcp.json", "privileged-container")] == 4
    assert lines[(".cursor/mcp.json", "port-exposed-on-all-interfaces")] == 5
    readme_finding = next(f for f in found if f["path"] == "README.md")
    assert readme_finding["message"].startswith("`podman run`")


def test_shell_splitter_gives_each_word_its_line():
    script = "docker run \\\n  --privileged \\\n  img && sudo docker run \\\n   -p 1:1 x\n"
    first, second = split_commands(script)
    assert first.word_lines == (0, 0, 1, 2)
    assert second.argv == ("docker", "run", "-p", "1:1", "x") and second.word_lines == (2, 2, 3, 3, 3)


def test_flag_lines_in_a_script_the_full_parser_rejects(tmp_path):
    # `[[ ... ]]` goes to the lexer fallback: the command is found where it starts, each flag on its line.
    found = scan(tmp_path, {"start.sh": """
        #!/bin/bash
        if [[ -z "${CI:-}" ]]; then docker run --rm -i \\
            --privileged \\
            -p 9000:9000 \\
            acme/srv:1; fi
        """}, "--select", "privileged-container,port-exposed-on-all-interfaces,capabilities-not-dropped")
    # A privileged container is not also told to drop capabilities.
    assert {f["rule_id"]: f["line"] for f in found} == {"privileged-container": 3, "port-exposed-on-all-interfaces": 4}


def test_a_variable_set_from_a_command_never_takes_its_default(tmp_path):
    found = scan(tmp_path, {"run.sh": f"""
        TAG=$(git describe --tags)
        docker run --rm "ghcr.io/acme/srv:${{TAG:-1.0}}"
        IMAGE="${{IMAGE:-ghcr.io/acme/srv@{DIGEST}}}"
        docker run --rm "$IMAGE"
        """}, "--select", "image-not-pinned-by-digest")
    [finding] = found
    assert finding["line"] == 2 and "no value in the file" in finding["message"] and "(= " not in finding["message"]


def test_ci_follows_a_make_target_whose_commands_continue(tmp_path):
    # `trivy image \` alone would scan nothing; joined, it scans the image the recipe built.
    files = {
        "Dockerfile": 'FROM gcr.io/distroless/static:nonroot\nCMD ["/srv"]\n',
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              image:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                  - run: make image
            """,
        "Makefile": "IMAGE := ghcr.io/acme/srv:1\nimage:\n\tdocker build \\\n\t\t-t $(IMAGE) .\n\ttrivy image \\\n\t\t--exit-code 1 \\\n\t\t$(IMAGE)\n",
    }
    assert scan(tmp_path, files, "--select", "no-image-scan-in-ci") == []
    files["Makefile"] = files["Makefile"].replace("\ttrivy image \\\n\t\t--exit-code 1 \\\n\t\t$(IMAGE)\n", "\techo done\n")
    [finding] = scan(tmp_path / "unscanned", files, "--select", "no-image-scan-in-ci")
    assert "no CI job or git hook scans a built image" in finding["message"]
