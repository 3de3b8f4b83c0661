"""The workflow `fix` writes for no-image-scan-in-ci: every action pinned by commit from the
knowledge table, the built image scanned with a failing exit code, no repository-wide config
scan, and valid against GitHub's own workflow schema."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import run_cli, write_tree
from mcpharden.fixes.ci import WORKFLOW_PATH, workflow_text
from mcpharden.knowledge.pinned_actions import actions


def test_every_pinned_action_is_a_full_commit_with_its_tag():
    table = actions()
    assert {"actions/checkout", "docker/build-push-action", "docker/setup-buildx-action",
            "aquasecurity/trivy-action", "github/codeql-action/upload-sarif"} <= set(table)
    for name, entry in table.items():
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]), name
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", entry["tag"]), name


def _steps(text: str) -> list[dict]:
    return [step for job in yaml.safe_load(text)["jobs"].values() for step in job["steps"]]


def test_every_uses_is_pinned_by_commit_with_the_tag_in_a_comment():
    text = workflow_text(["Dockerfile"])
    table = actions()
    lines = [line.strip() for line in text.splitlines() if "uses:" in line]
    assert len(lines) == len([s for s in _steps(text) if "uses" in s]) >= 4
    for line in lines:
        match = re.fullmatch(r"(?:- )?uses: (\S+)@([0-9a-f]{40}) # (\S+)", line)
        assert match, line
        name, commit, tag = match.groups()
        assert table[name] == {"commit": commit, "tag": tag}


def test_the_built_image_is_scanned_and_fails_the_job_and_nothing_else_is():
    steps = _steps(workflow_text(["Dockerfile", "api/Dockerfile"]))
    scans = [s for s in steps if s.get("uses", "").startswith("aquasecurity/trivy-action@")]
    assert len(scans) == 1
    settings = scans[0]["with"]
    assert settings["image-ref"] == "${{ matrix.tag }}" and settings["exit-code"] == "1"
    assert settings["severity"] == "HIGH,CRITICAL" and settings["ignore-unfixed"] is True
    assert "scan-type" not in settings  # an image scan, not `config` or `fs` over the repository
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["continue-on-error"] is True  # code scanning off never fails the build


def _check_jsonschema() -> str:
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    if found is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    return found


def test_the_written_workflow_validates_against_githubs_schema(tmp_path):
    checker = _check_jsonschema()
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\nCOPY s /s\n", "tools/api/Dockerfile": "FROM scratch\nCOPY s /s\n"})
    assert run_cli("fix", str(tmp_path), "--select", "no-image-scan-in-ci", "--write").returncode == 0
    written = tmp_path / WORKFLOW_PATH
    # The schema ships inside check-jsonschema: no network is needed.
    result = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(written)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(written.read_text().replace("runs-on:", "runs_on:"))
    assert subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(broken)],
                          capture_output=True, text=True, timeout=120).returncode == 1
    # The scan accepts its own workflow: the finding is gone.
    assert run_cli("scan", str(tmp_path), "--select", "no-image-scan-in-ci").returncode == 0
