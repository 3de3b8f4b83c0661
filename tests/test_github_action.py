"""The GitHub Action: valid against GitHub's schemas (check-jsonschema ships them), third-party
actions pinned by commit, and its scan step run for real on a fixture repository."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, write_tree

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "github-workflow.yml"


@pytest.mark.parametrize("schema, path", [("vendor.github-actions", ACTION), ("vendor.github-workflows", WORKFLOW)])
def test_valid_against_githubs_schema(schema, path):
    if not CHECK_JSONSCHEMA.exists():
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    done = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_third_party_actions_are_pinned_by_commit():
    for path in (ACTION, WORKFLOW):
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text()):
            if uses.startswith("mcpharden/"):
                continue  # our own action, by release tag in the example
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), uses


def test_the_readme_shows_the_example_workflow():
    readme = (ROOT / "README.md").read_text()
    assert WORKFLOW.read_text().strip() in readme


def scan_step(tmp_path: Path, repo: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Run the action's scan step as the runner would: inputs as environment variables."""
    step = next(s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "scan")
    output = tmp_path / "github_output"
    output.write_text("")
    values = {"paths": ".", "fail-on": "high", "sarif-file": str(tmp_path / "out.sarif"), "args": "", **inputs}
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for name, expression in step["env"].items():
        env[name] = values[re.search(r"inputs\.([\w-]+)", expression).group(1)]
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


def test_the_scan_step_annotates_writes_sarif_and_reports_the_exit_code(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n"})
    done, outputs = scan_step(tmp_path, repo)
    assert done.returncode == 0, done.stderr  # the step itself succeeds; a later step fails the job
    assert outputs["exit-code"] == "1"
    assert "::error file=Dockerfile,line=1,title=mcpharden root-user::" in done.stdout
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()
    clean, outputs = scan_step(tmp_path, repo, **{"fail-on": "never"})
    assert outputs["exit-code"] == "0"
    ignored, outputs = scan_step(tmp_path, repo, args="--ignore root-user,full-os-base-image")
    assert outputs["exit-code"] == "0" and "root-user" not in ignored.stdout


def test_inputs_are_not_spliced_into_the_script(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM node:22\n"})
    done, outputs = scan_step(tmp_path, repo, paths="$(touch pwned) .")
    assert not (repo / "pwned").exists()
    assert outputs["exit-code"] == "2"  # a path that does not exist is a usage error
