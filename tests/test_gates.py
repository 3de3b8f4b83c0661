"""Gates that hold (issue 20): a file of a known kind that does not parse fails the gate in every
format unless told otherwise; --target, --select and --ignore say when they name nothing."""

import json

import pytest

from conftest import run_cli, write_tree

# A clean, hardened setup: nothing at or above HIGH, so only a parse error can fail the gate.
CLEAN = {
    "Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "a" * 64 + "\n"
                  "COPY dist /app\nCMD [\"/app/index.js\"]\n",
}

BROKEN = {
    "build/Dockerfile": "FROM node:22\nNOPE\n",
    "compose.yaml": "services:\n  api: [\n",
    ".vscode/mcp.json": '{"servers": {',
    ".cursor/mcp.json": '{"mcpServers": {"a": } // JSONC\n',
    ".continue/config.yaml": "mcpServers:\n  - name: [\n",
    ".codex/config.toml": "[mcp_servers.x\n",
    "server.json": '{"name": ',
    "smithery.yaml": "startCommand:\n  type: [\n",
    "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: [\n",
}


def _scan(path, *arguments):
    return run_cli("scan", str(path), *arguments)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_unparseable_kind_is_a_parse_error_that_fails_the_gate(tmp_path, name):
    write_tree(tmp_path, {**CLEAN, name: BROKEN[name]})
    result = _scan(tmp_path, "-f", "json")
    document = json.loads(result.stdout)
    errors = [n for n in document["notices"] if n["kind"] == "parse-error"]
    assert [n["path"] for n in errors] == [name], document["notices"]
    assert document["summary"]["parse_errors"] == 1 and document["summary"]["failed"] is True
    assert not [f for f in document["findings"] if f["severity"] in ("high", "critical")]
    assert result.returncode == 1


