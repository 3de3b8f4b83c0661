"""Where SARIF results point, so that GitHub code scanning places each alert: URIs relative to
the repository root whatever folder was scanned, image findings on the Dockerfile the image was
built from, and a URI code scanning accepts when there is none. Checked with the real CLI and,
where it is installed, Microsoft's SARIF multitool with GitHub's ingestion rules."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from imagebuilder import Image, docker_archive_legacy
from test_cli import SARIF_TOOL
from test_image import BASE

DOCKERFILE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n'


def git_repository(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True, timeout=60)
    else:  # what the lookup needs: a `.git` at the root
        (root / ".git").mkdir()
    return root


def sarif(*arguments: str, cwd: Path | None = None) -> dict:
    result = run_cli("scan", *arguments, "--format", "sarif", "--fail-on", "never", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def uris(document: dict) -> set[str]:
    return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]}


def validate(tmp_path: Path, document: dict) -> None:
    """The SARIF 2.1.0 schema and rules, then GitHub code scanning's own (GH1xxx)."""
    if not SARIF_TOOL.exists():
        return
    log = tmp_path / "check.sarif"
    log.write_text(json.dumps(document), encoding="utf-8")
    for rule_kind in ([], ["--rule-kind", "Gh"]):
        validation = tmp_path / "validation.sarif"
        completed = subprocess.run([str(SARIF_TOOL), "validate", str(log), "--output", str(validation), "--log",
                                    "ForceOverwrite", *rule_kind], capture_output=True, text=True, timeout=300)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        problems = [r for run in json.loads(validation.read_text())["runs"] for r in run.get("results", [])
                    if r.get("level") == "error"]
        assert not problems, (rule_kind, problems)


def test_a_sub_folder_scan_points_from_the_repository_root(tmp_path):
    repo = git_repository(tmp_path / "repo", {"services/api/Dockerfile": DOCKERFILE, "services/web/Dockerfile": DOCKERFILE})
    document = sarif(str(repo / "services" / "api"))
    assert uris(document) == {"services/api/Dockerfile"}
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run["tool"]["driver"]["informationUri"] == "https://github.com/mcpharden/mcpharden"
    # From inside the folder, and a single file, the same: what GitHub needs does not depend on where one stands.
    assert uris(sarif(".", cwd=repo / "services" / "api")) == {"services/api/Dockerfile"}
    assert uris(sarif(str(repo / "services" / "web" / "Dockerfile"))) == {"services/web/Dockerfile"}
    # Two folders of one repository in one run: both placed.
    assert uris(sarif(str(repo / "services" / "api"), str(repo / "services" / "web"))) == {
        "services/api/Dockerfile", "services/web/Dockerfile"}
    validate(tmp_path, document)


def test_outside_a_repository_uris_stay_relative_to_the_scanned_folder(tmp_path):
    write_tree(tmp_path / "plain" / "sub", {"Dockerfile": DOCKERFILE})
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary folder lies inside a git repository")
    document = sarif(str(tmp_path / "plain" / "sub"))
    assert uris(document) == {"Dockerfile"}
    assert document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"] == "The scanned directory."


def test_image_findings_point_at_the_dockerfile_the_image_was_built_from(tmp_path):
    repo = git_repository(tmp_path / "repo", {"services/api/Dockerfile": "FROM alpine:3.20\nUSER 1000\nCMD [\"/server\"]\n"})
    image = docker_archive_legacy(tmp_path / "app.tar", Image([BASE], {"User": ""}))
    document = sarif(str(repo / "services" / "api"), "--image", str(image))
    results = document["runs"][0]["results"]
    image_results = [r for r in results if "image " in r["message"]["text"]]
    assert image_results, "the image is audited: it runs as root and ships a shell"
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in image_results} == {"services/api/Dockerfile"}
    # JSON keeps the image's own path: there the finding names what was read.
    json_paths = {f["path"] for f in json.loads(run_cli("scan", str(repo / "services" / "api"), "--image", str(image),
                                                         "--format", "json").stdout)["findings"] if f["message"].startswith("image ")}
    assert json_paths == {"app.tar"}
    validate(tmp_path, document)


def test_an_image_without_a_dockerfile_gets_a_uri_code_scanning_accepts(tmp_path):
    # An archive named like an image reference: `app:1.tar` must not read as the scheme `app:`.
    (tmp_path / "images").mkdir()
    image = docker_archive_legacy(tmp_path / "images" / "app:1.tar", Image([BASE], {"User": ""}))
    result = run_cli("image", str(image), "--format", "sarif", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert uris(document) == {"app%3A1.tar"}
    assert document["runs"][0]["automationDetails"]["id"] == "mcpharden/image/"
    validate(tmp_path, document)
