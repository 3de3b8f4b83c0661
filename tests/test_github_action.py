"""The GitHub Action: valid against GitHub's schemas (check-jsonschema ships them), third-party
actions pinned by commit, no side effects on the caller's job, and its steps run for real on a
fixture repository (the install step too, where a package index is reachable)."""

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


def steps() -> list[dict]:
    return yaml.safe_load(ACTION.read_text())["runs"]["steps"]


def run_step(step: dict, tmp_path: Path, cwd: Path, values: dict[str, str],
             extra_env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Run one of the action's bash steps as the runner would: `${{ inputs.x }}` and
    `${{ steps.env.outputs.venv }}` reach it as environment variables, never spliced in."""
    output = tmp_path / "github_output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": str(tmp_path),
           "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", **(extra_env or {})}
    for name, expression in step.get("env", {}).items():
        env[name] = values[re.search(r"(?:inputs|outputs)\.([\w-]+)", expression).group(1)]
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


def scan_step(tmp_path: Path, repo: Path, summary: Path | None = None, **inputs: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """The scan step, with this test run's own virtual environment standing in for the action's."""
    step = next(s for s in steps() if s.get("id") == "scan")
    values = {"paths": ".", "fail-on": "high", "sarif-file": str(tmp_path / "out.sarif"), "args": "",
              "venv": str(Path(sys.executable).parent.parent), **inputs}
    return run_step(step, tmp_path, repo, values, {"GITHUB_STEP_SUMMARY": str(summary)} if summary else None)


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


def test_one_scan_writes_annotations_sarif_and_the_job_summary(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n"})
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    done, outputs = scan_step(tmp_path, repo, summary=summary)
    assert done.stdout.count("mcpharden: ") == 1 and outputs["exit-code"] == "1"  # one scan, not one per format
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, as every step's summary is
    assert "root-user" in text and "score" in text.lower()
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()


def test_annotations_stay_under_githubs_caps(tmp_path):
    """GitHub shows 10 annotations of each level per step and drops the rest unseen: the most
    severe come first, and one notice says how many were left out."""
    services = "".join(f"  s{n}:\n    image: nginx:1.27\n    privileged: true\n    ports: ['{8000 + n}:80']\n" for n in range(15))
    repo = write_tree(tmp_path / "repo", {"compose.yaml": "services:\n" + services})
    done, _ = scan_step(tmp_path, repo, **{"fail-on": "never"})
    commands = [line for line in done.stdout.splitlines() if line.startswith("::")]
    for level in ("error", "warning", "notice"):
        assert 0 < sum(line.startswith(f"::{level} ") for line in commands) <= 10, level
    assert len(commands) <= 30
    [closing] = [line for line in commands if "not annotated" in line]
    assert closing.startswith("::notice ") and re.search(r"::\d+ more finding", closing)
    # The errors shown are the HIGH findings (root, privileged), not the first findings in file order.
    assert all("root-user" in line or "privileged-container" in line for line in commands if line.startswith("::error "))
    assert not any("image-not-pinned-by-digest" in line for line in commands if not line.startswith("::notice "))


def test_no_side_effects_on_the_callers_job():
    """mcpharden lives in its own virtual environment: the job's Python, PATH and environment
    stay as the caller set them up."""
    text = ACTION.read_text()
    assert "setup-python" not in text
    assert "GITHUB_PATH" not in text and "GITHUB_ENV" not in text
    runs = [step["run"] for step in steps() if "run" in step]
    installs = sum(run.count("pip install") for run in runs)
    assert installs == 1 and sum(run.count('"$VENV/bin/python" -m pip install') for run in runs) == installs
    cache = next(step for step in steps() if str(step.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == "${{ steps.env.outputs.venv }}"


def test_the_install_step_makes_a_light_environment_of_its_own(tmp_path):
    by_id = {step.get("id"): step for step in steps()}
    located, outputs = run_step(by_id["env"], tmp_path, tmp_path, {})
    assert located.returncode == 0, located.stderr
    assert outputs["venv"] == str(tmp_path / "mcpharden-venv")
    again, same = run_step(by_id["env"], tmp_path, tmp_path, {})
    assert re.fullmatch(r"mcpharden-Linux-X64-py3\.\d+-[0-9a-f]{16}", outputs["key"]) and same["key"] == outputs["key"]
    install = next(step for step in steps() if step.get("name") == "Install mcpharden")
    assert install["if"] == "${{ steps.cache.outputs.cache-hit != 'true' }}"  # a cached environment is used as it is
    done, _ = run_step(install, tmp_path, tmp_path, {"venv": outputs["venv"]})
    if done.returncode and ("No matching distribution" in done.stderr or "Could not find a version" in done.stderr):
        pytest.skip("no package index reachable to install mcpharden's dependencies")
    assert done.returncode == 0, done.stderr[-3000:]
    venv = Path(outputs["venv"])
    version = subprocess.run([str(venv / "bin" / "mcpharden"), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("mcpharden ")
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"], capture_output=True,
                            text=True, timeout=120).stdout.lower()
    assert "mcp==" not in listed and "pydantic" not in listed  # the SDK is the serve extra


def test_forks_skip_the_upload_with_a_notice():
    by_name = {step["name"]: step for step in steps()}
    upload = by_name["Upload SARIF to code scanning"]
    skip = by_name["Skip the SARIF upload on a pull request from a fork"]
    assert "!github.event.pull_request.head.repo.fork" in upload["if"]
    assert "github.event.pull_request.head.repo.fork" in skip["if"] and "!github" not in skip["if"]
    assert "::notice" in skip["run"]


def test_the_example_workflow_grants_what_the_upload_needs():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["mcpharden"]
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}


def test_inputs_are_not_spliced_into_the_script(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM node:22\n"})
    done, outputs = scan_step(tmp_path, repo, paths="$(touch pwned) .")
    assert not (repo / "pwned").exists()
    assert outputs["exit-code"] == "2"  # a path that does not exist is a usage error