def test_the_clean_tree_alone_passes(tmp_path):
    write_tree(tmp_path, CLEAN)
    result = _scan(tmp_path, "-f", "json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["parse_errors"] == 0


def test_a_valid_smithery_manifest_is_no_parse_error(tmp_path):
    write_tree(tmp_path, {**CLEAN, "smithery.yaml": "startCommand:\n  type: stdio\n"})
    assert _scan(tmp_path).returncode == 0


def test_parse_errors_in_every_format(tmp_path):
    write_tree(tmp_path, {**CLEAN, "compose.yaml": BROKEN["compose.yaml"]})
    text = _scan(tmp_path)
    assert "Parse errors (nothing in these files was judged):\n  compose.yaml:3: not scanned: invalid YAML" in text.stdout
    assert "1 file(s) do not parse (the gate fails)" in text.stdout and text.returncode == 1
    sarif = json.loads(_scan(tmp_path, "--format", "sarif").stdout)
    notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["descriptor"]["id"]) for n in notifications] == [("error", "parse-error")]
    location = notifications[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "compose.yaml" and location["region"]["startLine"] == 3  # where it breaks
    markdown = _scan(tmp_path, "--format", "markdown").stdout
    assert "**Files that do not parse (the gate fails):**" in markdown and "❌ `compose.yaml`" in markdown
    github = _scan(tmp_path, "--format", "github").stdout
    assert "::error file=" in github and "compose.yaml,line=3,title=mcpharden parse error::not scanned" in github


def test_a_partly_read_file_is_a_note_not_a_parse_error(tmp_path):
    """A Helm template is not ours to parse: a notice of kind note that fails nothing."""
    write_tree(tmp_path, {**CLEAN, "chart/templates/deploy.yaml": "apiVersion: v1\nkind: Pod\n{{ .Values.x }}\n"})
    document = json.loads(_scan(tmp_path, "-f", "json").stdout)
    assert document["summary"]["parse_errors"] == 0 and not document["summary"]["failed"]


def test_the_option_and_the_config_key_keep_the_old_gate(tmp_path):
    write_tree(tmp_path, {**CLEAN, "compose.yaml": BROKEN["compose.yaml"]})
    kept = _scan(tmp_path, "--no-fail-on-parse-error")
    assert kept.returncode == 0 and "Parse errors" in kept.stdout and "(the gate fails)" not in kept.stdout
    assert _scan(tmp_path, "--fail-on", "never").returncode == 0  # never is never
    (tmp_path / ".mcpharden.toml").write_text("fail-on-parse-error = false\n")
    assert _scan(tmp_path).returncode == 0
    assert _scan(tmp_path, "--fail-on-parse-error").returncode == 1  # the command line wins
    (tmp_path / ".mcpharden.toml").write_text('fail-on-parse-error = "no"\n')
    bad = _scan(tmp_path)
    assert bad.returncode == 2 and "`fail-on-parse-error` must be true or false" in bad.stderr


def test_a_single_unparseable_file_fails_the_gate(tmp_path):
    write_tree(tmp_path, {"server.json": BROKEN["server.json"]})
    result = _scan(tmp_path / "server.json")
    assert result.returncode == 1 and "Parse errors" in result.stdout


MULTI_STAGE = {"Dockerfile": "FROM node:22 AS build\nRUN npm ci\nFROM node:22-alpine AS runtime\nUSER node\nCMD [\"node\"]\n"}


def test_a_target_naming_no_stage_is_a_usage_error_with_a_guess(tmp_path):
    write_tree(tmp_path, MULTI_STAGE)
    typo = _scan(tmp_path, "--target", "runtme")
    assert typo.returncode == 2 and not typo.stdout
    assert "--target runtme: no Dockerfile scanned has a stage of that name; did you mean 'runtime'?" in typo.stderr
    assert "(stages: build, runtime)" in typo.stderr
    unrelated = _scan(tmp_path, "--target", "zzz")
    assert unrelated.returncode == 2 and "did you mean" not in unrelated.stderr
    assert _scan(tmp_path, "--target", "RUNTIME").returncode in (0, 1)  # Docker matches stage names in any case
    build = json.loads(_scan(tmp_path, "--target", "build", "-f", "json").stdout)
    assert [f for f in build["findings"] if f["rule_id"] == "root-user"]  # the build stage runs as root


def test_a_target_is_no_error_where_no_dockerfile_was_scanned(tmp_path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  api:\n    image: example/api:1\n"})
    assert _scan(tmp_path, "--target", "runtime").returncode != 2


def test_unknown_select_and_ignore_ids_are_usage_errors_with_a_guess(tmp_path):
    write_tree(tmp_path, MULTI_STAGE)
    for option in ("--select", "--ignore"):
        result = _scan(tmp_path, option, "root_user")
        assert result.returncode == 2 and f"{option}: unknown rule id(s) root_user; did you mean 'root-user'?" in result.stderr
    later = _scan(tmp_path, "--ignore", "root-user", "--ignore", "no-such-rule")
    assert later.returncode == 2 and "no-such-rule" in later.stderr


def test_repeated_ignore_and_select_flags_accumulate(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM node:22\nCOPY . .\nRUN npm install\nCMD [\"node\"]\n"})

    def rules(*options):
        return {f["rule_id"] for f in json.loads(_scan(tmp_path, "-f", "json", *options).stdout)["findings"]}

    everything = rules()
    assert {"root-user", "full-os-base-image", "image-not-pinned-by-digest"} <= everything
    ignored = rules("--ignore", "root-user", "--ignore", "full-os-base-image,image-not-pinned-by-digest")
    assert ignored == everything - {"root-user", "full-os-base-image", "image-not-pinned-by-digest"}
    assert rules("--select", "root-user", "--select", "full-os-base-image") == {"root-user", "full-os-base-image"}


def test_a_configured_target_naming_no_stage_is_a_notice(tmp_path):
    write_tree(tmp_path, {**MULTI_STAGE, ".mcpharden.toml": 'target = "runtme"\n'})
    document = json.loads(_scan(tmp_path, "-f", "json").stdout)
    assert [n["message"] for n in document["notices"]] == [
        "`target = 'runtme'` names no stage of the Dockerfiles scanned: each is judged by its last stage"]
    (tmp_path / ".mcpharden.toml").write_text('target = "build"\n')
    assert not json.loads(_scan(tmp_path, "-f", "json").stdout)["notices"]
